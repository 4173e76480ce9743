/* CDI spec parsing and validation: a json-c tree (from JSON, or from YAML
 * through cdi_yaml.c) into struct cdi_spec, refusing what the reference
 * implementation refuses: unknown keys, bad names, fields newer than the
 * spec's cdiVersion, invalid edits. Each refusal is one line naming the
 * file and the place in it ("devices[1].containerEdits.mounts[0]"). */
#define _GNU_SOURCE
#include "cdi.h"
#include "cdi_yaml.h"

#include "../util/xalloc.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The versions understood, oldest first; a spec names one of them. */
static const char *const cdi_versions[] = { "0.3.0", "0.4.0", "0.5.0", "0.6.0", "0.7.0", "0.8.0", "1.0.0", "1.1.0" };
enum cdi_version_index { V030, V040, V050, V060, V070, V080, V100, V110, V_COUNT };

struct parse_ctx {
	const char *origin;
	struct error *err;
	enum cdi_version_index needed; /* the newest feature seen so far */
	const char *needed_for;
};

#define WHERE_MAX 160

__attribute__((format(printf, 3, 4))) static int bad(struct parse_ctx *ctx, const char *where, const char *fmt, ...)
{
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	return error_set(ctx->err, 0, "cdi spec '%s': %s%s%s", ctx->origin, where, *where ? ": " : "", what);
}

/* Note that the spec uses a feature of version v (checked at the end). */
static void uses(struct parse_ctx *ctx, enum cdi_version_index v, const char *feature)
{
	if (v > ctx->needed) {
		ctx->needed = v;
		ctx->needed_for = feature;
	}
}

/* obj[key], with null taken as absent (as the reference Go decoder does). */
static json_object *field(json_object *obj, const char *key)
{
	json_object *v = NULL;
	json_object_object_get_ex(obj, key, &v);
	return json_object_is_type(v, json_type_null) ? NULL : v;
}

static int only_keys(struct parse_ctx *ctx, json_object *obj, const char *where, const char *const *known)
{
	json_object_object_foreach(obj, key, value)
	{
		(void)value;
		const char *const *k = known;
		while (*k && strcmp(*k, key) != 0)
			k++;
		if (!*k)
			return bad(ctx, where, "unknown key '%.100s'", key);
	}
	return 0;
}

static int want_type(struct parse_ctx *ctx, json_object *v, json_type type, const char *where, const char *key)
{
	static const char *const names[] = {
		[json_type_null] = "null",       [json_type_boolean] = "a boolean", [json_type_double] = "a number",
		[json_type_int] = "an integer",  [json_type_object] = "an object",  [json_type_array] = "a list",
		[json_type_string] = "a string",
	};
	if (json_object_is_type(v, type))
		return 0;
	char what[200];
	snprintf(what, sizeof what, "'%s' must be %s", key, names[type]);
	return bad(ctx, where, "%s", what);
}

/* An optional string field: *out stays NULL when absent. */
static int get_string(struct parse_ctx *ctx, json_object *obj, const char *key, const char *where, bool required,
		      char **out)
{
	json_object *v = field(obj, key);
	if (!v)
		return required ? bad(ctx, where, "'%s' is required", key) : 0;
	if (want_type(ctx, v, json_type_string, where, key) < 0)
		return -1;
	if (strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))
		return bad(ctx, where, "'%s' contains a NUL byte", key);
	if (required && json_object_get_string_len(v) == 0)
		return bad(ctx, where, "'%s' must not be empty", key);
	*out = xstrdup(json_object_get_string(v));
	return 0;
}

static int get_int(struct parse_ctx *ctx, json_object *obj, const char *key, const char *where, int64_t min,
		   int64_t max, bool *present, int64_t *out)
{
	json_object *v = field(obj, key);
	*present = v != NULL;
	if (!v)
		return 0;
	if (want_type(ctx, v, json_type_int, where, key) < 0)
		return -1;
	errno = 0;
	int64_t n = json_object_get_int64(v);
	/* json-c saturates larger numbers: uint64 values show as INT64_MAX */
	if (n < min || n > max || n == INT64_MAX) {
		char what[200];
		snprintf(what, sizeof what, "'%s' is out of range (%" PRId64 " to %" PRId64 ")", key, min, max);
		return bad(ctx, where, "%s", what);
	}
	*out = n;
	return 0;
}

