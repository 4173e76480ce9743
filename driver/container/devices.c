#define _GNU_SOURCE
#include "devices.h"

#include "../../common/log.h"
#include "../devices/cdi.h"
#include "../devices/nvlib.h"
#include "../launch/runtime.h"
#include "../util/xalloc.h"
#include "binds.h"
#include "container.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

/* Where --nv and --rocm put the driver's libraries and tools, as
 * SingularityCE does: a directory added to LD_LIBRARY_PATH, and /usr/bin. */
#define GPU_LIB_DIR "/.singularity.d/libs"
#define GPU_BIN_DIR "/usr/bin"
/* How deep below a bound device directory the cgroup rules look. */
#define DEVICE_DIR_DEPTH 3

void env_put(char ***env, const char *name, const char *value)
{
	size_t len = strlen(name), n = 0;
	char *item = xasprintf("%s=%s", name, value);
	for (char **e = *env; e && *e; e++, n++)
		if (strncmp(*e, name, len) == 0 && (*e)[len] == '=') {
			free(*e);
			*e = item;
			return;
		}
	*env = xreallocarray(*env, n + 2, sizeof **env);
	(*env)[n] = item;
	(*env)[n + 1] = NULL;
}

static const char *env_get(char **env, const char *name)
{
	size_t len = strlen(name);
	for (char **e = env; e && *e; e++)
		if (strncmp(*e, name, len) == 0 && (*e)[len] == '=')
			return *e + len + 1;
	return NULL;
}

/* ---- the device cgroup (root containers) ---- */

static void allow_device(struct container *c, char type, long long major, long long minor)
{
	for (size_t i = 0; i < c->n_dev_allow; i++)
		if (c->dev_allow[i].type == type && c->dev_allow[i].major == major && c->dev_allow[i].minor == minor)
			return;
	c->dev_allow = xreallocarray(c->dev_allow, c->n_dev_allow + 1, sizeof *c->dev_allow);
	c->dev_allow[c->n_dev_allow++] = (struct device_allow){ .type = type, .major = major, .minor = minor };
}

static void allow_tree(struct container *c, const char *path, int depth)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return;
	if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
		allow_device(c, S_ISCHR(st.st_mode) ? 'c' : 'b', major(st.st_rdev), minor(st.st_rdev));
		return;
	}
	if (!S_ISDIR(st.st_mode) || depth == 0)
		return;
	DIR *d = opendir(path);
	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d));) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char *sub = xasprintf("%s/%s", path, e->d_name);
		allow_tree(c, sub, depth - 1);
		free(sub);
	}
	closedir(d);
}

/* Only root containers have a device cgroup (runc's; crun runs without a
 * cgroup manager): others reach exactly what the host's permissions on
 * the node give the caller. */
void devices_allow_host_path(struct container *c, const char *src)
{
	if (!c->rootless)
		allow_tree(c, src, DEVICE_DIR_DEPTH);
}

/* ---- CDI ---- */

/* The spec directories: --cdi-dirs (comma lists), else CDI's defaults. */
static void cdi_dir_list(const struct device_options *o, struct strv *dirs)
{
	for (size_t i = 0; i < o->cdi_dirs.n; i++) {
		char *copy = xstrdup(o->cdi_dirs.v[i]);
		for (char *save = NULL, *d = strtok_r(copy, ",", &save); d; d = strtok_r(NULL, ",", &save))
			strv_add(dirs, xstrdup(d));
		free(copy);
	}
	if (dirs->n == 0) {
		strv_add(dirs, xstrdup(CDI_DEFAULT_STATIC_DIR));
		strv_add(dirs, xstrdup(CDI_DEFAULT_DYNAMIC_DIR));
	}
}

/* Device nodes: a root container gets them made by the runtime (with the
 * spec's type, numbers, mode and owner) and allowed in its cgroup; in
 * the other modes no runtime may make a device node, so the host's node
 * is bound (crun and runc do the same with linux.devices in a user
 * namespace), and the host's owner and mode apply. Where /dev is the
 * host's own (--no-compat), nothing is made in it: a node already there
 * at its path stays as it is, another is bound. */
static void apply_cdi_nodes(struct container *c, struct cdi_edits *edits)
{
	bool make_nodes = !c->rootless && !c->host_dev;
	for (size_t i = 0; i < edits->n_nodes; i++) {
		const struct cdi_device_node *n = &edits->nodes[i];
		if (!c->rootless && (n->type == 'c' || n->type == 'b'))
			allow_device(c, n->type, n->major, n->minor);
		if (make_nodes || (c->host_dev && strcmp(n->path, n->host_path) == 0))
			continue;
		mount_list_bind_devices(&c->mounts, n->host_path, n->path, false, false);
	}
	if (make_nodes) {
		c->device_edits.nodes = edits->nodes;
		c->device_edits.n_nodes = edits->n_nodes;
		edits->nodes = NULL;
		edits->n_nodes = 0;
	}
}

