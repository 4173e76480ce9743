#define _GNU_SOURCE
#include "cache.h"

#include "../../common/log.h"
#include "../util/fsutil.h"
#include "../util/xalloc.h"
#include "digest_name.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* The admin's cache dir holds every user's cache: refuse one that lets
 * another user replace ours in it (rename(2) needs write access to the
 * parent, and the sticky bit limits it to the entry's owner). */
static int check_shared_parent(const char *dir, struct error *err)
{
	struct stat st;
	if (stat(dir, &st) < 0)
		return error_set(err, errno, "cache dir '%s'", dir);
	if (!S_ISDIR(st.st_mode))
		return error_set(err, 0, "cache dir '%s' is not a directory", dir);
	if (st.st_uid != 0 && st.st_uid != getuid())
		return error_set(err, 0, "cache dir '%s' is owned by uid %u, who could replace your cache in it", dir,
				 (unsigned)st.st_uid);
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))
		return error_set(err, 0,
				 "cache dir '%s' is writable by other users without the sticky bit, so they could "
				 "replace your cache in it (the administrator should chmod +t it)",
				 dir);
	return 0;
}

/* A directory of the cache (its root, images/, tmp/, refs/) must be the
 * caller's and writable by nobody else: whoever can write to it chooses
 * the rootfs that runs as the caller, and what ochre deletes. */
static int check_private(const char *path, const struct stat *st, struct error *err)
{
	if (!S_ISDIR(st->st_mode))
		return error_set(err, 0, "cache dir '%s' is not a directory", path);
	if (st->st_uid != getuid())
		return error_set(err, 0,
				 "cache dir '%s' is owned by uid %u, not you (another user made it: have it "
				 "removed)",
				 path, (unsigned)st->st_uid);
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return error_set(err, 0, "cache dir '%s' is writable by others (chmod go-w)", path);
	return 0;
}

/* fd, open on path, if check_private passes; else closed, -1. */
static int check_fd(int fd, const char *path, struct error *err)
{
	struct stat st;
	int ret = fstat(fd, &st) < 0 ? error_set(err, errno, "%s", path) : check_private(path, &st, err);
	if (ret < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Why dirfd/name (path) did not open as a directory without following a
 * symlink: O_DIRECTORY says ENOTDIR for a symlink too. */
static int open_error(int dirfd, const char *name, const char *path, struct error *err)
{
	int saved = errno;
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
		return error_set(err, 0, "cache dir '%s' is a symbolic link", path);
	return error_set(err, saved, "cache dir '%s'", path);
}

/* Open root (a symlink to it is followed only when nofollow is off: the
 * caller's own ~/.cache may point elsewhere) and check it. */
static int open_root(const char *root, bool nofollow, struct error *err)
{
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0));
	if (fd < 0)
		return open_error(AT_FDCWD, root, root, err);
	return check_fd(fd, root, err);
}

/* Create root/name if missing, open it without following a symlink, and
 * check it. */
