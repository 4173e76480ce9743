#define _GNU_SOURCE
#include "resources.h"

#include "../../common/log.h"
#include "../util/fsutil.h"
#include "../util/xalloc.h"
#include "cgroups_toml.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* The CFS period --cpus is counted in (µs), as docker and SingularityCE. */
#define CPU_PERIOD_US 100000

/* ---- the flags ------------------------------------------------------------ */

int resource_option(int c, const char *arg, const char *cmd, struct resource_options *o, struct error *err)
{
	(void)cmd;
	(void)err;
	switch (c) {
	case RESOURCE_OPT_APPLY_CGROUPS:
		o->cgroups_file = arg;
		break;
	case RESOURCE_OPT_CPUS:
		o->cpus = arg;
		break;
	case RESOURCE_OPT_CPU_SHARES:
		o->cpu_shares = arg;
		break;
	case RESOURCE_OPT_CPUSET_CPUS:
		o->cpuset_cpus = arg;
		break;
	case RESOURCE_OPT_CPUSET_MEMS:
		o->cpuset_mems = arg;
		break;
	case RESOURCE_OPT_MEMORY:
		o->memory = arg;
		break;
	case RESOURCE_OPT_MEMORY_RESERVATION:
		o->memory_reservation = arg;
		break;
	case RESOURCE_OPT_MEMORY_SWAP:
		o->memory_swap = arg;
		break;
	case RESOURCE_OPT_OOM_KILL_DISABLE:
		o->oom_kill_disable = true;
		break;
	case RESOURCE_OPT_PIDS_LIMIT:
		o->pids_limit = arg;
		break;
	case RESOURCE_OPT_BLKIO_WEIGHT:
		o->blkio_weight = arg;
		break;
	case RESOURCE_OPT_BLKIO_WEIGHT_DEVICE:
		strv_add(&o->blkio_weight_device, xstrdup(arg));
		break;
	default:
		return 0;
	}
	o->given = true;
	return 1;
}

void resource_options_free(struct resource_options *o)
{
	strv_free(o->blkio_weight_device.v);
	memset(o, 0, sizeof *o);
}

long long resources_parse_size(const char *s)
{
	/* NUMBER[.FRACTION][k|m|g|t|p][i][b], case-insensitive. */
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	char *end;
	double v = strtod(s, &end);
	if (errno || end == s || strchr(s, 'e') || strchr(s, 'E') || strchr(s, 'x') || strchr(s, 'X'))
		return -1;
	static const char units[] = "kmgtp";
	const char *u = *end ? strchr(units, tolower((unsigned char)*end)) : NULL;
	if (u) {
		for (long i = 0; i <= u - units; i++)
			v *= 1024;
		end++;
		if (*end == 'i' || *end == 'I')
			end++;
	}
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end || !(v >= 1) || v > (double)(1LL << 62))
		return -1;
	return (long long)v;
}

/* A whole number, or -1 on anything else (out is then untouched). */
static int parse_int(const char *s, long long *out)
{
	errno = 0;
	char *end;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end || isspace((unsigned char)*s))
		return -1;
	*out = v;
	return 0;
}

/* The object for a section ("memory") of res, made if missing. */
static json_object *section(json_object *res, const char *name)
{
	json_object *s;
	if (!json_object_object_get_ex(res, name, &s)) {
		s = json_object_new_object();
		json_object_object_add(res, name, s);
	}
	return s;
}

static void set_int(json_object *res, const char *sec, const char *key, long long v)
{
	json_object_object_add(section(res, sec), key, json_object_new_int64(v));
}

/* res.sec.key as an integer; false when not set. */
static bool get_int(json_object *res, const char *sec, const char *key, long long *v)
{
	json_object *s, *k;
	if (!json_object_object_get_ex(res, sec, &s) || !json_object_object_get_ex(s, key, &k) ||
	    !json_object_is_type(k, json_type_int))
		return false;
	*v = json_object_get_int64(k);
	return true;
}

