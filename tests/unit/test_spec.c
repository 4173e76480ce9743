/* config.json generation: what the runtime will be told. */
#include "../../driver/container/spec.h"
#include "unit.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

static json_object *get(json_object *o, const char *path)
{
	char buf[256];
	snprintf(buf, sizeof buf, "%s", path);
	for (char *save = NULL, *k = strtok_r(buf, ".", &save); k && o; k = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(o, json_type_array))
			o = json_object_array_get_idx(o, (size_t)atoi(k));
		else if (!json_object_object_get_ex(o, k, &o))
			return NULL;
	}
	return o;
}

static int has_namespace(json_object *spec, const char *type)
{
	json_object *ns = get(spec, "linux.namespaces");
	for (size_t i = 0; ns && i < json_object_array_length(ns); i++)
		if (strcmp(json_object_get_string(get(json_object_array_get_idx(ns, i), "type")), type) == 0)
			return 1;
	return 0;
}

static const char *mount_type(json_object *spec, const char *dest)
{
	json_object *m = get(spec, "mounts");
	for (size_t i = 0; m && i < json_object_array_length(m); i++) {
		json_object *e = json_object_array_get_idx(m, i);
		if (strcmp(json_object_get_string(get(e, "destination")), dest) == 0)
			return json_object_get_string(get(e, "type"));
	}
	return NULL;
}

static struct container make_container(struct process p, bool rootless)
{
	struct container c = { .proc = p, .rootless = rootless, .umask = 022 };
	mount_list_add(&c.mounts, "/proc", "proc", "proc", (const char *[]){ "nosuid", NULL }, false);
	mount_list_bind(&c.mounts, "/host/data", "/data", true, true);
	return c;
}

