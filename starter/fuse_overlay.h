/* The rootless fallback: fuse-overlayfs, where the kernel refuses overlay
 * in a user namespace (old kernels; lower dirs on NFS, Lustre, GPFS), or
 * where the admin asks for it ('overlay = fuse'). It runs inside the
 * starter's pid namespace, so whatever ends the container (exit, error,
 * kill -9 of ochre) ends it too, and its mount goes with the mount
 * namespace: nothing is left behind. */
#ifndef OCHRE_STARTER_FUSE_OVERLAY_H
#define OCHRE_STARTER_FUSE_OVERLAY_H

#include <stdbool.h>
#include <stddef.h>

/* Mount fuse-overlayfs (absolute path from the admin config) on target_fd,
 * with the lowers (top-most first), upper and work given as fds; noexec
 * when an image layer's filesystem is. */
void fuse_overlay_mount(const char *helper, const int *lower_fds, size_t n_lowers, int upper_fd, int work_fd,
			int target_fd, const char *target_name, bool noexec);

#endif