static int take_cpus(json_object *res, const char *arg, struct error *err)
{
	errno = 0;
	char *end;
	double cpus = strtod(arg, &end);
	long online = sysconf(_SC_NPROCESSORS_CONF);
	if (errno || end == arg || *end || !isdigit((unsigned char)*arg) || !(cpus >= 0.01) ||
	    (online > 0 && cpus > (double)online))
		return error_set(err, 0, "--cpus %s: a number of CPUs from 0.01 to %ld", arg, online > 0 ? online : 1);
	set_int(res, "cpu", "period", CPU_PERIOD_US);
	set_int(res, "cpu", "quota", (long long)(cpus * CPU_PERIOD_US + 0.5));
	return 0;
}

static int take_cpuset(json_object *res, const char *flag, const char *key, const char *arg, struct error *err)
{
	if (!*arg || strspn(arg, "0123456789,-") != strlen(arg) || !isdigit((unsigned char)arg[0]))
		return error_set(err, 0, "%s %s: a list such as 0-3,6", flag, arg);
	json_object_object_add(section(res, "cpu"), key, json_object_new_string(arg));
	return 0;
}

static int take_size(json_object *res, const char *flag, const char *key, const char *arg, struct error *err)
{
	long long v = resources_parse_size(arg);
	if (v < 0)
		return error_set(err, 0, "%s %s: a size in bytes, or with a unit (e.g. 512M, 2G)", flag, arg);
	set_int(res, "memory", key, v);
	return 0;
}

static int take_pids(json_object *res, const char *arg, struct error *err)
{
	long long v;
	if (parse_int(arg, &v) < 0 || v < -1)
		return error_set(err, 0, "--pids-limit %s: a number of processes, or -1 for unlimited", arg);
	if (v != 0) /* 0: not set, as in SingularityCE */
		set_int(res, "pids", "limit", v);
	return 0;
}

static int parse_weight(const char *flag, const char *arg, long long *v, struct error *err)
{
	if (parse_int(arg, v) < 0 || (*v != 0 && (*v < 10 || *v > 1000)))
		return error_set(err, 0, "%s %s: a weight from 10 to 1000", flag, arg);
	return 0;
}

/* --blkio-weight-device DEV:WEIGHT, DEV a block device's path. */
static int take_weight_device(json_object *res, const char *arg, struct error *err)
{
	const char *colon = strrchr(arg, ':');
	if (!colon || colon == arg)
		return error_set(err, 0, "--blkio-weight-device %s: expected DEVICE:WEIGHT", arg);
	char *dev = xstrndup(arg, (size_t)(colon - arg));
	struct stat st;
	long long w;
	int ret = 0;
	if (stat(dev, &st) < 0 || !S_ISBLK(st.st_mode))
		ret = error_set(err, 0, "--blkio-weight-device %s: '%s' is not a block device", arg, dev);
	else if (parse_weight("--blkio-weight-device", colon + 1, &w, err) < 0 || w == 0)
		ret = w == 0 ? error_set(err, 0, "--blkio-weight-device %s: a weight from 10 to 1000", arg) : -1;
	free(dev);
	if (ret < 0)
		return -1;
	json_object *bio = section(res, "blockIO"), *arr;
	if (!json_object_object_get_ex(bio, "weightDevice", &arr)) {
		arr = json_object_new_array();
		json_object_object_add(bio, "weightDevice", arr);
	}
	json_object *d = json_object_new_object();
	json_object_object_add(d, "major", json_object_new_int64(major(st.st_rdev)));
	json_object_object_add(d, "minor", json_object_new_int64(minor(st.st_rdev)));
	json_object_object_add(d, "weight", json_object_new_int64(w));
	json_object_array_add(arr, d);
	return 0;
}

