#define _GNU_SOURCE
#include "run_tool.h"

#include "../../../common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

pid_t run_tool_start(char *const argv[], int *in, struct error *err)
{
	int p[2] = { -1, -1 };
	if (in && pipe2(p, O_CLOEXEC) < 0) {
		error_set(err, errno, "pipe");
		return -1;
	}
	log_debug_argv("run", argv);
	pid_t pid = fork();
	if (pid < 0) {
		error_set(err, errno, "fork");
		if (in) {
			close(p[0]);
			close(p[1]);
		}
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (null < 0 || dup2(null, 1) < 0 || (in && dup2(p[0], 0) < 0))
			_exit(127);
		execvp(argv[0], argv);
		dprintf(2, "ochre: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (in) {
		close(p[0]);
		*in = p[1];
	}
	return pid;
}

int run_tool_wait(pid_t pid, const char *name, struct error *err)
{
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return error_set(err, errno, "wait for %s", name);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return error_set(err, 0, "cannot run %s (is it installed?)", name);
	if (WIFSIGNALED(status))
		return error_set(err, 0, "%s was killed by signal %d", name, WTERMSIG(status));
	return error_set(err, 0, "%s failed (exit status %d)", name, WEXITSTATUS(status));
}

int run_tool(char *const argv[], struct error *err)
{
	pid_t pid = run_tool_start(argv, NULL, err);
	return pid < 0 ? -1 : run_tool_wait(pid, argv[0], err);
}
