/* ochre-starter: the only part of ochre that may ever hold privilege.
 *
 * It reads one request from the driver (fd 3), validates all of it, then:
 * creates a mount and a pid namespace (and, for a non-root caller, a user
 * namespace in which the caller is root), mounts a tmpfs and an overlay
 * rootfs in the session dir, hides a hybrid cgroup2 mount, and runs the
 * payload (the OCI runtime; crun from a read-only clone of its mount, see
 * exec_payload) as pid 1's only child, supervising it until it exits. Its
 * mounts live only in its own mount namespace, so when the last process in
 * it exits the kernel removes them: nothing can leak to the host.
 *
 * Phases, in order (see main()):
 *   1. harden_process()      nothing trusted yet; refuse unsupported setups
 *   2. read_request()        whole request read and validated
 *   3. sanitize_environment()  fixed env, only the fds we need
 *   4. the mode's function (see starter_mode_choose): for run, clone_init;
 *      the parent writes the child's id maps, then only supervises;
 *      the child (the namespace's init) opens the caller's paths by fd with no
 *      symlinks, checks them, mounts, and runs the payload.
 * The paths are opened inside the new mount namespace because the kernel
 * mounts only on, and overlay only stacks, mounts of the caller's current
 * namespace: an fd opened before clone(CLONE_NEWNS) gives EINVAL.
 * Which privileged steps run is named by one enum starter_mode, chosen
 * once (starter_mode_choose) from the request and our own ids; main()
 * switches to one function per mode, which lists its steps in order and
 * marks where host privilege ends (SECURITY.md has the table). A setgid or
 * file-capability install is refused (fail closed).
 */
#define _GNU_SOURCE
#include "../common/log.h"
#include "../common/request.h"
#include "die.h"
#include "lowers.h"
#include "mounts.h"
#include "policy.h"
#include "privilege.h"
#include "safe_open.h"
#include "squashfs.h"
#include "supervise.h"
#include "userns.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

static char request_buf[REQUEST_MAX_BYTES + 1];

/* The process's own ids, as exec'd: the caller's real uid and gid, and
 * whether we run setuid root for a non-root caller (privilege.h). */
struct process_ids {
	uid_t uid;
	gid_t gid;
	bool setuid;
};

/* Phase 1. Nothing from the caller has been looked at yet. */
static struct process_ids harden_process(void)
{
	/* Not dumpable: no core file and no ptrace by the caller while we run. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		die_errno("prctl(PR_SET_DUMPABLE)");

	/* 0, 1 and 2 must be open, or a later open() could land on them and
	 * our messages would be written into that file. */
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			_exit(STARTER_EXIT_FAILURE);

	/* AT_SECURE: started setuid, setgid or with file capabilities; only
	 * setuid root is supported (privilege.c), anything else is refused. */
	struct process_ids ids = { .uid = getuid(), .gid = getgid(), .setuid = privilege_setuid_mode() };
	if (!ids.setuid && (geteuid() != ids.uid || getegid() != ids.gid))
		die("ochre-starter supports a setuid-root install only (not setgid, not file capabilities)");

	/* A non-root caller must hold no capability in the initial namespace,
	 * other than the ones a setuid-root exec gives. */
	if (ids.uid != 0 && !ids.setuid) {
		cap_t have = cap_get_proc(), none = cap_init();
		if (!have || !none)
			die_errno("read capabilities");
		if (cap_compare(have, none) != 0)
			die("ochre-starter was started with capabilities; refusing");
		cap_free(have);
		cap_free(none);
	}
	/* Setuid: the caller's filesystem ids from here on, root's only in
	 * WITH_ROOT_FS_IDS (privilege.h). */
	if (ids.setuid)
		privilege_fs_as_caller();
	return ids;
}

/* Phase 2. */
static void read_request(struct starter_request *req)
{
	size_t len = 0;
	for (;;) {
		ssize_t n = read(REQUEST_FD, request_buf + len, sizeof request_buf - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die_errno("read the request on fd %d (ochre-starter is run by ochre, not by hand)", REQUEST_FD);
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == sizeof request_buf - 1)
			die("request larger than %d bytes", REQUEST_MAX_BYTES);
	}
	close(REQUEST_FD);

	char err[512];
	if (request_parse(request_buf, len, req, err, sizeof err) < 0)
		die("%s", err);
	log_level_current = (enum log_level)req->log_level;
}

/* Close fds lo..hi; close_range(2), or one by one on kernels before 5.9. */
static void close_fds(unsigned lo, unsigned hi)
{
	if (lo > hi || close_range(lo, hi, 0) == 0)
		return;
	long max = sysconf(_SC_OPEN_MAX);
	for (unsigned fd = lo; fd <= hi && (max < 0 || fd < (unsigned long)max); fd++)
		close((int)fd);
}

