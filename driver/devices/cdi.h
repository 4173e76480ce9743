/* Container Device Interface (CDI) specs: load the spec files a vendor's
 * tools leave in /etc/cdi and /var/run/cdi, validate them as the CDI
 * reference implementation (cncf-tags/container-device-interface) does,
 * and turn requests such as `nvidia.com/gpu=0` into the container edits
 * (env, device nodes, mounts, hooks, additional gids) to apply.
 *
 * Spec versions 0.3.0 to 1.1.0 are read; a spec that uses a field newer
 * than its cdiVersion is refused, as are unknown keys (the reference
 * loader is strict too). JSON goes through json-c, YAML through libyaml
 * (turned into the same json-c tree first, so both are validated by one
 * piece of code).
 *
 * Nothing here applies edits or runs hooks: the caller does, and in setuid
 * mode loads only trusted specs (cdi_path_trusted) and runs hooks as the
 * caller. */
#ifndef OCHRE_CDI_H
#define OCHRE_CDI_H

#include "../util/error.h"
#include "../util/strv.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CDI_DEFAULT_STATIC_DIR "/etc/cdi"
#define CDI_DEFAULT_DYNAMIC_DIR "/var/run/cdi"
/* The newest spec version understood. */
#define CDI_CURRENT_VERSION "1.1.0"
/* Larger spec files are refused (real ones are a few KiB). */
#define CDI_MAX_SPEC_SIZE (4u << 20)

enum cdi_format { CDI_FORMAT_JSON, CDI_FORMAT_YAML };

struct cdi_device_node {
	char *path;      /* in the container; absolute */
	char *host_path; /* on the host; absolute; set to path when omitted */
	char type;       /* 'c', 'b', 'u', 'p', or 0 when not given */
	int64_t major, minor;
	bool has_file_mode, has_uid, has_gid;
	uint32_t file_mode; /* permission bits (and type bits, if given so) */
	char *permissions;  /* cgroup access "rwm" subset, "none", or NULL (= rwm) */
	uint32_t uid, gid;  /* owner in the container, when has_uid/has_gid */
};

struct cdi_mount {
	char *host_path, *container_path; /* both absolute */
	char *type;                       /* NULL when not given */
	struct strv options;
};

struct cdi_hook {
	char *hook_name; /* prestart, createRuntime, createContainer, startContainer, poststart, poststop */
	char *path;      /* absolute */
	struct strv args, env;
	bool has_timeout;
	int timeout; /* seconds, > 0, when has_timeout */
};

struct cdi_net_device {
	char *host_interface_name, *name;
};

struct cdi_intel_rdt {
	char *clos_id, *l3_cache_schema, *mem_bw_schema; /* each may be NULL */
	struct strv schemata;
	bool enable_monitoring;
};

/* What a spec, or one of its devices, asks of the container. Arrays are
 * heap-allocated; an empty edits is all zeroes. */
struct cdi_edits {
	struct strv env; /* "NAME=VALUE" */
	struct cdi_device_node *nodes;
	size_t n_nodes;
	struct cdi_mount *mounts;
	size_t n_mounts;
	struct cdi_hook *hooks;
	size_t n_hooks;
	uint32_t *gids; /* additionalGids, zeroes dropped */
	size_t n_gids;
	struct cdi_net_device *net_devices;
	size_t n_net_devices;
	struct cdi_intel_rdt *intel_rdt; /* NULL when not given */
};

struct cdi_device {
	char *name;
	struct cdi_edits edits;
};

struct cdi_spec {
	char *origin;  /* the file it came from (or the name given to cdi_spec_parse) */
	int priority;  /* index of its directory: a later directory wins */
	char *version; /* as written, without a leading 'v' */
	char *vendor, *class;
	struct cdi_device *devices;
	size_t n_devices;
	struct cdi_edits edits; /* applied once when any of its devices is */
};

/* Parse and validate one spec file's content (data need not be
 * NUL-terminated). origin names the file in errors: "cdi spec 'ORIGIN': ...".
 * On failure spec is left empty (cdi_spec_free is still safe). */
