#define _GNU_SOURCE
#include "fuse_overlay.h"

#include "../common/log.h"
#include "../common/request.h"
#include "die.h"
#include "supervise.h"

#include <stdio.h>

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

	/* Its daemon stays behind and chats on stderr about mount options it
	 * ignores: quiet, unless --debug (a failed mount is reported below).
	 * The fds must survive the exec: fuse-overlayfs opens the paths we
	 * give it (/proc/self/fd/N), which resolve to our checked directories.
	 * It goes to the background once its mount is in place, and its first
	 * process exits 0 then. */
	int keep[REQUEST_MAX_LOWERS + 4];
	size_t n_keep = 0;
	for (size_t i = 0; i < n_lowers; i++)
		keep[n_keep++] = lower_fds[i];
	keep[n_keep++] = upper_fd;
	keep[n_keep++] = work_fd;
	keep[n_keep++] = target_fd;
	struct helper h = { .path = helper, .argv = argv, .keep = keep, .n_keep = n_keep, .quiet = true };
	if (run_helper(&h) != 0)
		die("fuse-overlayfs failed to mount %s (is /dev/fuse usable by you?)", target_name);
}