/* A list of strings; with env_form, each must be NAME=VALUE. */
static int get_strings(struct parse_ctx *ctx, json_object *obj, const char *key, const char *where, bool env_form,
		       struct strv *out)
{
	json_object *v = field(obj, key);
	if (!v)
		return 0;
	if (want_type(ctx, v, json_type_array, where, key) < 0)
		return -1;
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		json_object *item = json_object_array_get_idx(v, i);
		char itemwhere[WHERE_MAX + 40];
		snprintf(itemwhere, sizeof itemwhere, "%s%s%s[%zu]", where, *where ? "." : "", key, i);
		if (!json_object_is_type(item, json_type_string))
			return bad(ctx, itemwhere, "%s", "must be a string");
		const char *s = json_object_get_string(item);
		if (strlen(s) != (size_t)json_object_get_string_len(item))
			return bad(ctx, itemwhere, "%s", "contains a NUL byte");
		if (env_form && (s[0] == '=' || !strchr(s, '=')))
			return bad(ctx, itemwhere, "invalid environment variable '%.200s' (NAME=VALUE)", s);
		strv_add(out, xstrdup(s));
	}
	return 0;
}

static int want_absolute(struct parse_ctx *ctx, const char *path, const char *where, const char *key)
{
	if (path && path[0] != '/') {
		char what[400];
		snprintf(what, sizeof what, "'%s' must be an absolute path, not '%.200s'", key, path);
		return bad(ctx, where, "%s", what);
	}
	return 0;
}

/* Annotations: a map of strings to strings (v0.6.0), kept only as valid. */
static int check_annotations(struct parse_ctx *ctx, json_object *obj, const char *where)
{
	json_object *v = field(obj, "annotations");
	if (!v)
		return 0;
	if (want_type(ctx, v, json_type_object, where, "annotations") < 0)
		return -1;
	json_object_object_foreach(v, key, value)
	{
		if (!json_object_is_type(value, json_type_string))
			return bad(ctx, where, "annotation '%.100s' must be a string", key);
	}
	if (json_object_object_length(v) > 0)
		uses(ctx, V060, "annotations");
	return 0;
}

/* The parts of a container edits object, each "where" naming the list item. */

static int parse_device_node(struct parse_ctx *ctx, json_object *o, const char *where, struct cdi_device_node *n)
{
	static const char *const keys[] = { "path",     "hostPath",    "type", "major", "minor",
					    "fileMode", "permissions", "uid",  "gid",   NULL };
	char *type = NULL;
	bool present;
	int64_t v;
	int ret = -1;
	if (want_type(ctx, o, json_type_object, where, "device node") < 0 || only_keys(ctx, o, where, keys) < 0 ||
	    get_string(ctx, o, "path", where, true, &n->path) < 0 ||
	    get_string(ctx, o, "hostPath", where, false, &n->host_path) < 0 ||
	    get_string(ctx, o, "type", where, false, &type) < 0 ||
	    get_string(ctx, o, "permissions", where, false, &n->permissions) < 0 ||
	    want_absolute(ctx, n->path, where, "path") < 0)
		goto out;
	if (n->host_path && n->host_path[0]) {
		uses(ctx, V050, "deviceNodes 'hostPath'");
		if (want_absolute(ctx, n->host_path, where, "hostPath") < 0)
			goto out;
	} else {
		free(n->host_path);
		n->host_path = xstrdup(n->path);
	}
	if (type && type[0] && (strlen(type) != 1 || !strchr("bcup", type[0]))) {
		bad(ctx, where, "invalid device type '%.20s' (b, c, u or p)", type);
		goto out;
	}
	n->type = type ? type[0] : 0;
	if (n->permissions && !n->permissions[0]) {
		free(n->permissions);
		n->permissions = NULL;
	}
	if (n->permissions && strcmp(n->permissions, "none") != 0 &&
	    strspn(n->permissions, "rwm") != strlen(n->permissions)) {
		bad(ctx, where, "invalid permissions '%.20s' (r, w, m, or none)", n->permissions);
		goto out;
	}
	if (get_int(ctx, o, "major", where, 0, INT64_MAX - 1, &present, &n->major) < 0 ||
	    get_int(ctx, o, "minor", where, 0, INT64_MAX - 1, &present, &n->minor) < 0 ||
	    get_int(ctx, o, "fileMode", where, 0, UINT32_MAX, &n->has_file_mode, &v) < 0)
		goto out;
	n->file_mode = (uint32_t)v;
	if (get_int(ctx, o, "uid", where, 0, UINT32_MAX, &n->has_uid, &v) < 0)
		goto out;
	n->uid = (uint32_t)v;
	if (get_int(ctx, o, "gid", where, 0, UINT32_MAX, &n->has_gid, &v) < 0)
		goto out;
	n->gid = (uint32_t)v;
	ret = 0;
out:
	free(type);
	return ret;
}

