#define _GNU_SOURCE
#include "privilege.h"

#include "../common/log.h"
#include "die.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <sys/auxv.h>
#include <sys/capability.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <unistd.h>

bool privilege_setuid_mode(void)
{
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;
	if (getresuid(&ruid, &euid, &suid) < 0 || getresgid(&rgid, &egid, &sgid) < 0)
		die_errno("getresuid");
	if (!getauxval(AT_SECURE))
		return false;
	if (euid != 0 || rgid != egid)
		die("ochre-starter supports a setuid-root install only (not setgid, not file capabilities)");
	return ruid != 0;
}

/* Both keep errno: WITH_ROOT_FS_IDS wraps calls whose errno is read after. */
void privilege_fs_as_caller(void)
{
	int saved = errno;
	/* setfsuid cannot fail loudly: check the result with a second call. */
	setfsgid(getgid());
	setfsuid(getuid());
	if ((uid_t)setfsuid((uid_t)-1) != getuid() || (gid_t)setfsgid((gid_t)-1) != getgid())
		die("cannot take the caller's filesystem ids");
	errno = saved;
}

void privilege_fs_as_root(void)
{
	if (getuid() != 0 && setfsuid((uid_t)-1) == 0)
		die("root's filesystem ids taken twice (WITH_ROOT_FS_IDS does not nest)");
	int saved = errno;
	setfsuid(0);
	setfsgid(0);
	if (setfsuid((uid_t)-1) != 0)
		die("cannot take back root's filesystem ids");
	errno = saved;
}

void privilege_end_of_host_privilege(void)
{
	log_hold_release();
}

void privilege_clear_capabilities(void)
{
	cap_t none = cap_init();
	if (!none || cap_set_proc(none) < 0 || prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		die_errno("drop capabilities");
	cap_t have = cap_get_proc();
	if (!have || cap_compare(have, none) != 0)
		die("capabilities remain after dropping them; refusing");
	cap_free(have);
	cap_free(none);
}

/* Are our real, effective and saved uids all uid, and the gids gid? */
static bool all_ids_are(uid_t uid, gid_t gid)
{
	uid_t r, e, s;
	gid_t rg, eg, sg;
	return getresuid(&r, &e, &s) == 0 && getresgid(&rg, &eg, &sg) == 0 && r == uid && e == uid && s == uid &&
	       rg == gid && eg == gid && sg == gid;
}

void privilege_drop_for_good(void)
{
	uid_t uid = getuid();
	gid_t gid = getgid();
	log_debug("[starter] drop privileges for good: uid %lu, gid %lu", (unsigned long)uid, (unsigned long)gid);
	/* The caller's supplementary groups are already ours (a setuid exec
	 * keeps them); only the gid and uid change. */
	if (setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		die_errno("drop privileges");
	privilege_clear_capabilities();
	if (!all_ids_are(uid, gid))
		die("privileges not dropped; refusing");
	if (setuid(0) == 0 || seteuid(0) == 0 || errno != EPERM)
		die("root could be regained after dropping privileges; refusing");
}

/* The first line of /proc/self/{uid,gid}_map must map inside to outside,
 * one id: /proc/self/status shows ids of our own namespace, so the map is
 * what tells us who we are outside. */
static void check_own_map(const char *file, unsigned long want_inside, unsigned long want_outside)
{
	FILE *f = fopen(file, "re");
	unsigned long inside, outside, count;
	if (!f || fscanf(f, "%lu %lu %lu", &inside, &outside, &count) != 3 || inside != want_inside ||
	    outside != want_outside || count != 1)
		die("%s does not map %lu to the caller's %lu; refusing", file, want_inside, want_outside);
	fclose(f);
}

void privilege_become_namespace_root(uid_t caller_uid, gid_t caller_gid, bool caller_ids_self)
{
	if (!caller_ids_self) {
		/* Root of the namespace is the caller outside. */
		if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
			die_errno("become root of the user namespace");
		check_own_map("/proc/self/uid_map", 0, caller_uid);
		check_own_map("/proc/self/gid_map", 0, caller_gid);
		return;
	}
	/* Root of the namespace is a subordinate id of the caller's; our real
	 * and saved ids stay the caller's, so that the parent, dropped to the
	 * caller, may still signal us (kill(2) matches the sender's ids
	 * against the target's real and saved ones). */
	if (setresgid(caller_gid, 0, caller_gid) < 0 || setresuid(caller_uid, 0, caller_uid) < 0)
		die_errno("become root of the user namespace");
	check_own_map("/proc/self/uid_map", caller_uid, caller_uid);
	check_own_map("/proc/self/gid_map", caller_gid, caller_gid);
	privilege_fs_as_caller(); /* the default again: euid 0 set them to root's */
}

void privilege_become_namespace_root_fully(void)
{
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		die_errno("become root of the user namespace");
	if (!all_ids_are(0, 0))
		die("not all ids are root's of the user namespace; refusing");
}