/* Close every fd from 3 up except keep (or -1). */
static void close_fds_except(int keep)
{
	if (keep < 0) {
		close_fds(3, ~0U);
		return;
	}
	if (keep > 3)
		close_fds(3, (unsigned)keep - 1);
	close_fds((unsigned)keep + 1, ~0U);
}

/* Phase 3. */
static void sanitize_environment(const struct starter_request *req)
{
	if (clearenv() != 0 || setenv("PATH", STARTER_SAFE_PATH, 1) != 0)
		die("cannot reset the environment");
	/* Keep stdio and the lifeline; the driver's cleanup process watches the
	 * lifeline and removes the session dir once every holder is gone. */
	if (req->lifeline_fd >= 0) {
		if (fcntl(req->lifeline_fd, F_SETFD, FD_CLOEXEC) < 0)
			die_errno("lifeline fd %d", req->lifeline_fd);
		close_fds_except(req->lifeline_fd);
		return;
	}
	/* Enter mode: conmon reports the container's pid on its sync pipe,
	 * which it finds by the number in _OCI_SYNCPIPE. */
	close_fds_except(req->sync_fd);
	if (req->sync_fd >= 0) {
		struct stat st;
		char num[16];
		if (fstat(req->sync_fd, &st) < 0 || !S_ISFIFO(st.st_mode))
			die("sync-fd %d is not a pipe", req->sync_fd);
		snprintf(num, sizeof num, "%d", req->sync_fd);
		if (setenv("_OCI_SYNCPIPE", num, 1) != 0)
			die("cannot set _OCI_SYNCPIPE");
	}
}

/* With 'payload-exec readonly' the runtime is exec'd through a read-only
 * clone of its mount (mounts_readonly_clone, made while we may mount).
 * crun guards against a container writing to its binary through
 * /proc/PID/exe (CVE-2019-5736) by running only from a file that cannot be
 * written: otherwise it bind-mounts itself read-only and execs itself
 * again, a second exec and dynamic link on every launch (~1.3 ms here).
 * Seeing its binary read-only, it goes straight on. A payload the kernel
 * cannot run from a close-on-exec fd (a script) falls back to its path. */
static noreturn void exec_payload(const struct starter_request *req, int exe_fd)
{
	log_debug_argv("[starter] exec", (char *const *)req->args);
	if (exe_fd >= 0) {
		execveat(exe_fd, "", (char *const *)req->args, environ, AT_EMPTY_PATH);
		log_debug("[starter] exec through the read-only clone: %s; by path", strerror(errno));
		close(exe_fd);
	}
	execve(req->payload, (char *const *)req->args, environ);
	die_errno("exec %s", req->payload);
}

/* Phase 4: a directory the caller owns, opened without following symlinks. */
static int open_owned_dir(const char *what, const char *path)
{
	int fd = open_dir_nofollow(path);
	if (fd < 0)
		die_errno("%s '%s'", what, path);
	struct stat st;
	if (fstat(fd, &st) < 0)
		die_errno("%s '%s'", what, path);
	if (st.st_uid != getuid())
		die("%s '%s' is not owned by the caller", what, path);
	return fd;
}

/* The caller's session dir must be theirs and private. */
static int open_session(const char *path)
{
	int fd = open_owned_dir("session dir", path);
	struct stat st;
	if (fstat(fd, &st) < 0)
		die_errno("session dir '%s'", path);
	if (st.st_mode & 077)
		die("session dir '%s' must be private (mode 0700)", path);
	return fd;
}

/* What the starter does, by the request and its own ids. Each mode's
 * function below lists its privileged steps in order. */
enum starter_mode {
	/* enter (ochre oci create/run): namespaces and fix-ups, then exec */
	STARTER_ENTER_AS_ROOT,   /* a root caller: a mount namespace */
	STARTER_ENTER_IN_USERNS, /* anyone else: a user namespace, caller -> caller */
	/* run: a container of the starter's own */
	STARTER_RUN_AS_ROOT,  /* a root caller: mount and pid namespaces */
	STARTER_RUN_ROOTLESS, /* not setuid, or 'userns yes': the caller's userns */
	/* run, setuid root, for a non-root caller */
	STARTER_RUN_SETUID_CALLER_ROOT, /* host root mounts; caller root of the userns */
	STARTER_RUN_SETUID_SELF_IMAGE,  /* 'caller-ids self', the image alone: host root
	                                 * mounts; a subordinate id is root of the userns */
	STARTER_RUN_SETUID_SELF_LAYERS, /* 'caller-ids self', the caller's layers too:
	                                 * root of the userns mounts them */
};

