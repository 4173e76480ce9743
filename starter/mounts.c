#define _GNU_SOURCE
#include "mounts.h"

#include "../common/log.h"
#include "die.h"
#include "privilege.h"
#include "safe_open.h"
#include "squashfs.h"
#include "supervise.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#define OVERLAY_DIR "overlay"
#define ROOTFS_DIR "rootfs"
#define STATE_DIR "state"
#define STATE_TMPFS_SIZE "16m"
#define MOUNTPOINTS_DIR "mountpoints"
#define LAYERS_DIR "layers"
#define MOUNTPOINTS_MAX_ENTRIES 4096
#define MOUNTPOINTS_MAX_DEPTH 64

/* mount(2) through /proc/self/fd/N: the kernel mounts on the very directory
 * we opened and checked, whatever happens to the path meanwhile. */
static void fd_path(char *buf, size_t len, int fd)
{
	snprintf(buf, len, "/proc/self/fd/%d", fd);
}

void mounts_make_private(void)
{
	/* Slave, not private: unmounts on the host (a lost NFS server, say)
	 * still propagate in, but nothing we mount leaks out. */
	log_debug("[starter] mount --make-rslave /");
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		die_errno("make / a slave mount");
}

void mounts_fresh_proc(void)
{
	log_debug("[starter] mount proc on /proc (nosuid,nodev,noexec)");
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		die_errno("mount proc on /proc");
}

/* mkdirat NAME in dir_fd and, with an owner, chown it through its own fd. */
static void make_owned_dir(int dir_fd, const char *name, mode_t mode, const struct overlay_plan *plan)
{
	if (mkdirat(dir_fd, name, mode) < 0)
		die_errno("create %s in the tmpfs on %s/%s", name, plan->session, OVERLAY_DIR);
	if (plan->owner_uid == (uid_t)-1)
		return;
	int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fchown(fd, plan->owner_uid, plan->owner_gid) < 0)
		die_errno("chown %s in the tmpfs on %s/%s", name, plan->session, OVERLAY_DIR);
	close(fd);
}

static bool plan_has_squashfs(const struct overlay_plan *plan)
{
	for (size_t i = 0; plan->squashfs && i < plan->n_lowers; i++)
		if (plan->squashfs[i].size)
			return true;
	return false;
}

/* layers/N, the mount point of the squashfs lower N. */
static void make_layer_dirs(int tmpfs_fd, const struct overlay_plan *plan)
{
	make_owned_dir(tmpfs_fd, LAYERS_DIR, 0755, plan);
	int layers = open_subdir_nofollow(tmpfs_fd, LAYERS_DIR);
	if (layers < 0)
		die_errno("open %s in the tmpfs", LAYERS_DIR);
	for (size_t i = 0; i < plan->n_lowers; i++) {
		char name[24];
		snprintf(name, sizeof name, "%zu", i);
		if (plan->squashfs[i].size)
			make_owned_dir(layers, name, 0755, plan);
	}
	close(layers);
}

/* Each squashfs lower served on its layers/N (attached by now): its fd
 * and path in the plan become the FUSE mount's. */