static int take_flags(json_object *res, const struct resource_options *o, struct error *err)
{
	long long v;
	if (o->cpus && take_cpus(res, o->cpus, err) < 0)
		return -1;
	if (o->cpu_shares) {
		if (parse_int(o->cpu_shares, &v) < 0 || v < 0)
			return error_set(err, 0, "--cpu-shares %s: a positive weight (1024 is the default)",
					 o->cpu_shares);
		if (v > 0)
			set_int(res, "cpu", "shares", v);
	}
	if ((o->cpuset_cpus && take_cpuset(res, "--cpuset-cpus", "cpus", o->cpuset_cpus, err) < 0) ||
	    (o->cpuset_mems && take_cpuset(res, "--cpuset-mems", "mems", o->cpuset_mems, err) < 0) ||
	    (o->memory && take_size(res, "--memory", "limit", o->memory, err) < 0) ||
	    (o->memory_reservation &&
	     take_size(res, "--memory-reservation", "reservation", o->memory_reservation, err) < 0))
		return -1;
	if (o->memory_swap) {
		if (strcmp(o->memory_swap, "-1") == 0)
			set_int(res, "memory", "swap", -1);
		else if (take_size(res, "--memory-swap", "swap", o->memory_swap, err) < 0)
			return -1;
	}
	if (o->oom_kill_disable)
		json_object_object_add(section(res, "memory"), "disableOOMKiller", json_object_new_boolean(1));
	if (o->pids_limit && take_pids(res, o->pids_limit, err) < 0)
		return -1;
	if (o->blkio_weight) {
		if (parse_weight("--blkio-weight", o->blkio_weight, &v, err) < 0)
			return -1;
		if (v)
			set_int(res, "blockIO", "weight", v);
	}
	for (size_t i = 0; i < o->blkio_weight_device.n; i++)
		if (take_weight_device(res, o->blkio_weight_device.v[i], err) < 0)
			return -1;
	return 0;
}

/* What the kernel would refuse anyway, said in the flags' words. */
static int check_consistent(json_object *res, struct error *err)
{
	long long limit, swap, reservation;
	bool has_limit = get_int(res, "memory", "limit", &limit);
	if (has_limit && limit > 0 && get_int(res, "memory", "swap", &swap) && swap >= 0 && swap < limit)
		return error_set(err, 0, "--memory-swap (memory + swap, %lld bytes) is below --memory (%lld bytes)",
				 swap, limit);
	if (get_int(res, "memory", "swap", &swap) && swap > 0 && !(has_limit && limit > 0))
		return error_set(err, 0, "--memory-swap needs --memory (the swap limit counts memory and swap)");
	if (has_limit && limit > 0 && get_int(res, "memory", "reservation", &reservation) && reservation > limit)
		return error_set(err, 0, "--memory-reservation (%lld bytes) is above --memory (%lld bytes)",
				 reservation, limit);
	return 0;
}

json_object *resources_build(const struct resource_options *o, struct error *err)
{
	json_object *res = NULL;
	if (o->cgroups_file) {
		char *text;
		size_t len;
		if (read_file(o->cgroups_file, CGROUPS_TOML_MAX_BYTES, &text, &len, err) < 0) {
			error_wrap(err, "--apply-cgroups");
			return NULL;
		}
		res = cgroups_toml_parse(o->cgroups_file, text, len, err);
		free(text);
		if (!res) {
			error_wrap(err, "--apply-cgroups");
			return NULL;
		}
	} else {
		res = json_object_new_object();
	}
	if (take_flags(res, o, err) < 0 || check_consistent(res, err) < 0) {
		json_object_put(res);
		return NULL;
	}
	return res;
}

/* ---- the admin's policy --------------------------------------------------- */

