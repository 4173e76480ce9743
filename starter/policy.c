#define _GNU_SOURCE
#include "policy.h"

#include "../common/group_file.h"
#include "../common/log.h"
#include "../common/path.h"
#include "../common/subid.h"
#include "../common/system_tool.h"
#include "die.h"
#include "safe_open.h"
#include "userns.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef OCHRE_SYSCONFDIR
#define OCHRE_SYSCONFDIR "/usr/local/etc"
#endif
#define CONFIG_PATH OCHRE_SYSCONFDIR "/ochre/ochre.conf"

static void check_trusted(const struct stat *st, const char *path, const char *what)
{
	if (st->st_uid != 0)
		die("%s: '%s' is not owned by root; refusing", what, path);
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		die("%s: '%s' is writable by group or others; refusing", what, path);
}

int policy_open_trusted(const char *path, const char *what, int read, struct stat *st)
{
	if (path[0] != '/')
		die("%s: '%s' is not an absolute path", what, path);
	int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, st) < 0)
		die_errno("%s: open /", what);
	check_trusted(st, "/", what);
	char prefix[4096];
	size_t plen = 0;
	for (const char *p = path + 1; *p;) {
		size_t len = strcspn(p, "/");
		if (len == 0 || plen + len + 2 > sizeof prefix)
			die("%s: bad path '%s'", what, path);
		char name[256];
		if (len >= sizeof name)
			die("%s: bad path '%s'", what, path);
		memcpy(name, p, len);
		name[len] = '\0';
		prefix[plen++] = '/';
		memcpy(prefix + plen, p, len);
		plen += len;
		prefix[plen] = '\0';
		p += len;
		while (*p == '/')
			p++;
		bool last = *p == '\0';
		int flags = O_NOFOLLOW | O_CLOEXEC | (last && read ? O_RDONLY : O_PATH);
		int next = openat(fd, name, flags);
		if (next < 0)
			die_errno("%s: '%s'", what, prefix);
		close(fd);
		fd = next;
		if (fstat(fd, st) < 0)
			die_errno("%s: '%s'", what, prefix);
		if (S_ISLNK(st->st_mode))
			die("%s: '%s' is a symlink; refusing", what, prefix);
		check_trusted(st, prefix, what);
	}
	return fd;
}

void policy_load(struct ochre_config *cfg)
{
	struct stat st;
	int fd = policy_open_trusted(CONFIG_PATH, "admin config", 1, &st);
	if (!S_ISREG(st.st_mode) || st.st_size > CONFIG_MAX_BYTES)
		die("admin config '%s' is not a regular file of at most %d bytes", CONFIG_PATH, CONFIG_MAX_BYTES);
	static char text[CONFIG_MAX_BYTES + 1];
	size_t len = 0;
	ssize_t n;
	while ((n = read(fd, text + len, sizeof text - 1 - len)) > 0)
		len += (size_t)n;
	if (n < 0)
		die_errno("read admin config '%s'", CONFIG_PATH);
	close(fd);
	text[len] = '\0';
	char err[512];
	config_init(cfg);
	if (config_parse(CONFIG_PATH, text, len, cfg, err, sizeof err) < 0)
		die("%s", err);
	if (!cfg->allow_setuid)
		die("the administrator disabled the setuid starter ('allow setuid = no' in %s)", CONFIG_PATH);
	log_debug("[starter] setuid mode: policy from %s", CONFIG_PATH);
}

static void check_limit_paths(const struct ochre_config *cfg, const char *what, const char *path)
{
	if (cfg->limit_paths.n == 0)
		return;
	for (size_t i = 0; i < cfg->limit_paths.n; i++)
		if (path_within(path, cfg->limit_paths.v[i]))
			return;
	die("%s '%s' is outside the paths the administrator allows ('limit container paths')", what, path);
}

/* The request's ranges against FILE (subid_ranges_first_refused). */
static void check_ranges(const char *file, unsigned long id, unsigned long own_inside, const struct id_range *r,
			 size_t n)
{
	size_t bad = subid_ranges_first_refused(file, id, own_inside, r, n);
	if (bad < n)
		die("id range %lu %lu %lu is not yours in %s; refusing", r[bad].inside, r[bad].outside, r[bad].count,
		    file);
}