/* Chosen once, after the policy checks. A setuid starter asked for enter
 * or 'userns yes' needs no privilege: it drops at once (drop_setuid_now)
 * and runs as an unprivileged one would. */
static enum starter_mode starter_mode_choose(const struct starter_request *req, const struct process_ids *ids)
{
	bool privileged = ids->setuid && !req->force_userns && req->mode == REQUEST_MODE_RUN;
	/* Only the setuid starter can map the caller to themselves and give
	 * the namespace a root of the caller's subordinate ids. */
	if (req->caller_ids_self && !privileged)
		die("caller-ids self needs the setuid starter");
	if (req->mode == REQUEST_MODE_ENTER)
		return ids->uid == 0 ? STARTER_ENTER_AS_ROOT : STARTER_ENTER_IN_USERNS;
	if (!privileged)
		return ids->uid == 0 ? STARTER_RUN_AS_ROOT : STARTER_RUN_ROOTLESS;
	if (!req->caller_ids_self)
		return STARTER_RUN_SETUID_CALLER_ROOT;
	/* Overlay looks into its layers with its mounter's credentials: the
	 * caller's own (--overlay, a persistent upper) are mounted inside the
	 * user namespace by its root, who can read no more than the caller
	 * and their subordinate ids. */
	return req->n_lowers > 1 || req->upper ? STARTER_RUN_SETUID_SELF_LAYERS : STARTER_RUN_SETUID_SELF_IMAGE;
}

struct launch {
	const struct starter_request *req;
	const struct process_ids *ids;
	const struct ochre_config *policy; /* setuid: the admin's */
	/* The image roots policy_check_image_path walked to (setuid). */
	struct stat image_roots[REQUEST_MAX_LOWERS];
	/* A /dev/fuse per squashfs lower (-1 for the others), opened by
	 * open_fuse_devices before host privilege ends. */
	int fuse_fds[REQUEST_MAX_LOWERS];
	pid_t init; /* in the parent: the namespace's pid 1 */
	/* Pipes, see clone_init; each process keeps its ends: the init
	 * ready[1], go[0], status[1]; the parent the others. */
	int ready[2], go[2], status[2];
};

/* Who mounts the rootfs: what build_rootfs does differs by this alone. */
enum rootfs_mounter {
	ROOTFS_BY_ROOT_CALLER,      /* a root caller, in the initial user namespace */
	ROOTFS_BY_CALLER_IN_USERNS, /* the caller, root of their own user namespace */
	ROOTFS_BY_HOST_ROOT,        /* setuid: host root, for the caller */
	ROOTFS_BY_NAMESPACE_ROOT,   /* setuid: root of the user namespace we made */
};

static bool mounter_is_setuid(enum rootfs_mounter by)
{
	return by == ROOTFS_BY_HOST_ROOT || by == ROOTFS_BY_NAMESPACE_ROOT;
}

/* Setuid, 'limit container owners': the image opened (fd) must be what
 * check_image_paths walked to. */
static void check_image_root_reached(const struct launch *l, int fd, size_t i, enum rootfs_mounter by)
{
	const struct starter_request *req = l->req;
	struct stat st;
	if (!mounter_is_setuid(by) || !l->policy->limit_owners.n)
		return;
	if (fstat(fd, &st) < 0)
		die_errno("image '%s'", req->lowers[i]);
	/* The walk of check_image_paths went to this very directory or file. */
	if (st.st_dev != l->image_roots[i].st_dev || st.st_ino != l->image_roots[i].st_ino)
		die("image '%s' is not the one checked for 'limit container owners'; refusing", req->lowers[i]);
	/* Inside the namespace only the caller's ids keep their numbers;
	 * another owner shows as the overflow uid and cannot be told
	 * apart, so it is no allowed owner. */
	if (by == ROOTFS_BY_NAMESPACE_ROOT && st.st_uid != l->ids->uid)
		die("image '%s' is not yours: with --overlay, 'limit container owners' allows only your own "
		    "images",
		    req->lowers[i]);
}

/* A single-file image, opened as the caller (who must be able to read
 * it), and the squashfs's place inside it checked against its size. */
static int open_image_file(const char *path, const struct request_squashfs *q)
{
	int fd = open_file_nofollow(path);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		die_errno("image '%s'%s", path, errno == EINVAL ? " (not a regular file)" : "");
	if (q->offset + q->size > (unsigned long long)st.st_size)
		die("image '%s': its squashfs (offset %llu, %llu bytes) lies beyond its end (%lld bytes); refusing",
		    path, q->offset, q->size, (long long)st.st_size);
	return fd;
}

