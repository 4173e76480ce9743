#define _GNU_SOURCE
#include "run_tool.h"

#include "../../../common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int run_tool(char *const argv[], struct error *err)
{
	log_debug_argv("run", argv);
	pid_t pid = fork();
	if (pid < 0)
		return error_set(err, errno, "fork");
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (null < 0 || dup2(null, 1) < 0)
			_exit(127);
		execvp(argv[0], argv);
		dprintf(2, "ochre: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return error_set(err, errno, "wait for %s", argv[0]);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return error_set(err, 0, "cannot run %s (is it installed?)", argv[0]);
	if (WIFSIGNALED(status))
		return error_set(err, 0, "%s was killed by signal %d", argv[0], WTERMSIG(status));
	return error_set(err, 0, "%s failed (exit status %d)", argv[0], WEXITSTATUS(status));
}
