#define _GNU_SOURCE
#include "spec.h"

#include "../../common/log.h"
#include "../util/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static json_object *strings(const char *const *items)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; items[i]; i++)
		json_object_array_add(a, json_object_new_string(items[i]));
	return a;
}

static json_object *mounts(const struct mount_list *l)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < l->n; i++) {
		const struct mount_entry *e = &l->v[i];
		json_object *m = json_object_new_object();
		json_object_object_add(m, "destination", json_object_new_string(e->dest));
		json_object_object_add(m, "type", json_object_new_string(e->type));
		json_object_object_add(m, "source", json_object_new_string(e->source));
		json_object_object_add(m, "options", strings((const char *const *)e->options));
		json_object_array_add(a, m);
	}
	return a;
}

static json_object *id_map(unsigned long container_id, unsigned long host_id, unsigned long size)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "containerID", json_object_new_int64((int64_t)container_id));
	json_object_object_add(o, "hostID", json_object_new_int64((int64_t)host_id));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)size));
	return o;
}

/* The container's id -> outer 0 (which is the caller on the host); for runc
 * also container 0 -> outer 1 (a subordinate id); under --fakeroot the
 * subordinate ids 1..subids as themselves. */
static json_object *id_mappings(unsigned long own, const struct spec_params *p)
{
	json_object *a = json_object_new_array();
	json_object_array_add(a, id_map(own, 0, 1));
	if (p->nested_user && p->subids && own <= p->subids) {
		/* The caller (outer 0) and the image's user swap places; every
		 * other id up to subids keeps its number, so files the image
		 * gives to others show as theirs. */
		json_object_array_add(a, id_map(0, own, 1));
		if (own > 1)
			json_object_array_add(a, id_map(1, 1, own - 1));
		if (own < p->subids)
			json_object_array_add(a, id_map(own + 1, own + 1, p->subids - own));
		return a;
	}
	if (own == 0 && p->subids)
		json_object_array_add(a, id_map(1, 1, p->subids));
	else if (own != 0 && p->map_container_root)
		json_object_array_add(a, id_map(0, 1, 1));
	return a;
}

static json_object *string_list(const struct strv *s)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < s->n; i++)
		json_object_array_add(a, json_object_new_string(s->v[i]));
	return a;
}

/* CDI device nodes the runtime makes (root containers only, see devices.c). */
static json_object *device_nodes(const struct cdi_edits *e)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < e->n_nodes; i++) {
		const struct cdi_device_node *n = &e->nodes[i];
		json_object *d = json_object_new_object();
		char type[2] = { n->type ? n->type : 'c', '\0' };
		json_object_object_add(d, "path", json_object_new_string(n->path));
		json_object_object_add(d, "type", json_object_new_string(type));
		json_object_object_add(d, "major", json_object_new_int64(n->major));
		json_object_object_add(d, "minor", json_object_new_int64(n->minor));
		if (n->has_file_mode)
			json_object_object_add(d, "fileMode", json_object_new_int64(n->file_mode & 07777));
		if (n->has_uid)
			json_object_object_add(d, "uid", json_object_new_int64(n->uid));
		if (n->has_gid)
			json_object_object_add(d, "gid", json_object_new_int64(n->gid));
		json_object_array_add(a, d);
	}
	return a;
}

/* A root container's device cgroup: runc's defaults (null, zero, tty, ...)
 * plus the devices bound or made for it. */
static json_object *device_rules(const struct container *c)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < c->n_dev_allow; i++) {
		json_object *r = json_object_new_object();
		char type[2] = { c->dev_allow[i].type, '\0' };
		json_object_object_add(r, "allow", json_object_new_boolean(1));
		json_object_object_add(r, "type", json_object_new_string(type));
		json_object_object_add(r, "major", json_object_new_int64(c->dev_allow[i].major));
		json_object_object_add(r, "minor", json_object_new_int64(c->dev_allow[i].minor));
		json_object_object_add(r, "access", json_object_new_string("rwm"));
		json_object_array_add(a, r);
	}
	json_object *res = json_object_new_object();
	json_object_object_add(res, "devices", a);
	return res;
}