static int open_subdir(int root_fd, const char *path, struct error *err)
{
	const char *name = strrchr(path, '/') + 1;
	if (mkdirat(root_fd, name, 0700) < 0 && errno != EEXIST)
		return error_set(err, errno, "create %s", path);
	int fd = openat(root_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return open_error(root_fd, name, path, err);
	return check_fd(fd, path, err);
}

static int open_checked(const char *root, bool nofollow, struct cache *c, struct error *err)
{
	memset(c, 0, sizeof *c);
	c->lock_fd = c->root_fd = c->images_fd = c->tmp_fd = -1;
	if (root[0] != '/')
		return error_set(err, 0, "cache dir '%s' is not absolute", root);
	c->root = xstrdup(root);
	c->images = xasprintf("%s/images", c->root);
	c->tmp = xasprintf("%s/tmp", c->root);
	c->refs = xasprintf("%s/refs", c->root);
	int refs_fd = -1;
	if ((c->root_fd = open_root(root, nofollow, err)) < 0 ||
	    (c->images_fd = open_subdir(c->root_fd, c->images, err)) < 0 ||
	    (c->tmp_fd = open_subdir(c->root_fd, c->tmp, err)) < 0 ||
	    (refs_fd = open_subdir(c->root_fd, c->refs, err)) < 0) {
		cache_close(c);
		return -1;
	}
	close(refs_fd);
	return 0;
}

/* The admin's cache dir: our per-uid dir in it, made by us (or by the
 * admin for us), never a symlink. */
static int open_shared(const char *dir, struct cache *c, struct error *err)
{
	if (check_shared_parent(dir, err) < 0)
		return -1;
	char *root = xasprintf("%s/%u", dir, (unsigned)getuid());
	int ret = 0;
	if (mkdir(root, 0700) < 0 && errno != EEXIST)
		ret = error_set(err, errno,
				"create cache dir '%s' (the administrator makes it for you, or makes '%s' "
				"sticky and writable by all)",
				root, dir);
	if (ret == 0)
		ret = open_checked(root, true, c, err);
	free(root);
	return ret;
}

static char *own_cache_root(struct error *err)
{
	/* Set by the driver from SINGULARITY_CACHEDIR and the like (driver/cli/compat.c). */
	const char *own = getenv("OCHRE_CACHEDIR");
	if (own && own[0] == '/')
		return xasprintf("%s/ochre", own);
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
	if (cfg->cache_dir)
		return open_shared(cfg->cache_dir, c, err);
	memset(c, 0, sizeof *c);
	c->lock_fd = c->root_fd = c->images_fd = c->tmp_fd = -1;
	char *root = own_cache_root(err);
	if (!root)
		return -1;
	int ret = make_dirs(root, err) < 0 ? -1 : cache_open_at(root, c, err);
	free(root);
	return ret;
}

int cache_open_at(const char *root, struct cache *c, struct error *err)
{
	return open_checked(root, false, c, err);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void cache_close(struct cache *c)
{
	cache_unlock(c);
	close_fd(&c->root_fd);
	close_fd(&c->images_fd);
	close_fd(&c->tmp_fd);
	free(c->root);
	free(c->images);
	free(c->tmp);
	free(c->refs);
	memset(c, 0, sizeof *c);
	c->lock_fd = c->root_fd = c->images_fd = c->tmp_fd = -1;
}

char *cache_entry_dir(const struct cache *c, const char *key)
{
	char name[DIGEST_MAX_STRING];
	digest_to_filename(key, name, sizeof name);
	return xasprintf("%s/%s", c->images, name);
}

/* images/ and tmp/ are still the dirs opened (and checked) at cache_open:
 * nothing renamed them while we waited for the lock. */
static int check_unchanged(const struct cache *c, struct error *err)
{
	const int fds[] = { c->images_fd, c->tmp_fd };
	const char *const paths[] = { c->images, c->tmp };
	for (size_t i = 0; i < 2; i++) {
		struct stat now, opened;
		if (fstatat(c->root_fd, strrchr(paths[i], '/') + 1, &now, AT_SYMLINK_NOFOLLOW) < 0 ||
		    fstat(fds[i], &opened) < 0 || now.st_dev != opened.st_dev || now.st_ino != opened.st_ino)
			return error_set(err, 0, "cache dir '%s' was replaced while ochre waited for its lock",
					 paths[i]);
	}
	return 0;
}

int cache_lock(struct cache *c, struct error *err)
{
	c->lock_fd = openat(c->root_fd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (c->lock_fd < 0)
		return error_set(err, errno, "open %s/lock", c->root);
	log_debug("waiting for the cache lock %s/lock", c->root);
	while (flock(c->lock_fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int saved = errno;
			cache_unlock(c);
			return error_set(err, saved, "lock the image cache");
		}
	}
	if (check_unchanged(c, err) < 0) {
		cache_unlock(c);
		return -1;
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
	/* By the fd opened at cache_open: a tmp/ swapped for a symlink since
	 * cannot point the removal elsewhere. */
	int fd = openat(c->tmp_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d && fd >= 0)
		close(fd);
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
	snprintf(out, len, "%llu %llu %lld %lld.%09ld", (unsigned long long)st->st_dev, (unsigned long long)st->st_ino,
		 (long long)st->st_size, (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
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
