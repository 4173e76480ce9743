#define _GNU_SOURCE
#include "oci_state.h"

#include "../../common/log.h"
#include "../launch/session.h"
#include "../util/fsutil.h"
#include "../util/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define ID_MAX 128

/* Container IDs name directories: letters, digits, and . _ - (not first). */
static bool id_is_valid(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n > ID_MAX || !strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", id[0]))
		return false;
	return strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

char *oci_path(const struct oci_container *c, const char *name)
{
	return xasprintf("%s/%s", c->dir, name);
}

int oci_container_init(struct oci_container *c, const char *id, struct error *err)
{
	memset(c, 0, sizeof *c);
	c->lock_fd = -1;
	if (!id_is_valid(id))
		return error_set(err, 0, "invalid container ID '%s' (letters, digits, '.', '_', '-'; at most %d)", id,
				 ID_MAX);
	/* Root's containers are the system's: /run/ochre/oci, whatever its
	 * XDG_RUNTIME_DIR; other users' live in their own runtime dir. */
	if (getuid() == 0) {
		c->root = xstrdup("/run/ochre/oci");
	} else {
		char *base = user_runtime_dir(err);
		if (!base)
			return -1;
		c->root = xasprintf("%s/oci", base);
		free(base);
	}
	if (make_private_dirs(c->root, err) < 0)
		return -1;
	c->id = xstrdup(id);
	c->dir = xasprintf("%s/%s", c->root, id);
	return 0;
}

static int read_line_file(const char *path, char **out, struct error *err)
{
	size_t len;
	if (read_file(path, 8192, out, &len, err) < 0)
		return -1;
	(*out)[strcspn(*out, "\n")] = '\0';
	return 0;
}

static int lock_dir(struct oci_container *c, struct error *err)
{
	char *path = oci_path(c, "lock");
	c->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	int saved = errno;
	free(path);
	if (c->lock_fd < 0)
		return error_set(err, saved, "lock container '%s'", c->id);
	while (flock(c->lock_fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return error_set(err, errno, "lock container '%s'", c->id);
	return 0;
}

int oci_container_open(struct oci_container *c, struct error *err)
{
	struct stat st;
	if (lstat(c->dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return error_set(err, 0, "no container '%s'", c->id);
	if (lock_dir(c, err) < 0)
		return -1;
	/* It may have been deleted while we waited for the lock. */
	if (lstat(c->dir, &st) < 0)
		return error_set(err, 0, "no container '%s'", c->id);
	char *rt = oci_path(c, "runtime"), *bundle = oci_path(c, "bundle");
	int ret = read_line_file(rt, &c->runtime, err) < 0 || read_line_file(bundle, &c->bundle, err) < 0 ? -1 : 0;
	free(rt);
	free(bundle);
	if (ret < 0)
		return error_set(err, 0, "container '%s' is being created or its state is damaged", c->id);
	return 0;
}

static char *bundle_claim_path(const struct oci_container *c, const char *bundle)
{
	return xasprintf("%s/.bundles/%016llx", c->root, fnv1a64(bundle));
}

static int write_text(const char *path, const char *text, int flags, struct error *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | flags, 0600);
	if (fd < 0)
		return -1;
	size_t len = strlen(text);
	int ret = write(fd, text, len) == (ssize_t)len ? 0 : -1;
	if (close(fd) < 0 || ret < 0)
		return error_set(err, errno, "write %s", path);
	return 0;
}

int oci_container_claim(struct oci_container *c, const char *bundle, const char *runtime, struct error *err)
{
	if (mkdir(c->dir, 0700) < 0) {
		if (errno == EEXIST)
			return error_set(err, 0, "container '%s' already exists", c->id);
		return error_set(err, errno, "create %s", c->dir);
	}
	/* Locked from birth: operations wait until the create is done. */
	if (lock_dir(c, err) < 0) {
		remove_tree(c->dir);
		return -1;
	}
	char *claims = xasprintf("%s/.bundles", c->root);
	char *claim = bundle_claim_path(c, bundle);
	int ret = make_private_dirs(claims, err);
	for (int attempt = 0; ret == 0 && attempt < 2; attempt++) {
		char *text = xasprintf("%s\n%s\n", c->id, bundle);
		int r = write_text(claim, text, O_EXCL, err);
		free(text);
		if (r == 0)
			break;
		if (errno != EEXIST) {
			ret = error_set(err, errno, "claim bundle %s", bundle);
			break;
		}
		/* Claimed: by a live container, or left by a crash. */
		char *owner = NULL;
		struct error ignored;
		if (read_line_file(claim, &owner, &ignored) == 0) {
			char *owner_dir = xasprintf("%s/%s", c->root, owner);
			struct stat st;
			bool live = stat(owner_dir, &st) == 0;
			free(owner_dir);
			if (live || attempt == 1) {
				ret = error_set(err, 0, "bundle %s is in use by container '%s'", bundle, owner);
				free(owner);
				break;
			}
			free(owner);
		}
		unlink(claim);
	}
	free(claims);
	free(claim);
	if (ret == 0) {
		char *rt = oci_path(c, "runtime"), *b = oci_path(c, "bundle");
		char *rt_text = xasprintf("%s\n", runtime), *b_text = xasprintf("%s\n", bundle);
		ret = write_text(rt, rt_text, O_TRUNC, err) < 0 || write_text(b, b_text, O_TRUNC, err) < 0 ? -1 : 0;
		free(rt);
		free(b);
		free(rt_text);
		free(b_text);
		c->bundle = xstrdup(bundle);
		c->runtime = xstrdup(runtime);
	}
	if (ret < 0)
		oci_container_remove(c);
	return ret;
}

void oci_container_remove(struct oci_container *c)
{
	if (c->bundle) {
		char *claim = bundle_claim_path(c, c->bundle), *owner = NULL;
		struct error ignored;
		if (read_line_file(claim, &owner, &ignored) == 0 && strcmp(owner, c->id) == 0)
			unlink(claim);
		free(owner);
		free(claim);
	}
	if (remove_tree(c->dir) < 0)
		log_warn("could not remove %s: %s", c->dir, strerror(errno));
}

void oci_container_free(struct oci_container *c)
{
	if (c->lock_fd >= 0)
		close(c->lock_fd);
	free(c->root);
	free(c->id);
	free(c->dir);
	free(c->runtime);
	free(c->bundle);
	memset(c, 0, sizeof *c);
	c->lock_fd = -1;
}