/* Lowers are opened with the caller's filesystem ids (setuid mode) and
 * must be readable and searchable by them: a root-only directory cannot be
 * smuggled into the caller's view through an overlay mounted as root. */
static void open_lowers(const struct launch *l, int *fds, enum rootfs_mounter by)
{
	const struct starter_request *req = l->req;
	for (size_t i = 0; i < req->n_lowers; i++) {
		if (req->lower_squashfs[i].size) {
			fds[i] = open_image_file(req->lowers[i], &req->lower_squashfs[i]);
			check_image_root_reached(l, fds[i], i, by);
			continue;
		}
		int path_fd = open_dir_nofollow(req->lowers[i]);
		if (path_fd < 0)
			die_errno("image rootfs '%s'", req->lowers[i]);
		fds[i] = openat(path_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fds[i] < 0 || faccessat(fds[i], ".", R_OK | X_OK, 0) < 0)
			die_errno("image rootfs '%s'", req->lowers[i]);
		close(path_fd);
		check_image_root_reached(l, fds[i], i, by);
	}
}
/* A /dev/fuse for each squashfs lower; in setuid mode while we are host
 * root (squashfs.h), in the others as the caller (or root) we are. */
static void open_fuse_devices(struct launch *l)
{
	for (size_t i = 0; i < REQUEST_MAX_LOWERS; i++)
		l->fuse_fds[i] = i < l->req->n_lowers && l->req->lower_squashfs[i].size
					 ? squashfs_open_fuse(l->req->lowers[i])
					 : -1;
}

/* 'limit container owners', setuid mode: walk each image path as the
 * caller (policy_check_image_path) and keep what it reached, which
 * open_lowers then requires of the lower it opens. Done in the initial
 * user namespace, where owners show as they are, and before the rootfs,
 * which with --overlay is built inside the new one. */
static void check_image_paths(struct launch *l)
{
	for (size_t i = 0; l->policy->limit_owners.n && i < l->req->n_lowers; i++)
		policy_check_image_path(l->policy, l->req->lowers[i], &l->image_roots[i]);
}

/* The mount namespace's own set-up, before the rootfs: nothing of ours
 * reaches the host, a /proc of the new pid namespace, and no hybrid cgroup2
 * mount in view. In setuid mode this is done as root in the initial user
 * namespace (a fresh proc needs privilege over the pid namespace). */
static void prepare_mount_namespace(bool in_user_namespace)
{
	WITH_ROOT_FS_IDS(mounts_make_private(); mounts_fresh_proc(); mounts_hide_hybrid_cgroup(in_user_namespace));
}

/* Setuid, 'caller-ids self': the runtime's state tmpfs, owned by the
 * namespace's root, in the mounter's numbering (inside, that is 0). */
static void mount_runtime_state(const struct launch *l, int session_fd, enum rootfs_mounter by)
{
	const struct starter_request *req = l->req;
	const struct id_range *u = request_root_range(req->uid_ranges, req->n_uid_ranges);
	const struct id_range *g = request_root_range(req->gid_ranges, req->n_gid_ranges);
	bool inside = by == ROOTFS_BY_NAMESPACE_ROOT;
	mounts_runtime_state_tmpfs(session_fd, req->session, inside ? 0 : (uid_t)u->outside,
				   inside ? 0 : (gid_t)g->outside);
}

/* Open the caller's paths (with the caller's filesystem ids), check
 * them, mount the rootfs and, with 'caller-ids self', the runtime's
 * state tmpfs. */