static int parse_mount(struct parse_ctx *ctx, json_object *o, const char *where, struct cdi_mount *m)
{
	static const char *const keys[] = { "hostPath", "containerPath", "type", "options", NULL };
	if (want_type(ctx, o, json_type_object, where, "mount") < 0 || only_keys(ctx, o, where, keys) < 0 ||
	    get_string(ctx, o, "hostPath", where, true, &m->host_path) < 0 ||
	    get_string(ctx, o, "containerPath", where, true, &m->container_path) < 0 ||
	    get_string(ctx, o, "type", where, false, &m->type) < 0 ||
	    get_strings(ctx, o, "options", where, false, &m->options) < 0 ||
	    want_absolute(ctx, m->host_path, where, "hostPath") < 0 ||
	    want_absolute(ctx, m->container_path, where, "containerPath") < 0)
		return -1;
	if (m->type && !m->type[0]) {
		free(m->type);
		m->type = NULL;
	}
	if (m->type)
		uses(ctx, V040, "mounts 'type'");
	return 0;
}

static int parse_hook(struct parse_ctx *ctx, json_object *o, const char *where, struct cdi_hook *h)
{
	static const char *const keys[] = { "hookName", "path", "args", "env", "timeout", NULL };
	static const char *const names[] = {
		"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop", NULL
	};
	int64_t timeout = 0;
	if (want_type(ctx, o, json_type_object, where, "hook") < 0 || only_keys(ctx, o, where, keys) < 0 ||
	    get_string(ctx, o, "hookName", where, true, &h->hook_name) < 0 ||
	    get_string(ctx, o, "path", where, true, &h->path) < 0 ||
	    get_strings(ctx, o, "args", where, false, &h->args) < 0 ||
	    get_strings(ctx, o, "env", where, true, &h->env) < 0 ||
	    get_int(ctx, o, "timeout", where, 1, INT32_MAX, &h->has_timeout, &timeout) < 0 ||
	    want_absolute(ctx, h->path, where, "path") < 0)
		return -1;
	h->timeout = (int)timeout;
	const char *const *n = names;
	while (*n && strcmp(*n, h->hook_name) != 0)
		n++;
	return *n ? 0 : bad(ctx, where, "invalid hookName '%.100s'", h->hook_name);
}

static int parse_net_device(struct parse_ctx *ctx, json_object *o, const char *where, struct cdi_net_device *d)
{
	static const char *const keys[] = { "hostInterfaceName", "name", NULL };
	return want_type(ctx, o, json_type_object, where, "net device") < 0 || only_keys(ctx, o, where, keys) < 0 ||
			       get_string(ctx, o, "hostInterfaceName", where, true, &d->host_interface_name) < 0 ||
			       get_string(ctx, o, "name", where, true, &d->name) < 0
		       ? -1
		       : 0;
}

