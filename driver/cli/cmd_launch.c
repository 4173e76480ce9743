#define _GNU_SOURCE
#include "cmd_launch.h"

#include "../../common/log.h"
#include "../../common/request.h"
#include "../../common/subid.h"
#include "../../common/system_tool.h"
#include "../container/container.h"
#include "../container/launch_options.h"
#include "../container/process.h"
#include "../container/spec.h"
#include "../container/user_scope.h"
#include "../launch/image.h"
#include "../launch/launch.h"
#include "../launch/runtime.h"
#include "../launch/session.h"
#include "../util/xalloc.h"

#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef OCHRE_SYSCONFDIR
#define OCHRE_SYSCONFDIR "/usr/local/etc"
#endif

/* The caller's ranges in /etc/subuid and /etc/subgid: true when they have
 * both. *name is their user name (or NULL). */
static bool caller_subids(const char **name, struct id_range *u, struct id_range *g)
{
	struct passwd *pw = getpwuid(getuid());
	*name = pw ? pw->pw_name : NULL;
	return subid_lookup("/etc/subuid", *name, getuid(), &u->outside, &u->count) &&
	       subid_lookup("/etc/subgid", *name, getuid(), &g->outside, &g->count);
}

/* runc cannot run a rootless container whose root is unmapped, so it needs
 * one subordinate uid and gid (from /etc/subuid, /etc/subgid) for it. */
static int add_subordinate_ids(struct starter_request *req, struct error *err)
{
	const char *name;
	struct id_range u = { .inside = 1 }, g = { .inside = 1 };
	if (!caller_subids(&name, &u, &g))
		return error_set(err, 0,
				 "runc needs subordinate ids for rootless use: add a range for '%s' to "
				 "/etc/subuid and /etc/subgid, or use --runtime crun",
				 name ? name : "you");
	/* At fixed paths only: the setuid starter accepts no others. */
	for (size_t i = 0; system_idmap_helpers[i][0]; i++) {
		if (access(system_idmap_helpers[i][0], X_OK) == 0 && access(system_idmap_helpers[i][1], X_OK) == 0) {
			req->newuidmap = system_idmap_helpers[i][0];
			req->newgidmap = system_idmap_helpers[i][1];
			break;
		}
	}
	if (!req->newuidmap)
		return error_set(err, 0, "runc needs newuidmap and newgidmap (Debian package uidmap)");
	req->uid_ranges[0] = u;
	req->gid_ranges[0] = g;
	req->n_uid_ranges = req->n_gid_ranges = 1;
	return 0;
}

/* Can an unprivileged process create a user namespace here? Hosts with
 * Debian's kernel.unprivileged_userns_clone = 0, Ubuntu's AppArmor
 * restriction, or user.max_user_namespaces = 0 say no. Asked only where a
 * launch would depend on it (a fork: not on every launch's path). */
static bool users_may_create_user_namespaces(void)
{
	pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid == 0)
		_exit(0);
	if (pid < 0)
		return false;
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return true;
}

/* Setuid mode: the starter's user namespace becomes the container's (see
 * spec.h), which is what works on hosts that let no user create one. With
 * --fakeroot, the caller is its root (plus their subordinate ranges);
 * otherwise the caller keeps their own ids and its root, which runs the
 * runtime, is the caller's first subordinate id. Without subordinate ids,
 * the runtime nests a user namespace of its own, where the host allows. */
static int plan_setuid_ids(const struct container *c, enum runtime_kind rt, struct starter_request *req,
			   struct spec_params *sp, struct error *err)
{
	struct error none = { .msg = "" };
	bool have_subids = add_subordinate_ids(req, &none) == 0;
	if (c->fakeroot) {
		if (have_subids)
			sp->subids = req->uid_ranges[0].count < req->gid_ranges[0].count ? req->uid_ranges[0].count
											 : req->gid_ranges[0].count;
		sp->in_starter_userns = true;
		return 0;
	}
	if (have_subids) {
		req->uid_ranges[0] =
			(struct id_range){ .inside = 0, .outside = req->uid_ranges[0].outside, .count = 1 };
		req->gid_ranges[0] =
			(struct id_range){ .inside = 0, .outside = req->gid_ranges[0].outside, .count = 1 };
		req->caller_ids_self = true;
		sp->in_starter_userns = true;
		return 0;
	}
	log_debug("setuid mode without subordinate ids (%s): the runtime makes its own user namespace", none.msg);
	if (!users_may_create_user_namespaces())
		return error_set(err, 0,
				 "this host does not let users create user namespaces, so ochre's setuid starter "
				 "needs subordinate ids for you: ask the administrator for a range in /etc/subuid "
				 "and /etc/subgid, or use --fakeroot");
	if (rt == RUNTIME_RUNC)
		return add_subordinate_ids(req, err);
	return 0;
}