int resources_check_policy(json_object *res, const struct ochre_config *cfg, uid_t uid, struct error *err)
{
	if (uid == 0)
		return 0;
	if (!cfg->allow_user_limits)
		return error_set(err, 0,
				 "resource limits are for root only here: the administrator set "
				 "'allow user limits = no' in ochre.conf");
	long long v, period;
	if (cfg->max_memory && get_int(res, "memory", "limit", &v) &&
	    (v <= 0 || (unsigned long long)v > cfg->max_memory))
		return error_set(err, 0, "a memory limit of %s is above the administrator's 'max memory' (%llu bytes)",
				 v <= 0 ? "unlimited" : "that size", cfg->max_memory);
	if (cfg->max_pids && get_int(res, "pids", "limit", &v) && (v <= 0 || (unsigned long long)v > cfg->max_pids))
		return error_set(err, 0, "a pids limit of %lld is above the administrator's 'max pids' (%llu)", v,
				 cfg->max_pids);
	if (cfg->max_cpus_milli && get_int(res, "cpu", "quota", &v)) {
		if (!get_int(res, "cpu", "period", &period) || period <= 0)
			period = CPU_PERIOD_US;
		if (v <= 0 || (unsigned long long)v * 1000 > (unsigned long long)period * cfg->max_cpus_milli)
			return error_set(err, 0,
					 "a CPU limit of %.2f CPUs is above the administrator's 'max cpus' (%.2f)",
					 v <= 0 ? INFINITY : (double)v / (double)period, cfg->max_cpus_milli / 1000.0);
	}
	return 0;
}

/* ---- where the cgroup goes ------------------------------------------------ */

/* The controllers (cgroup v2 names) the limits need. */
static void needed_controllers(json_object *res, const char **out, size_t *n)
{
	json_object *cpu;
	*n = 0;
	if (json_object_object_get_ex(res, "memory", NULL))
		out[(*n)++] = "memory";
	if (json_object_object_get_ex(res, "pids", NULL))
		out[(*n)++] = "pids";
	if (json_object_object_get_ex(res, "blockIO", NULL))
		out[(*n)++] = "io";
	if (json_object_object_get_ex(res, "cpu", &cpu)) {
		if (json_object_object_get_ex(cpu, "cpus", NULL) || json_object_object_get_ex(cpu, "mems", NULL))
			out[(*n)++] = "cpuset";
		if (json_object_object_length(cpu) > (json_object_object_get_ex(cpu, "cpus", NULL) ? 1 : 0) +
							     (json_object_object_get_ex(cpu, "mems", NULL) ? 1 : 0))
			out[(*n)++] = "cpu";
	}
}

/* A small file of /proc or /sys/fs/cgroup, whose size stat says is 0 (so
 * read_file would read nothing): up to 4 KiB, until the end; NULL on
 * error (errno set) or when it is longer. */
static char *read_pseudo_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	char *buf = xmalloc(4096);
	size_t got = 0;
	ssize_t n = 0;
	while (got < 4095 && ((n = read(fd, buf + got, 4095 - got)) > 0 || (n < 0 && errno == EINTR)))
		got += n > 0 ? (size_t)n : 0;
	int saved = errno;
	close(fd);
	if (n < 0 || got == 4095) {
		free(buf);
		errno = n < 0 ? saved : EFBIG;
		return NULL;
	}
	buf[got] = '\0';
	return buf;
}

/* The caller's cgroup on a v2 host ("/user.slice/..."), from /proc/self/cgroup. */
static char *own_cgroup_v2(void)
{
	char *text = read_pseudo_file("/proc/self/cgroup");
	if (!text)
		return NULL;
	char *line = strstr(text, "0::");
	char *path = NULL;
	if (line && (line == text || line[-1] == '\n')) {
		line += 3;
		path = xstrndup(line, strcspn(line, "\n"));
	}
	free(text);
	return path;
}

/* The top-most cgroup from path upwards that the caller owns (the
 * subtree systemd delegated to the user's manager), or NULL. */
