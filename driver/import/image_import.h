/* The importer's side of the cache: find an image's key (scanning an
 * archive if need be), and build its cache entry once, under the lock.
 * Linked only into ochre-import, with libarchive and libcrypto. */
#ifndef OCHRE_IMAGE_IMPORT_H
#define OCHRE_IMAGE_IMPORT_H

#include "../image/cache.h"
#include "../util/error.h"
#include "sif/sif_pull.h"

#include <stdbool.h>

struct import_options {
	const char *platform; /* "os/arch[/variant]" from an index; NULL: the host's */
	const char *authfile; /* docker://: the credentials file; NULL: the usual ones */
	bool insecure;        /* docker://: plain HTTP */
	/* Write the image as an OCI-SIF file instead of a cache entry (the
	 * cache keeps only registry blobs then); NULL: a cache entry. */
	const struct sif_pull_options *sif;
};

/* Make sure IMAGE is in the cache, or written to opts->sif's file; return
 * its key (caller frees). */
int image_import(struct cache *c, const char *image, const struct import_options *opts, char **key, struct error *err);

#endif