/* The subordinate ids to map, if any: runc needs one for container root;
 * --fakeroot maps the whole range when the caller has one (and just
 * itself, as root, when not). */
static int plan_id_ranges(const struct container *c, enum runtime_kind rt, bool setuid_mode,
			  struct starter_request *req, struct spec_params *sp, struct error *err)
{
	if (!c->rootless)
		return 0;
	if (setuid_mode)
		return plan_setuid_ids(c, rt, req, sp, err);
	if (c->fakeroot) {
		struct error none = { .msg = "" };
		if (add_subordinate_ids(req, &none) < 0) {
			log_debug("--fakeroot without subordinate ids (%s): mapping only root", none.msg);
			return 0;
		}
		sp->subids = req->uid_ranges[0].count < req->gid_ranges[0].count ? req->uid_ranges[0].count
										 : req->gid_ranges[0].count;
		return 0;
	}
	if (rt != RUNTIME_RUNC)
		return 0;
	if (add_subordinate_ids(req, err) < 0)
		return -1;
	sp->map_container_root = true;
	return 0;
}

/* The image's User for a non-root caller (as SingularityCE's OCI mode):
 * in user-namespace mode with subordinate ids, a nested mapping makes the
 * caller that user inside (files they write in binds stay theirs) and
 * keeps the image's other owners. Else a warning: the container runs as
 * the caller. */
static int take_image_user(struct container *c, enum runtime_kind rt, bool setuid_mode, struct starter_request *req,
			   struct spec_params *sp, struct error *err)
{
	struct process *p = &c->proc;
	/* User root would be --fakeroot, which the caller asks for, or not. */
	if (!p->image_user || c->fakeroot || p->image_uid == p->uid || p->image_uid == 0)
		return 0;
	if (setuid_mode) {
		/* The starter's namespace keeps the caller's ids only with
		 * subordinate ids ('caller-ids self'); the runtime nests one
		 * more there, the image's User mapped to the caller. */
		if (!req->caller_ids_self || rt == RUNTIME_RUNC) {
			/* runc insists on a mapped root, which this namespace has
			 * none to spare for. */
			log_warn("the image's User (%lu:%lu) is taken in setuid mode only with subordinate ids "
				 "(/etc/subuid, /etc/subgid) and crun: the container runs as you",
				 (unsigned long)p->image_uid, (unsigned long)p->image_gid);
			return 0;
		}
		log_debug("the image's User: %lu:%lu, you mapped to it in a nested user namespace",
			  (unsigned long)p->image_uid, (unsigned long)p->image_gid);
		p->uid = p->image_uid;
		p->gid = p->image_gid;
		c->image_user = true;
		mount_list_tmpfs_owner(&c->mounts, p->uid, p->gid);
		sp->nested_in_starter_userns = true;
		return 0;
	}
	if (!req->n_uid_ranges) {
		struct error none = { .msg = "" };
		if (add_subordinate_ids(req, &none) < 0) {
			log_warn("the image's User (%lu:%lu) needs subordinate ids (/etc/subuid, /etc/subgid) to be "
				 "taken: the container runs as you",
				 (unsigned long)p->image_uid, (unsigned long)p->image_gid);
			return 0;
		}
	}
	unsigned long n = req->uid_ranges[0].count < req->gid_ranges[0].count ? req->uid_ranges[0].count
									      : req->gid_ranges[0].count;
	if (p->image_uid > n || p->image_gid > n)
		return error_set(err, 0,
				 "the image's User %lu:%lu lies beyond your %lu subordinate ids: ask for a larger "
				 "range, or use --fakeroot",
				 (unsigned long)p->image_uid, (unsigned long)p->image_gid, n);
	log_debug("the image's User: %lu:%lu, you mapped to it in a nested user namespace", (unsigned long)p->image_uid,
		  (unsigned long)p->image_gid);
	p->uid = p->image_uid;
	p->gid = p->image_gid;
	c->image_user = true;
	mount_list_tmpfs_owner(&c->mounts, p->uid, p->gid);
	sp->subids = n;
	sp->nested_user = true;
	sp->map_container_root = false;
	return 0;
}