/* The payloads a request may name: the config's 'crun path', 'runc path'
 * and 'conmon path', or where one is unset, the system directory the
 * driver's search finds it in (common/system_tool.h); each as written and
 * as its real path, which the driver sends. */
static bool payload_configured(const struct ochre_config *cfg, const char *payload)
{
	const struct {
		const char *name, *configured;
	} tools[] = {
		{ "crun", cfg->runtime_path[RUNTIME_CRUN] },
		{ "runc", cfg->runtime_path[RUNTIME_RUNC] },
		{ "conmon", cfg->conmon_path },
	};
	for (size_t i = 0; i < sizeof tools / sizeof tools[0]; i++) {
		char found[PATH_MAX], real[PATH_MAX];
		const char *path = tools[i].configured;
		if (!path && !system_tool_search(tools[i].name, found, sizeof found))
			continue;
		if (!path)
			path = found;
		if (strcmp(payload, path) == 0 || (realpath(path, real) && strcmp(payload, real) == 0))
			return true;
	}
	return false;
}

/* The payload runs after the drop, but in the namespaces the starter
 * built with privilege: only the site's runtimes and conmon may. The name
 * is compared first, without a lookup, so that what is refused says
 * nothing of what exists where the caller cannot look (/root/...); only
 * a configured path is then walked, as root, for root's ownership. */
static void check_payload(const struct ochre_config *cfg, const char *payload)
{
	if (!payload_configured(cfg, payload))
		die("payload '%s' is not a runtime or conmon the administrator configured ('crun path', "
		    "'runc path', 'conmon path' in %s, or found in the system directories); refusing",
		    payload, CONFIG_PATH);
	struct stat st;
	close(policy_open_trusted(payload, "payload", 0, &st));
	if (!S_ISREG(st.st_mode) || !(st.st_mode & S_IXUSR))
		die("payload '%s' is not an executable file", payload);
}

/* newuidmap and newgidmap run as the caller, after the drop ('userns
 * yes'); still, only the system's own, at the paths the driver uses. */
static void check_idmap_helpers(const struct starter_request *req)
{
	if (req->newuidmap && !system_idmap_helper_known(req->newuidmap, 0))
		die("newuidmap '%s' is not the system's (/usr/bin/newuidmap or /bin/newuidmap); refusing",
		    req->newuidmap);
	if (req->newgidmap && !system_idmap_helper_known(req->newgidmap, 1))
		die("newgidmap '%s' is not the system's (/usr/bin/newgidmap or /bin/newgidmap); refusing",
		    req->newgidmap);
}

/* Is the caller in group name (of /etc/group, read directly): their real
 * gid or one of their supplementary groups, which a setuid exec keeps? */
static bool caller_in_group(const char *name)
{
	unsigned long gid;
	if (!group_file_gid("/etc/group", name, &gid))
		return false;
	if ((unsigned long)getgid() == gid)
		return true;
	gid_t groups[NGROUPS_MAX];
	int n = getgroups(NGROUPS_MAX, groups);
	for (int i = 0; i < n; i++)
		if ((unsigned long)groups[i] == gid)
			return true;
	return false;
}

/* Has the caller an /etc/subuid and an /etc/subgid entry? */
static bool caller_has_subids(void)
{
	char name[256];
	unsigned long uid = (unsigned long)getuid(), start, count;
	const char *named = passwd_file_lookup(NULL, uid, name, sizeof name) ? name : NULL;
	return subid_lookup("/etc/subuid", named, uid, &start, &count) &&
	       subid_lookup("/etc/subgid", named, uid, &start, &count);
}

static bool setuid_userns_rule_allows(const struct ochre_config *cfg)
{
	switch (cfg->setuid_userns) {
	case SETUID_USERNS_ANYONE:
		return true;
	case SETUID_USERNS_NOBODY:
		return false;
	case SETUID_USERNS_SUBID_USERS:
		return caller_has_subids();
	case SETUID_USERNS_GROUP:
		return caller_in_group(cfg->setuid_userns_group);
	default:
		die("unexpected 'allow setuid userns' rule %d", (int)cfg->setuid_userns);
	}
}

/* 'allow setuid userns': the setuid starter makes the container's user
 * namespace as root, which works where the host lets no user make one
 * (kernel.unprivileged_userns_clone = 0, ...): there, it is the
 * administrator's rule that decides who gets one. Where the caller could
 * make one themselves, ours gives them nothing new, and the rule is moot. */
