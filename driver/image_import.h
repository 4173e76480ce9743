/* The importer's side of the cache: find an image's key (scanning an
 * archive if need be), and build its cache entry once, under the lock.
 * Linked only into ochre-import, with libarchive and libcrypto. */
#ifndef OCHRE_IMAGE_IMPORT_H
#define OCHRE_IMAGE_IMPORT_H

#include "cache.h"
#include "error.h"

/* Make sure IMAGE is in the cache; return its key (caller frees). */
int image_import(struct cache *c, const char *image, char **key, struct error *err);

#endif
