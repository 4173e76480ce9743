#define _GNU_SOURCE
#include "cache.h"

#include "../common/log.h"
#include "digest.h"
#include "fsutil.h"
#include "xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

static char *cache_root(const struct ochre_config *cfg, struct error *err)
{
	if (cfg->cache_dir)
		return xasprintf("%s/%u", cfg->cache_dir, (unsigned)getuid());
	const char *xdg = getenv("XDG_CACHE_HOME");
	if (xdg && xdg[0] == '/')
		return xasprintf("%s/ochre", xdg);
	const char *home = getenv("HOME");
	if (!home || home[0] != '/') {
		struct passwd *pw = getpwuid(getuid());
		home = pw ? pw->pw_dir : NULL;
	}
	if (!home || home[0] != '/') {
		error_set(err, 0, "no cache directory: set XDG_CACHE_HOME or HOME");
		return NULL;
	}
	return xasprintf("%s/.cache/ochre", home);
}

int cache_open(const struct ochre_config *cfg, struct cache *c, struct error *err)
{
	memset(c, 0, sizeof *c);
	c->lock_fd = -1;
	c->root = cache_root(cfg, err);
	if (!c->root)
		return -1;
	c->images = xasprintf("%s/images", c->root);
	c->tmp = xasprintf("%s/tmp", c->root);
	if (make_private_dirs(c->images, err) < 0 || make_private_dirs(c->tmp, err) < 0) {
		cache_close(c);
		return -1;
	}
	return 0;
}

void cache_close(struct cache *c)
{
	cache_unlock(c);
	free(c->root);
	free(c->images);
	free(c->tmp);
	memset(c, 0, sizeof *c);
	c->lock_fd = -1;
}

char *cache_entry_dir(const struct cache *c, const char *key)
{
	char name[DIGEST_MAX_STRING];
	digest_to_filename(key, name, sizeof name);
	return xasprintf("%s/%s", c->images, name);
}

int cache_lock(struct cache *c, struct error *err)
{
	char *path = xasprintf("%s/lock", c->root);
	c->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	int saved = errno;
	if (c->lock_fd < 0) {
		error_set(err, saved, "open %s", path);
		free(path);
		return -1;
	}
	log_debug("waiting for the cache lock %s", path);
	free(path);
	while (flock(c->lock_fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			saved = errno;
			cache_unlock(c);
			return error_set(err, saved, "lock the image cache");
		}
	}
	return 0;
}

void cache_unlock(struct cache *c)
{
	if (c->lock_fd >= 0)
		close(c->lock_fd); /* releases the flock */
	c->lock_fd = -1;
}

void cache_remove_stale_builds(const struct cache *c)
{
	DIR *d = opendir(c->tmp);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		log_debug("removing an interrupted import: %s/%s", c->tmp, e->d_name);
		remove_tree_at(dirfd(d), e->d_name);
	}
	if (d)
		closedir(d);
}
