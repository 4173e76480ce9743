/* Resource limits: SingularityCE's --apply-cgroups FILE and --cpus,
 * --memory, --pids-limit... flags, turned into config.json's
 * linux.resources (the flags over the file's values), checked against the
 * admin's policy, and the cgroup the container then gets.
 *
 * Without any of these flags nothing changes: no cgroup is made, and the
 * container stays in the caller's (a batch job's) cgroup. With one:
 * - root: a cgroup of the container's own, /ochre/ID in each hierarchy
 *   (cgroupfs; v1, or v2 where the host is pure v2);
 * - a user on a pure cgroup v2 host, below a cgroup the user owns (the
 *   systemd user manager's delegated subtree): the container's cgroup is
 *   made there. Designed, but testable only on such a host (the planned
 *   tests/vm guest), not on this v1/v2 hybrid one;
 * - a user anywhere else (cgroup v1, or a batch job or login session whose
 *   cgroup is root's): one clear error, never a run without the limits. */
#ifndef OCHRE_RESOURCES_H
#define OCHRE_RESOURCES_H

#include "../../common/config.h"
#include "../util/error.h"
#include "../util/strv.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <sys/types.h>

struct resource_options {
	const char *cgroups_file;        /* --apply-cgroups */
	const char *cpus;                /* --cpus 1.5 */
	const char *cpu_shares;          /* --cpu-shares */
	const char *cpuset_cpus;         /* --cpuset-cpus 0-3,5 */
	const char *cpuset_mems;         /* --cpuset-mems */
	const char *memory;              /* --memory 512M */
	const char *memory_reservation;  /* --memory-reservation */
	const char *memory_swap;         /* --memory-swap SIZE|-1 */
	bool oom_kill_disable;           /* --oom-kill-disable */
	const char *pids_limit;          /* --pids-limit N|-1 */
	const char *blkio_weight;        /* --blkio-weight 10..1000 */
	struct strv blkio_weight_device; /* --blkio-weight-device DEV:WEIGHT */
	bool given;                      /* any of them */
};

enum {
	RESOURCE_OPT_APPLY_CGROUPS = 0x2400, /* clear of IMAGE_PULL_OPT_* and the commands' own */
	RESOURCE_OPT_CPUS,
	RESOURCE_OPT_CPU_SHARES,
	RESOURCE_OPT_CPUSET_CPUS,
	RESOURCE_OPT_CPUSET_MEMS,
	RESOURCE_OPT_MEMORY,
	RESOURCE_OPT_MEMORY_RESERVATION,
	RESOURCE_OPT_MEMORY_SWAP,
	RESOURCE_OPT_OOM_KILL_DISABLE,
	RESOURCE_OPT_PIDS_LIMIT,
	RESOURCE_OPT_BLKIO_WEIGHT,
	RESOURCE_OPT_BLKIO_WEIGHT_DEVICE,
};
#define RESOURCE_LONGOPTS                                                                           \
	{ "apply-cgroups", required_argument, NULL, RESOURCE_OPT_APPLY_CGROUPS },                   \
		{ "cpus", required_argument, NULL, RESOURCE_OPT_CPUS },                             \
		{ "cpu-shares", required_argument, NULL, RESOURCE_OPT_CPU_SHARES },                 \
		{ "cpuset-cpus", required_argument, NULL, RESOURCE_OPT_CPUSET_CPUS },               \
		{ "cpuset-mems", required_argument, NULL, RESOURCE_OPT_CPUSET_MEMS },               \
		{ "memory", required_argument, NULL, RESOURCE_OPT_MEMORY },                         \
		{ "memory-reservation", required_argument, NULL, RESOURCE_OPT_MEMORY_RESERVATION }, \
		{ "memory-swap", required_argument, NULL, RESOURCE_OPT_MEMORY_SWAP },               \
		{ "oom-kill-disable", no_argument, NULL, RESOURCE_OPT_OOM_KILL_DISABLE },           \
		{ "pids-limit", required_argument, NULL, RESOURCE_OPT_PIDS_LIMIT },                 \
		{ "blkio-weight", required_argument, NULL, RESOURCE_OPT_BLKIO_WEIGHT },             \
	{                                                                                           \
		"blkio-weight-device", required_argument, NULL, RESOURCE_OPT_BLKIO_WEIGHT_DEVICE    \
	}