static void check_setuid_userns(const struct ochre_config *cfg)
{
	if (setuid_userns_rule_allows(cfg) || userns_caller_may_create())
		return;
	char why[320];
	if (cfg->setuid_userns == SETUID_USERNS_GROUP)
		snprintf(why, sizeof why, "only to members of group '%s'", cfg->setuid_userns_group);
	else
		snprintf(why, sizeof why, "%s",
			 cfg->setuid_userns == SETUID_USERNS_NOBODY
				 ? "to nobody"
				 : "only to users with subordinate ids (/etc/subuid and /etc/subgid)");
	die("this host lets users create no user namespace, and the administrator gives one through the "
	    "setuid starter %s ('allow setuid userns' in %s); refusing",
	    why, CONFIG_PATH);
}

/* Single-file images, served by squashfuse_ll (squashfs.h): allowed by
 * the admin, and the server theirs: 'squashfuse path', else the system
 * dirs' squashfuse_ll (the rule the driver follows too). It runs as the
 * caller, but it is started by us, so it must be one the admin chose. */
static void check_single_file_images(const struct ochre_config *cfg, const struct starter_request *req)
{
	if (!cfg->allow_sif)
		die("single-file images (SIF, squashfs) are disabled by the administrator ('allow sif = no' in %s)",
		    CONFIG_PATH);
	char found[4096], real[4096];
	const char *path = cfg->squashfuse_path;
	if (!path && system_tool_search("squashfuse_ll", found, sizeof found))
		path = found;
	if (!path ||
	    (strcmp(req->squashfuse, path) != 0 && !(realpath(path, real) && strcmp(req->squashfuse, real) == 0)))
		die("squashfuse '%s' is not the one the administrator configured ('squashfuse path' in %s)",
		    req->squashfuse, CONFIG_PATH);
	struct stat st;
	close(policy_open_trusted(req->squashfuse, "squashfuse", 0, &st));
	if (!S_ISREG(st.st_mode) || !(st.st_mode & S_IXUSR))
		die("squashfuse '%s' is not an executable file", req->squashfuse);
}

/* What only a run with privilege needs ('userns yes' drops it before
 * anything is made: what follows is what the caller could do anyway). */
static void check_privileged_run(const struct ochre_config *cfg, const struct starter_request *req)
{
	check_setuid_userns(cfg);
	/* Privileged, the starter mounts with kernel overlay only (the driver
	 * asks for nothing else): no helper the request names runs as root of
	 * the namespace, or as host root, in the middle of it. */
	if (req->fuse_overlayfs || req->overlay == REQUEST_OVERLAY_FUSE)
		die("fuse-overlayfs is for user-namespace mode (ochre exec --userns): a setuid starter mounts "
		    "with kernel overlay only; refusing");
}

void policy_check_request(const struct ochre_config *cfg, struct starter_request *req)
{
	check_payload(cfg, req->payload);
	check_idmap_helpers(req);
	if (req->mode != REQUEST_MODE_RUN)
		return;
	if (!req->force_userns)
		check_privileged_run(cfg, req);
	/* Overlay looks into its layers with its mounter's credentials, ours:
	 * a layer of the caller's stacked over another (an --overlay dir, a
	 * persistent upper) could show, through a directory the caller made
	 * permissive, what the layer below keeps from them. So with privilege
	 * the only layers are the image, a fresh tmpfs upper and the checked
	 * mount point layer below; overlays need user-namespace mode, or
	 * 'caller-ids self', where the namespace's root mounts them (main.c). */
	if ((req->n_lowers > 1 || req->upper) && !req->force_userns && !req->caller_ids_self)
		die("--overlay needs user-namespace mode (ochre exec --userns) or subordinate ids: with a setuid "
		    "starter only the image itself is stacked as root");
	for (size_t i = 0; i < req->n_lowers; i++)
		check_limit_paths(cfg, "image", req->lowers[i]);
	if (req->squashfuse)
		check_single_file_images(cfg, req);
	if (req->upper) {
		if (!cfg->allow_user_overlay)
			die("writable overlays are disabled by the administrator ('allow user overlay = no')");
		check_limit_paths(cfg, "overlay", req->upper);
	}
	bool self = req->caller_ids_self;
	check_ranges("/etc/subuid", getuid(), self ? getuid() : 0, req->uid_ranges, req->n_uid_ranges);
	check_ranges("/etc/subgid", getuid(), self ? getgid() : 0, req->gid_ranges, req->n_gid_ranges);
	if (req->tmpfs_size > cfg->tmpfs_size)
		req->tmpfs_size = cfg->tmpfs_size;
}

