/* userns-restrict CMD [ARGS...]: run CMD on a host that behaves as if
 * Debian's kernel.unprivileged_userns_clone were 0.
 *
 * This kernel has no such sysctl, and no LSM that restricts user namespaces,
 * so the tests of ochre's setuid mode on such hosts need a stand-in. Debian's
 * patch refuses clone(CLONE_NEWUSER) and unshare(CLONE_NEWUSER) with EPERM
 * unless the caller is capable(CAP_SYS_ADMIN), that is, holds CAP_SYS_ADMIN
 * effective in the initial user namespace. A process inside any other user
 * namespace, whatever it holds there, is refused: that is why a runtime
 * cannot nest its own user namespace in the one a setuid starter made.
 *
 * We get the same rule from a seccomp filter, installed by root (so without
 * no_new_privs: a setuid exec under it still gains privilege) and inherited
 * by CMD and everything it runs: clone and unshare with CLONE_NEWUSER go to
 * this supervisor through a user-notification fd, which lets the call go on
 * when the caller has CAP_SYS_ADMIN effective and lives in our (the initial)
 * user namespace, and fails it with EPERM otherwise. clone3 keeps its flags
 * in memory a filter cannot read, so it fails with ENOSYS, which makes libc
 * and the runtimes fall back to clone (as under Docker's default profile).
 *
 * We also stand in for the host's init: as a child subreaper we reap the
 * orphans of CMD's tree (ochre's starter leaves its namespace's init, which
 * is exiting, and its cleanup process to be reaped, as init does on a real
 * host), because a zombie keeps its seccomp filter, so we would otherwise
 * wait for it forever.
 *
 * Must run as root. Exits with CMD's status. Test code only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define CAP_SYS_ADMIN_BIT 21

static void die(const char *what)
{
	fprintf(stderr, "userns-restrict: %s: %s\n", what, strerror(errno));
	exit(125);
}

static int install_filter(void)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone3, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 1, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_unshare, 0, 3),
		/* Both take the flags as their first argument (x86_64). */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_NEWUSER, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof code / sizeof code[0], .filter = code };
	int fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	if (fd < 0)
		die("seccomp");
	return fd;
}

/* One byte of data carrying one fd (SCM_RIGHTS), for sendmsg/recvmsg. */
struct fd_message {
	char data;
	struct iovec iov;
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg;
};

static void fd_message_init(struct fd_message *m)
{
	memset(m, 0, sizeof *m);
	m->data = 'f';
	m->iov = (struct iovec){ .iov_base = &m->data, .iov_len = 1 };
	m->msg = (struct msghdr){
		.msg_iov = &m->iov, .msg_iovlen = 1, .msg_control = m->u.buf, .msg_controllen = sizeof m->u.buf
	};
}

static void send_fd(int sock, int fd)
{
	struct fd_message m;
	fd_message_init(&m);
	struct cmsghdr *c = CMSG_FIRSTHDR(&m.msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof fd);
	if (sendmsg(sock, &m.msg, 0) != 1)
		die("sendmsg");
}

static int recv_fd(int sock)
{
	struct fd_message m;
	fd_message_init(&m);
	if (recvmsg(sock, &m.msg, 0) != 1)
		die("recvmsg");
	struct cmsghdr *c = CMSG_FIRSTHDR(&m.msg);
	int fd;
	if (!c || c->cmsg_type != SCM_RIGHTS)
		die("no listener fd");
	memcpy(&fd, CMSG_DATA(c), sizeof fd);
	return fd;
}

/* capable(CAP_SYS_ADMIN) for pid: the capability effective, and the
 * process in the initial user namespace (ours). */
static int capable_in_init_ns(pid_t pid)
{
	char path[64], line[256];
	struct stat mine, theirs;
	snprintf(path, sizeof path, "/proc/%d/ns/user", (int)pid);
	if (stat("/proc/self/ns/user", &mine) < 0 || stat(path, &theirs) < 0 || mine.st_ino != theirs.st_ino)
		return 0;
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	unsigned long long eff = 0;
	int found = 0;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1) {
			found = 1;
			break;
		}
	fclose(f);
	return found && (eff >> CAP_SYS_ADMIN_BIT) & 1;
}

/* CMD's own status, once reaped; orphans are reaped and forgotten. */
static pid_t cmd_pid;
static int cmd_status;
static int cmd_done;

static void reap(int flags)
{
	int status;
	pid_t r;
	while ((r = waitpid(-1, &status, flags)) > 0 || (r < 0 && errno == EINTR))
		if (r == cmd_pid) {
			cmd_status = status;
			cmd_done = 1;
		}
}

static void supervise(int listener)
{
	struct seccomp_notif_sizes sizes;
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
		die("SECCOMP_GET_NOTIF_SIZES");
	struct seccomp_notif *req = calloc(1, sizes.seccomp_notif);
	struct seccomp_notif_resp *resp = calloc(1, sizes.seccomp_notif_resp);
	if (!req || !resp)
		die("calloc");
	for (;;) {
		struct pollfd p = { .fd = listener, .events = POLLIN };
		int n = poll(&p, 1, 100);
		reap(WNOHANG);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (n == 0)
			continue;
		if (!(p.revents & POLLIN))
			return; /* POLLHUP: every process under the filter is gone */
		memset(req, 0, sizes.seccomp_notif);
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, req) < 0) {
			if (errno == EINTR || errno == ENOENT)
				continue;
			die("SECCOMP_IOCTL_NOTIF_RECV");
		}
		int allow = capable_in_init_ns((pid_t)req->pid);
		memset(resp, 0, sizes.seccomp_notif_resp);
		resp->id = req->id;
		if (allow)
			resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		else
			resp->error = -EPERM;
		if (getenv("USERNS_RESTRICT_LOG"))
			fprintf(stderr, "userns-restrict: pid %d %s: %s\n", (int)req->pid,
				req->data.nr == __NR_unshare ? "unshare" : "clone", allow ? "allowed" : "EPERM");
		/* ENOENT: the caller was killed while we decided. */
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0 && errno != ENOENT)
			die("SECCOMP_IOCTL_NOTIF_SEND");
	}
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: userns-restrict CMD [ARGS...]\n");
		return 125;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "userns-restrict: must run as root\n");
		return 125;
	}
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		die("socketpair");
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		die("prctl(PR_SET_CHILD_SUBREAPER)");
	pid_t child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		close(sv[0]);
		int listener = install_filter();
		send_fd(sv[1], listener);
		close(listener);
		close(sv[1]);
		execvp(argv[1], argv + 1);
		die(argv[1]);
	}
	close(sv[1]);
	cmd_pid = child;
	int listener = recv_fd(sv[0]);
	close(sv[0]);
	supervise(listener);
	reap(0); /* until none is left: CMD, and what it left to us */
	if (!cmd_done)
		die("lost the status of CMD");
	return WIFEXITED(cmd_status) ? WEXITSTATUS(cmd_status) : 128 + WTERMSIG(cmd_status);
}
