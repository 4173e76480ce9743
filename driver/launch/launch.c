#define _GNU_SOURCE
#include "launch.h"

#include "../../common/log.h"
#include "../util/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Rename the forked cleanup process in ps (both comm and the command line,
 * which it shares with ochre until overwritten) so nobody mistakes it for
 * the container's ochre process. */
static void set_process_title(char **argv, const char *title)
{
	char *start = argv[0], *end = argv[0];
	for (size_t i = 0; argv[i]; i++)
		end = argv[i] + strlen(argv[i]) + 1;
	size_t room = (size_t)(end - start);
	memset(start, 0, room);
	strncpy(start, title, room - 1);
	prctl(PR_SET_NAME, "ochre-cleanup", 0, 0, 0);
}

/* Remove a session dir. After a kill -9 the kernel tears the container
 * down while we run: a runtime still writing its state makes a pass fail,
 * so retry a while. */
static void remove_session(const char *path)
{
	int ret = -1;
	for (int attempt = 0; attempt < 100 && (ret = session_remove_path(path)) < 0; attempt++)
		usleep(50 * 1000);
	if (ret < 0)
		log_warn("could not remove session dir %s: %s", path, strerror(errno));
}

/* The cleanup process. It holds one end of the lifeline, a socket pair;
 * the starter (and the runtime it becomes or forks) hold the other. read()
 * returns 0 only when all of them are gone, whether they exited or were
 * killed with SIGKILL, or when the starter, its container gone, shuts its
 * end down for writing; only then is the session dir removed. */
static void noreturn_cleanup(char **argv, const char *session_path, int lifeline)
{
	set_process_title(argv, "ochre-cleanup");
	setsid(); /* off the terminal: ^C and hangups are for the container */
	struct sigaction ign = { .sa_handler = SIG_IGN };
	const int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGTSTP, SIGTTIN, SIGTTOU, SIGPIPE };
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaction(sigs[i], &ign, NULL);

	/* Do not hold the caller's stdout: `ochre exec ... | cat` must see EOF
	 * when the container is done. stderr stays, for messages. */
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
	}
	if (dup2(lifeline, 3) < 0)
		_exit(1);
	close_range(4, ~0U, 0);

	char buf[16];
	ssize_t n;
	while ((n = read(3, buf, sizeof buf)) != 0)
		if (n < 0 && errno != EINTR)
			break;
	/* A starter that shut its end down waits for one byte from us before
	 * it exits: the session dir must be gone, under its name, by the time
	 * ochre returns. A rename does that in one step; the removal, which
	 * takes milliseconds, then goes on after ochre has exited. */
	char *doomed = session_retire(session_path);
	bool renamed = doomed && strcmp(doomed, session_path) != 0;
	if (doomed)
		log_debug("removing session dir %s (as %s)", session_path, doomed);
	if (doomed && !renamed)
		remove_session(doomed); /* no other name to hide it under: now */
	send(3, "d", 1, MSG_NOSIGNAL);  /* fails (no reader) after a kill: fine */
	close(3);
	if (renamed)
		remove_session(doomed);
	session_sweep_retired(session_path);
	_exit(0);
}

/* Write the request into a memfd: unlike a pipe it cannot fill up, and the
 * starter reads it to EOF like a pipe. */
static int request_fd(const struct starter_request *req, struct error *err)
{
	static char buf[REQUEST_MAX_BYTES];
	char msg[256];
	long len = request_format(req, buf, sizeof buf, msg, sizeof msg);
	if (len < 0)
		return error_set(err, 0, "%s", msg);
	if (log_enabled(LOG_LEVEL_DEBUG)) {
		for (char *line = buf, *end = buf + len; line < end;) {
			char *nl = memchr(line, '\n', (size_t)(end - line));
			log_debug("starter request: %.*s", (int)(nl - line), line);
			line = nl + 1;
		}
	}
	int fd = memfd_create("ochre-request", MFD_CLOEXEC);
	if (fd < 0)
		return error_set(err, errno, "memfd_create");
	if (write(fd, buf, (size_t)len) != len || lseek(fd, 0, SEEK_SET) != 0) {
		int saved = errno;
		close(fd);
		return error_set(err, saved, "write the starter request");
	}
	return fd;
}

/* Move fd above the fixed numbers 3 and 4 so the dup2s below cannot clash. */
static int move_high(int fd)
{
	int high = fcntl(fd, F_DUPFD_CLOEXEC, 10);
	close(fd);
	return high;
}

