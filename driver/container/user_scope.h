#ifndef OCHRE_USER_SCOPE_H
#define OCHRE_USER_SCOPE_H

#include "../util/error.h"

/* A user who asked for limits on a cgroup v2 host, from a login session
 * (ssh, su -l) whose scope is root's: ochre runs again, as it was called
 * (argv), inside a transient scope of the user's systemd manager
 * (systemd-run --user --scope), in the subtree systemd delegates to the
 * user, where the container's cgroup can then be made. Returns 0 when
 * there is nothing to do (root, cgroup v1, a cgroup already the user's, or
 * elsewhere: cgroup_plan_make says why not); does not return when it runs
 * ochre again; -1 with err when the user has no systemd manager to ask. */
int user_scope_enter(char **argv, struct error *err);

#endif
