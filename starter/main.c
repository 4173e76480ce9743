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
 *   4. clone: the parent writes the child's id maps, then only supervises;
 *      the child (container_init) opens the caller's paths by fd with no
 *      symlinks, checks them, mounts, and runs the payload.
 * The paths are opened inside the new mount namespace because the kernel
 * mounts only on, and overlay only stacks, mounts of the caller's current
 * namespace: an fd opened before clone(CLONE_NEWNS) gives EINVAL.
 * Three ways to run: rootless (not setuid: a user namespace does it all),
 * a root caller, and a setuid-root install (privilege.h: mount as root,
 * make the user namespace as root, then drop for good; with 'caller-ids
 * self' that namespace is the container's, see SECURITY.md); a setgid or
 * file-capability install is refused (fail closed).
 */
#define _GNU_SOURCE
#include "../common/log.h"
#include "../common/request.h"
#include "die.h"
#include "lowers.h"
#include "policy.h"
#include "privilege.h"
#include "mounts.h"
#include "safe_open.h"
#include "supervise.h"
#include "userns.h"

#include <errno.h>
#include <poll.h>
#include <fcntl.h>
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
/* Setuid root, called by a non-root user: see privilege.h. */
static bool setuid_mode;
static struct ochre_config policy;
/* The image roots policy_check_image_path walked to (setuid mode). */
static struct stat image_roots[REQUEST_MAX_LOWERS];

/* Phase 1. Nothing from the caller has been looked at yet. */
static void harden_process(void)
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
	setuid_mode = privilege_setuid_mode();
	if (!setuid_mode && (geteuid() != getuid() || getegid() != getgid()))
		die("ochre-starter supports a setuid-root install only (not setgid, not file capabilities)");

	/* A non-root caller must hold no capability in the initial namespace,
	 * other than the ones a setuid-root exec gives. */
	if (getuid() != 0 && !setuid_mode) {
		cap_t have = cap_get_proc(), none = cap_init();
		if (!have || !none)
			die_errno("read capabilities");
		if (cap_compare(have, none) != 0)
			die("ochre-starter was started with capabilities; refusing");
		cap_free(have);
		cap_free(none);
	}
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
			die_errno("read the request on fd %d (ochre-starter is run by ochre, not by hand)",
				  REQUEST_FD);
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

/* Mode enter: namespaces and fix-ups only, then become the payload. For a
 * non-root caller the exec drops every capability the new user namespace
 * gave us (the caller is not root in it); we clear them first anyway and
 * check, so the payload provably starts with none. */
