/* The setuid-root install. The starter runs with euid 0 and the caller's
 * real ids; it uses root only to mount, and to create and map the user
 * namespace, and gives it up for good before anything the caller controls
 * runs. Whatever it opens for the caller it opens with the caller's
 * filesystem ids, so the kernel's permission checks are the caller's. */
#ifndef OCHRE_STARTER_PRIVILEGE_H
#define OCHRE_STARTER_PRIVILEGE_H

#include <stdbool.h>
#include <sys/types.h>

/* Setuid root and called by a non-root user. Refuses (dies) for setgid
 * installs and file capabilities, which this version does not support. */
bool privilege_setuid_mode(void);

/* Filesystem ids: the caller's (for opening their paths) or root's. */
void privilege_fs_as_caller(void);
void privilege_fs_as_root(void);

/* Clear every capability set (ambient too) and check they are empty. */
void privilege_clear_capabilities(void);

/* setresgid/setresuid to the caller, every capability set cleared, and
 * checked: the ids are the caller's and neither setuid(0) nor a capability
 * can be had back. */
void privilege_drop_for_good(void);

/* In the user namespace the starter created (mapped by its root parent):
 * take euid 0 there, and check in the maps who the caller is. Without
 * caller_ids_self, root there is the caller outside. With it, the caller
 * keeps their own ids inside, root is a subordinate id, and we keep the
 * caller's real and saved ids (see privilege.c). */
void privilege_become_namespace_root(uid_t caller_uid, gid_t caller_gid, bool caller_ids_self);

/* All ids 0 of the namespace (the runtime's, with caller_ids_self): an
 * exec with real and effective ids that differ would be a secure exec,
 * which clears PDEATHSIG. */
void privilege_become_namespace_root_fully(void);

#endif
