#define _GNU_SOURCE
#include "fuse_overlay.h"

#include "../common/log.h"
#include "die.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

/* The fds must survive the exec: fuse-overlayfs opens the paths we give
 * it (/proc/self/fd/N), which resolve to our checked directories. */
static void keep_open(int fd)
{
	if (fcntl(fd, F_SETFD, 0) < 0)
		_exit(127);
}

void fuse_overlay_mount(const char *helper, const int *lower_fds, size_t n_lowers, int upper_fd, int work_fd,
			int target_fd, const char *target_name, bool noexec)
{
	char opts[4096], target[64];
	size_t len = (size_t)snprintf(opts, sizeof opts, "lowerdir=");
	for (size_t i = 0; i < n_lowers; i++)
		len += (size_t)snprintf(opts + len, sizeof opts - len, "%s/proc/self/fd/%d", i ? ":" : "",
					lower_fds[i]);
	len += (size_t)snprintf(opts + len, sizeof opts - len,
				",upperdir=/proc/self/fd/%d,workdir=/proc/self/fd/%d,nosuid,nodev%s", upper_fd, work_fd,
				noexec ? ",noexec" : "");
	if (len >= sizeof opts)
		die("fuse-overlayfs options too long");
	snprintf(target, sizeof target, "/proc/self/fd/%d", target_fd);
	char *argv[] = { (char *)helper, "-o", opts, target, NULL };
	log_debug("[starter] mount fuse-overlayfs on %s: %s -o %s %s", target_name, helper, opts, target);

	pid_t pid = fork();
	if (pid < 0)
		die_errno("fork");
	if (pid == 0) {
		/* Its daemon stays behind and chats on stderr about mount options
		 * it ignores; the user's terminal is not for that, unless --debug.
		 * A failed mount is reported below. */
		if (!log_enabled(LOG_LEVEL_DEBUG)) {
			int null = open("/dev/null", O_RDWR | O_CLOEXEC);
			if (null < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
				_exit(127);
		}
		for (size_t i = 0; i < n_lowers; i++)
			keep_open(lower_fds[i]);
		keep_open(upper_fd);
		keep_open(work_fd);
		keep_open(target_fd);
		char *envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
		execve(helper, argv, envp);
		die_errno("exec %s", helper);
	}
	/* fuse-overlayfs goes to the background once its mount is in place;
	 * its first process exits 0 then. */
	int status;
	while (waitpid(pid, &status, 0) < 0)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die("fuse-overlayfs failed to mount %s (is /dev/fuse usable by you?)", target_name);
}