static noreturn void enter_and_exec(const struct starter_request *req)
{
	bool rootless = getuid() != 0;
	if (rootless) {
		userns_enter_as_self();
	} else {
		log_debug("[starter] create namespaces: mount");
		if (unshare(CLONE_NEWNS) < 0)
			die_errno("create a mount namespace (unshare)");
	}
	mounts_make_private();
	mounts_hide_hybrid_cgroup(rootless);
	int exe_fd = req->payload_exec_readonly ? mounts_readonly_clone(req->payload) : -1;
	if (rootless)
		privilege_clear_capabilities();
	signals_reset_for_exec();
	exec_payload(req, exe_fd);
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

/* Lowers are opened with the caller's filesystem ids (setuid mode) and
 * must be readable and searchable by them: a root-only directory cannot be
 * smuggled into the caller's view through an overlay mounted as root. */
static void open_lowers(const struct starter_request *req, int *fds, bool in_userns)
{
	for (size_t i = 0; i < req->n_lowers; i++) {
		int path_fd = open_dir_nofollow(req->lowers[i]);
		if (path_fd < 0)
			die_errno("image rootfs '%s'", req->lowers[i]);
		fds[i] = openat(path_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fds[i] < 0 || faccessat(fds[i], ".", R_OK | X_OK, 0) < 0)
			die_errno("image rootfs '%s'", req->lowers[i]);
		close(path_fd);
		struct stat st;
		if (!setuid_mode || !policy.limit_owners.n)
			continue;
		if (fstat(fds[i], &st) < 0)
			die_errno("image rootfs '%s'", req->lowers[i]);
		/* The walk of check_image_paths went to this very directory. */
		if (st.st_dev != image_roots[i].st_dev || st.st_ino != image_roots[i].st_ino)
			die("image '%s' is not the directory checked for 'limit container owners'; refusing",
			    req->lowers[i]);
		/* Inside the namespace (mount_in_userns) only the caller's ids
		 * keep their numbers; another owner shows as the overflow uid
		 * and cannot be told apart, so it is no allowed owner. */
		if (in_userns && st.st_uid != getuid())
			die("image '%s' is not yours: with --overlay, 'limit container owners' allows only your own "
			    "images", req->lowers[i]);
	}
}

/* 'limit container owners', setuid mode: walk each image path as the
 * caller (policy_check_image_path) and keep what it reached, which
 * open_lowers then requires of the lower it opens. Done in the initial
 * user namespace, where owners show as they are, and before the rootfs,
 * which with --overlay is built inside the new one. */
static void check_image_paths(const struct starter_request *req)
{
	if (!policy.limit_owners.n)
		return;
	privilege_fs_as_caller();
	for (size_t i = 0; i < req->n_lowers; i++)
		policy_check_image_path(&policy, req->lowers[i], &image_roots[i]);
	privilege_fs_as_root();
}

struct launch {
	const struct starter_request *req;
	bool rootless;    /* the caller is not root: a user namespace */
	bool privileged;  /* setuid mode: mount as root, then make the userns */
	/* Setuid mode with the caller's own layers (--overlay) and 'caller-ids
	 * self': overlay looks into its layers with its mounter's credentials,
	 * so the rootfs is mounted inside the user namespace by its root, who
	 * can read no more than the caller and their subordinate ids own. */
	bool mount_in_userns;
	uid_t caller_uid; /* the caller's ids on the host */
	gid_t caller_gid;
	int status_fd;    /* the init's end of the status pipe, see main() */
};

/* The mount namespace's own set-up, before the rootfs: nothing of ours
 * reaches the host, a /proc of the new pid namespace, and no hybrid cgroup2
 * mount in view. In setuid mode this is done as root in the initial user
 * namespace (a fresh proc needs privilege over the pid namespace). */
static void prepare_mount_namespace(bool in_user_namespace)
{
	mounts_make_private();
	mounts_fresh_proc();
	mounts_hide_hybrid_cgroup(in_user_namespace);
}

/* Open the caller's paths (as the caller), check them, mount. */
static void build_rootfs(const struct launch *l)
{
	const struct starter_request *req = l->req;
	if (l->privileged)
		privilege_fs_as_caller();
	int lower_fds[REQUEST_MAX_LOWERS + 1];
	const char *lower_paths[REQUEST_MAX_LOWERS + 1];
	int session_fd = open_session(req->session);
	open_lowers(req, lower_fds, l->mount_in_userns);
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
	if (l->privileged)
		privilege_fs_as_root();
	/* The image's own layers: no pseudo filesystem, and noexec carried
	 * over (the mount point layer, made by the driver in the session
	 * dir, adds no file that could run). */
	bool noexec = false;
	for (size_t i = 0; i < req->n_lowers; i++)
		noexec |= lowers_check_filesystem(lower_fds[i], lower_paths[i]);
	for (size_t i = 0; l->privileged && i < n_lowers; i++)
		lowers_check_no_submounts(lower_fds[i], lower_paths[i]);
	struct overlay_plan plan = {
		.session_fd = session_fd,
		.session = req->session,
		.lower_fds = lower_fds,
		.lower_paths = lower_paths,
		.n_lowers = n_lowers,
		/* Stacked with privilege, the caller's own dir is copied first. */
		.copy_mountpoints = l->privileged && req->mountpoints,
		.tmpfs_size = req->tmpfs_size,
		.persistent_fd = persistent_fd,
		.persistent = req->upper,
		.owner_uid = l->privileged ? l->caller_uid : (uid_t)-1,
		.owner_gid = l->privileged ? l->caller_gid : (gid_t)-1,
		.in_user_namespace = (l->rootless && !l->privileged) || l->mount_in_userns,
		.overlay = req->overlay,
		.fuse_overlayfs = req->fuse_overlayfs,
		.noexec = noexec,
	};
	mounts_overlay_rootfs(&plan);
	if (l->privileged && req->caller_ids_self) {
		const struct id_range *u = request_root_range(req->uid_ranges, req->n_uid_ranges);
		const struct id_range *g = request_root_range(req->gid_ranges, req->n_gid_ranges);
		/* Its owner in the mounter's numbering: inside, that is 0. */
		mounts_runtime_state_tmpfs(session_fd, req->session, l->mount_in_userns ? 0 : (uid_t)u->outside,
					   l->mount_in_userns ? 0 : (gid_t)g->outside);
	}
	/* The mounts are done: nothing below needs the paths' fds. */
	close(session_fd);
	if (persistent_fd >= 0)
		close(persistent_fd);
	for (size_t i = 0; i < n_lowers; i++)
		close(lower_fds[i]);
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
		int exe_fd = req->payload_exec_readonly ? mounts_readonly_clone(req->payload) : -1;
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

/* Runs as pid 1 of the new pid namespace, inside the new mount (and user)
 * namespace. When it exits the kernel kills everything left in the pid
 * namespace, and when its parent dies it is killed (PDEATHSIG): a kill -9
 * of ochre takes the whole container down with it. */
static noreturn void container_init(const struct launch *l, int ready_fd, int go_fd)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		die_errno("prctl(PR_SET_PDEATHSIG)");
	/* The lines held so far are our parent's to write. */
	log_hold_discard();
	/* Setuid mode: mount with real privilege first (only proc and the
	 * cgroup fix-up when the caller's own layers are stacked: those are
	 * mounted below, as root of the namespace), then enter a user
	 * namespace that the root parent maps. */
	if (l->privileged) {
		prepare_mount_namespace(false);
		check_image_paths(l->req);
		if (!l->mount_in_userns) /* else the rootfs comes after the maps */
			build_rootfs(l);
		/* A mount namespace of the user namespace's own too: runc goes
		 * back into the mount namespace it started in, which it may only
		 * if its user namespace owns it. Our mounts come along, locked. */
		log_debug("[starter] create namespaces: user (caller -> root), mount");
		if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
			die_errno("create a user namespace (unshare)");
	}
	/* Rootless: the parent writes our id maps through /proc/PID/{uid,gid}_map,
	 * which the kernel gives to root while we are not dumpable. We hold
	 * nothing the caller lacks, so for this window only we let the
	 * caller's (parent) process open them. */
	if (l->rootless && !l->privileged && prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
		die_errno("prctl(PR_SET_DUMPABLE)");
	if (write(ready_fd, "r", 1) != 1)
		_exit(STARTER_EXIT_FAILURE);
	close(ready_fd);
	/* One byte means the maps are written; EOF means the parent died or
	 * failed first (and PDEATHSIG may have been set too late to fire). */
	char go;
	if (read(go_fd, &go, 1) != 1)
		_exit(STARTER_EXIT_FAILURE);
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		die_errno("prctl(PR_SET_DUMPABLE)");

	const struct starter_request *req = l->req;
	if (l->privileged) {
		privilege_become_namespace_root(l->caller_uid, l->caller_gid, req->caller_ids_self);
		/* Changing our ids cleared PDEATHSIG: set it again, then make sure
		 * the parent did not die in between (its end of the go pipe stays
		 * open for as long as it lives). */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
			die_errno("prctl(PR_SET_PDEATHSIG)");
		struct pollfd p = { .fd = go_fd, .events = POLLIN };
		if (poll(&p, 1, 0) != 0)
			_exit(STARTER_EXIT_FAILURE);
		/* No host privilege is left in this process. */
		log_hold_release();
		if (l->mount_in_userns)
			build_rootfs(l);
	} else {
		prepare_mount_namespace(l->rootless);
		build_rootfs(l);
	}
	close(go_fd);

	/* Default dispositions (an ignored SIGCHLD from the caller would
	 * break our wait for the runtime), but every forwarded signal stays
	 * blocked until forward_signals_to() handles it: one sent before that
	 * (say USR1, by our parent, which the pid-1 rule does not cover) would
	 * otherwise kill us. The runtime child sets up its own mask. It dies
	 * with us, pid 1, as the whole pid namespace does. */
	signals_reset_for_exec();
	signals_block_forwarded();
	/* The runtime keeps the lifeline (it closes all extra fds in the
	 * container), so the cleanup process waits for the runtime's death
	 * too, not only ours, before it removes the session dir. */
	if (req->lifeline_fd >= 0 && fcntl(req->lifeline_fd, F_SETFD, 0) < 0)
		die_errno("lifeline fd %d", req->lifeline_fd);
	if (chdir("/") < 0)
		die_errno("chdir /");
	run_runtime_as_child(req, l->privileged && req->caller_ids_self, l->status_fd);
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

int main(void)
{
	struct starter_request req;
	struct launch l = { .req = &req };

	harden_process();
	/* Privileged: nothing reaches the caller's stderr until we drop. */
	if (setuid_mode)
		log_hold_begin();
	read_request(&req);
	sanitize_environment(&req);
	if (setuid_mode) {
		policy_load(&policy);
		policy_check_request(&policy, &req);
		/* Enter mode and --userns need no privilege at all. */
		if (req.mode == REQUEST_MODE_ENTER || req.force_userns) {
			privilege_drop_for_good();
			setuid_mode = false;
			log_hold_release();
		}
	}
	/* Only the setuid starter can map the caller to themselves and give
	 * the namespace a root of the caller's subordinate ids. */
	if (req.caller_ids_self && !setuid_mode)
		die("caller-ids self needs the setuid starter");
	if (req.mode == REQUEST_MODE_ENTER)
		enter_and_exec(&req);
	l.rootless = getuid() != 0;
	l.privileged = setuid_mode;
	l.mount_in_userns = setuid_mode && req.caller_ids_self && (req.n_lowers > 1 || req.upper);
	/* The caller's own uid and gid, before a namespace renames them. */
	l.caller_uid = getuid();
	l.caller_gid = getgid();

	int ready[2], go[2], status[2];
	if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0 || pipe2(status, O_CLOEXEC) < 0)
		die_errno("pipe");
	signals_block_forwarded();
	unsigned long flags = CLONE_NEWNS | CLONE_NEWPID | (l.rootless && !l.privileged ? CLONE_NEWUSER : 0);
	log_debug("[starter] create namespaces: mount, pid%s",
		  flags & CLONE_NEWUSER ? ", user (caller -> root)" : "");
	pid_t child = (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
	if (child < 0 && (flags & CLONE_NEWUSER))
		userns_die_refused("clone");
	if (child < 0)
		die_errno("create namespaces (clone)");
	if (child == 0) {
		close(ready[0]);
		close(go[1]);
		close(status[0]);
		l.status_fd = status[1];
		container_init(&l, ready[1], go[0]);
	}

	/* Parent: from here on it only writes id maps and supervises. */
	close(ready[1]);
	close(go[0]);
	close(status[1]);
	char r;
	if (read(ready[0], &r, 1) != 1)
		die("the container init failed to start");
	close(ready[0]);
	if (l.privileged) {
		userns_write_maps_as_root(child, &req, l.caller_uid, l.caller_gid);
		privilege_drop_for_good();
		log_hold_release();
	} else if (l.rootless) {
		userns_write_maps(child, &req);
	}
	if (write(go[1], "g", 1) != 1)
		die_errno("release the container init");
	/* go[1] stays open while we live: the child checks it (see above). */

	forward_signals_to(child);
	int code = container_exit_code(status[0], child);

	if (req.lifeline_fd >= 0)
		release_lifeline(req.lifeline_fd);
	return code;
}
