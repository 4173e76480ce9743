/* `docker://` images: resolve the reference at the registry, download the
 * manifest, config and layers into the cache's blob store (verified), and
 * build the cache entry from there with the same plan and extraction as an
 * OCI layout. Importer only.
 *
 * Requests made: a tag costs one manifest request (HEAD, for its digest)
 * when the image is cached already; a digest none once its manifest is in
 * the blob store. A tag's and a digest's key are recorded in CACHE/refs
 * (with the platform) so the driver finds a digest reference, or a tag with
 * --no-pull, without running this at all. */
#ifndef OCHRE_REGISTRY_PULL_H
#define OCHRE_REGISTRY_PULL_H

#include "../../image/blob_source.h"
#include "../../image/cache.h"
#include "../../image/image_ref.h"
#include "../../util/error.h"

#include <stdbool.h>

/* Builds the cache entry for ref from blobs in src (the cache's blob store
 * seen as an OCI layout) and returns its key: the importer's
 * image_import_build, passed in so that the registry client does not call
 * back up into the importer. */
typedef int (*registry_build_fn)(struct cache *c, const struct image_ref *ref, const struct blob_source *src,
				 void *data, char **key, struct error *err);

struct registry_pull_options {
	const char *platform; /* "os/arch[/variant]" from an index; NULL: the host's */
	const char *authfile; /* the credentials file; NULL: the usual ones */
	bool insecure;        /* plain HTTP */
	registry_build_fn build;
	void *build_data; /* build's data */
	/* Build even when the cache has the entry (`ochre pull` to a file:
	 * the build writes the file, not a cache entry), and never fall back
	 * to a cached tag. */
	bool always_build;
};

int registry_pull(struct cache *c, const struct image_ref *ref, const struct registry_pull_options *opts, char **key,
		  struct error *err);

/* `ochre registry login`: check the credentials against the registry, then
 * store them (authfile, or ochre's own auth.json). */
int registry_login(const char *registry, const char *username, const char *password, bool insecure,
		   const char *authfile, struct error *err);
/* `ochre registry logout`: forget them; *found says whether there were any. */
int registry_logout(const char *registry, const char *authfile, int *found, struct error *err);

#endif
