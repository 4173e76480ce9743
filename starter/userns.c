#define _GNU_SOURCE
#include "userns.h"

#include "../common/log.h"
#include "die.h"
#include "supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

void userns_die_refused(const char *call)
{
	/* EPERM: Debian's kernel.unprivileged_userns_clone = 0, an LSM (Ubuntu's
	 * AppArmor restriction), or seccomp; ENOSPC: user.max_user_namespaces. */
	if (errno == EPERM || errno == ENOSPC)
		die("cannot create a user namespace (%s: %m): this host does not let users create them; "
		    "ochre then needs the setuid-root ochre-starter (an administrator's install, see SECURITY.md), "
		    "without --userns",
		    call);
	die_errno("create namespaces (%s)", call);
}

/* All ids the caller's (their groups are ours already: a setuid exec
 * keeps them), so no capability is left and the kernel judges the
 * caller. Nothing else is done here. */
static void try_userns_as_caller(const void *unused)
{
	(void)unused;
	gid_t gid = getgid();
	uid_t uid = getuid();
	if (setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		_exit(2);
	_exit(unshare(CLONE_NEWUSER) == 0 ? 0 : 1);
}

bool userns_caller_may_create(void)
{
	bool may = run_child(try_userns_as_caller, NULL) == 0;
	log_debug("[starter] may the caller create a user namespace? %s", may ? "yes" : "no");
	return may;
}

static void write_proc_file(pid_t pid, const char *name, const char *content)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
	log_debug("[starter] write '%s' to %s", content, path);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		die_errno("open %s", path);
	size_t len = strlen(content);
	if (write(fd, content, len) != (ssize_t)len)
		die_errno("write %s", path);
	close(fd);
}

static void run_idmap_helper(const char *helper, pid_t pid, unsigned long own_id, const struct id_range *ranges,
			     size_t n_ranges)
{
	/* argv: helper PID 0 OWN 1 (IN OUT COUNT)... */
	char nums[3 + 3 * REQUEST_MAX_ID_RANGES + 1][24];
	char *argv[3 + 3 + 3 * REQUEST_MAX_ID_RANGES + 1];
	size_t n = 0, k = 0;
	argv[n++] = (char *)helper;
#define ADD_NUM(v) (snprintf(nums[k], sizeof nums[k], "%lu", (unsigned long)(v)), argv[n++] = nums[k++])
	ADD_NUM(pid);
	ADD_NUM(0);
	ADD_NUM(own_id);
	ADD_NUM(1);
	for (size_t i = 0; i < n_ranges; i++) {
		ADD_NUM(ranges[i].inside);
		ADD_NUM(ranges[i].outside);
		ADD_NUM(ranges[i].count);
	}
#undef ADD_NUM
	argv[n] = NULL;
	log_debug_argv("[starter] run", argv);

	if (run_helper(&(struct helper){ .path = helper, .argv = argv }) != 0)
		die("%s failed: the caller's /etc/subuid or /etc/subgid ranges were refused", helper);
}

void userns_write_maps(pid_t child, const struct starter_request *req)
{
	char line[64];
	unsigned long uid = (unsigned long)getuid(), gid = (unsigned long)getgid();

	if (req->n_uid_ranges) {
		run_idmap_helper(req->newuidmap, child, uid, req->uid_ranges, req->n_uid_ranges);
	} else {
		snprintf(line, sizeof line, "0 %lu 1", uid);
		write_proc_file(child, "uid_map", line);
	}
	if (req->n_gid_ranges) {
		run_idmap_helper(req->newgidmap, child, gid, req->gid_ranges, req->n_gid_ranges);
	} else {
		/* An unprivileged process may map its own gid only after giving
		 * up setgroups(2) in the namespace (user_namespaces(7)). */
		write_proc_file(child, "setgroups", "deny");
		snprintf(line, sizeof line, "0 %lu 1", gid);
		write_proc_file(child, "gid_map", line);
	}
}

/* "INSIDE OWN 1" and then each range, one per line: one write, as the
 * kernel wants. */
static void format_map(char *buf, size_t len, unsigned long inside, unsigned long own, const struct id_range *r,
		       size_t n)
{
	size_t used = (size_t)snprintf(buf, len, "%lu %lu 1\n", inside, own);
	for (size_t i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%lu %lu %lu\n", r[i].inside, r[i].outside,
					 r[i].count);
}

void userns_write_maps_as_root(pid_t child, const struct starter_request *req, uid_t uid, gid_t gid)
{
	char map[64 * (REQUEST_MAX_ID_RANGES + 1)];
	bool self = req->caller_ids_self;
	format_map(map, sizeof map, self ? uid : 0, (unsigned long)uid, req->uid_ranges, req->n_uid_ranges);
	write_proc_file(child, "uid_map", map);
	/* With setgroups allowed, root of the namespace may shed the caller's
	 * supplementary groups (unmapped there, yet still checked by the
	 * host) and so get around a group-denied file (mode 0604, say).
	 * Denied without gid ranges, as for an unprivileged map, and with
	 * 'caller-ids self', where the namespace is the container's and only
	 * the runtime's own choice of groups would need it (the caller's
	 * stay). With ranges and no 'caller-ids self' (--fakeroot) it stays
	 * allowed, as newgidmap leaves it for ranges the site gave: a
	 * container's root may then set groups (apt, su), as with rootless
	 * podman (SECURITY.md). */
	if (!req->n_gid_ranges || self)
		write_proc_file(child, "setgroups", "deny");
	format_map(map, sizeof map, self ? gid : 0, (unsigned long)gid, req->gid_ranges, req->n_gid_ranges);
	write_proc_file(child, "gid_map", map);
}

static void write_self(const char *name, const char *content)
{
	write_proc_file(getpid(), name, content);
}

void userns_enter_as_self(void)
{
	unsigned long uid = (unsigned long)getuid(), gid = (unsigned long)getgid();
	char line[64];
	log_debug("[starter] create namespaces: user (you -> you), mount");
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
		userns_die_refused("unshare");
	/* /proc/self/{uid,gid}_map belong to root while we are not dumpable; we hold
	 * nothing the caller lacks, so open them up for these writes only. */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
		die_errno("prctl(PR_SET_DUMPABLE)");
	write_self("setgroups", "deny");
	snprintf(line, sizeof line, "%lu %lu 1", uid, uid);
	write_self("uid_map", line);
	snprintf(line, sizeof line, "%lu %lu 1", gid, gid);
	write_self("gid_map", line);
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		die_errno("prctl(PR_SET_DUMPABLE)");
}