static char *topmost_owned(const char *path, uid_t uid)
{
	char *p = xstrdup(path), *best = NULL;
	for (;;) {
		char *dir = xasprintf("/sys/fs/cgroup%s", p);
		struct stat st;
		bool owned = stat(dir, &st) == 0 && st.st_uid == uid;
		free(dir);
		if (!owned)
			break;
		free(best);
		best = xstrdup(p);
		char *slash = strrchr(p, '/');
		if (!slash || slash == p)
			break;
		*slash = '\0';
	}
	free(p);
	return best;
}

/* Delegate the controllers the limits need from parent to its children. */
static int enable_controllers(const char *parent, json_object *res, struct error *err)
{
	const char *need[6];
	size_t n;
	needed_controllers(res, need, &n);
	char *dir = xasprintf("/sys/fs/cgroup%s", parent), *file = xasprintf("%s/cgroup.controllers", dir);
	char *text = read_pseudo_file(file);
	int ret = text ? 0 : error_set(err, errno, "resource limits cannot be applied here: read %s", file);
	free(file);
	for (size_t i = 0; ret == 0 && i < n; i++) {
		char word[32];
		snprintf(word, sizeof word, " %s ", need[i]);
		char *padded = xasprintf(" %.*s ", (int)strcspn(text, "\n"), text);
		bool have = strstr(padded, word) != NULL;
		free(padded);
		if (!have) {
			ret = error_set(err, 0,
					"resource limits cannot be applied here: the %s controller is not "
					"delegated to your cgroup %s (ask the administrator to delegate it)",
					need[i], parent);
			break;
		}
		file = xasprintf("%s/cgroup.subtree_control", dir);
		int fd = open(file, O_WRONLY | O_CLOEXEC);
		char cmd[40];
		int cl = snprintf(cmd, sizeof cmd, "+%s", need[i]);
		if (fd < 0 || write(fd, cmd, (size_t)cl) != cl)
			ret = error_set(err, errno, "resource limits cannot be applied here: enable %s in %s", need[i],
					file);
		if (fd >= 0)
			close(fd);
		free(file);
	}
	free(text);
	free(dir);
	return ret;
}

static bool host_is_cgroup_v2(void)
{
	struct statfs sf;
	return statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC;
}

/* Is path systemd-logind's scope of one of uid's login sessions? */
static bool is_login_session(const char *path, uid_t uid)
{
	char prefix[64];
	snprintf(prefix, sizeof prefix, "/user.slice/user-%u.slice/session-", (unsigned)uid);
	size_t n = strlen(prefix), len = strlen(path);
	return strncmp(path, prefix, n) == 0 && len > n + 6 && !strchr(path + n, '/') &&
	       strcmp(path + len - 6, ".scope") == 0;
}

enum cgroup_caller_place cgroup_caller_place(uid_t uid)
{
	if (uid == 0 || !host_is_cgroup_v2())
		return CGROUP_CALLER_NOTHING_TO_DO;
	char *own = own_cgroup_v2();
	if (!own)
		return CGROUP_CALLER_NOTHING_TO_DO; /* plan_for_user says why */
	char *top = topmost_owned(own, uid);
	enum cgroup_caller_place place = top                          ? CGROUP_CALLER_NOTHING_TO_DO
					 : is_login_session(own, uid) ? CGROUP_CALLER_LOGIN_SESSION
								      : CGROUP_CALLER_ELSEWHERE;
	free(top);
	free(own);
	return place;
}

/* A user on a pure v2 host: below the cgroup subtree they own. */
static int plan_for_user(json_object *res, uid_t uid, struct cgroup_plan *plan, struct error *err)
{
	char *own = own_cgroup_v2();
	if (!own)
		return error_set(err, 0,
				 "resource limits cannot be applied here: no cgroup v2 entry in /proc/self/cgroup");
	char *top = topmost_owned(own, uid);
	if (!top) {
		error_set(err, 0,
			  "resource limits cannot be applied here: your cgroup %s is not yours to divide "
			  "(a batch job's or a service's cgroup is not delegated to users; the scheduler's limits "
			  "hold there)",
			  own);
		free(own);
		return -1;
	}
	free(own);
	log_debug("resource limits: under %s, the cgroup you own", top);
	if (enable_controllers(top, res, err) < 0) {
		free(top);
		return -1;
	}
	plan->parent = top;
	return 0;
}