static void build_rootfs(struct launch *l, enum rootfs_mounter by)
{
	const struct starter_request *req = l->req;
	bool setuid = mounter_is_setuid(by);
	int lower_fds[REQUEST_MAX_LOWERS + 1];
	const char *lower_paths[REQUEST_MAX_LOWERS + 1];
	/* The mount point layer below the lowers is a directory. */
	struct request_squashfs squashfs[REQUEST_MAX_LOWERS + 1] = { 0 };
	memcpy(squashfs, req->lower_squashfs, sizeof req->lower_squashfs);
	int session_fd = open_session(req->session);
	open_lowers(l, lower_fds, by);
	size_t n_lowers = req->n_lowers;
	for (size_t i = 0; i < n_lowers; i++)
		lower_paths[i] = req->lowers[i];
	/* The driver's mount point layer, bottom-most, from the session dir. */
	if (req->mountpoints) {
		lower_fds[n_lowers] = open_subdir_nofollow(session_fd, "mountpoints");
		if (lower_fds[n_lowers] < 0)
			die_errno("mount point layer '%s'", req->mountpoints);
		lower_paths[n_lowers++] = req->mountpoints;
	}
	int persistent_fd = req->upper ? open_owned_dir("writable overlay", req->upper) : -1;
	if (persistent_fd >= 0)
		mounts_prepare_persistent(persistent_fd, req->upper);
	/* The image's own layers: no pseudo filesystem, and noexec carried
	 * over (the mount point layer, made by the driver in the session
	 * dir, adds no file that could run). */
	bool noexec = false;
	for (size_t i = 0; i < req->n_lowers; i++)
		noexec |= lowers_check_filesystem(lower_fds[i], lower_paths[i]);
	for (size_t i = 0; setuid && i < n_lowers; i++)
		if (i >= req->n_lowers || !req->lower_squashfs[i].size)
			WITH_ROOT_FS_IDS(lowers_check_no_submounts(lower_fds[i], lower_paths[i]));
	struct overlay_plan plan = {
		.session_fd = session_fd,
		.session = req->session,
		.lower_fds = lower_fds,
		.lower_paths = lower_paths,
		.n_lowers = n_lowers,
		/* Stacked with privilege, the caller's own dir is copied first. */
		.copy_mountpoints = setuid && req->mountpoints,
		.tmpfs_size = req->tmpfs_size,
		.persistent_fd = persistent_fd,
		.persistent = req->upper,
		.owner_uid = setuid ? l->ids->uid : (uid_t)-1,
		.owner_gid = setuid ? l->ids->gid : (gid_t)-1,
		.in_user_namespace = by == ROOTFS_BY_CALLER_IN_USERNS || by == ROOTFS_BY_NAMESPACE_ROOT,
		.overlay = req->overlay,
		.fuse_overlayfs = req->fuse_overlayfs,
		.noexec = noexec,
		.squashfs = squashfs,
		.fuse_fds = l->fuse_fds,
		.squashfuse = req->squashfuse,
		.server_as_caller = setuid,
	};
	mounts_overlay_rootfs(&plan);
	if (req->caller_ids_self)
		mount_runtime_state(l, session_fd, by);
	/* The mounts are done: nothing below needs the paths' fds. */
	close(session_fd);
	if (persistent_fd >= 0)
		close(persistent_fd);
	for (size_t i = 0; i < n_lowers; i++)
		close(lower_fds[i]);
}

/* With 'payload-exec readonly' the runtime is exec'd through a read-only
 * clone of its mount (exec_payload), made while we may still mount. */
static int payload_readonly_clone(const struct starter_request *req)
{
	return req->payload_exec_readonly ? mounts_readonly_clone(req->payload) : -1;
}

/* We stay pid 1 and run the runtime as our child. When it is done we send
 * its status up the status pipe and exit, and the kernel ends whatever is
 * left (a fuse-overlayfs daemon, an orphan of --no-pid) with the pid
 * namespace; our parent need not wait for the kernel to take our
 * namespaces down (their mounts, about a millisecond here), which happens
 * as we exit. Other reasons: a runtime that is pid 1 waits for every
 * process of the namespace, the fuse daemon included, and would never
 * exit; and with 'caller-ids self' (as_root) we keep the caller's real ids
 * so that our parent, dropped to the caller, can signal us, while the
 * runtime, which must not be exec'd with real and effective ids that
 * differ (a secure exec, which clears PDEATHSIG), takes all of root's. */
static noreturn void run_runtime_as_child(const struct starter_request *req, bool as_root, int status_fd)
{
	pid_t pid = fork();
	if (pid < 0)
		die_errno("fork");
	if (pid == 0) {
		if (as_root) {
			privilege_become_namespace_root_fully();
			/* The id change cleared it; our parent is pid 1, whose
			 * death ends the namespace and us with it anyway. */
			if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
				die_errno("prctl(PR_SET_PDEATHSIG)");
		}
		int exe_fd = payload_readonly_clone(req);
		signals_reset_for_exec();
		/* As for a runtime that is pid 1 (below): a signal we forward
		 * before the runtime handles it waits, pending, for it. */
		signals_block_until_runtime_ready();
		exec_payload(req, exe_fd);
	}
	forward_signals_to(pid);
	unsigned char code = (unsigned char)wait_exit_code(pid);
	/* Should the write fail, the parent learns the code from our exit. */
	ssize_t sent = write(status_fd, &code, 1);
	(void)sent;
	_exit(code);
}

