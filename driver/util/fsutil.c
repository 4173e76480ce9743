#define _GNU_SOURCE
#include "fsutil.h"

#include "beneath.h"
#include "xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int remove_contents(int dirfd)
{
	DIR *d = fdopendir(dirfd);
	if (!d) {
		close(dirfd);
		return -1;
	}
	int ret = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (remove_tree_at(dirfd, e->d_name) < 0)
			ret = -1;
	}
	closedir(d);
	return ret;
}

int remove_tree_at(int dirfd, const char *name)
{
	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -1;
	int sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub < 0 && errno == EACCES) {
		/* An image directory without owner rwx: it is ours, open it up. */
		if (fchmodat(dirfd, name, 0700, AT_SYMLINK_NOFOLLOW) == 0 || fchmodat(dirfd, name, 0700, 0) == 0)
			sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (sub < 0)
		return -1;
	struct stat st;
	if (fstat(sub, &st) == 0 && (st.st_mode & 0700) != 0700)
		fchmod(sub, st.st_mode | 0700);
	if (remove_contents(sub) < 0)
		return -1;
	return unlinkat(dirfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT ? 0 : -1;
}

int remove_tree(const char *path)
{
	return remove_tree_at(AT_FDCWD, path);
}

int read_file(const char *path, size_t max, char **out, size_t *len, struct error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return error_set(err, errno, "open %s", path);
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		int saved = errno;
		close(fd);
		if (!S_ISREG(st.st_mode))
			return error_set(err, 0, "%s is not a regular file", path);
		return error_set(err, saved, "%s is too large", path);
	}
	char *buf = xmalloc((size_t)st.st_size + 1);
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int saved = errno;
			free(buf);
			close(fd);
			return error_set(err, n < 0 ? saved : 0, "read %s%s", path, n == 0 ? ": truncated" : "");
		}
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	*out = buf;
	if (len)
		*len = got;
	return 0;
}

static int check_own_dir(const char *path, const struct stat *st, struct error *err)
{
	if (!S_ISDIR(st->st_mode) || st->st_uid != getuid())
		return error_set(err, 0, "%s is not a directory owned by you", path);
	return 0;
}

int make_dirs(const char *path, struct error *err)
{
	char *copy = xstrdup(path);
	for (char *p = copy + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;
		*p = '\0';
		if (mkdir(copy, 0700) < 0 && errno != EEXIST) {
			int e = errno;
			free(copy);
			return error_set(err, e, "create %s", path);
		}
		*p = saved;
		if (saved == '\0')
			break;
	}
	free(copy);
	return 0;
}

int make_private_dirs(const char *path, struct error *err)
{
	/* Every cached launch comes here for dirs that exist: one lstat
	 * instead of a mkdir per path component. */
	struct stat st;
	if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return check_own_dir(path, &st, err);
	if (make_dirs(path, err) < 0)
		return -1;
	if (lstat(path, &st) < 0)
		return error_set(err, errno, "%s", path);
	return check_own_dir(path, &st, err);
}

unsigned long long fnv1a64(const char *s)
{
	unsigned long long h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

FILE *fopen_in_root(const char *rootfs, const char *rel)
{
	int root = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return NULL;
	int fd = openat_beneath(root, rel, O_RDONLY, BENEATH_IN_ROOT);
	close(root);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "r");
	if (!f && fd >= 0)
		close(fd);
	return f;
}

int pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	for (size_t done = 0; done < len;) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			errno = n == 0 ? EIO : errno;
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

int pwrite_full(int fd, const void *buf, size_t len, uint64_t off)
{
	for (size_t done = 0; done < len;) {
		ssize_t n = pwrite(fd, (const char *)buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			errno = n == 0 ? EIO : errno;
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}