static void serve_squashfs_layers(const struct overlay_plan *plan, int tmpfs_fd)
{
	for (size_t i = 0; i < plan->n_lowers; i++) {
		if (!plan->squashfs[i].size)
			continue;
		char name[40], *where;
		snprintf(name, sizeof name, "%s/%zu", LAYERS_DIR, i);
		if (asprintf(&where, "%s/%s/%s", plan->session, OVERLAY_DIR, name) < 0)
			die_errno("asprintf");
		int dir;
		WITH_ROOT_FS_IDS(dir = openat(tmpfs_fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
		if (dir < 0)
			die_errno("open %s", where);
		struct squashfs_serve serve = {
			.squashfuse = plan->squashfuse,
			.file_fd = plan->lower_fds[i],
			.file = plan->lower_paths[i],
			.offset = plan->squashfs[i].offset,
			.fuse_fd = plan->fuse_fds[i],
			.dir_fd = dir,
			.where = where,
			.server_as_caller = plan->server_as_caller,
		};
		int root = squashfs_mount(&serve);
		plan->fuse_fds[i] = -1;
		close(dir);
		close(plan->lower_fds[i]);
		plan->lower_fds[i] = root;
		plan->lower_paths[i] = where;
	}
}

/* The tmpfs for the upper, made with the new mount API and not attached
 * anywhere yet: it is filled (upper/, work/, the mount point layer's copy)
 * through its own fd, where nobody else can reach it, and attached by
 * attach_upper_tmpfs(). The session dir is the caller's: they can exchange
 * SESSION/overlay with another directory at any instant (and stop us
 * between two steps), so after the one open of the mount point below,
 * nothing is looked up there by name. Returns the fd of the tmpfs root. */
static int make_upper_tmpfs(const struct overlay_plan *plan)
{
	char size[32];
	snprintf(size, sizeof size, "%llu", plan->tmpfs_size);
	log_debug("[starter] mount tmpfs on %s/%s (nosuid,nodev,size=%s,mode=0700)", plan->session, OVERLAY_DIR, size);
	int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0 || fsconfig(fs, FSCONFIG_SET_STRING, "size", size, 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0700", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		die_errno("make a tmpfs for %s/%s", plan->session, OVERLAY_DIR);
	int mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	if (mnt < 0)
		die_errno("make a tmpfs for %s/%s", plan->session, OVERLAY_DIR);
	close(fs);
	/* Made by root in setuid mode: the container's root dir (the upper's)
	 * must be the caller's, as it is when a user namespace makes it. */
	make_owned_dir(mnt, "upper", 0755, plan);
	make_owned_dir(mnt, "work", 0700, plan);
	if (plan_has_squashfs(plan))
		make_layer_dirs(mnt, plan);
	return mnt;
}

/* Attach the filled tmpfs on SESSION/overlay, opened once, without
 * following a symlink, and checked to be a directory of the caller's on
 * the session dir's own mount. The fd keeps naming the tmpfs root. */
static void attach_upper_tmpfs(const struct overlay_plan *plan, int mnt)
{
	int target = open_subdir_nofollow(plan->session_fd, OVERLAY_DIR);
	if (target < 0)
		die_errno("open %s/%s", plan->session, OVERLAY_DIR);
	mounts_check_caller_dir(target, plan->session_fd, plan->session, OVERLAY_DIR);
	int rc;
	WITH_ROOT_FS_IDS(rc = move_mount(mnt, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH));
	if (rc < 0)
		die_errno("mount tmpfs on %s/%s", plan->session, OVERLAY_DIR);
	close(target);
}

/* The mount id of fd (statx), for checking where an fd is. */
static unsigned long long mount_id(int fd, const char *what)
{
	struct statx stx;
	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) < 0 ||
	    !(stx.stx_mask & STATX_MNT_ID))
		die_errno("statx %s", what);
	return stx.stx_mnt_id;
}

void mounts_check_caller_dir(int fd, int session_fd, const char *session, const char *name)
{
	struct stat st, session_st;
	if (fstat(fd, &st) < 0 || fstat(session_fd, &session_st) < 0)
		die_errno("%s/%s", session, name);
	if (!S_ISDIR(st.st_mode) || st.st_uid != session_st.st_uid ||
	    mount_id(fd, name) != mount_id(session_fd, session))
		die("%s/%s is not a directory of the session dir's owner on its filesystem; refusing", session, name);
}

/* The upper and work dirs must lie on the layer fd's own mount (our
 * tmpfs, or the caller's persistent overlay dir), whatever was renamed. */
static void check_upper_on_layer(int layer_fd, int upper_fd, int work_fd, const char *where)
{
	unsigned long long layer = mount_id(layer_fd, where);
	if (mount_id(upper_fd, "upper") != layer || mount_id(work_fd, "work") != layer)
		die("upper and work in %s are not on its filesystem; refusing", where);
}

void mounts_prepare_persistent(int dir_fd, const char *path)
{
	if ((mkdirat(dir_fd, "upper", 0755) < 0 && errno != EEXIST) ||
	    (mkdirat(dir_fd, "work", 0700) < 0 && errno != EEXIST))
		die_errno("create upper and work dirs in %s", path);
}

/* A persistent overlay dir (its upper/ and work/ made by then), as a fd
 * of our own, closed with the tmpfs one's below. */
static int persistent_upper(const struct overlay_plan *plan)
{
	int fd = fcntl(plan->persistent_fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		die_errno("open overlay dir %s", plan->persistent);
	return fd;
}

/* Copy the structure of the caller's mount point layer (src, any dir fd)
 * into dst, a dir of the caller's in our tmpfs: directories and empty
 * regular files, with their permission bits (no setuid, setgid), or
 * refuse. It may then sit outside 'limit container paths': it adds
 * structure to the container, never content. Runs with the caller's
 * filesystem ids, so it reads only what the caller may read (a directory
 * of someone else's moved into the layer cannot show its names) and what
 * it makes is the caller's. Entries are only looked at (fstatat, no
 * follow), never opened as files; a directory swapped for a symlink under
 * us fails O_NOFOLLOW. */
static void copy_structure(int src, int dst, const char *path, unsigned depth, unsigned *entries)
{
	if (depth > MOUNTPOINTS_MAX_DEPTH)
		die("mount point layer '%s' is too deep", path);
	int fd = openat(src, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d)
		die_errno("read mount point layer '%s'", path);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		struct stat st;
		if (++*entries > MOUNTPOINTS_MAX_ENTRIES)
			die("mount point layer '%s' has more than %d entries", path, MOUNTPOINTS_MAX_ENTRIES);
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			die_errno("read mount point layer '%s'", path);
		bool file = S_ISREG(st.st_mode) && st.st_size == 0;
		if (!file && !S_ISDIR(st.st_mode))
			die("mount point layer '%s' holds '%s', which is not an empty file or a directory", path,
			    de->d_name);
		if (file) {
			int made = openat(dst, de->d_name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
					  st.st_mode & 0777);
			if (made < 0)
				die_errno("copy '%s' of mount point layer '%s'", de->d_name, path);
			close(made);
			continue;
		}
		/* Writable while we fill it; its own mode once full. */
		if (mkdirat(dst, de->d_name, 0700) < 0)
			die_errno("copy '%s' of mount point layer '%s'", de->d_name, path);
		int sub_src = openat(dirfd(d), de->d_name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int sub_dst = openat(dst, de->d_name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub_src < 0 || sub_dst < 0)
			die_errno("copy '%s' of mount point layer '%s'", de->d_name, path);
		copy_structure(sub_src, sub_dst, path, depth + 1, entries);
		close(sub_src);
		close(sub_dst);
		if (fchmodat(dst, de->d_name, st.st_mode & 01777, 0) < 0)
			die_errno("copy '%s' of mount point layer '%s'", de->d_name, path);
	}
	closedir(d);
}

/* Replace the bottom lower (the caller's SESSION/mountpoints) by a copy
 * in our tmpfs, SESSION/overlay/mountpoints: see mounts.h. The copy's root
 * is made as root (the tmpfs root is root's, 0700) and given to the
 * caller; the rest is copied with the caller's filesystem ids. */
static void copy_mountpoint_layer(const struct overlay_plan *plan, int tmpfs_fd)
{
	static char copy_path[4096];
	int *bottom = &plan->lower_fds[plan->n_lowers - 1];
	snprintf(copy_path, sizeof copy_path, "%s/%s/%s", plan->session, OVERLAY_DIR, MOUNTPOINTS_DIR);
	log_debug("[starter] copy the structure of %s to %s (directories and empty files only)",
		  plan->lower_paths[plan->n_lowers - 1], copy_path);
	int copy;
	WITH_ROOT_FS_IDS(make_owned_dir(tmpfs_fd, MOUNTPOINTS_DIR, 0755, plan);
			 copy = open_subdir_nofollow(tmpfs_fd, MOUNTPOINTS_DIR));
	if (copy < 0)
		die_errno("open %s", copy_path);
	unsigned entries = 0;
	copy_structure(*bottom, copy, plan->lower_paths[plan->n_lowers - 1], 0, &entries);
	close(*bottom);
	*bottom = copy;
	plan->lower_paths[plan->n_lowers - 1] = copy_path;
}

/* Options text, appended to and cut short (then too long) at its end. */
struct text {
	char *buf;
	size_t len, used;
};

__attribute__((format(printf, 2, 3))) static void append(struct text *t, const char *fmt, ...)
{
	if (t->used >= t->len)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(t->buf + t->used, t->len - t->used, fmt, ap);
	va_end(ap);
	t->used += n < 0 ? t->len : (size_t)n;
}

/* The overlay's upper and work dirs, opened on their layer (named where). */
struct upper_dirs {
	int upper_fd, work_fd;
	char where[4096];
};

/* The one builder of the overlay's options: for the mount, each dir named
 * by the fd it goes through; for --debug (by_path), by its path. Kernel
 * overlay: redirect_dir=nofollow and metacopy=off so that crafted xattrs
 * in a lower layer can never make overlay follow a path outside it;
 * userxattr because in a user namespace overlay cannot use the trusted.*
 * xattrs (and the kernel then insists on nofollow). fuse-overlayfs takes
 * the mount flags as options instead. False when too long. */
static bool overlay_options(char *buf, size_t len, const struct overlay_plan *plan, const struct upper_dirs *d,
			    bool fuse, bool by_path)
{
	struct text t = { buf, len, 0 };
	append(&t, "lowerdir=");
	for (size_t i = 0; i < plan->n_lowers; i++) {
		if (by_path)
			append(&t, "%s%s", i ? ":" : "", plan->lower_paths[i]);
		else
			append(&t, "%s/proc/self/fd/%d", i ? ":" : "", plan->lower_fds[i]);
	}
	if (by_path)
		append(&t, ",upperdir=%s/upper,workdir=%s/work", d->where, d->where);
	else
		append(&t, ",upperdir=/proc/self/fd/%d,workdir=/proc/self/fd/%d", d->upper_fd, d->work_fd);
	if (fuse)
		append(&t, ",nosuid,nodev%s", plan->noexec ? ",noexec" : "");
	else
		append(&t, ",redirect_dir=nofollow,metacopy=off%s", plan->in_user_namespace ? ",userxattr" : "");
	return t.used < len;
}

/* Kernel overlay on target_fd; false when the kernel refuses it in a user
 * namespace and fuse-overlayfs may take over. */
static bool mount_kernel_overlay(const struct overlay_plan *plan, const struct upper_dirs *d, int target_fd,
				 const char *target_name)
{
	char data[4096], target[64];
	if (!overlay_options(data, sizeof data, plan, d, false, false))
		die("overlay options too long");
	if (log_enabled(LOG_LEVEL_DEBUG)) {
		char shown[8192];
		overlay_options(shown, sizeof shown, plan, d, false, true);
		log_debug("[starter] mount overlay on %s (nosuid,nodev%s,%s)", target_name,
			  plan->noexec ? ",noexec" : "", shown);
	}
	/* An image on a noexec filesystem stays noexec through the overlay,
	 * which would otherwise run what the admin's mount forbids. */
	unsigned long flags = MS_NOSUID | MS_NODEV | (plan->noexec ? MS_NOEXEC : 0);
	fd_path(target, sizeof target, target_fd);
	int rc;
	WITH_ROOT_FS_IDS(rc = mount("overlay", target, "overlay", flags, data));
	if (rc == 0)
		return true;
	/* Rootless, the kernel may refuse overlay (old kernel, lower on a
	 * network filesystem): fuse-overlayfs can do it in user space. */
	if (plan->overlay == REQUEST_OVERLAY_KERNEL || !plan->in_user_namespace || !plan->fuse_overlayfs)
		die_errno("mount overlay on %s (lower %s)", target_name, plan->lower_paths[0]);
	log_debug("[starter] kernel overlay refused (%m); falling back to fuse-overlayfs");
	return false;
}

/* The rootless fallback, fuse-overlayfs (the admin config's absolute
 * path), where the kernel refuses overlay in a user namespace (old
 * kernels; lower dirs on NFS, Lustre, GPFS) or the admin asks for it
 * ('overlay = fuse'). It runs inside the starter's pid namespace, so
 * whatever ends the container (exit, error, kill -9 of ochre) ends it
 * too, and its mount goes with the mount namespace. */
static void mount_fuse_overlay(const struct overlay_plan *plan, const struct upper_dirs *d, int target_fd,
			       const char *target_name)
{
	if (!plan->in_user_namespace || !plan->fuse_overlayfs)
		die("fuse-overlayfs is for rootless launches with its path configured");
	char opts[4096], target[64];
	if (!overlay_options(opts, sizeof opts, plan, d, true, false))
		die("fuse-overlayfs options too long");
	fd_path(target, sizeof target, target_fd);
	char *argv[] = { (char *)plan->fuse_overlayfs, "-o", opts, target, NULL };
	log_debug("[starter] mount fuse-overlayfs on %s: %s -o %s %s", target_name, plan->fuse_overlayfs, opts, target);
	/* The fds must survive the exec: fuse-overlayfs opens the paths we
	 * give it (/proc/self/fd/N), which resolve to our checked dirs. Its
	 * daemon stays behind and chats on stderr about mount options it
	 * ignores (quiet, unless --debug); it goes to the background once its
	 * mount is in place, and its first process exits 0 then. */
	int keep[REQUEST_MAX_LOWERS + 4];
	size_t n_keep = 0;
	for (size_t i = 0; i < plan->n_lowers; i++)
		keep[n_keep++] = plan->lower_fds[i];
	keep[n_keep++] = d->upper_fd;
	keep[n_keep++] = d->work_fd;
	keep[n_keep++] = target_fd;
	struct helper h = { .path = plan->fuse_overlayfs, .argv = argv, .keep = keep, .n_keep = n_keep, .quiet = true };
	if (run_helper(&h) != 0)
		die("fuse-overlayfs failed to mount %s (is /dev/fuse usable by you?)", target_name);
}

void mounts_overlay_rootfs(const struct overlay_plan *plan)
{
	/* The tmpfs holds the upper, or (with a persistent upper) just the
	 * copy of the mount point layer. */
	bool persistent = plan->persistent_fd >= 0;
	int tmpfs_fd = -1;
	if (!persistent || plan->copy_mountpoints || plan_has_squashfs(plan))
		WITH_ROOT_FS_IDS(tmpfs_fd = make_upper_tmpfs(plan));
	if (plan->copy_mountpoints) {
		if (plan->n_lowers < 2)
			die("a mount point layer to copy needs an image");
		copy_mountpoint_layer(plan, tmpfs_fd);
	}
	if (tmpfs_fd >= 0)
		attach_upper_tmpfs(plan, tmpfs_fd);
	if (plan_has_squashfs(plan))
		serve_squashfs_layers(plan, tmpfs_fd);
	int layer_fd = persistent ? persistent_upper(plan) : tmpfs_fd;
	struct upper_dirs d;
	WITH_ROOT_FS_IDS(d.upper_fd = open_subdir_nofollow(layer_fd, "upper");
			 d.work_fd = open_subdir_nofollow(layer_fd, "work"));
	int target_fd = open_subdir_nofollow(plan->session_fd, ROOTFS_DIR);
	if (d.upper_fd < 0 || d.work_fd < 0 || target_fd < 0)
		die_errno("open overlay dirs in %s", plan->session);
	check_upper_on_layer(layer_fd, d.upper_fd, d.work_fd, persistent ? plan->persistent : plan->session);
	mounts_check_caller_dir(target_fd, plan->session_fd, plan->session, ROOTFS_DIR);
	if (persistent)
		snprintf(d.where, sizeof d.where, "%s", plan->persistent);
	else
		snprintf(d.where, sizeof d.where, "%s/%s", plan->session, OVERLAY_DIR);

	char target_name[4096];
	snprintf(target_name, sizeof target_name, "%s/%s", plan->session, ROOTFS_DIR);
	if (plan->overlay == REQUEST_OVERLAY_FUSE || !mount_kernel_overlay(plan, &d, target_fd, target_name))
		mount_fuse_overlay(plan, &d, target_fd, target_name);

	close(d.upper_fd);
	close(d.work_fd);
	close(target_fd);
	if (persistent)
		close(layer_fd);
	if (tmpfs_fd >= 0)
		close(tmpfs_fd);
}

void mounts_runtime_state_tmpfs(int session_fd, const char *session, uid_t uid, gid_t gid)
{
	/* The mount point is made as the caller, in their session dir: it is
	 * theirs to remove after the namespace (and the tmpfs) is gone. */
	if (mkdirat(session_fd, STATE_DIR, 0700) < 0 && errno != EEXIST)
		die_errno("create %s/%s", session, STATE_DIR);
	int fd = open_subdir_nofollow(session_fd, STATE_DIR);
	if (fd < 0)
		die_errno("open %s/%s", session, STATE_DIR);
	mounts_check_caller_dir(fd, session_fd, session, STATE_DIR);
	char target[64], data[128];
	fd_path(target, sizeof target, fd);
	snprintf(data, sizeof data, "size=%s,mode=0700,uid=%lu,gid=%lu", STATE_TMPFS_SIZE, (unsigned long)uid,
		 (unsigned long)gid);
	log_debug("[starter] mount tmpfs on %s/%s (nosuid,nodev,noexec,%s)", session, STATE_DIR, data);
	int rc;
	WITH_ROOT_FS_IDS(rc = mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, data));
	if (rc < 0)
		die_errno("mount tmpfs on %s/%s", session, STATE_DIR);
	close(fd);
}

void mounts_hide_hybrid_cgroup(bool in_user_namespace)
{
	static const char unified[] = "/sys/fs/cgroup/unified";
	struct statfs top, uni;

	/* Hybrid: v1 controllers under a tmpfs /sys/fs/cgroup and a cgroup2
	 * mount beside them. Pure v1 and pure v2 hosts are left alone. */
	if (statfs("/sys/fs/cgroup", &top) < 0 || top.f_type != TMPFS_MAGIC)
		return;
	if (statfs(unified, &uni) < 0 || uni.f_type != CGROUP2_SUPER_MAGIC)
		return;

	if (!in_user_namespace) {
		log_debug("[starter] umount %s (hybrid cgroup host)", unified);
		if (umount2(unified, MNT_DETACH) < 0)
			die_errno("umount %s", unified);
		return;
	}
	/* In a user namespace the mount is locked to us and cannot be
	 * unmounted; covering it with an empty read-only tmpfs hides it. */
	log_debug("[starter] mount tmpfs on %s (ro,nosuid,nodev,noexec; hybrid cgroup host)", unified);
	if (mount("tmpfs", unified, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=0555") < 0)
		die_errno("mount tmpfs on %s", unified);
}

int mounts_readonly_clone(const char *path)
{
	log_debug("[starter] clone the mount of %s, detached (ro,nosuid,nodev)", path);
	int fd = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (fd < 0) {
		log_debug("[starter] open_tree %s: %s; exec by path", path, strerror(errno));
		return -1;
	}
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV };
	if (mount_setattr(fd, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0) {
		log_debug("[starter] mount_setattr %s: %s; exec by path", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}
