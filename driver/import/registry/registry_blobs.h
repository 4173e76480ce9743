/* Downloading blobs into the cache's verified blob store, several at once
 * (curl multi). Each goes to a temporary file in CACHE/tmp/ and is renamed
 * to CACHE/blobs/ALG/HEX only once its size and digest are right, so the
 * store never holds a blob that is not what its name says. Per-blob
 * progress on a terminal. Importer only. */
#ifndef OCHRE_REGISTRY_BLOBS_H
#define OCHRE_REGISTRY_BLOBS_H

#include "../../image/cache.h"
#include "../../util/error.h"
#include "registry_http.h"

struct blob_want {
	const char *digest;
	long long size;
	char what[32]; /* "config", "layer 2/5" */
};

/* CACHE/blobs/ALG/HEX (caller frees). */
char *registry_blob_path(const struct cache *c, const char *digest);

/* Fetch every wanted blob the store lacks. Call with the cache lock held
 * (temporary files live in CACHE/tmp/). */
int registry_fetch_blobs(const struct cache *c, struct registry_client *cl, const char *label,
			 const struct blob_want *want, size_t n, struct error *err);

#endif
