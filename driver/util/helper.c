#define _GNU_SOURCE
#include "helper.h"

#include "../../common/log.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void close_pipe(int p[2])
{
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	p[0] = p[1] = -1;
}

/* The input, all of it unless the helper stops reading; then EOF. */
static void feed(int fd, const char *input)
{
	/* The helper may fail before reading: do not die of SIGPIPE. */
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	sigaction(SIGPIPE, &ign, &old);
	size_t len = strlen(input);
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, input + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	close(fd);
	sigaction(SIGPIPE, &old, NULL);
}

/* The first line of what the helper wrote, up to EOF. */
static void read_reply(int fd, char reply[HELPER_REPLY_MAX])
{
	size_t len = 0;
	ssize_t n;
	while (len < HELPER_REPLY_MAX - 1 &&
	       ((n = read(fd, reply + len, HELPER_REPLY_MAX - 1 - len)) > 0 || (n < 0 && errno == EINTR)))
		if (n > 0)
			len += (size_t)n;
	close(fd);
	reply[len] = '\0';
	reply[strcspn(reply, "\n")] = '\0';
}

char *helper_run(const struct helper_run *h, struct error *err)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 };
	if ((h->input && pipe2(in, O_CLOEXEC) < 0) || pipe2(out, O_CLOEXEC) < 0) {
		error_set(err, errno, "pipe");
		close_pipe(in);
		return NULL;
	}
	log_debug_argv("run", h->argv);
	pid_t pid = fork();
	if (pid < 0) {
		error_set(err, errno, "fork");
		close_pipe(in);
		close_pipe(out);
		return NULL;
	}
	if (pid == 0) {
		if ((h->input && dup2(in[0], 0) < 0) || dup2(out[1], 1) < 0)
			_exit(127);
		execve(h->argv[0], h->argv, environ);
		dprintf(1, "error cannot run %s: %s\n", h->argv[0], strerror(errno));
		_exit(127);
	}
	close(out[1]);
	if (h->input) {
		close(in[0]);
		feed(in[1], h->input);
	}
	char reply[HELPER_REPLY_MAX];
	read_reply(out[0], reply);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	bool exited_ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	if (exited_ok && strcmp(reply, "ok") == 0)
		return xstrdup("");
	if (exited_ok && strncmp(reply, "ok ", 3) == 0)
		return xstrdup(reply + 3);
	if (strncmp(reply, "error ", 6) == 0)
		error_set(err, 0, "%s", reply + 6);
	else if (WIFSIGNALED(status))
		error_set(err, 0, "%s was killed by signal %d", h->what, WTERMSIG(status));
	else
		error_set(err, 0, "%s failed", h->what);
	return NULL;
}

void helper_reply_ok(const char *value)
{
	printf("ok%s%s\n", value ? " " : "", value ? value : "");
}

void helper_reply_error(const char *message)
{
	printf("error %s\n", message);
}