int cgroup_plan_make(json_object *res, uid_t uid, struct cgroup_plan *plan, struct error *err)
{
	memset(plan, 0, sizeof *plan);
	int ret = 0;
	if (uid == 0)
		plan->parent = xstrdup("/ochre");
	else if (!host_is_cgroup_v2())
		ret = error_set(err, 0,
				"resource limits cannot be applied here: this host runs cgroup v1 (or a v1/v2 hybrid), "
				"where only "
				"root may create cgroups (a batch job's limits come from the scheduler)");
	else
		ret = plan_for_user(res, uid, plan, err);
	if (ret < 0) {
		json_object_put(res);
		return -1;
	}
	plan->resources = res;
	return 0;
}

void cgroup_plan_set_id(struct cgroup_plan *plan, const char *id)
{
	free(plan->path);
	plan->path = xasprintf("%s/%s", plan->parent, id);
}

void cgroup_plan_free(struct cgroup_plan *plan)
{
	json_object_put(plan->resources);
	free(plan->parent);
	free(plan->path);
	memset(plan, 0, sizeof *plan);
}

/* ---- into config.json ----------------------------------------------------- */

static bool mounts_sys(json_object *spec)
{
	json_object *mounts, *dest;
	if (!json_object_object_get_ex(spec, "mounts", &mounts))
		return false;
	for (size_t i = 0; i < json_object_array_length(mounts); i++)
		if (json_object_object_get_ex(json_object_array_get_idx(mounts, i), "destination", &dest) &&
		    strcmp(json_object_get_string(dest), "/sys") == 0)
			return true;
	return false;
}

void cgroup_plan_apply(const struct cgroup_plan *plan, json_object *spec)
{
	json_object *linux_obj = section(spec, "linux"), *ns;
	json_object_object_add(linux_obj, "resources", json_object_get(plan->resources));
	if (plan->path)
		json_object_object_add(linux_obj, "cgroupsPath", json_object_new_string(plan->path));
	if (!json_object_object_get_ex(linux_obj, "namespaces", &ns)) {
		ns = json_object_new_array();
		json_object_object_add(linux_obj, "namespaces", ns);
	}
	json_object *t = json_object_new_object();
	json_object_object_add(t, "type", json_object_new_string("cgroup"));
	json_object_array_add(ns, t);
	if (!mounts_sys(spec))
		return;
	json_object *m = json_object_new_object(), *opts = json_object_new_array();
	json_object_object_add(m, "destination", json_object_new_string("/sys/fs/cgroup"));
	json_object_object_add(m, "type", json_object_new_string("cgroup"));
	json_object_object_add(m, "source", json_object_new_string("cgroup"));
	const char *o[] = { "nosuid", "noexec", "nodev", "relatime", "ro" };
	for (size_t i = 0; i < sizeof o / sizeof o[0]; i++)
		json_object_array_add(opts, json_object_new_string(o[i]));
	json_object_object_add(m, "options", opts);
	json_object *mounts;
	json_object_object_get_ex(spec, "mounts", &mounts);
	json_object_array_add(mounts, m);
}

void resources_merge_into_spec(json_object *res, json_object *spec)
{
	json_object *target = section(section(spec, "linux"), "resources");
	json_object_object_foreach(res, name, val)
	{
		json_object *sec = section(target, name);
		if (!json_object_is_type(sec, json_type_object)) {
			json_object_object_add(target, name, json_object_get(val));
			continue;
		}
		json_object_object_foreach(val, key, v) json_object_object_add(sec, key, json_object_get(v));
	}
}
