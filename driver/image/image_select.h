/* Choosing an image inside a layout or archive, reading JSON only: the tag,
 * then the host's platform in an index; docker-save's manifest.json. No
 * hashing happens here unless the caller passes a check function (the
 * importer does), so a cached launch finds its key without libcrypto. */
#ifndef OCHRE_IMAGE_SELECT_H
#define OCHRE_IMAGE_SELECT_H

#include "../util/error.h"
#include "blob_source.h"
#include "image_ref.h"

#include <json-c/json.h>

/* Verify blob data against its digest; 0 or -1 with err. */
typedef int (*blob_check_fn)(const char *digest, const void *data, size_t len, struct error *err);

/* From index.json (through nested indexes) to one manifest's digest;
 * platform "os/arch[/variant]" or NULL for the host's. */
int image_select_manifest(const struct blob_source *src, const char *tag, const char *platform, blob_check_fn check,
			  char **manifest_digest, struct error *err);

/* Read blobs/ALG/HEX whole; with check, verify it first. */
int image_read_blob(const struct blob_source *src, const char *digest, blob_check_fn check, char **data, size_t *len,
		    struct error *err);

/* The docker-save manifest.json entry for ref's tag (or the only one). The
 * caller releases *root. */
int image_docker_entry(const struct image_ref *ref, const struct blob_source *src, json_object **entry,
		       json_object **root, struct error *err);

/* "HEX.json" or "blobs/sha256/HEX" -> "sha256:HEX"; NULL otherwise. */
char *docker_config_digest(const char *name);

/* The cache key (manifest digest, or config digest for docker-archive). */
int image_find_key(const struct image_ref *ref, const struct blob_source *src, char **key, struct error *err);

/* The host platform as OCI names it, e.g. "linux/amd64", "linux/arm64/v8". */
void host_platform(char *out, size_t len);

#endif