/* Run modes: clone the namespace's init (pid 1 of the new pid namespace,
 * inside the new mount, and maybe user, namespace), with three pipes: the
 * init says it is ready (for its maps), the parent says go (and keeps its
 * end open for as long as it lives), the init sends the runtime's status.
 * Returns 0 in the init, which is killed when its parent dies
 * (PDEATHSIG): a kill -9 of ochre takes the whole container down with it. */
static pid_t clone_init(struct launch *l, unsigned long flags)
{
	if (pipe2(l->ready, O_CLOEXEC) < 0 || pipe2(l->go, O_CLOEXEC) < 0 || pipe2(l->status, O_CLOEXEC) < 0)
		die_errno("pipe");
	signals_block_forwarded();
	log_debug("[starter] create namespaces: mount, pid%s", flags & CLONE_NEWUSER ? ", user (caller -> root)" : "");
	l->init = (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
	if (l->init < 0 && (flags & CLONE_NEWUSER))
		userns_die_refused("clone");
	if (l->init < 0)
		die_errno("create namespaces (clone)");
	bool in_init = l->init == 0;
	close(l->ready[in_init ? 0 : 1]);
	close(l->go[in_init ? 1 : 0]);
	close(l->status[in_init ? 0 : 1]);
	if (in_init) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
			die_errno("prctl(PR_SET_PDEATHSIG)");
		/* The lines held so far are our parent's to write. */
		log_hold_discard();
	}
	return l->init;
}

/* In the init: tell the parent we are ready, and wait until it has
 * written our maps. One byte means go; EOF means the parent died or
 * failed first (and PDEATHSIG may have been set too late to fire). */
static void init_wait_for_parent(const struct launch *l)
{
	if (write(l->ready[1], "r", 1) != 1)
		_exit(STARTER_EXIT_FAILURE);
	close(l->ready[1]);
	char go;
	if (read(l->go[0], &go, 1) != 1)
		_exit(STARTER_EXIT_FAILURE);
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		die_errno("prctl(PR_SET_DUMPABLE)");
}

/* In the init, mapped by its root parent, who has dropped: take euid 0
 * in the user namespace (privilege_become_namespace_root). Changing our
 * ids cleared PDEATHSIG: set it again, then make sure the parent did not
 * die in between (its end of the go pipe stays open while it lives). */
static void init_become_namespace_root(const struct launch *l)
{
	privilege_become_namespace_root(l->ids->uid, l->ids->gid, l->req->caller_ids_self);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		die_errno("prctl(PR_SET_PDEATHSIG)");
	struct pollfd p = { .fd = l->go[0], .events = POLLIN };
	if (poll(&p, 1, 0) != 0)
		_exit(STARTER_EXIT_FAILURE);
}

/* Setuid, in the init: a user namespace, and a mount namespace of its
 * own too: runc goes back into the mount namespace it started in, which it
 * may only if its user namespace owns it. Our mounts come along, locked. */
static void init_unshare_user_namespace(void)
{
	log_debug("[starter] create namespaces: user (caller -> root), mount");
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
		die_errno("create a user namespace (unshare)");
}

/* The init's rootfs is built: run the runtime (runtime_as_root: with all
 * ids 0 of the namespace, see run_runtime_as_child) and supervise it.
 * Default dispositions (an ignored SIGCHLD from the caller would break our
 * wait for the runtime), but every forwarded signal stays blocked until
 * forward_signals_to() handles it: one sent before that (say USR1, by our
 * parent, which the pid-1 rule does not cover) would otherwise kill us. */
static noreturn void init_run_runtime(const struct launch *l, bool runtime_as_root)
{
	close(l->go[0]);
	signals_reset_for_exec();
	signals_block_forwarded();
	/* The runtime keeps the lifeline (it closes all extra fds in the
	 * container), so the cleanup process waits for the runtime's death
	 * too, not only ours, before it removes the session dir. */
	if (l->req->lifeline_fd >= 0 && fcntl(l->req->lifeline_fd, F_SETFD, 0) < 0)
		die_errno("lifeline fd %d", l->req->lifeline_fd);
	if (chdir("/") < 0)
		die_errno("chdir /");
	run_runtime_as_child(l->req, runtime_as_root, l->status[1]);
}

/* In the parent: wait until the init is ready for its maps. */
static void parent_wait_for_init(const struct launch *l)
{
	char r;
	if (read(l->ready[0], &r, 1) != 1)
		die("the container init failed to start");
	close(l->ready[0]);
}

/* The container's exit code: the byte the namespace's init sends up the
 * status pipe once the runtime is done, without waiting for the init's own
 * exit; if the init ends first (it failed, or was killed), its own status. */