int cdi_spec_parse(const char *data, size_t len, enum cdi_format format, const char *origin, struct cdi_spec *spec,
		   struct error *err);
void cdi_spec_free(struct cdi_spec *spec);

/* The format a spec file name stands for: .json, .yaml or .yml; -1 for
 * anything else (such files are not specs and are skipped). */
int cdi_format_of_name(const char *name);

/* Is name a valid vendor, class, or device name (CDI's syntax)? */
bool cdi_vendor_name_valid(const char *name);
bool cdi_class_name_valid(const char *name);
bool cdi_device_name_valid(const char *name);

struct cdi_registry_entry; /* private to cdi.c */

/* Every spec from a list of directories. */
struct cdi_registry {
	struct cdi_spec *specs;
	size_t n_specs;
	/* One line per spec file that could not be used (unreadable, invalid,
	 * untrusted) and per conflict: "cdi spec 'PATH': why". The loader
	 * goes on without that file, as the reference one does; cdi_resolve
	 * reports these lines when a request cannot be met without them. */
	struct strv problems;
	/* The kind ("vendor/class") each problem is about, or "" when unknown
	 * (same index as problems). */
	struct strv problem_kinds;
	/* Qualified names defined with equal priority in two spec files:
	 * the reference implementation makes such a device unusable. */
	struct strv conflicts;
	struct cdi_registry_entry *entries; /* the usable devices (cdi.c) */
	size_t n_entries;
};

/* Load every *.json, *.yaml and *.yml file (not recursing) from dirs, in
 * order; a missing directory is skipped. When the same device is defined
 * in two directories, the later one wins (CDI's priority order: the
 * dynamic /var/run/cdi over the static /etc/cdi); defined twice in one
 * directory, it is a conflict and cannot be requested. With
 * require_trusted (setuid mode), a directory or file that fails
 * cdi_path_trusted is skipped and noted in problems. Returns -1 only for
 * an error reading a directory that exists. */
int cdi_registry_load(struct cdi_registry *reg, const char *const *dirs, size_t n_dirs, bool require_trusted,
		      struct error *err);
void cdi_registry_free(struct cdi_registry *reg);

/* Merge the edits of the requested devices into out (zeroed by the caller,
 * freed with cdi_edits_free). Each request is "vendor/class=name" or a
 * comma-separated list of them; "vendor/class=all" means every device of
 * that kind, unless the kind defines a device named "all" itself. A device
 * requested twice counts once. Each spec's own edits come first, once, then
 * each device's, in request order (as the reference implementation).
 * Errors: a malformed request, an unknown kind or device (the message
 * lists the devices available), a device in conflict, and the load
 * problem of a spec of the requested kind. */
int cdi_resolve(const struct cdi_registry *reg, const char *const *requests, size_t n_requests, struct cdi_edits *out,
		struct error *err);

/* Every qualified device name in the registry, sorted, comma-separated
 * (for messages and `--device list`-like output); "" when none. Heap. */
char *cdi_available_devices(const struct cdi_registry *reg);

/* Complete each device node from the host, as the reference
 * implementation does before injecting: stat the host path (or path) and
 * fill in type, major/minor and file mode where the spec left them out;
 * refuse a host path that is not a device node or fifo, or whose type
 * differs from the spec's. */
int cdi_edits_fill_from_host(struct cdi_edits *edits, struct error *err);

/* Append a deep copy of src's edits to dst (a later intelRdt replaces an
 * earlier one, as in the reference implementation). */
void cdi_edits_append(struct cdi_edits *dst, const struct cdi_edits *src);
void cdi_edits_free(struct cdi_edits *edits);

/* Is path, and every directory above it, owned by root and not writable
 * by group or others (symlinks resolved)? The rule ochre.conf is held to
 * in setuid mode, for CDI spec dirs and files. On refusal err says which
 * path and why. */
int cdi_path_trusted(const char *path, struct error *err);

#endif
