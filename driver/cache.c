#define _GNU_SOURCE
#include "cache.h"

#include "../common/log.h"
#include "digest.h"
#include "fsutil.h"
#include "xalloc.h"

#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>
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
	char *root = cache_root(cfg, err);
	if (!root)
		return -1;
	int ret = cache_open_at(root, c, err);
	free(root);
	return ret;
}

int cache_open_at(const char *root, struct cache *c, struct error *err)
{
	memset(c, 0, sizeof *c);
	c->lock_fd = -1;
	if (root[0] != '/')
		return error_set(err, 0, "cache dir '%s' is not absolute", root);
	c->root = xstrdup(root);
	c->images = xasprintf("%s/images", c->root);
	c->tmp = xasprintf("%s/tmp", c->root);
	c->refs = xasprintf("%s/refs", c->root);
	if (make_private_dirs(c->images, err) < 0 || make_private_dirs(c->tmp, err) < 0 ||
	    make_private_dirs(c->refs, err) < 0) {
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
	free(c->refs);
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

/* refs/ names a record after a hash of the reference; the record repeats
 * the reference, so a hash collision is only a miss. */
static char *ref_record_path(const struct cache *c, const char *ref_text)
{
	return xasprintf("%s/%016llx", c->refs, fnv1a64(ref_text));
}

static void file_identity(const struct stat *st, char *out, size_t len)
{
	snprintf(out, len, "%llu %llu %lld %lld.%09ld", (unsigned long long)st->st_dev,
		 (unsigned long long)st->st_ino, (long long)st->st_size, (long long)st->st_mtim.tv_sec,
		 st->st_mtim.tv_nsec);
}

char *cache_ref_lookup(const struct cache *c, const char *ref_text, const char *file)
{
	struct stat st;
	if (file && stat(file, &st) < 0)
		return NULL;
	char *path = ref_record_path(c, ref_text), *text = NULL;
	struct error ignored;
	int ret = read_file(path, 64 * 1024, &text, NULL, &ignored);
	free(path);
	if (ret < 0)
		return NULL;
	char identity[128] = "-", *key = NULL;
	if (file)
		file_identity(&st, identity, sizeof identity);
	char *save = NULL, *r = strtok_r(text, "\n", &save), *id = strtok_r(NULL, "\n", &save),
	     *k = strtok_r(NULL, "\n", &save);
	if (r && id && k && strcmp(r, ref_text) == 0 && strcmp(id, identity) == 0 && digest_is_valid(k))
		key = xstrdup(k);
	free(text);
	return key;
}

void cache_ref_record(const struct cache *c, const char *ref_text, const char *file, const char *key)
{
	struct stat st;
	if (file && stat(file, &st) < 0)
		return;
	char identity[128] = "-";
	if (file)
		file_identity(&st, identity, sizeof identity);
	char *path = ref_record_path(c, ref_text);
	char *tmp = xasprintf("%s.%d", path, (int)getpid());
	char *text = xasprintf("%s\n%s\n%s\n", ref_text, identity, key);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	size_t len = strlen(text);
	if (fd >= 0 && write(fd, text, len) == (ssize_t)len && close(fd) == 0)
		rename(tmp, path); /* whole records only */
	else if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(text);
	free(tmp);
	free(path);
}
