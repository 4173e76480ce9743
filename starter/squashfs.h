/* Single-file images (SIF, OCI-SIF, squashfs): each squashfs layer of the
 * file is served in place by squashfuse_ll, never unpacked, and never
 * mounted with the kernel's squashfs driver (kernel filesystem drivers are
 * not hardened against crafted images; a FUSE server is an ordinary
 * process). The mount itself is ours: a FUSE mount on /dev/fuse that the
 * mounter opened, which squashfuse_ll takes over as /dev/fd/N, so that the
 * server needs no privilege at all: with a setuid starter it runs as the
 * caller. It runs in the starter's pid namespace and ends with it. */
#ifndef OCHRE_STARTER_SQUASHFS_H
#define OCHRE_STARTER_SQUASHFS_H

#include <stdbool.h>

/* /dev/fuse, opened for one FUSE mount (one per layer) by its mounter,
 * in the mounter's user namespace (FUSE accepts no other); dies with a
 * clear message where the caller may not use FUSE. The setuid starter
 * mounting as host root opens it as root: its one device open for the
 * caller (SECURITY.md). */
int squashfs_open_fuse(const char *image);

struct squashfs_serve {
	const char *squashfuse;    /* squashfuse_ll's absolute path */
	int file_fd;               /* the image file, opened as the caller */
	const char *file;          /* its path, for messages */
	unsigned long long offset; /* of the squashfs in the file */
	int fuse_fd;               /* from squashfs_open_fuse; closed here */
	int dir_fd;                /* the mount point, a dir of our tmpfs */
	const char *where;         /* its path, for messages */
	bool server_as_caller;     /* setuid: the server drops to the caller */
};

/* Mount FUSE on dir_fd, start squashfuse_ll on it and wait until it
 * answers. Returns an fd of the mounted root. */
int squashfs_mount(const struct squashfs_serve *s);

#endif
