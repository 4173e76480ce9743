/* What the importer must extract: the selected manifest (image_select.h),
 * verified, with its config and layer blobs and the digests they must have. */
#ifndef OCHRE_IMAGE_PLAN_H
#define OCHRE_IMAGE_PLAN_H

#include "../../image/blob_source.h"
#include "../../image/image_ref.h"
#include "../../util/error.h"

#include <json-c/json.h>
#include <stdbool.h>

/* LAYER_SQUASHFS: SingularityCE's squashfs layers, not tars: only a pull
 * to an OCI-SIF takes them, as they are. */
enum layer_compression { LAYER_TAR, LAYER_GZIP, LAYER_ZSTD, LAYER_SQUASHFS };

struct layer_plan {
	char *path;     /* the blob file */
	char *digest;   /* what the blob's bytes must hash to */
	long long size; /* expected size, or -1 when the format has none */
	enum layer_compression compression;
};

struct image_plan {
	char *key;           /* the cache key: manifest digest, or config digest for docker-archive */
	json_object *config; /* the verified image config */
	/* OCI images: the manifest and config blob files, as they are (a pull
	 * of squashfs layers keeps them); NULL for docker-archive. */
	char *manifest_file, *config_file;
	struct layer_plan *layers;
	size_t n_layers;
};

/* With the image's files in src->dir: verify manifest and config against
 * their digests and list the layers. */
int image_plan_load(const struct image_ref *ref, const struct blob_source *src, struct image_plan *plan,
		    struct error *err);
void image_plan_free(struct image_plan *plan);

#endif