/* The session dir's name is the cleanup process's pid and a random
 * suffix drawn before the fork, so that both sides know it without a word
 * and no instant exists in which the dir is there and nobody would remove
 * it if ochre were killed: the cleanup process runs before the dir is
 * made. A dir of that name can only be ours, or a dead cleanup process's
 * (the pid is taken while ours lives): removing it is right either way. */
static char *session_path(const char *base, pid_t cleaner, const char *suffix)
{
	return xasprintf("%s/%ld-%s", base, (long)cleaner, suffix);
}

static int random_suffix(char *out, size_t len, struct error *err)
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char r[16];
	if (len - 1 > sizeof r || getrandom(r, len - 1, 0) != (ssize_t)(len - 1))
		return error_set(err, errno, "getrandom");
	for (size_t i = 0; i + 1 < len; i++)
		out[i] = chars[r[i] % (sizeof chars - 1)];
	out[len - 1] = '\0';
	return 0;
}

int session_guard_start(char **argv, const char *base, struct session *s, struct session_guard *g, struct error *err)
{
	memset(s, 0, sizeof *s);
	char suffix[7];
	if (random_suffix(suffix, sizeof suffix, err) < 0)
		return -1;
	int lifeline[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, lifeline) < 0)
		return error_set(err, errno, "socketpair");
	lifeline[0] = move_high(lifeline[0]);
	lifeline[1] = move_high(lifeline[1]);
	g->cleaner = fork();
	if (g->cleaner < 0) {
		int saved = errno;
		close(lifeline[0]);
		close(lifeline[1]);
		return error_set(err, saved, "fork");
	}
	if (g->cleaner == 0) {
		close(lifeline[1]);
		noreturn_cleanup(argv, session_path(base, getpid(), suffix), lifeline[0]);
	}
	close(lifeline[0]);
	g->lifeline = lifeline[1];
	char *path = session_path(base, g->cleaner, suffix);
	int ret = session_make(path, s, err);
	free(path);
	if (ret < 0) {
		session_guard_abandon(g);
		return -1;
	}
	log_debug("session dir: %s", s->path);
	return 0;
}

void session_guard_abandon(struct session_guard *g)
{
	/* Closing every write end lets the cleanup process remove the session. */
	close(g->lifeline);
	while (waitpid(g->cleaner, NULL, 0) < 0 && errno == EINTR)
		;
}

int launch_starter(const char *starter_path, char **argv, struct session_guard *g, struct starter_request *req,
		   struct error *err)
{
	req->lifeline_fd = REQUEST_LIFELINE_FD;
	int req_fd = request_fd(req, err);
	if (req_fd < 0) {
		session_guard_abandon(g);
		return -1;
	}
	req_fd = move_high(req_fd);
	log_debug("exec %s (request on fd %d, lifeline on fd %d)", starter_path, REQUEST_FD, REQUEST_LIFELINE_FD);
	/* dup2 leaves the new fds without FD_CLOEXEC: exactly 3 and 4 cross. */
	if (dup2(req_fd, REQUEST_FD) < 0 || dup2(g->lifeline, REQUEST_LIFELINE_FD) < 0) {
		error_set(err, errno, "set up the starter's fds");
	} else {
		execve(starter_path, argv, environ);
		error_set(err, errno, "run %s", starter_path);
	}
	close(REQUEST_LIFELINE_FD);
	close(req_fd);
	close(REQUEST_FD);
	session_guard_abandon(g);
	return -1;
}

pid_t spawn_starter_enter(const char *starter_path, struct starter_request *req, int sync_fd, struct error *err)
{
	req->mode = REQUEST_MODE_ENTER;
	req->sync_fd = sync_fd >= 0 ? REQUEST_SYNC_FD_MIN : -1;
	int req_fd = request_fd(req, err);
	if (req_fd < 0)
		return -1;
	req_fd = move_high(req_fd);
	if (sync_fd >= 0)
		sync_fd = move_high(sync_fd);
	pid_t pid = fork();
	if (pid < 0) {
		close(req_fd);
		if (sync_fd >= 0)
			close(sync_fd);
		error_set(err, errno, "fork");
		return -1;
	}
	if (pid == 0) {
		if (sync_fd >= 0 && dup2(sync_fd, REQUEST_SYNC_FD_MIN) < 0)
			_exit(127);
		if (dup2(req_fd, REQUEST_FD) < 0)
			_exit(127);
		char *argv[] = { "ochre-starter", NULL };
		log_debug("exec %s (mode enter, request on fd %d)", starter_path, REQUEST_FD);
		execve(starter_path, argv, environ);
		log_error("run %s: %s", starter_path, strerror(errno));
		_exit(127);
	}
	close(req_fd);
	if (sync_fd >= 0)
		close(sync_fd);
	return pid;
}
