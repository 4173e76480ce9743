#define _GNU_SOURCE
#include "spec.h"

#include "../common/log.h"
#include "xalloc.h"

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

static void add_mount(json_object *mounts, const char *dest, const char *type, const char *source,
		      const char *const *options)
{
	json_object *m = json_object_new_object();
	json_object_object_add(m, "destination", json_object_new_string(dest));
	json_object_object_add(m, "type", json_object_new_string(type));
	json_object_object_add(m, "source", json_object_new_string(source));
	json_object_object_add(m, "options", strings(options));
	json_object_array_add(mounts, m);
}

static json_object *mounts(bool rootless, bool no_pid)
{
	json_object *m = json_object_new_array();
	/* A new proc needs a pid namespace owned by the mounting user
	 * namespace; a rootless container without its own (--no-pid) gets
	 * the starter's proc by bind instead. */
	if (rootless && no_pid)
		add_mount(m, "/proc", "none", "/proc", (const char *[]){ "rbind", "nosuid", "noexec", "nodev", NULL });
	else
		add_mount(m, "/proc", "proc", "proc", (const char *[]){ "nosuid", "noexec", "nodev", NULL });
	/* A fresh /dev: the runtime populates it with the standard devices. */
	add_mount(m, "/dev", "tmpfs", "tmpfs",
		  (const char *[]){ "nosuid", "strictatime", "mode=755", "size=65536k", NULL });
	/* gid=5 (tty) exists only when the host's group 5 is mapped, as root. */
	add_mount(m, "/dev/pts", "devpts", "devpts",
		  rootless ? (const char *[]){ "nosuid", "noexec", "newinstance", "ptmxmode=0666",
					       "mode=0620", NULL }
			   : (const char *[]){ "nosuid", "noexec", "newinstance", "ptmxmode=0666",
					       "mode=0620", "gid=5", NULL });
	add_mount(m, "/dev/shm", "tmpfs", "shm",
		  (const char *[]){ "nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL });
	add_mount(m, "/dev/mqueue", "mqueue", "mqueue", (const char *[]){ "nosuid", "noexec", "nodev", NULL });
	/* Compat default (SingularityCE's OCI mode): private, writable /tmp and
	 * /var/tmp, whatever the image's own are (a rootless caller could not
	 * write into the image's root-owned ones through the overlay). */
	add_mount(m, "/tmp", "tmpfs", "tmpfs", (const char *[]){ "nosuid", "nodev", "mode=1777", NULL });
	add_mount(m, "/var/tmp", "tmpfs", "tmpfs", (const char *[]){ "nosuid", "nodev", "mode=1777", NULL });
	/* A new sysfs needs a network namespace owned by the mounting user
	 * namespace; without one a rootless container gets a read-only bind. */
	if (rootless)
		add_mount(m, "/sys", "none", "/sys",
			  (const char *[]){ "rbind", "nosuid", "noexec", "nodev", "ro", NULL });
	else
		add_mount(m, "/sys", "sysfs", "sysfs", (const char *[]){ "nosuid", "noexec", "nodev", "ro", NULL });
	return m;
}

static json_object *id_map(unsigned long container_id, unsigned long host_id)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "containerID", json_object_new_int64((int64_t)container_id));
	json_object_object_add(o, "hostID", json_object_new_int64((int64_t)host_id));
	json_object_object_add(o, "size", json_object_new_int(1));
	return o;
}

/* The caller's id -> outer 0 (which is the caller on the host); for runc
 * also container 0 -> outer 1 (a subordinate id). */
static json_object *id_mappings(unsigned long own, bool map_root)
{
	json_object *a = json_object_new_array();
	json_object_array_add(a, id_map(own, 0));
	if (map_root && own != 0)
		json_object_array_add(a, id_map(0, 1));
	return a;
}