static int container_exit_code(int status_fd, pid_t init)
{
	unsigned char code;
	for (;;) {
		ssize_t n = read(status_fd, &code, 1);
		if (n == 1)
			return code;
		if (n < 0 && errno == EINTR)
			continue;
		return wait_exit_code(init);
	}
}

/* The container is gone: tell the driver's cleanup process, and wait
 * until it has taken the session dir away (it renames it, acknowledges,
 * and removes the tree after we exit), so that when ochre returns nothing
 * of the launch is left under its name. The lifeline is a socket pair:
 * shutting our end down for writing is the signal (every other holder is
 * dead: the pid namespace went with its init). If it is not a socket,
 * closing it is, and we wait for the cleanup process to exit. */
static void release_lifeline(int fd)
{
	if (shutdown(fd, SHUT_WR) == 0) {
		char ack;
		while (read(fd, &ack, 1) < 0 && errno == EINTR)
			;
		close(fd);
		return;
	}
	close(fd);
	wait_all_children();
}

/* In the parent, holding nothing beyond the caller's: release the init,
 * then only supervise it, and exit with the container's code. */
static noreturn void parent_release_and_supervise(const struct launch *l)
{
	if (write(l->go[1], "g", 1) != 1)
		die_errno("release the container init");
	/* go[1] stays open while we live: the init checks it. */
	forward_signals_to(l->init);
	int code = container_exit_code(l->status[0], l->init);
	if (l->req->lifeline_fd >= 0)
		release_lifeline(l->req->lifeline_fd);
	exit(code);
}

/* Setuid, in the parent: write the init's maps as root (its /proc files
 * are root's while it is not dumpable), then drop for good. */
static void parent_map_and_drop(const struct launch *l)
{
	parent_wait_for_init(l);
	WITH_ROOT_FS_IDS(userns_write_maps_as_root(l->init, l->req, l->ids->uid, l->ids->gid));
	privilege_drop_for_good();
}

/* A setuid starter in a mode that needs no privilege drops it first. */
static void drop_setuid_now(const struct launch *l)
{
	if (!l->ids->setuid)
		return;
	privilege_drop_for_good();
	privilege_end_of_host_privilege();
}

/* ---------------------------------------------------------------- modes
 * One function per starter_mode: its privileged steps in order, up to the
 * marked end of host privilege (privilege_end_of_host_privilege). */

/* A root caller's, enter: root is theirs already; a mount namespace for
 * the fix-ups, then the payload. */
static noreturn void enter_as_root(const struct launch *l)
{
	log_debug("[starter] create namespaces: mount");
	if (unshare(CLONE_NEWNS) < 0)
		die_errno("create a mount namespace (unshare)");
	mounts_make_private();
	mounts_hide_hybrid_cgroup(false);
	int exe_fd = payload_readonly_clone(l->req);
	/* ---- the root caller's own privilege, nothing more ---- */
	signals_reset_for_exec();
	exec_payload(l->req, exe_fd);
}

/* Enter, any other caller: a user namespace mapping them to themselves,
 * so that the runtime runs as the caller, rootless, as their bundle
 * expects. The exec drops every capability that namespace gave us; we
 * clear them first anyway and check, so the payload provably has none. */
static noreturn void enter_in_userns(const struct launch *l)
{
	drop_setuid_now(l);
	/* ---- no host privilege from here on ---- */
	userns_enter_as_self();
	mounts_make_private();
	mounts_hide_hybrid_cgroup(true);
	int exe_fd = payload_readonly_clone(l->req);
	privilege_clear_capabilities();
	signals_reset_for_exec();
	exec_payload(l->req, exe_fd);
}

/* Run, a root caller: mount and pid namespaces, the rootfs mounted by
 * root, who is the caller. */
static noreturn void run_as_root(struct launch *l)
{
	if (clone_init(l, CLONE_NEWNS | CLONE_NEWPID) == 0) {
		init_wait_for_parent(l);
		prepare_mount_namespace(false);
		open_fuse_devices(l);
		build_rootfs(l, ROOTFS_BY_ROOT_CALLER);
		/* ---- the root caller's own privilege, nothing more ---- */
		init_run_runtime(l, false);
	}
	parent_wait_for_init(l);
	parent_release_and_supervise(l);
}

/* Run, rootless: the caller creates the user namespace and is its root;
 * the parent maps it (newuidmap/newgidmap for subordinate ranges). */