/* OCI hooks, by the name of the point they run at. */
static json_object *hooks(const struct cdi_edits *e)
{
	json_object *o = json_object_new_object();
	for (size_t i = 0; i < e->n_hooks; i++) {
		const struct cdi_hook *h = &e->hooks[i];
		json_object *list = NULL;
		if (!json_object_object_get_ex(o, h->hook_name, &list)) {
			list = json_object_new_array();
			json_object_object_add(o, h->hook_name, list);
		}
		json_object *j = json_object_new_object();
		json_object_object_add(j, "path", json_object_new_string(h->path));
		if (h->args.n)
			json_object_object_add(j, "args", string_list(&h->args));
		if (h->env.n)
			json_object_object_add(j, "env", string_list(&h->env));
		if (h->has_timeout)
			json_object_object_add(j, "timeout", json_object_new_int(h->timeout));
		json_object_array_add(list, j);
	}
	return o;
}

static json_object *linux_section(const struct spec_params *p)
{
	const struct container *c = p->c;
	json_object *l = json_object_new_object();
	json_object *ns = json_object_new_array();
	/* The starter's own pid namespace stays under --no-pid: the container
	 * shares it with the runtime instead of getting one of its own. */
	const char *types[6] = { "ipc", "uts", "mount" };
	size_t n = 3;
	bool own_userns = c->rootless && (!p->in_starter_userns || p->nested_in_starter_userns);
	if (own_userns)
		types[n++] = "user";
	if (!c->no_pid)
		types[n++] = "pid";
	if (c->net)
		types[n++] = "network";
	for (size_t i = 0; i < n; i++) {
		json_object *t = json_object_new_object();
		json_object_object_add(t, "type", json_object_new_string(types[i]));
		json_object_array_add(ns, t);
	}
	json_object_object_add(l, "namespaces", ns);
	if (p->nested_in_starter_userns) {
		json_object *u = json_object_new_array(), *g = json_object_new_array();
		json_object_array_add(u, id_map(c->proc.uid, getuid(), 1));
		json_object_array_add(g, id_map(c->proc.gid, getgid(), 1));
		json_object_object_add(l, "uidMappings", u);
		json_object_object_add(l, "gidMappings", g);
	} else if (own_userns) {
		json_object_object_add(l, "uidMappings", id_mappings(c->proc.uid, p));
		json_object_object_add(l, "gidMappings", id_mappings(c->proc.gid, p));
	}
	json_object_object_add(l, "maskedPaths",
			       strings((const char *[]){ "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
							 "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
							 "/proc/sched_debug", "/proc/scsi", "/sys/firmware", NULL }));
	json_object_object_add(l, "readonlyPaths",
			       strings((const char *[]){ "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
							 "/proc/sysrq-trigger", NULL }));
	if (c->device_edits.n_nodes)
		json_object_object_add(l, "devices", device_nodes(&c->device_edits));
	if (c->n_dev_allow)
		json_object_object_add(l, "resources", device_rules(c));
	return l;
}

static json_object *cap_set(uint64_t bits)
{
	json_object *a = json_object_new_array();
	for (unsigned i = 0; i < 64 && cap_name(i); i++)
		if (bits & (1ULL << i))
			json_object_array_add(a, json_object_new_string(cap_name(i)));
	return a;
}

static json_object *capabilities(const struct cap_sets *s)
{
	json_object *c = json_object_new_object();
	json_object_object_add(c, "bounding", cap_set(s->bounding));
	json_object_object_add(c, "effective", cap_set(s->effective));
	json_object_object_add(c, "permitted", cap_set(s->permitted));
	json_object_object_add(c, "inheritable", cap_set(s->inheritable));
	json_object_object_add(c, "ambient", cap_set(s->ambient));
	return c;
}

