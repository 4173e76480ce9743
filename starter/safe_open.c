#define _GNU_SOURCE
#include "safe_open.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define DIR_FLAGS (O_PATH | O_DIRECTORY | O_CLOEXEC)

static int open_walk(const char *path)
{
	int fd = open("/", DIR_FLAGS);
	char component[256];
	for (const char *p = path; fd >= 0 && *p;) {
		while (*p == '/')
			p++;
		size_t len = strcspn(p, "/");
		if (len == 0)
			break;
		if (len >= sizeof component) {
			close(fd);
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(component, p, len);
		component[len] = '\0';
		p += len;
		int next = openat(fd, component, DIR_FLAGS | O_NOFOLLOW);
		int saved = errno;
		close(fd);
		errno = saved;
		fd = next;
	}
	/* A symlink component fails here with ENOTDIR (O_NOFOLLOW|O_DIRECTORY). */
	return fd;
}

int open_dir_nofollow(const char *path)
{
	struct open_how how = {
		.flags = DIR_FLAGS,
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
	if (fd >= 0 || errno != ENOSYS)
		return fd;
	return open_walk(path);
}

int open_subdir_nofollow(int dirfd, const char *name)
{
	return openat(dirfd, name, DIR_FLAGS | O_NOFOLLOW);
}

int open_file_nofollow(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];
	if (!slash || (size_t)(slash - path) >= sizeof dir) {
		errno = ENAMETOOLONG;
		return -1;
	}
	snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
	int dir_fd = open_dir_nofollow(dir);
	if (dir_fd < 0)
		return -1;
	int fd = openat(dir_fd, slash + 1, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	int saved = errno;
	close(dir_fd);
	errno = saved;
	struct stat st;
	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}