static bool owner_allowed(const struct ochre_config *cfg, uid_t owner)
{
	for (size_t i = 0; i < cfg->limit_owners.n; i++)
		if (passwd_owner_matches(cfg->limit_owners.v[i], owner))
			return true;
	return false;
}

/* The longest 'limit container paths' entry path is within (the request
 * was checked against them), or NULL without the directive. */
static const char *image_prefix(const struct ochre_config *cfg, const char *path)
{
	const char *best = NULL;
	for (size_t i = 0; i < cfg->limit_paths.n; i++)
		if (path_within(path, cfg->limit_paths.v[i]) && (!best || strlen(cfg->limit_paths.v[i]) > strlen(best)))
			best = cfg->limit_paths.v[i];
	return best;
}

/* A directory between the prefix and the image root: whoever may rename
 * or replace what is in it decides what the image path holds, so it must
 * be root's or an allowed owner's, and writable by nobody else. */
static void check_image_parent(const struct ochre_config *cfg, const char *image, int len, const struct stat *st)
{
	if (st->st_uid != 0 && !owner_allowed(cfg, st->st_uid))
		die("image '%s': directory '%.*s' above it is owned by uid %lu, not root or an owner the "
		    "administrator allows ('limit container owners')",
		    image, len, image, (unsigned long)st->st_uid);
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		die("image '%s': directory '%.*s' above it is writable by group or others ('limit container "
		    "owners'); refusing",
		    image, len, image);
}

/* The image root: an allowed owner's, and not a shared directory (group
 * or other writable, or sticky like /tmp) where others put what they like
 * under a root-owned top. */
static void check_image_root(const struct ochre_config *cfg, const char *image, const struct stat *st)
{
	if (!owner_allowed(cfg, st->st_uid))
		die("image '%s' is owned by uid %lu, not by an owner the administrator allows ('limit container "
		    "owners')",
		    image, (unsigned long)st->st_uid);
	if (st->st_mode & (S_IWGRP | S_IWOTH | S_ISVTX))
		die("image '%s' is writable by group or others, or sticky: not its owner's alone ('limit container "
		    "owners'); refusing",
		    image);
}

void policy_check_image_path(const struct ochre_config *cfg, const char *path, struct stat *st)
{
	const char *prefix = image_prefix(cfg, path);
	/* Without 'limit container paths' only the image root is checked. */
	size_t done = prefix ? (strcmp(prefix, "/") == 0 ? 0 : strlen(prefix)) : strlen(path);
	char start[4096];
	if (done >= sizeof start)
		die("image rootfs '%s': path too long", path);
	snprintf(start, sizeof start, "%.*s", done ? (int)done : 1, done ? path : "/");
	int fd = open_dir_nofollow(start);
	if (fd < 0 || fstat(fd, st) < 0)
		die_errno("image rootfs '%s': '%s'", path, start);
	for (const char *p = path + done; *p;) {
		p++; /* the '/' (a clean path: exactly one) */
		size_t len = strcspn(p, "/");
		char name[256];
		if (len >= sizeof name)
			die("image rootfs '%s': a name is too long", path);
		memcpy(name, p, len);
		name[len] = '\0';
		p += len;
		/* The last may be a single-file image (open_lowers checks its
		 * type), not a symlink. */
		int dir = *p ? O_DIRECTORY : 0;
		int next = openat(fd, name, O_PATH | dir | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 || fstat(next, st) < 0)
			die_errno("image '%s': '%.*s'", path, (int)(p - path), path);
		if (S_ISLNK(st->st_mode))
			die("image '%s' is a symbolic link; refusing", path);
		close(fd);
		fd = next;
		if (*p)
			check_image_parent(cfg, path, (int)(p - path), st);
	}
	close(fd);
	check_image_root(cfg, path, st);
}
