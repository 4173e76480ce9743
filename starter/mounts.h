/* The starter's closed set of mount operations. Every mount is nosuid and
 * nodev and is logged at debug level. */
#ifndef OCHRE_STARTER_MOUNTS_H
#define OCHRE_STARTER_MOUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "../common/request.h"

struct overlay_plan {
	int session_fd;      /* O_PATH fd of the session dir */
	const char *session; /* its path, for messages */
	int *lower_fds;      /* O_PATH fds, the first is top-most */
	const char **lower_paths;
	size_t n_lowers;
	bool copy_mountpoints; /* setuid mode: the bottom lower is the driver's
	                         * mount point layer, copied (see below) */
	unsigned long long tmpfs_size;
	int persistent_fd;            /* O_PATH fd of a writable overlay dir, or -1 */
	uid_t owner_uid;              /* setuid mode: the caller, who must own the */
	gid_t owner_gid;              /* tmpfs upper's root (else -1) */
	const char *persistent;       /* its path, for messages */
	bool in_user_namespace;       /* rootless: overlay needs userxattr */
	enum request_overlay overlay; /* auto: fuse-overlayfs if the kernel refuses */
	const char *fuse_overlayfs;   /* its absolute path, or NULL */
	bool noexec;                  /* an image layer's filesystem is noexec */
	/* Single-file images: per lower, where its squashfs is in the file
	 * (size 0: the lower is a directory). For a squashfs lower, lower_fds
	 * holds the file, and fuse_fds a /dev/fuse for it (squashfs.h). */
	const struct request_squashfs *squashfs;
	int *fuse_fds;
	const char *squashfuse;
	bool server_as_caller; /* setuid: squashfuse_ll runs as the caller */
};

/* Die unless fd (SESSION/NAME, just opened) is a directory owned by the
 * session dir's owner, on the session dir's own mount: what we mount on
 * must be where the caller's session is, not a directory swapped in from
 * elsewhere. */
void mounts_check_caller_dir(int fd, int session_fd, const char *session, const char *name);

/* Stop mount events from reaching the host: make every mount a slave. */
void mounts_make_private(void);

/* Mount a /proc for the new pid namespace over the host's: the runtimes
 * read /proc/PID of the pids they see, which are pids of this namespace. */
void mounts_fresh_proc(void);

/* Make upper/ and work/ in a persistent overlay dir if missing; called
 * with the caller's filesystem ids, so they are the caller's. */
void mounts_prepare_persistent(int dir_fd, const char *path);

/* Mount a tmpfs on SESSION/overlay holding upper/ and work/ (and, for a
 * single-file image, layers/N, where each squashfs is served; or use the
 * persistent overlay dir's upper/ and work/), then an overlay of the
 * lowers with that upper onto SESSION/rootfs. With copy_mountpoints, the
 * bottom lower (SESSION/mountpoints, the caller's) is first copied into the
 * tmpfs (mounted for that alone with a persistent upper), refusing anything but directories and empty regular files, and
 * the copy replaces it in lower_fds and lower_paths: the caller can change
 * their own dir at any time, even under a mounted overlay, so checking it
 * would leave a window; a copy they cannot reach leaves none. A
 * fuse-overlayfs daemon is left running: it ends with the pid namespace.
 * The tmpfs is made with the new mount API and filled through its own fd
 * before it is attached: once privileged work starts in the caller's
 * session dir, nothing there is looked up by name again. */
void mounts_overlay_rootfs(const struct overlay_plan *plan);

/* Setuid mode with 'caller-ids self': the runtime runs as the namespace's
 * root, a subordinate id of the caller's, and writes its state under
 * SESSION/state. A tmpfs there, owned by that id, keeps those files off
 * the caller's disk, where the caller could not remove them after a kill
 * -9 (they are not the caller's, and the dirs are 0700); it goes with the
 * mount namespace. */
void mounts_runtime_state_tmpfs(int session_fd, const char *session, uid_t uid, gid_t gid);

/* On a cgroup v1/v2 hybrid host, hide /sys/fs/cgroup/unified in this mount
 * namespace: crun refuses to start containers while a v2 hierarchy with
 * controllers sits beside v1 ("cgroups in hybrid mode not supported"). */
void mounts_hide_hybrid_cgroup(bool in_user_namespace);

/* An O_PATH fd on the file at path, seen through a clone of its mount that
 * is read-only, nosuid and nodev and attached nowhere (the kernel drops it
 * with the last process running from it), or -1 where the kernel lacks
 * the mount API or refuses it (logged): see exec_payload in main.c. */
int mounts_readonly_clone(const char *path);

#endif
