/* Image references as users write them (the names skopeo uses):
 *   oci:DIR[:TAG]  oci-archive:FILE[:TAG]  docker-archive:FILE[:REF]
 *   DIR            a root filesystem, or an OCI layout if DIR/oci-layout exists
 *   docker://[REGISTRY/]REPO[:TAG|@DIGEST]  an image in a registry (registry_ref.h) */
#ifndef OCHRE_IMAGE_REF_H
#define OCHRE_IMAGE_REF_H

#include "../util/error.h"

#include <stdbool.h>

enum image_kind {
	IMAGE_ROOTFS_DIR,
	IMAGE_OCI_DIR,
	IMAGE_OCI_ARCHIVE,
	IMAGE_DOCKER_ARCHIVE,
	IMAGE_DOCKER, /* docker://: path and tag are NULL; text is the canonical reference */
};

struct image_ref {
	enum image_kind kind;
	char *path;           /* absolute, symlinks resolved */
	char *tag;            /* NULL: the only image there */
	char *text;           /* canonical form, for messages and `cache list` */
	const char *platform; /* "os/arch[/variant]" to pick from an index; NULL: the host's (set by the caller) */
};

int image_ref_parse(const char *arg, struct image_ref *ref, struct error *err);
void image_ref_free(struct image_ref *ref);

/* "os/arch" or "os/arch/variant", each part [a-z0-9_.-]. */
bool image_platform_is_valid(const char *platform);

#endif
