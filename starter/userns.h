#ifndef OCHRE_STARTER_USERNS_H
#define OCHRE_STARTER_USERNS_H

#include "../common/request.h"

#include <stdbool.h>
#include <stdnoreturn.h>
#include <sys/types.h>

/* clone/unshare with CLONE_NEWUSER failed (errno): say so, naming the host
 * restriction when that is the cause, and exit. */
noreturn void userns_die_refused(const char *call);

/* Setuid mode, before any privileged act: could the caller create a user
 * namespace without us? A child drops to the caller's ids for good and
 * tries; the host's own rule answers (a sysctl, an LSM, a seccomp filter
 * the caller runs under). */
bool userns_caller_may_create(void);

/* Write the id maps of child's new ("outer") user namespace, from outside
 * it: the caller's uid/gid become 0, and the request's subordinate ranges
 * (which runc needs to map a container root) go through newuidmap and
 * newgidmap, the setuid helpers that check them against /etc/subuid. */
void userns_write_maps(pid_t child, const struct starter_request *req);

/* Setuid mode: the same maps, written directly by the root parent after
 * the policy checked the ranges against /etc/subuid and /etc/subgid; with
 * 'caller-ids self' the caller's ids map to themselves instead of to 0
 * (and a range gives the namespace its root). */
void userns_write_maps_as_root(pid_t child, const struct starter_request *req, uid_t uid, gid_t gid);

/* Enter mode: unshare a user namespace in which the caller keeps their own
 * uid and gid (single mappings, as an unprivileged process may write for
 * itself), so that a runtime exec'd after it runs as the caller, rootless,
 * exactly as the caller's bundle expects. */
void userns_enter_as_self(void);

#endif
