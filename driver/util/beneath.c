#define _GNU_SOURCE
#include "beneath.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_LINKS 40  /* the kernel's own limit on symlinks in one lookup */
#define MAX_DEPTH 256 /* directories deep */

int openat_beneath(int root_fd, const char *rel, int flags, enum beneath_mode mode)
{
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_CLOEXEC),
		.resolve = RESOLVE_NO_MAGICLINKS |
			   (mode == BENEATH_IN_ROOT ? RESOLVE_IN_ROOT : RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS),
	};
	int fd = (int)syscall(SYS_openat2, root_fd, *rel ? rel : ".", &how, sizeof how);
	if (fd >= 0 || errno != ENOSYS)
		return fd;
	return openat_beneath_walk(root_fd, rel, flags, mode);
}

/* The directories walked so far, root first: ".." pops one. */
struct walk {
	int fds[MAX_DEPTH];
	int depth;
};

static void walk_pop_to(struct walk *w, int depth)
{
	while (w->depth > depth)
		close(w->fds[--w->depth]);
}

static int fail(struct walk *w, int e)
{
	walk_pop_to(w, 0);
	errno = e;
	return -1;
}

/* The last component: opened without following a symlink (one put there
 * since we looked fails with ELOOP), and the walk's fds closed. */
static int open_last(struct walk *w, const char *name, int flags)
{
	int fd = openat(w->fds[w->depth - 1], name, flags | O_NOFOLLOW | O_CLOEXEC, 0600);
	int e = errno;
	walk_pop_to(w, 0);
	errno = e;
	return fd;
}

int openat_beneath_walk(int root_fd, const char *rel, int flags, enum beneath_mode mode)
{
	struct walk w = { .depth = 0 };
	w.fds[w.depth++] = fcntl(root_fd, F_DUPFD_CLOEXEC, 0);
	if (w.fds[0] < 0)
		return -1;
	/* What is left to resolve; a symlink's target is put in front of it. */
	char left[2 * PATH_MAX];
	if (strlen(rel) >= sizeof left)
		return fail(&w, ENAMETOOLONG);
	/* RESOLVE_BENEATH refuses an absolute path outright. */
	if (rel[0] == '/' && mode == BENEATH_NO_SYMLINKS)
		return fail(&w, EXDEV);
	strcpy(left, rel);
	unsigned links = 0;
	char *p = left;
	for (;;) {
		while (*p == '/')
			p++;
		if (*p == '\0') /* nothing left: the directory we stand in */
			return open_last(&w, ".", flags);
		size_t len = strcspn(p, "/");
		char name[NAME_MAX + 1];
		if (len > NAME_MAX)
			return fail(&w, ENAMETOOLONG);
		memcpy(name, p, len);
		name[len] = '\0';
		p += len;
		while (*p == '/')
			p++;
		bool last = *p == '\0';
		if (strcmp(name, ".") == 0)
			continue;
		if (strcmp(name, "..") == 0) {
			if (w.depth == 1 && mode == BENEATH_NO_SYMLINKS)
				return fail(&w, EXDEV);
			if (w.depth > 1)
				walk_pop_to(&w, w.depth - 1);
			continue;
		}
		int dir = w.fds[w.depth - 1];
		struct stat st;
		if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT && last && (flags & O_CREAT))
				return open_last(&w, name, flags);
			return fail(&w, errno);
		}
		if (S_ISLNK(st.st_mode)) {
			if (mode == BENEATH_NO_SYMLINKS)
				return fail(&w, ELOOP);
			if (++links > MAX_LINKS)
				return fail(&w, ELOOP);
			char target[PATH_MAX];
			ssize_t n = readlinkat(dir, name, target, sizeof target - 1);
			if (n < 0)
				return fail(&w, errno);
			target[n] = '\0';
			size_t rest = strlen(p);
			if ((size_t)n + 1 + rest >= sizeof left)
				return fail(&w, ENAMETOOLONG);
			/* target "/" rest, in place of what we consumed. */
			memmove(left + n + 1, p, rest + 1);
			memcpy(left, target, (size_t)n);
			left[n] = '/';
			p = left;
			if (target[0] == '/')
				walk_pop_to(&w, 1);
			continue;
		}
		if (last)
			return open_last(&w, name, flags);
		if (w.depth == MAX_DEPTH)
			return fail(&w, ENAMETOOLONG);
		int next = openat(dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0)
			return fail(&w, errno);
		w.fds[w.depth++] = next;
	}
}