static void apply_cdi_mounts(struct container *c, const struct cdi_edits *edits)
{
	for (size_t i = 0; i < edits->n_mounts; i++) {
		const struct cdi_mount *m = &edits->mounts[i];
		const char *none[] = { NULL };
		mount_list_add(&c->mounts, m->container_path, m->type ? m->type : "none", m->host_path,
			       m->options.v ? (const char *const *)m->options.v : none, false);
		if (bind_source_is_device(m->host_path))
			devices_allow_host_path(c, m->host_path);
	}
}

/* Additional gids exist only in the host's id space: a container in a
 * user namespace maps the caller's own gid, not these. */
static void apply_cdi_gids(struct container *c, struct cdi_edits *edits)
{
	if (!edits->n_gids)
		return;
	if (c->rootless) {
		log_warn("--device: the CDI spec's additionalGids are left out: only a root container can "
			 "join groups the caller is not in");
		return;
	}
	c->device_edits.gids = edits->gids;
	c->device_edits.n_gids = edits->n_gids;
	edits->gids = NULL;
	edits->n_gids = 0;
}

static int add_cdi(struct container *c, const struct device_options *o, const struct device_host *host,
		   struct error *err)
{
	if (o->cdi.n == 0)
		return 0;
	struct strv dirs = { 0 };
	cdi_dir_list(o, &dirs);
	struct cdi_registry reg = { 0 };
	struct cdi_edits edits = { 0 };
	int ret = -1;
	if (cdi_registry_load(&reg, (const char *const *)dirs.v, dirs.n, host->setuid_mode, err) < 0 ||
	    cdi_resolve(&reg, (const char *const *)o->cdi.v, o->cdi.n, &edits, err) < 0 ||
	    cdi_edits_fill_from_host(&edits, err) < 0)
		goto out;
	if (edits.n_net_devices || edits.intel_rdt)
		log_warn("--device: the CDI spec's netDevices and intelRdt are not supported; left out");
	for (size_t i = 0; i < edits.env.n; i++) {
		char *name = xstrdup(edits.env.v[i]);
		char *eq = strchr(name, '=');
		if (eq) {
			*eq = '\0';
			env_put(&c->proc.env, name, eq + 1);
		}
		free(name);
	}
	apply_cdi_nodes(c, &edits);
	apply_cdi_mounts(c, &edits);
	apply_cdi_gids(c, &edits);
	/* Hooks run as whoever runs the runtime: root for root; in the other
	 * modes the caller (or, in setuid mode, root of the starter's user
	 * namespace, which is the caller's own subordinate id), never host
	 * root. */
	c->device_edits.hooks = edits.hooks;
	c->device_edits.n_hooks = edits.n_hooks;
	edits.hooks = NULL;
	edits.n_hooks = 0;
	ret = 0;
out:
	cdi_edits_free(&edits);
	cdi_registry_free(&reg);
	strv_free(dirs.v);
	return ret;
}

/* ---- --nv, --rocm ---- */

static void bind_gpu_files(struct container *c, const struct nvlib_result *r)
{
	for (size_t i = 0; i < r->n_libraries; i++) {
		char *dst = xasprintf(GPU_LIB_DIR "/%s", r->libraries[i].target);
		mount_list_bind(&c->mounts, r->libraries[i].host_path, dst, true, false);
		free(dst);
	}
	for (size_t i = 0; i < r->n_binaries; i++) {
		char *dst = xasprintf(GPU_BIN_DIR "/%s", r->binaries[i].target);
		mount_list_bind(&c->mounts, r->binaries[i].host_path, dst, true, false);
		free(dst);
	}
	for (size_t i = 0; i < r->n_devices; i++) {
		mount_list_bind_devices(&c->mounts, r->devices[i].host_path, r->devices[i].target, false, false);
		devices_allow_host_path(c, r->devices[i].host_path);
	}
	for (size_t i = 0; i < r->n_sockets; i++)
		mount_list_bind(&c->mounts, r->sockets[i].host_path, r->sockets[i].target, false, false);
	if (r->n_libraries) {
		const char *old = env_get(c->proc.env, "LD_LIBRARY_PATH");
		char *path = old && *old ? xasprintf("%s:" GPU_LIB_DIR, old) : xstrdup(GPU_LIB_DIR);
		env_put(&c->proc.env, "LD_LIBRARY_PATH", path);
		free(path);
	}
}