static noreturn void run_rootless(struct launch *l)
{
	drop_setuid_now(l);
	/* ---- no host privilege from here on: only the caller's own ---- */
	if (clone_init(l, CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUSER) == 0) {
		/* The parent writes our maps through /proc/PID/{uid,gid}_map,
		 * which the kernel gives to root while we are not dumpable. We
		 * hold nothing the caller lacks, so for this window only we let
		 * the caller's (parent) process open them. */
		if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
			die_errno("prctl(PR_SET_DUMPABLE)");
		init_wait_for_parent(l);
		prepare_mount_namespace(true);
		open_fuse_devices(l);
		build_rootfs(l, ROOTFS_BY_CALLER_IN_USERNS);
		init_run_runtime(l, false);
	}
	parent_wait_for_init(l);
	userns_write_maps(l->init, l->req);
	parent_release_and_supervise(l);
}

/* Run, setuid, the image alone: host root mounts the image (with a fresh
 * tmpfs upper and a copy of the mount point layer) for the caller, then a
 * user namespace is made. runtime_as_root: with 'caller-ids self', where
 * the caller keeps their own ids there and a subordinate id is root, whose
 * ids the runtime takes (and its state tmpfs is made with the rootfs). */
static noreturn void run_setuid_image(struct launch *l, bool runtime_as_root)
{
	if (clone_init(l, CLONE_NEWNS | CLONE_NEWPID) == 0) {
		prepare_mount_namespace(false);
		check_image_paths(l);
		open_fuse_devices(l);
		build_rootfs(l, ROOTFS_BY_HOST_ROOT);
		init_unshare_user_namespace();
		init_wait_for_parent(l);
		init_become_namespace_root(l);
		privilege_end_of_host_privilege(); /* ==== no host privilege from here on ==== */
		init_run_runtime(l, runtime_as_root);
	}
	parent_map_and_drop(l);
	privilege_end_of_host_privilege(); /* ==== no host privilege from here on ==== */
	parent_release_and_supervise(l);
}

/* Run, setuid, without 'caller-ids self': the caller is root of the user
 * namespace, and runs the runtime there. */
static noreturn void run_setuid_caller_root(struct launch *l)
{
	run_setuid_image(l, false);
}

/* Run, setuid, 'caller-ids self', the image alone. */
static noreturn void run_setuid_self_image(struct launch *l)
{
	run_setuid_image(l, true);
}

/* Run, setuid, 'caller-ids self' with the caller's own layers (--overlay,
 * a persistent upper): host root only prepares the mount namespace; the
 * rootfs is mounted in the user namespace by its root, who reads no more
 * than the caller and their subordinate ids may. */
static noreturn void run_setuid_self_layers(struct launch *l)
{
	if (clone_init(l, CLONE_NEWNS | CLONE_NEWPID) == 0) {
		prepare_mount_namespace(false);
		check_image_paths(l);
		init_unshare_user_namespace();
		init_wait_for_parent(l);
		init_become_namespace_root(l);
		privilege_end_of_host_privilege(); /* ==== no host privilege from here on ==== */
		/* FUSE takes a /dev/fuse opened in the mounter's own user
		 * namespace only: opened here, as its root. */
		open_fuse_devices(l);
		build_rootfs(l, ROOTFS_BY_NAMESPACE_ROOT);
		init_run_runtime(l, true);
	}
	parent_map_and_drop(l);
	privilege_end_of_host_privilege(); /* ==== no host privilege from here on ==== */
	parent_release_and_supervise(l);
}

int main(void)
{
	struct starter_request req;
	struct ochre_config policy;
	struct process_ids ids = harden_process();
	/* Privileged: nothing reaches the caller's stderr until we drop. */
	if (ids.setuid)
		log_hold_begin();
	read_request(&req);
	sanitize_environment(&req);
	/* The admin's config and the files it names are root's to read. */
	if (ids.setuid)
		WITH_ROOT_FS_IDS(policy_load(&policy); policy_check_request(&policy, &req));
	struct launch l = { .req = &req, .ids = &ids, .policy = ids.setuid ? &policy : NULL };
	enum starter_mode mode = starter_mode_choose(&req, &ids);
	switch (mode) {
	case STARTER_ENTER_AS_ROOT:
		enter_as_root(&l);
	case STARTER_ENTER_IN_USERNS:
		enter_in_userns(&l);
	case STARTER_RUN_AS_ROOT:
		run_as_root(&l);
	case STARTER_RUN_ROOTLESS:
		run_rootless(&l);
	case STARTER_RUN_SETUID_CALLER_ROOT:
		run_setuid_caller_root(&l);
	case STARTER_RUN_SETUID_SELF_IMAGE:
		run_setuid_self_image(&l);
	case STARTER_RUN_SETUID_SELF_LAYERS:
		run_setuid_self_layers(&l);
	default:
		die("unknown starter mode %d", (int)mode);
	}
}