static json_object *linux_section(const struct spec_params *p)
{
	json_object *l = json_object_new_object();
	json_object *ns = json_object_new_array();
	/* The starter's own pid namespace stays under --no-pid: the container
	 * shares it with the runtime instead of getting one of its own. */
	const char *types[] = { "ipc", "uts", "mount", p->rootless ? "user" : NULL, NULL, NULL };
	if (!p->no_pid)
		types[p->rootless ? 4 : 3] = "pid";
	for (size_t i = 0; types[i]; i++) {
		json_object *n = json_object_new_object();
		json_object_object_add(n, "type", json_object_new_string(types[i]));
		json_object_array_add(ns, n);
	}
	json_object_object_add(l, "namespaces", ns);
	if (p->rootless) {
		json_object_object_add(l, "uidMappings", id_mappings(p->proc->uid, p->map_container_root));
		json_object_object_add(l, "gidMappings", id_mappings(p->proc->gid, p->map_container_root));
	}
	json_object_object_add(l, "maskedPaths",
			       strings((const char *[]){ "/proc/acpi", "/proc/asound", "/proc/kcore",
							 "/proc/keys", "/proc/latency_stats",
							 "/proc/timer_list", "/proc/timer_stats",
							 "/proc/sched_debug", "/proc/scsi",
							 "/sys/firmware", NULL }));
	json_object_object_add(l, "readonlyPaths",
			       strings((const char *[]){ "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
							 "/proc/sysrq-trigger", NULL }));
	return l;
}

static json_object *capabilities(bool root)
{
	/* Root keeps the runtimes' conservative default set; a user gets none. */
	static const char *const root_caps[] = { "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL };
	static const char *const no_caps[] = { NULL };
	const char *const *set = root ? root_caps : no_caps;
	json_object *c = json_object_new_object();
	json_object_object_add(c, "bounding", strings(set));
	json_object_object_add(c, "effective", strings(set));
	json_object_object_add(c, "permitted", strings(set));
	json_object_object_add(c, "inheritable", strings(no_caps));
	json_object_object_add(c, "ambient", strings(no_caps));
	return c;
}

static json_object *process_section(const struct spec_params *p)
{
	const struct process *proc = p->proc;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "terminal", json_object_new_boolean(0));

	json_object *user = json_object_new_object();
	json_object_object_add(user, "uid", json_object_new_int64(proc->uid));
	json_object_object_add(user, "gid", json_object_new_int64(proc->gid));
	if (!p->rootless && proc->uid == 0) {
		/* Only root's supplementary groups exist in its (host) id space. */
		gid_t groups[256];
		int n = getgroups(256, groups);
		json_object *g = json_object_new_array();
		for (int i = 0; i < n; i++)
			json_object_array_add(g, json_object_new_int64(groups[i]));
		json_object_object_add(user, "additionalGids", g);
	}
	json_object_object_add(o, "user", user);
	json_object_object_add(o, "args", strings((const char *const *)proc->args));
	json_object_object_add(o, "env", strings((const char *const *)proc->env));
	json_object_object_add(o, "cwd", json_object_new_string(proc->cwd));
	json_object_object_add(o, "capabilities", capabilities(proc->uid == 0 && !p->rootless));
	json_object_object_add(o, "noNewPrivileges", json_object_new_boolean(1));
	return o;
}

char *spec_generate(const struct spec_params *p)
{
	json_object *spec = json_object_new_object();
	json_object_object_add(spec, "ociVersion", json_object_new_string("1.0.2"));
	json_object_object_add(spec, "process", process_section(p));
	if (p->hostname)
		json_object_object_add(spec, "hostname", json_object_new_string(p->hostname));
	json_object *root = json_object_new_object();
	json_object_object_add(root, "path", json_object_new_string("rootfs"));
	json_object_object_add(root, "readonly", json_object_new_boolean(0));
	json_object_object_add(spec, "root", root);
	json_object_object_add(spec, "mounts", mounts(p->rootless, p->no_pid));
	json_object_object_add(spec, "linux", linux_section(p));

	char *text = xstrdup(json_object_to_json_string_ext(spec, JSON_C_TO_STRING_PRETTY |
								    JSON_C_TO_STRING_NOSLASHESCAPE));
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