/* The host's choice of GPUs goes into the container, as SingularityCE. */
static void pass_visible_devices(struct container *c, enum nvlib_vendor vendor)
{
	static const char *const nvidia[] = { "NVIDIA_VISIBLE_DEVICES", "CUDA_VISIBLE_DEVICES", NULL };
	static const char *const rocm[] = { "ROCR_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "GPU_DEVICE_ORDINAL", NULL };
	for (const char *const *n = vendor == NVLIB_NVIDIA ? nvidia : rocm; *n; n++) {
		const char *v = getenv(*n);
		if (v && !env_get(c->proc.env, *n))
			env_put(&c->proc.env, *n, v);
	}
}

static int add_gpu(struct container *c, enum nvlib_vendor vendor, const struct device_host *host, struct error *err)
{
	const char *flag = vendor == NVLIB_NVIDIA ? "--nv" : "--rocm";
	char *list = xasprintf("%s/ochre/%s", host->sysconfdir,
			       vendor == NVLIB_NVIDIA ? "nvliblist.conf" : "rocmliblist.conf");
	struct nvlib_options opt = { .list_file = list };
	struct nvlib_result r = { 0 };
	int ret = nvlib_find(vendor, &opt, &r, err);
	if (ret < 0) {
		char msg[sizeof err->msg];
		snprintf(msg, sizeof msg, "%s", err->msg);
		error_set(err, 0, "%s: %s", flag, msg);
	} else {
		if (!r.driver_found)
			log_warn("%s: no %s GPU driver found on this host; the container runs without GPUs", flag,
				 vendor == NVLIB_NVIDIA ? "NVIDIA" : "AMD ROCm");
		bind_gpu_files(c, &r);
		pass_visible_devices(c, vendor);
	}
	nvlib_result_free(&r);
	free(list);
	return ret;
}

/* --nvccli: nvidia-container-cli sets the container up, as a hook once
 * the runtime has made its namespaces and mounted its root; it learns the
 * container's pid and bundle from the state on its stdin. It runs as the
 * runtime does (see add_cdi): unprivileged outside root mode, hence
 * --user and --no-cgroups there. */
static int add_nvccli(struct container *c, struct error *err)
{
	char *cli = find_system_tool(NULL, "nvidia-container-cli");
	if (!cli)
		return error_set(err, 0,
				 "--nvccli: nvidia-container-cli is not installed on this host "
				 "(NVIDIA's libnvidia-container-tools); use --nv instead");
	static const char script[] =
		"state=$(cat); "
		"pid=$(printf '%s' \"$state\" | sed -n 's/.*\"pid\": *\\([0-9]*\\).*/\\1/p'); "
		"bundle=$(printf '%s' \"$state\" | sed -n 's/.*\"bundle\": *\"\\([^\"]*\\)\".*/\\1/p'); "
		"exec \"$0\" $OCHRE_NVCCLI_USER --load-kmods configure --no-cgroups --compute --utility "
		"--device=\"${NVIDIA_VISIBLE_DEVICES:-all}\" --pid=\"$pid\" \"$bundle/rootfs\"";
	struct cdi_hook h = { .hook_name = xstrdup("createRuntime"), .path = xstrdup("/bin/sh") };
	strv_add(&h.args, xstrdup("sh"));
	strv_add(&h.args, xstrdup("-c"));
	strv_add(&h.args, xstrdup(script));
	strv_add(&h.args, cli);
	strv_add(&h.env, xstrdup("PATH=" NVLIB_SYSTEM_PATH));
	strv_add(&h.env, xasprintf("OCHRE_NVCCLI_USER=%s", c->rootless ? "--user" : ""));
	const char *visible = getenv("NVIDIA_VISIBLE_DEVICES");
	if (visible)
		strv_add(&h.env, xasprintf("NVIDIA_VISIBLE_DEVICES=%s", visible));
	struct cdi_edits e = { .hooks = &h, .n_hooks = 1 };
	cdi_edits_append(&c->device_edits, &e);
	free(h.hook_name);
	free(h.path);
	strv_free(h.args.v);
	strv_free(h.env.v);
	pass_visible_devices(c, NVLIB_NVIDIA);
	return 0;
}

int devices_prepare(struct container *c, const struct device_options *o, const struct ochre_config *cfg,
		    const struct device_host *host, struct error *err)
{
	bool nv = o->nv || cfg->always_use_nv, rocm = o->rocm || cfg->always_use_rocm;
	if ((o->nv || o->nvccli) && !cfg->allow_nv && c->rootless)
		return error_set(err, 0, "%s: the administrator disabled NVIDIA GPUs ('allow nv = no')",
				 o->nvccli ? "--nvccli" : "--nv");
	if (add_cdi(c, o, host, err) < 0)
		return -1;
	if (o->nvccli) {
		if (add_nvccli(c, err) < 0)
			return -1;
	} else if (nv && (cfg->allow_nv || !c->rootless) && add_gpu(c, NVLIB_NVIDIA, host, err) < 0) {
		return -1;
	}
	if (rocm && add_gpu(c, NVLIB_ROCM, host, err) < 0)
		return -1;
	return 0;
}

void device_options_free(struct device_options *o)
{
	strv_free(o->cdi.v);
	strv_free(o->cdi_dirs.v);
	memset(o, 0, sizeof *o);
}
