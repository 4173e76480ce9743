/* The image cache: one read-only rootfs per image, keyed by its manifest
 * digest (config digest for docker-archive).
 *
 *   CACHE/images/sha256-HEX/rootfs      the unpacked, verified image
 *   CACHE/images/sha256-HEX/image.json  reference, digest, size, image config
 *   CACHE/images/sha256-HEX/last-use    its mtime is the last launch
 *   CACHE/tmp/                          entries being built (lock holder only)
 *   CACHE/refs/HASH                     archive reference -> key, valid while
 *                                       the archive's dev, inode, size and
 *                                       mtime are unchanged; docker:// reference
 *                                       and platform -> key (no file: a digest
 *                                       reference never changes, a tag's record
 *                                       serves --no-pull)
 *   CACHE/blobs/sha256/HEX              verified registry blobs (registry_pull.c)
 *   CACHE/registries/HOST.auth          the registry's last auth challenge (no secret)
 *   CACHE/lock                          flock(2)ed by whoever imports or cleans
 *
 * An entry appears only by rename(2) of a complete build, so an interrupted
 * import leaves nothing a later launch would trust; the next import (holding
 * the lock, so nobody else is building) empties tmp/. */
#ifndef OCHRE_CACHE_H
#define OCHRE_CACHE_H

#include "../../common/config.h"
#include "../util/error.h"

#include <stdbool.h>

struct cache {
	char *root;
	char *images;
	char *tmp;
	char *refs;
	int lock_fd;
	/* root, images/ and tmp/ as opened and checked (the caller's, writable
	 * by nobody else) by cache_open: what deletes or renames goes by them,
	 * never by a path someone could have swapped since. */
	int root_fd;
	int images_fd;
	int tmp_fd;
};

/* The admin's `cache dir` must not let other users replace what is in it
 * (owned by root or the caller; group/other-writable only with the sticky
 * bit); the caller's dir in it (CACHE/UID) must be a directory, not a
 * symlink, and like every dir of the cache, owned by the caller and
 * writable by nobody else. Otherwise one line and -1. */
int cache_open(const struct ochre_config *cfg, struct cache *c, struct error *err);
/* The same, at a known root (the importer gets it from the driver). */
int cache_open_at(const char *root, struct cache *c, struct error *err);
void cache_close(struct cache *c);

/* CACHE/images/sha256-HEX for a digest key (caller frees). */
char *cache_entry_dir(const struct cache *c, const char *key);

/* Exclusive lock for building or removing entries; blocks until free. */
int cache_lock(struct cache *c, struct error *err);
void cache_unlock(struct cache *c);

/* With the lock held: remove what interrupted imports left in tmp/. */
void cache_remove_stale_builds(const struct cache *c);

/* An archive's key without reading the archive, when it has not changed
 * since it was recorded; NULL otherwise (caller frees). With file NULL the
 * record holds whatever was last recorded for ref_text. */
char *cache_ref_lookup(const struct cache *c, const char *ref_text, const char *file);
void cache_ref_record(const struct cache *c, const char *ref_text, const char *file, const char *key);

#endif