#define RESOURCE_HELP                                                                       \
	" Resource limits (a cgroup for the container; see README 'Resource limits'):\n"    \
	"  --apply-cgroups FILE    limits from a cgroups TOML file (OCI linux.resources)\n" \
	"  --cpus N                CPUs' worth of time (e.g. 1.5)\n"                        \
	"  --cpu-shares N          relative CPU weight (1024: the default share)\n"         \
	"  --cpuset-cpus LIST      host CPUs it may use (e.g. 0-3,6)\n"                     \
	"  --cpuset-mems LIST      host memory nodes it may use\n"                          \
	"  --memory SIZE           memory limit (bytes, or with b, k, m, g, t)\n"           \
	"  --memory-reservation SIZE  soft memory limit\n"                                  \
	"  --memory-swap SIZE      memory + swap limit; -1 for unlimited swap\n"            \
	"  --oom-kill-disable      do not OOM-kill it at the memory limit\n"                \
	"  --pids-limit N          most processes and threads (-1: unlimited)\n"            \
	"  --blkio-weight N        block IO weight, 10..1000 (0: not set)\n"                \
	"  --blkio-weight-device DEV:N  block IO weight on device DEV (repeatable)\n"

/* getopt_long's c with its arg: 1 when it was a resource option, now in
 * o; 0 when it was not; -1 with err. */
int resource_option(int c, const char *arg, const char *cmd, struct resource_options *o, struct error *err);
void resource_options_free(struct resource_options *o);

/* "512M", "1.5g", "1024": bytes (powers of 1024, as docker and
 * SingularityCE read them); -1 on a bad size. */
long long resources_parse_size(const char *s);

/* linux.resources from the options: the file's, then the flags over it.
 * NULL with err set on a bad value. */
json_object *resources_build(const struct resource_options *o, struct error *err);

/* The admin's policy for a non-root caller: 'allow user limits' and the
 * 'max memory', 'max pids', 'max cpus' caps. Root is not limited. */
int resources_check_policy(json_object *res, const struct ochre_config *cfg, uid_t uid, struct error *err);

/* Where the container's cgroup goes, decided before any session exists. */
struct cgroup_plan {
	json_object *resources; /* linux.resources (owned) */
	char *parent;           /* the cgroup under which ID goes: "/ochre", or the user's own */
	char *path;             /* linux.cgroupsPath: PARENT/ID, once the session's ID is known */
};

/* The cgroup for limits res (taken over) for caller uid on this host, or
 * -1 with err saying why limits cannot be applied here. */
int cgroup_plan_make(json_object *res, uid_t uid, struct cgroup_plan *plan, struct error *err);
void cgroup_plan_set_id(struct cgroup_plan *plan, const char *id);
void cgroup_plan_free(struct cgroup_plan *plan);

/* Where a non-root caller stands for limits on this host. */
enum cgroup_caller_place {
	CGROUP_CALLER_NOTHING_TO_DO, /* root, cgroup v1, or already in a subtree it owns */
	CGROUP_CALLER_LOGIN_SESSION, /* v2, in its login session's scope (root's): ssh, su -l */
	CGROUP_CALLER_ELSEWHERE,     /* v2, in a cgroup not its own: a batch job's, a service's */
};
enum cgroup_caller_place cgroup_caller_place(uid_t uid);

/* Into config.json (spec): linux.resources and linux.cgroupsPath, a cgroup
 * namespace, and a read-only /sys/fs/cgroup of the container's own where
 * it has /sys, so that applications read their limits. */
void cgroup_plan_apply(const struct cgroup_plan *plan, json_object *spec);

/* linux.resources in an existing config.json (oci create): each of res's
 * sections' keys over the bundle's own. */
void resources_merge_into_spec(json_object *res, json_object *spec);

#endif
