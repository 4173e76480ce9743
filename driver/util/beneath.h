/* Opening a path inside a directory tree that may be hostile (an image's
 * root filesystem): openat2(2)'s RESOLVE_BENEATH and RESOLVE_IN_ROOT, with
 * a component-by-component walk by fds where the kernel lacks openat2
 * (before Linux 5.6: RHEL 8's 4.18, for one), which gives the same answers. */
#ifndef OCHRE_UTIL_BENEATH_H
#define OCHRE_UTIL_BENEATH_H

enum beneath_mode {
	/* No symlink anywhere (ELOOP), no ".." above the root (EXDEV):
	 * openat2's RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS. */
	BENEATH_NO_SYMLINKS,
	/* As if the root were "/": symlinks are followed, absolute ones and
	 * ".." resolve inside it (RESOLVE_IN_ROOT), at most 40 of them. */
	BENEATH_IN_ROOT,
};

/* Open rel (relative; "" is the root itself) below root_fd with flags
 * (O_CLOEXEC is added), as mode says. Returns the fd, or -1 with errno. */
int openat_beneath(int root_fd, const char *rel, int flags, enum beneath_mode mode);

/* The walk alone, whatever the kernel has (for tests). */
int openat_beneath_walk(int root_fd, const char *rel, int flags, enum beneath_mode mode);

#endif