static int check_net_devices_unique(struct parse_ctx *ctx, const struct cdi_edits *e, const char *where)
{
	for (size_t i = 0; i < e->n_net_devices; i++)
		for (size_t j = 0; j < i; j++) {
			if (strcmp(e->net_devices[i].host_interface_name, e->net_devices[j].host_interface_name) == 0)
				return bad(ctx, where, "net device host interface '%.100s' listed twice",
					   e->net_devices[i].host_interface_name);
			if (strcmp(e->net_devices[i].name, e->net_devices[j].name) == 0)
				return bad(ctx, where, "net device name '%.100s' listed twice", e->net_devices[i].name);
		}
	return 0;
}

static int parse_intel_rdt(struct parse_ctx *ctx, json_object *o, const char *where, struct cdi_intel_rdt *r)
{
	static const char *const keys[] = { "closID",   "l3CacheSchema",    "memBwSchema",
					    "schemata", "enableMonitoring", NULL };
	if (want_type(ctx, o, json_type_object, where, "intelRdt") < 0 || only_keys(ctx, o, where, keys) < 0 ||
	    get_string(ctx, o, "closID", where, false, &r->clos_id) < 0 ||
	    get_string(ctx, o, "l3CacheSchema", where, false, &r->l3_cache_schema) < 0 ||
	    get_string(ctx, o, "memBwSchema", where, false, &r->mem_bw_schema) < 0 ||
	    get_strings(ctx, o, "schemata", where, false, &r->schemata) < 0)
		return -1;
	uses(ctx, V070, "intelRdt");
	json_object *mon = field(o, "enableMonitoring");
	if (mon && want_type(ctx, mon, json_type_boolean, where, "enableMonitoring") < 0)
		return -1;
	r->enable_monitoring = mon && json_object_get_boolean(mon);
	if (field(o, "schemata") || r->enable_monitoring)
		uses(ctx, V110, "intelRdt 'schemata' or 'enableMonitoring'");
	return 0;
}

static int parse_gids(struct parse_ctx *ctx, json_object *o, const char *where, struct cdi_edits *e)
{
	json_object *v = field(o, "additionalGids");
	if (!v)
		return 0;
	if (want_type(ctx, v, json_type_array, where, "additionalGids") < 0)
		return -1;
	size_t n = json_object_array_length(v);
	e->gids = xcalloc(n ? n : 1, sizeof *e->gids);
	for (size_t i = 0; i < n; i++) {
		json_object *g = json_object_array_get_idx(v, i);
		int64_t gid = json_object_get_int64(g);
		if (!json_object_is_type(g, json_type_int) || gid < 0 || gid >= UINT32_MAX)
			return bad(ctx, where, "%s", "additionalGids must be gids (0 to 4294967294)");
		if (gid != 0) /* the reference implementation ignores 0 */
			e->gids[e->n_gids++] = (uint32_t)gid;
	}
	if (n > 0)
		uses(ctx, V070, "additionalGids");
	return 0;
}

/* Parse each object of list obj[key] into a new array of size elements. */
typedef int (*item_parser)(struct parse_ctx *, json_object *, const char *, void *);

static int parse_list(struct parse_ctx *ctx, json_object *obj, const char *key, const char *where, size_t size,
		      item_parser parse_item, void **items, size_t *n_items)
{
	json_object *v = field(obj, key);
	if (!v)
		return 0;
	if (want_type(ctx, v, json_type_array, where, key) < 0)
		return -1;
	size_t n = json_object_array_length(v);
	char *array = xcalloc(n ? n : 1, size);
	*items = array;
	for (size_t i = 0; i < n; i++) {
		char itemwhere[WHERE_MAX + 40];
		snprintf(itemwhere, sizeof itemwhere, "%s%s%s[%zu]", where, *where ? "." : "", key, i);
		(*n_items)++; /* counted first, so a half-parsed item is freed too */
		if (parse_item(ctx, json_object_array_get_idx(v, i), itemwhere, array + i * size) < 0)
			return -1;
	}
	return 0;
}