int main(void)
{
	char *args[] = { "/bin/sh", "-c", "echo \"quoted\"", NULL };
	char *env[] = { "PATH=/bin", "HOME=/home/u", NULL };
	struct process up = { .args = args, .env = env, .cwd = "/srv", .uid = 1001, .gid = 1002 };
	struct container uc = make_container(up, true);
	struct spec_params user = { .c = &uc };
	char *text = spec_generate(&user);
	json_object *spec = json_tokener_parse(text);
	CHECK(spec != NULL, "rootless spec is valid JSON");
	CHECK(json_object_get_int(get(spec, "process.user.uid")) == 1001, "process runs as the caller's uid");
	CHECK(json_object_get_int(get(spec, "process.user.gid")) == 1002, "and gid");
	CHECK(json_object_get_int(get(spec, "process.user.umask")) == 022, "umask");
	CHECK_STR(json_object_get_string(get(spec, "process.args.2")), "echo \"quoted\"", "args kept verbatim");
	CHECK(has_namespace(spec, "user") && has_namespace(spec, "pid") && has_namespace(spec, "mount") &&
		      has_namespace(spec, "ipc") && has_namespace(spec, "uts"),
	      "user, pid, mount, ipc, uts namespaces");
	CHECK(!has_namespace(spec, "network"), "host network");
	CHECK(json_object_get_int(get(spec, "linux.uidMappings.0.containerID")) == 1001 &&
		      json_object_get_int(get(spec, "linux.uidMappings.0.hostID")) == 0 &&
		      json_object_get_int(get(spec, "linux.uidMappings.0.size")) == 1,
	      "inner uid map: caller -> outer root (the caller)");
	CHECK(json_object_array_length(get(spec, "linux.uidMappings")) == 1, "crun needs no container root");
	CHECK(json_object_get_int(get(spec, "linux.gidMappings.0.containerID")) == 1002, "inner gid map");
	CHECK(json_object_array_length(get(spec, "process.capabilities.bounding")) == 0,
	      "no capability asked, none given");
	CHECK(json_object_get_boolean(get(spec, "process.noNewPrivileges")), "no new privileges");
	CHECK_STR(mount_type(spec, "/proc"), "proc", "mounts from the list");
	CHECK_STR(mount_type(spec, "/data"), "none", "a bind");
	CHECK_STR(json_object_get_string(get(spec, "mounts.1.options.3")), "ro", "read-only bind");
	CHECK(!json_object_get_boolean(get(spec, "root.readonly")), "root is writable (overlay upper)");
	CHECK(get(spec, "process.user.additionalGids") == NULL, "no unmapped supplementary groups");
	CHECK_STR(json_object_get_string(get(spec, "process.cwd")), "/srv", "cwd");
	CHECK_STR(json_object_get_string(get(spec, "process.env.1")), "HOME=/home/u", "env kept in order");
	CHECK(get(spec, "annotations") == NULL, "no annotations by default");
	json_object_put(spec);
	free(text);

	user.map_container_root = true;
	uc.net = true;
	uc.readonly_root = true;
	uc.keep_groups = true;
	uc.caps.bounding = uc.caps.effective = 1ULL << 13;
	text = spec_generate(&user);
	spec = json_tokener_parse(text);
	CHECK(json_object_array_length(get(spec, "linux.uidMappings")) == 2 &&
		      json_object_get_int(get(spec, "linux.uidMappings.1.containerID")) == 0 &&
		      json_object_get_int(get(spec, "linux.uidMappings.1.hostID")) == 1,
	      "runc: container root -> first subordinate id");
	CHECK(has_namespace(spec, "network"), "--net: a network namespace");
	CHECK(json_object_get_boolean(get(spec, "root.readonly")), "read-only root");
	json_object *ann;
	CHECK(json_object_object_get_ex(spec, "annotations", &ann) &&
		      json_object_object_get_ex(ann, "run.oci.keep_original_groups", NULL),
	      "--no-setgroups: crun's keep_original_groups");
	CHECK_STR(json_object_get_string(get(spec, "process.capabilities.effective.0")), "CAP_NET_RAW", "cap names");
	json_object_put(spec);
	free(text);
	mount_list_free(&uc.mounts);

	struct process fp = { .args = args, .env = env, .cwd = "/root", .uid = 0, .gid = 0 };
	struct container fc = make_container(fp, true);
	fc.fakeroot = true;
	struct spec_params fake = { .c = &fc, .subids = 65536 };
	text = spec_generate(&fake);
	spec = json_tokener_parse(text);
	CHECK(json_object_get_int(get(spec, "linux.uidMappings.0.containerID")) == 0 &&
		      json_object_get_int(get(spec, "linux.uidMappings.0.hostID")) == 0 &&
		      json_object_get_int(get(spec, "linux.uidMappings.1.containerID")) == 1 &&
		      json_object_get_int(get(spec, "linux.uidMappings.1.size")) == 65536,
	      "--fakeroot: root -> the caller, 1.. -> the subordinate ids");
	json_object_put(spec);
	free(text);
	mount_list_free(&fc.mounts);

	struct container rc = make_container(fp, false);
	struct spec_params root = { .c = &rc };
	text = spec_generate(&root);
	spec = json_tokener_parse(text);
	CHECK(!has_namespace(spec, "user"), "root: no user namespace");
	CHECK(get(spec, "linux.uidMappings") == NULL, "root: no id maps");
	CHECK(get(spec, "process.user.additionalGids") != NULL, "root: its groups");
	json_object_put(spec);
	free(text);
	mount_list_free(&rc.mounts);

	/* Devices (devices.c): a root container's CDI nodes, device cgroup,
	 * extra gids; hooks by name; device binds without nodev. */
	struct container dc = make_container(fp, false);
	struct cdi_device_node node = { .path = "/dev/cdi0",
					.host_path = "/dev/null",
					.type = 'c',
					.major = 1,
					.minor = 3,
					.has_file_mode = true,
					.file_mode = 020666 };
	struct cdi_hook hook = { .hook_name = "createContainer", .path = "/bin/true" };
	uint32_t gid = 44;
	struct device_allow allow = { .type = 'c', .major = 1, .minor = 3 };
	dc.device_edits = (struct cdi_edits){
		.nodes = &node, .n_nodes = 1, .hooks = &hook, .n_hooks = 1, .gids = &gid, .n_gids = 1
	};
	dc.dev_allow = &allow;
	dc.n_dev_allow = 1;
	mount_list_bind_devices(&dc.mounts, "/dev/null", "/mnt/null", false, true);
	struct spec_params dev = { .c = &dc };
	text = spec_generate(&dev);
	spec = json_tokener_parse(text);
	CHECK_STR(json_object_get_string(get(spec, "linux.devices.0.path")), "/dev/cdi0", "CDI node: linux.devices");
	CHECK(json_object_get_int(get(spec, "linux.devices.0.fileMode")) == 0666, "CDI node: permission bits only");
	CHECK(json_object_get_int(get(spec, "linux.resources.devices.0.minor")) == 3, "device cgroup: allow the node");
	CHECK_STR(json_object_get_string(get(spec, "hooks.createContainer.0.path")), "/bin/true", "hooks by name");
	json_object *gids = get(spec, "process.user.additionalGids");
	CHECK(gids && json_object_get_int(json_object_array_get_idx(gids, json_object_array_length(gids) - 1)) == 44,
	      "CDI additionalGids join root's groups");
	json_object *opts = get(spec, "mounts.2.options");
	int has_nodev = 0;
	for (size_t i = 0; opts && i < json_object_array_length(opts); i++)
		has_nodev |= strstr(json_object_get_string(json_object_array_get_idx(opts, i)), "nodev") != NULL;
	CHECK(opts && !has_nodev, "a device bind has no nodev");
	json_object_put(spec);
	free(text);
	mount_list_free(&dc.mounts);
	return unit_done();
}
