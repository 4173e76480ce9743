#define _GNU_SOURCE
#include "user_scope.h"

#include "../../common/log.h"
#include "../launch/runtime.h"
#include "../util/xalloc.h"
#include "resources.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Set for the second run, so that it never asks again. */
#define IN_SCOPE_ENV "OCHRE_IN_USER_SCOPE"

/* The user's runtime directory (where the manager's bus is), or NULL:
 * $XDG_RUNTIME_DIR, else /run/user/UID as pam_systemd sets it; su -l
 * within another session leaves the variable unset. */
static char *runtime_dir(uid_t uid)
{
	const char *env = getenv("XDG_RUNTIME_DIR");
	char *dir = env && *env == '/' ? xstrdup(env) : xasprintf("/run/user/%u", (unsigned)uid);
	char *bus = xasprintf("%s/bus", dir);
	struct stat st;
	bool ok = lstat(bus, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_uid == uid;
	free(bus);
	if (!ok) {
		free(dir);
		return NULL;
	}
	return dir;
}

int user_scope_enter(char **argv, struct error *err)
{
	if (getenv(IN_SCOPE_ENV)) {
		unsetenv(IN_SCOPE_ENV); /* not into the container */
		return 0;
	}
	uid_t uid = getuid();
	if (cgroup_caller_place(uid) != CGROUP_CALLER_LOGIN_SESSION)
		return 0;
	const char *why = "resource limits cannot be applied here: your login session's cgroup is root's";
	char *dir = runtime_dir(uid);
	if (!dir)
		return error_set(err, 0,
				 "%s, and your systemd user manager, which would give you one, is not running "
				 "(no bus in $XDG_RUNTIME_DIR or /run/user/%u; 'loginctl enable-linger' starts it)",
				 why, (unsigned)uid);
	char *run = find_system_tool(NULL, "systemd-run");
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (!run || n <= 0) {
		free(dir);
		free(run);
		return error_set(err, n <= 0 ? errno : 0, "%s, and %s", why,
				 run ? "ochre cannot find its own program" : "systemd-run is not installed");
	}
	self[n] = '\0';
	size_t argc = 0;
	while (argv[argc])
		argc++;
	/* systemd-run --scope runs the command itself, in this process, once
	 * the user's manager has moved it into the new scope (the manager asks
	 * systemd, pid 1, to move it out of the root-owned session). */
	const char *head[] = { run, "--user", "--scope", "--quiet", "--collect", "--", self };
	size_t nh = sizeof head / sizeof head[0];
	char **args = xcalloc(nh + argc + 1, sizeof *args);
	for (size_t i = 0; i < nh; i++)
		args[i] = (char *)head[i];
	for (size_t i = 1; i < argc; i++)
		args[nh + i - 1] = argv[i];
	setenv("XDG_RUNTIME_DIR", dir, 1);
	setenv(IN_SCOPE_ENV, "1", 1);
	log_debug("resource limits: into a scope of your systemd user manager, out of the login session's cgroup");
	log_debug_argv("user scope command", args);
	execv(run, args);
	int e = errno;
	unsetenv(IN_SCOPE_ENV);
	free(args);
	free(dir);
	free(run);
	return error_set(err, e, "%s, and running systemd-run failed", why);
}
