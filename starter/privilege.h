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

/* Filesystem ids. Setuid mode: the caller's are the default from
 * harden_process() on, so that the kernel checks every path the starter
 * opens as the caller's; root's (of the user namespace the process is in)
 * are taken only for the statements in WITH_ROOT_FS_IDS(...): mounting
 * (overlay keeps its mounter's credentials; the upper tmpfs is root's,
 * 0700, and its dirs are made and chowned there), reading the admin's
 * files, the submount check's walk of mount points, and writing the id
 * maps (the init's /proc files are root's). Scopes do not nest. In the
 * other modes the two are the same ids, and nothing changes. */
void privilege_fs_as_caller(void);
void privilege_fs_as_root(void);
#define WITH_ROOT_FS_IDS(...)             \
	do {                              \
		privilege_fs_as_root();   \
		__VA_ARGS__;              \
		privilege_fs_as_caller(); \
	} while (0)

/* The marked end of host privilege in this process: from here on it has
 * none (dropped for good, or only a user namespace's), and the lines held
 * while it had (log_hold_begin) go out. */
void privilege_end_of_host_privilege(void);

/* Clear every capability set (ambient too) and check they are empty. */
void privilege_clear_capabilities(void);

/* setresgid/setresuid to the caller, every capability set cleared, and
 * checked: the ids are the caller's and neither setuid(0) nor a capability
 * can be had back. */
void privilege_drop_for_good(void);

/* In the user namespace the starter created (mapped by its root parent):
 * take euid 0 there, and check in the maps who the caller is; the
 * caller's filesystem ids stay the default. Without
 * caller_ids_self, root there is the caller outside. With it, the caller
 * keeps their own ids inside, root is a subordinate id, and we keep the
 * caller's real and saved ids (see privilege.c). */
void privilege_become_namespace_root(uid_t caller_uid, gid_t caller_gid, bool caller_ids_self);

/* All ids 0 of the namespace (the runtime's, with caller_ids_self): an
 * exec with real and effective ids that differ would be a secure exec,
 * which clears PDEATHSIG. */
void privilege_become_namespace_root_fully(void);

#endif