static json_object *process_section(const struct spec_params *p)
{
	const struct container *c = p->c;
	const struct process *proc = &c->proc;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "terminal", json_object_new_boolean(0));

	json_object *user = json_object_new_object();
	json_object_object_add(user, "uid", json_object_new_int64(proc->uid));
	json_object_object_add(user, "gid", json_object_new_int64(proc->gid));
	json_object_object_add(user, "umask", json_object_new_int(c->umask));
	if (!c->rootless && ((proc->uid == 0 && !c->keep_groups) || c->device_edits.n_gids)) {
		/* Only root's supplementary groups exist in its (host) id space;
		 * a CDI spec's additionalGids join them (devices.c). */
		gid_t groups[256];
		int n = proc->uid == 0 && !c->keep_groups ? getgroups(256, groups) : 0;
		json_object *g = json_object_new_array();
		for (int i = 0; i < n; i++)
			json_object_array_add(g, json_object_new_int64(groups[i]));
		for (size_t i = 0; i < c->device_edits.n_gids; i++)
			json_object_array_add(g, json_object_new_int64(c->device_edits.gids[i]));
		json_object_object_add(user, "additionalGids", g);
	}
	json_object_object_add(o, "user", user);
	json_object_object_add(o, "args", strings((const char *const *)proc->args));
	json_object_object_add(o, "env", strings((const char *const *)proc->env));
	json_object_object_add(o, "cwd", json_object_new_string(proc->cwd));
	json_object_object_add(o, "capabilities", capabilities(&c->caps));
	json_object_object_add(o, "noNewPrivileges", json_object_new_boolean(1));
	if (c->security.selinux_label)
		json_object_object_add(o, "selinuxLabel", json_object_new_string(c->security.selinux_label));
	if (c->security.apparmor_profile)
		json_object_object_add(o, "apparmorProfile", json_object_new_string(c->security.apparmor_profile));
	return o;
}

char *spec_generate(const struct spec_params *p)
{
	const struct container *c = p->c;
	json_object *spec = json_object_new_object();
	json_object_object_add(spec, "ociVersion", json_object_new_string("1.0.2"));
	json_object_object_add(spec, "process", process_section(p));
	if (c->hostname)
		json_object_object_add(spec, "hostname", json_object_new_string(c->hostname));
	json_object *root = json_object_new_object();
	json_object_object_add(root, "path", json_object_new_string("rootfs"));
	json_object_object_add(root, "readonly", json_object_new_boolean(c->readonly_root));
	json_object_object_add(spec, "root", root);
	json_object_object_add(spec, "mounts", mounts(&c->mounts));
	json_object_object_add(spec, "linux", linux_section(p));
	if (c->device_edits.n_hooks)
		json_object_object_add(spec, "hooks", hooks(&c->device_edits));
	if (c->keep_groups) {
		/* crun's switch for --no-setgroups: no setgroups() call, so the
		 * process keeps the caller's supplementary groups. */
		json_object *a = json_object_new_object();
		json_object_object_add(a, "run.oci.keep_original_groups", json_object_new_string("1"));
		json_object_object_add(spec, "annotations", a);
	}
	if (p->cgroup)
		cgroup_plan_apply(p->cgroup, spec);

	char *text =
		xstrdup(json_object_to_json_string_ext(spec, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(spec);
	return text;
}

int spec_write(const char *bundle, const struct spec_params *p, struct error *err)
{
	char *text = spec_generate(p);
	char *path = xasprintf("%s/config.json", bundle);
	int ret = 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	size_t len = strlen(text);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		ret = error_set(err, errno, "write %s", path);
	if (fd >= 0 && close(fd) < 0 && ret == 0)
		ret = error_set(err, errno, "write %s", path);
	free(path);
	free(text);
	return ret;
}