/* One list item parser per list: the item's storage comes as void *. */
static int node_item(struct parse_ctx *ctx, json_object *o, const char *where, void *item)
{
	return parse_device_node(ctx, o, where, item);
}

static int mount_item(struct parse_ctx *ctx, json_object *o, const char *where, void *item)
{
	return parse_mount(ctx, o, where, item);
}

static int hook_item(struct parse_ctx *ctx, json_object *o, const char *where, void *item)
{
	return parse_hook(ctx, o, where, item);
}

static int net_device_item(struct parse_ctx *ctx, json_object *o, const char *where, void *item)
{
	return parse_net_device(ctx, o, where, item);
}

static int parse_edit_lists(struct parse_ctx *ctx, json_object *o, const char *where, struct cdi_edits *e)
{
	void *nodes = NULL, *mounts = NULL, *hooks = NULL, *net = NULL;
	int ret = parse_list(ctx, o, "deviceNodes", where, sizeof *e->nodes, node_item, &nodes, &e->n_nodes);
	e->nodes = nodes;
	if (ret == 0)
		ret = parse_list(ctx, o, "mounts", where, sizeof *e->mounts, mount_item, &mounts, &e->n_mounts);
	e->mounts = mounts;
	if (ret == 0)
		ret = parse_list(ctx, o, "hooks", where, sizeof *e->hooks, hook_item, &hooks, &e->n_hooks);
	e->hooks = hooks;
	if (ret == 0)
		ret = parse_list(ctx, o, "netDevices", where, sizeof *e->net_devices, net_device_item, &net,
				 &e->n_net_devices);
	e->net_devices = net;
	return ret;
}

static int parse_edits(struct parse_ctx *ctx, json_object *o, const char *where, struct cdi_edits *e)
{
	static const char *const keys[] = { "env",    "deviceNodes", "netDevices",     "hooks",
					    "mounts", "intelRdt",    "additionalGids", NULL };
	if (want_type(ctx, o, json_type_object, where, "containerEdits") < 0 || only_keys(ctx, o, where, keys) < 0 ||
	    get_strings(ctx, o, "env", where, true, &e->env) < 0 || parse_edit_lists(ctx, o, where, e) < 0 ||
	    check_net_devices_unique(ctx, e, where) < 0 || parse_gids(ctx, o, where, e) < 0)
		return -1;
	if (e->n_net_devices > 0)
		uses(ctx, V110, "netDevices");
	json_object *rdt = field(o, "intelRdt");
	if (rdt) {
		char rdtwhere[WHERE_MAX + 20];
		snprintf(rdtwhere, sizeof rdtwhere, "%s%sintelRdt", where, *where ? "." : "");
		e->intel_rdt = xcalloc(1, sizeof *e->intel_rdt);
		if (parse_intel_rdt(ctx, rdt, rdtwhere, e->intel_rdt) < 0)
			return -1;
	}
	return 0;
}

static bool edits_empty(const struct cdi_edits *e)
{
	return e->env.n == 0 && e->n_nodes == 0 && e->n_mounts == 0 && e->n_hooks == 0 && e->n_gids == 0 &&
	       e->n_net_devices == 0 && !e->intel_rdt;
}

/* Names: CDI's syntax (pkg/parser in the reference implementation). */

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(char c)
{
	return is_alpha(c) || (c >= '0' && c <= '9');
}

static bool name_valid(const char *name, size_t max, bool first_digit_ok, const char *middle_extra)
{
	size_t len = strlen(name);
	if (len == 0 || len > max || !(first_digit_ok ? is_alnum(name[0]) : is_alpha(name[0])) ||
	    !is_alnum(name[len - 1]))
		return false;
	for (size_t i = 1; i + 1 < len; i++)
		if (!is_alnum(name[i]) && !strchr(middle_extra, name[i]))
			return false;
	return true;
}

bool cdi_vendor_name_valid(const char *name)
{
	return name_valid(name, 253, false, "_-.");
}

bool cdi_class_name_valid(const char *name)
{
	return name_valid(name, 63, false, "_-.");
}