/* Setuid mode: a setuid-root starter, allowed by the config, a non-root
 * caller, no --userns. With --overlay, only where the caller keeps their
 * ids (subordinate ids, no --fakeroot): the setuid starter stacks the
 * caller's own layers only as root of the user namespace, never as host
 * root (see SECURITY.md); otherwise --overlay means user-namespace mode. */
static bool setuid_mode_chosen(const struct ochre_context *ctx, const struct launch_options *o)
{
	if (getuid() == 0 || !ctx->starter_setuid || !ctx->cfg.allow_setuid || o->userns)
		return false;
	const char *name;
	struct id_range u, g;
	return !o->overlays.n || (!o->fakeroot && caller_subids(&name, &u, &g));
}

/* Setuid mode mounts with real privilege: kernel overlay only. Otherwise
 * a rootless launch may fall back to (or, by the config's 'overlay =
 * fuse', use) fuse-overlayfs. */
static int choose_overlay(const struct ochre_context *ctx, bool setuid_mode, struct starter_request *req,
			  struct error *err)
{
	bool rootless = getuid() != 0;
	req->force_userns = rootless && ctx->starter_setuid && !setuid_mode;
	log_debug("starter mode: %s", !rootless ? "root" : setuid_mode ? "setuid" : "user namespace");
	if (!rootless || setuid_mode || ctx->cfg.overlay == OVERLAY_KERNEL) {
		req->overlay = REQUEST_OVERLAY_KERNEL;
		return 0;
	}
	char *fuse = find_system_tool(ctx->cfg.fuse_overlayfs_path, "fuse-overlayfs");
	if (!fuse && ctx->cfg.overlay == OVERLAY_FUSE)
		return error_set(err, 0,
				 "'overlay = fuse' in the config, but fuse-overlayfs is not installed "
				 "(Debian package fuse-overlayfs)");
	req->overlay = ctx->cfg.overlay == OVERLAY_FUSE ? REQUEST_OVERLAY_FUSE : REQUEST_OVERLAY_AUTO;
	req->fuse_overlayfs = fuse; /* lives until the exec */
	return 0;
}

/* --memory, --cpus, ...: the container's cgroup, or an error saying why
 * limits cannot be applied for this caller here. Without any such flag
 * plan stays empty: no cgroup, the container stays in the caller's. */
static int plan_limits(const struct ochre_context *ctx, const struct launch_options *o, const struct spec_params *sp,
		       struct cgroup_plan *plan, struct error *err)
{
	memset(plan, 0, sizeof *plan);
	if (!o->limits.given)
		return 0;
	json_object *res = resources_build(&o->limits, err);
	if (!res)
		return -1;
	if (json_object_object_length(res) == 0) { /* e.g. --pids-limit 0: nothing to limit */
		json_object_put(res);
		return 0;
	}
	if (resources_check_policy(res, &ctx->cfg, getuid(), err) < 0) {
		json_object_put(res);
		return -1;
	}
	if (cgroup_plan_make(res, getuid(), plan, err) < 0)
		return -1;
	/* In setuid mode the runtime runs as a subordinate id, not as the
	 * owner of the caller's cgroup. */
	if (getuid() != 0 && sp->in_starter_userns) {
		cgroup_plan_free(plan);
		return error_set(err, 0,
				 "resource limits need user-namespace mode with a setuid starter: add --userns");
	}
	return 0;
}