bool cdi_device_name_valid(const char *name)
{
	return name_valid(name, 253, true, "_-.:");
}

static int parse_device(struct parse_ctx *ctx, json_object *o, const char *where, struct cdi_device *d)
{
	static const char *const keys[] = { "name", "annotations", "containerEdits", NULL };
	if (want_type(ctx, o, json_type_object, where, "device") < 0 || only_keys(ctx, o, where, keys) < 0 ||
	    get_string(ctx, o, "name", where, true, &d->name) < 0)
		return -1;
	if (!cdi_device_name_valid(d->name))
		return bad(ctx, where, "invalid device name '%.100s' (letters, digits, '_-.:' inside)", d->name);
	if (d->name[0] >= '0' && d->name[0] <= '9')
		uses(ctx, V050, "a device name starting with a digit");
	json_object *edits = field(o, "containerEdits");
	if (check_annotations(ctx, o, where) < 0)
		return -1;
	char editwhere[WHERE_MAX + 20];
	snprintf(editwhere, sizeof editwhere, "%s.containerEdits", where);
	if (edits && parse_edits(ctx, edits, editwhere, &d->edits) < 0)
		return -1;
	if (edits_empty(&d->edits))
		return bad(ctx, where, "device '%.100s' has no container edits", d->name);
	return 0;
}

static int device_item(struct parse_ctx *ctx, json_object *o, const char *where, void *item)
{
	return parse_device(ctx, o, where, item);
}

static int parse_kind(struct parse_ctx *ctx, json_object *root, struct cdi_spec *spec)
{
	char *kind = NULL;
	if (get_string(ctx, root, "kind", "", true, &kind) < 0)
		return -1;
	char *slash = strchr(kind, '/');
	int ret = 0;
	if (!slash || strchr(slash + 1, '/')) {
		ret = bad(ctx, "", "invalid kind '%.100s' (vendor/class)", kind);
	} else {
		*slash = '\0';
		spec->vendor = xstrdup(kind);
		spec->class = xstrdup(slash + 1);
		*slash = '/';
		if (!cdi_vendor_name_valid(spec->vendor))
			ret = bad(ctx, "", "invalid vendor in kind '%.300s'", kind);
		else if (!cdi_class_name_valid(spec->class))
			ret = bad(ctx, "", "invalid class in kind '%.300s'", kind);
		else if (strchr(spec->class, '.'))
			uses(ctx, V060, "a '.' in the kind's class");
	}
	free(kind);
	return ret;
}

static int parse_version(struct parse_ctx *ctx, json_object *root, struct cdi_spec *spec, int *index)
{
	char *v = NULL;
	if (get_string(ctx, root, "cdiVersion", "", true, &v) < 0)
		return -1;
	const char *bare = v[0] == 'v' ? v + 1 : v;
	for (int i = 0; i < V_COUNT; i++)
		if (strcmp(bare, cdi_versions[i]) == 0) {
			spec->version = xstrdup(bare);
			*index = i;
			free(v);
			return 0;
		}
	bad(ctx, "", "unsupported cdiVersion '%.40s' (0.3.0 to " CDI_CURRENT_VERSION ")", v);
	free(v);
	return -1;
}

static int parse_devices(struct parse_ctx *ctx, json_object *root, struct cdi_spec *spec)
{
	json_object *devices = field(root, "devices");
	if (!devices)
		return bad(ctx, "", "%s", "'devices' is required");
	void *items = NULL;
	int ret = parse_list(ctx, root, "devices", "", sizeof *spec->devices, device_item, &items, &spec->n_devices);
	spec->devices = items;
	if (ret < 0)
		return -1;
	if (spec->n_devices == 0)
		return bad(ctx, "", "%s", "no devices");
	for (size_t i = 0; i < spec->n_devices; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(spec->devices[i].name, spec->devices[j].name) == 0)
				return bad(ctx, "", "device '%.100s' is defined twice", spec->devices[i].name);
	return 0;
}

static int parse_root(struct parse_ctx *ctx, json_object *root, struct cdi_spec *spec)
{
	static const char *const keys[] = { "cdiVersion", "kind", "annotations", "devices", "containerEdits", NULL };
	int version;
	if (!json_object_is_type(root, json_type_object))
		return bad(ctx, "", "%s", "not a CDI spec (expected a mapping at the top)");
	if (only_keys(ctx, root, "", keys) < 0 || parse_version(ctx, root, spec, &version) < 0 ||
	    parse_kind(ctx, root, spec) < 0 || check_annotations(ctx, root, "") < 0 ||
	    parse_devices(ctx, root, spec) < 0)
		return -1;
	json_object *edits = field(root, "containerEdits");
	if (edits && parse_edits(ctx, edits, "containerEdits", &spec->edits) < 0)
		return -1;
	if ((int)ctx->needed > version) {
		char what[300];
		snprintf(what, sizeof what, "cdiVersion %s is too old for %s (needs %s)", spec->version,
			 ctx->needed_for, cdi_versions[ctx->needed]);
		return bad(ctx, "", "%s", what);
	}
	return 0;
}

static json_object *parse_json_text(struct parse_ctx *ctx, const char *data, size_t len)
{
	json_tokener *tok = json_tokener_new();
	if (!tok) {
		error_set(ctx->err, 0, "cdi spec '%s': out of memory", ctx->origin);
		return NULL;
	}
	json_object *root = NULL;
	if (len > INT32_MAX || memchr(data, '\0', len)) {
		bad(ctx, "", "%s", "not JSON text (a NUL byte)");
	} else {
		root = json_tokener_parse_ex(tok, data, (int)len);
		enum json_tokener_error jerr = json_tokener_get_error(tok);
		if (jerr == json_tokener_continue)
			jerr = json_tokener_error_parse_eof;
		size_t used = json_tokener_get_parse_end(tok);
		/* only white space after the value (data is not NUL-terminated) */
		for (size_t i = used; jerr == json_tokener_success && i < len; i++)
			if (!strchr(" \t\r\n", data[i]) || data[i] == '\0')
				jerr = json_tokener_error_parse_unexpected;
		if (jerr != json_tokener_success) {
			json_object_put(root);
			root = NULL;
			bad(ctx, "", "invalid JSON: %s", json_tokener_error_desc(jerr));
		} else if (!root) {
			bad(ctx, "", "%s", "not a CDI spec (null)");
		}
	}
	json_tokener_free(tok);
	return root;
}

int cdi_spec_parse(const char *data, size_t len, enum cdi_format format, const char *origin, struct cdi_spec *spec,
		   struct error *err)
{
	struct parse_ctx ctx = { .origin = origin, .err = err, .needed = V030, .needed_for = "" };
	memset(spec, 0, sizeof *spec);
	json_object *root;
	if (len > CDI_MAX_SPEC_SIZE)
		return error_set(err, 0, "cdi spec '%s': larger than %u bytes", origin, CDI_MAX_SPEC_SIZE);
	if (format == CDI_FORMAT_YAML) {
		char why[300];
		root = cdi_yaml_to_json(data, len, why, sizeof why);
		if (!root)
			return bad(&ctx, "", "invalid YAML: %s", why[0] ? why : "empty document");
	} else {
		root = parse_json_text(&ctx, data, len);
		if (!root)
			return -1;
	}
	int ret = parse_root(&ctx, root, spec);
	json_object_put(root);
	if (ret < 0) {
		cdi_spec_free(spec);
		return -1;
	}
	spec->origin = xstrdup(origin);
	return 0;
}

void cdi_spec_free(struct cdi_spec *spec)
{
	for (size_t i = 0; i < spec->n_devices; i++) {
		free(spec->devices[i].name);
		cdi_edits_free(&spec->devices[i].edits);
	}
	free(spec->devices);
	cdi_edits_free(&spec->edits);
	free(spec->origin);
	free(spec->version);
	free(spec->vendor);
	free(spec->class);
	memset(spec, 0, sizeof *spec);
}