int cmd_launch(struct ochre_context *ctx, enum launch_mode mode, int argc, char **argv, struct error *err)
{
	struct launch_options o = { 0 };
	int ret = launch_options_parse(mode, argc, argv, &o, err);
	if (ret != 0) {
		launch_options_free(&o);
		return ret < 0 ? -1 : 0;
	}
	/* Before anything is made: this may run ochre again, elsewhere. */
	if (o.limits.given && user_scope_enter(ctx->argv, err) < 0) {
		launch_options_free(&o);
		return -1;
	}

	struct runtime rt;
	if (runtime_resolve(&ctx->cfg, o.runtime, &rt, err) < 0)
		return -1;
	if (o.no_setgroups && rt.kind != RUNTIME_CRUN)
		return error_set(err, 0, "--no-setgroups needs crun: runc always sets the container's groups");
	struct image img;
	if (image_prepare_opts(&ctx->cfg, ctx->importer_path, o.image, &o.pull, &img, err) < 0)
		return -1;
	bool setuid_mode = setuid_mode_chosen(ctx, &o);
	struct device_host dh = { .setuid_mode = setuid_mode, .sysconfdir = OCHRE_SYSCONFDIR };
	struct container c;
	if (container_prepare(&o, &ctx->cfg, mode, &img, &dh, &c, err) < 0)
		return -1;

	struct starter_request req;
	request_init(&req);
	req.log_level = log_level_current;
	struct spec_params sp = { .c = &c };
	if (plan_id_ranges(&c, rt.kind, setuid_mode, &req, &sp, err) < 0 ||
	    take_image_user(&c, rt.kind, setuid_mode, &req, &sp, err) < 0)
		return -1;
	if (sp.in_starter_userns)
		log_debug("the container's user namespace: the one the starter makes");

	if (choose_overlay(ctx, setuid_mode, &req, err) < 0)
		return -1;
	/* Lives until the exec, as fuse-overlayfs's path. */
	if (img.file && !(req.squashfuse = find_system_tool(ctx->cfg.squashfuse_path, "squashfuse_ll")))
		return error_set(err, 0,
				 "%s: single-file images are served by squashfuse_ll, which is not installed (Debian "
				 "package squashfuse)",
				 img.file->path);
	struct cgroup_plan limits;
	if (plan_limits(ctx, &o, &sp, &limits, err) < 0)
		return -1;
	sp.cgroup = limits.resources ? &limits : NULL;

	struct session s;
	struct session_guard guard;
	char *base = session_base(&ctx->cfg, err);
	if (!base)
		return -1;
	ret = session_guard_start(ctx->argv, base, &s, &guard, err);
	free(base);
	if (ret < 0)
		return -1;
	if (sp.cgroup)
		cgroup_plan_set_id(&limits, s.id);
	if (container_finish(&c, &s, err) < 0 || spec_write(s.path, &sp, err) < 0) {
		session_guard_abandon(&guard);
		return -1;
	}

	req.session = s.path;
	container_request_lowers(&c, &req);
	req.upper = c.upper;
	req.mountpoints = c.mountpoint_layer;
	req.tmpfs_size = ctx->cfg.tmpfs_size;
	req.payload = rt.path;
	req.args[req.n_args++] = runtime_kind_name(rt.kind);
	req.args[req.n_args++] = "--root";
	req.args[req.n_args++] = s.state;
	/* The container stays in the caller's cgroup, which on a cluster is
	 * the batch job's: the scheduler's limits and accounting go on
	 * holding, and its cleanup finds every process. Root crun would
	 * otherwise make a cgroup at the top of each hierarchy, outside the
	 * job, and pay several ms for it (runc has no such switch). Resource
	 * limits are the exception: they need a cgroup (spec's cgroupsPath). */
	if (rt.kind == RUNTIME_CRUN)
		req.args[req.n_args++] = sp.cgroup ? "--cgroup-manager=cgroupfs" : "--cgroup-manager=disabled";
	/* crun then needs not copy itself and exec again (the starter's
	 * exec_payload). Not runc: it bind-mounts /proc/self/exe, which a
	 * detached mount cannot be, and would copy its 9 MB into memory. */
	req.payload_exec_readonly = rt.kind == RUNTIME_CRUN;
	const char *args[] = { "run", "--bundle", s.path, s.id, NULL };
	for (size_t i = 0; args[i]; i++)
		req.args[req.n_args++] = args[i];
	req.args[req.n_args] = NULL;
	log_debug_argv("runtime command", (char *const *)req.args);

	return launch_starter(ctx->starter_path, ctx->argv, &guard, &req, err);
}
