#include "config.h"

#include "path.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_TMPFS_SIZE (64ULL << 20)

static const char *const runtime_names[RUNTIME_KIND_COUNT] = {
	[RUNTIME_CRUN] = "crun",
	[RUNTIME_RUNC] = "runc",
};

const char *runtime_kind_name(enum runtime_kind kind)
{
	return runtime_names[kind];
}

int runtime_kind_from_name(const char *name)
{
	for (int k = 0; k < RUNTIME_KIND_COUNT; k++)
		if (strcmp(name, runtime_names[k]) == 0)
			return k;
	return -1;
}

void config_init(struct ochre_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->runtimes[0] = RUNTIME_CRUN;
	cfg->runtimes[1] = RUNTIME_RUNC;
	cfg->n_runtimes = 2;
	cfg->tmpfs_size = DEFAULT_TMPFS_SIZE;
	cfg->overlay = OVERLAY_AUTO;
	cfg->allow_setuid = 1;
	cfg->setuid_userns = SETUID_USERNS_SUBID_USERS;
	cfg->allow_user_overlay = 1;
	cfg->user_bind_control = 1;
	cfg->mpi_passthrough = 1;
	cfg->allow_user_limits = 1;
	cfg->mount_dev = MOUNT_DEV_YES;
	cfg->allow_nv = 1;
	cfg->allow_sif = 1;
}

static void list_free(struct config_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	l->n = 0;
}

void config_free(struct ochre_config *cfg)
{
	for (int k = 0; k < RUNTIME_KIND_COUNT; k++)
		free(cfg->runtime_path[k]);
	free(cfg->session_dir);
	free(cfg->cache_dir);
	free(cfg->conmon_path);
	free(cfg->fuse_overlayfs_path);
	free(cfg->squashfuse_path);
	free(cfg->fusermount_path);
	free(cfg->setuid_userns_group);
	list_free(&cfg->bind_paths);
	list_free(&cfg->limit_paths);
	list_free(&cfg->limit_owners);
	list_free(&cfg->security);
	list_free(&cfg->insecure_registries);
	list_free(&cfg->device_paths);
	memset(cfg, 0, sizeof *cfg);
}

int config_parse_size(const char *s, unsigned long long *out)
{
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	unsigned shift = 0;
	switch (*end) {
	default:
		return -1;
	case '\0':
		break;
	case 'k':
	case 'K':
		shift = 10;
		end++;
		break;
	case 'm':
	case 'M':
		shift = 20;
		end++;
		break;
	case 'g':
	case 'G':
		shift = 30;
		end++;
		break;
	case 't':
	case 'T':
		shift = 40;
		end++;
		break;
	}
	if (*end != '\0' || v == 0 || v > (~0ULL >> shift))
		return -1;
	*out = v << shift;
	return 0;
}

struct parse_ctx {
	const char *name;
	int lineno;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3))) static int fail(struct parse_ctx *ctx, const char *fmt, ...)
{
	int n = snprintf(ctx->err, ctx->errlen, "config '%s' line %d: ", ctx->name, ctx->lineno);
	va_list ap;
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < ctx->errlen)
		vsnprintf(ctx->err + n, ctx->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static int set_runtimes(struct parse_ctx *ctx, struct ochre_config *cfg, char *value)
{
	size_t n = 0;
	enum runtime_kind order[CONFIG_MAX_RUNTIMES];
	for (char *save = NULL, *tok = strtok_r(value, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		tok = trim(tok);
		int kind = runtime_kind_from_name(tok);
		if (kind < 0)
			return fail(ctx, "unknown runtime '%s' (known: crun, runc)", tok);
		for (size_t i = 0; i < n; i++)
			if (order[i] == (enum runtime_kind)kind)
				return fail(ctx, "runtime '%s' listed twice", tok);
		order[n++] = (enum runtime_kind)kind;
	}
	if (n == 0)
		return fail(ctx, "'runtime' needs at least one runtime name");
	memcpy(cfg->runtimes, order, sizeof order);
	cfg->n_runtimes = n;
	return 0;
}

static int set_path(struct parse_ctx *ctx, const char *directive, char **slot, const char *value)
{
	if (!path_is_clean_absolute(value))
		return fail(ctx, "'%s' must be a clean absolute path, not '%s'", directive, value);
	char *copy = strdup(value);
	if (!copy)
		return fail(ctx, "out of memory");
	free(*slot);
	*slot = copy;
	return 0;
}

static int set_bool(struct parse_ctx *ctx, const char *directive, int *slot, const char *value)
{
	if (strcmp(value, "yes") == 0)
		*slot = 1;
	else if (strcmp(value, "no") == 0)
		*slot = 0;
	else
		return fail(ctx, "'%s' must be yes or no, not '%s'", directive, value);
	return 0;
}

static int set_overlay(struct parse_ctx *ctx, struct ochre_config *cfg, const char *value)
{
	static const char *const modes[] = {
		[OVERLAY_AUTO] = "auto", [OVERLAY_KERNEL] = "kernel", [OVERLAY_FUSE] = "fuse"
	};
	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
		if (strcmp(value, modes[i]) == 0) {
			cfg->overlay = (enum overlay_mode)i;
			return 0;
		}
	return fail(ctx, "'overlay' must be auto, kernel or fuse, not '%s'", value);
}

static int set_mount_dev(struct parse_ctx *ctx, struct ochre_config *cfg, const char *value)
{
	if (strcmp(value, "yes") == 0)
		cfg->mount_dev = MOUNT_DEV_YES;
	else if (strcmp(value, "minimal") == 0)
		cfg->mount_dev = MOUNT_DEV_MINIMAL;
	else
		return fail(ctx, "'mount dev' must be yes or minimal, not '%s'", value);
	return 0;
}

/* A user or group name: what 'limit container owners' and 'allow setuid
 * userns = group NAME' accept. */
static bool is_account_name(const char *s)
{
	return s[0] && s[0] != '-' &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == strlen(s);
}

/* yes | no | subid-users | group NAME */
static int set_setuid_userns(struct parse_ctx *ctx, struct ochre_config *cfg, const char *value)
{
	static const char *const rules[] = { [SETUID_USERNS_SUBID_USERS] = "subid-users",
					     [SETUID_USERNS_ANYONE] = "yes",
					     [SETUID_USERNS_NOBODY] = "no" };
	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
		if (strcmp(value, rules[i]) == 0) {
			cfg->setuid_userns = (enum setuid_userns_rule)i;
			return 0;
		}
	if (strncmp(value, "group", 5) == 0 && isspace((unsigned char)value[5])) {
		const char *name = value + 5;
		while (isspace((unsigned char)*name))
			name++;
		if (!is_account_name(name))
			return fail(ctx, "bad group name '%s' for 'allow setuid userns'", name);
		if (!(cfg->setuid_userns_group = strdup(name)))
			return fail(ctx, "out of memory");
		cfg->setuid_userns = SETUID_USERNS_GROUP;
		return 0;
	}
	return fail(ctx, "'allow setuid userns' must be yes, no, subid-users or group NAME, not '%s'", value);
}

/* Values a list directive accepts. */
enum list_kind { LIST_BIND, LIST_PATH, LIST_OWNER, LIST_SECURITY, LIST_REGISTRY };

static bool list_item_ok(enum list_kind kind, const char *item)
{
	switch (kind) {
	case LIST_BIND: {
		/* SRC[:DST], both clean absolute paths */
		char buf[4096];
		if (strlen(item) >= sizeof buf)
			return false;
		snprintf(buf, sizeof buf, "%s", item);
		char *colon = strchr(buf, ':');
		if (colon)
			*colon = '\0';
		return path_is_clean_absolute(buf) && (!colon || path_is_clean_absolute(colon + 1));
	}
	case LIST_PATH:
		return path_is_clean_absolute(item);
	case LIST_OWNER:
		return is_account_name(item);
	case LIST_SECURITY:
		return (strncmp(item, "selinux:", 8) == 0 && item[8]) ||
		       (strncmp(item, "apparmor:", 9) == 0 && item[9]);
	case LIST_REGISTRY:
		/* host[:port] (or [IPv6]:port): never a URL or a path */
		return item[0] && strlen(item) <= 255 &&
		       strspn(item, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") ==
			       strlen(item);
	default:
		return false;
	}
}

/* A list directive: "a, b" adds a and b; given again, it adds more. */
static int add_to_list(struct parse_ctx *ctx, const char *directive, struct config_list *l, enum list_kind kind,
		       char *value)
{
	for (char *save = NULL, *tok = strtok_r(value, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		tok = trim(tok);
		if (!list_item_ok(kind, tok))
			return fail(ctx, "bad value '%s' for '%s'", tok, directive);
		if (l->n == CONFIG_MAX_LIST)
			return fail(ctx, "more than %d values for '%s'", CONFIG_MAX_LIST, directive);
		if (!(l->v[l->n] = strdup(tok)))
			return fail(ctx, "out of memory");
		l->n++;
	}
	return 0;
}

/* 'max pids = 4096': a positive whole number. */
static int set_count(struct parse_ctx *ctx, const char *directive, unsigned long long *slot, const char *value)
{
	errno = 0;
	char *end;
	unsigned long long v = strtoull(value, &end, 10);
	if (!isdigit((unsigned char)*value) || errno || *end || v == 0 || v > (1ULL << 62))
		return fail(ctx, "'%s' must be a positive whole number, not '%s'", directive, value);
	*slot = v;
	return 0;
}

/* 'max cpus = 2' or '1.5': kept in thousandths. */
static int set_cpus(struct parse_ctx *ctx, unsigned long long *milli, const char *value)
{
	unsigned long long whole = 0, frac = 0, scale = 1000;
	const char *s = value;
	if (!isdigit((unsigned char)*s))
		return fail(ctx, "'max cpus' must be a number such as 2 or 1.5, not '%s'", value);
	for (; isdigit((unsigned char)*s) && whole < 1000000; s++)
		whole = whole * 10 + (unsigned long long)(*s - '0');
	if (*s == '.' && isdigit((unsigned char)s[1]))
		for (s++; isdigit((unsigned char)*s) && scale > 1; s++)
			frac += (unsigned long long)(*s - '0') * (scale /= 10);
	if (*s || whole * 1000 + frac == 0)
		return fail(ctx, "'max cpus' must be a number such as 2 or 1.5 (at most 3 decimals), not '%s'", value);
	*milli = whole * 1000 + frac;
	return 0;
}

enum directive {
	DIR_RUNTIME,
	DIR_CRUN_PATH,
	DIR_RUNC_PATH,
	DIR_TMPFS_SIZE,
	DIR_SESSION_DIR,
	DIR_CACHE_DIR,
	DIR_CONMON_PATH,
	DIR_FUSE_OVERLAYFS_PATH,
	DIR_FUSERMOUNT_PATH,
	DIR_OVERLAY,
	DIR_ALLOW_SETUID,
	DIR_SETUID_USERNS,
	DIR_ALLOW_USER_OVERLAY,
	DIR_USER_BIND_CONTROL,
	DIR_BIND_PATH,
	DIR_LIMIT_PATHS,
	DIR_LIMIT_OWNERS,
	DIR_SECURITY,
	DIR_INSECURE_REGISTRY,
	DIR_ALLOW_USER_LIMITS,
	DIR_MAX_MEMORY,
	DIR_MAX_PIDS,
	DIR_MAX_CPUS,
	DIR_MOUNT_DEV,
	DIR_ALLOW_NV,
	DIR_ALWAYS_USE_NV,
	DIR_ALWAYS_USE_ROCM,
	DIR_ALLOW_DEVICE_PATH,
	DIR_MPI_PASSTHROUGH,
	DIR_SQUASHFUSE_PATH,
	DIR_ALLOW_SIF,
	DIR_COUNT,
};

static const char *const directive_names[DIR_COUNT] = {
	[DIR_RUNTIME] = "runtime",
	[DIR_CRUN_PATH] = "crun path",
	[DIR_RUNC_PATH] = "runc path",
	[DIR_TMPFS_SIZE] = "tmpfs size",
	[DIR_SESSION_DIR] = "session dir",
	[DIR_CACHE_DIR] = "cache dir",
	[DIR_CONMON_PATH] = "conmon path",
	[DIR_FUSE_OVERLAYFS_PATH] = "fuse-overlayfs path",
	[DIR_FUSERMOUNT_PATH] = "fusermount3 path",
	[DIR_OVERLAY] = "overlay",
	[DIR_ALLOW_SETUID] = "allow setuid",
	[DIR_SETUID_USERNS] = "allow setuid userns",
	[DIR_ALLOW_USER_OVERLAY] = "allow user overlay",
	[DIR_USER_BIND_CONTROL] = "user bind control",
	[DIR_BIND_PATH] = "bind path",
	[DIR_LIMIT_PATHS] = "limit container paths",
	[DIR_LIMIT_OWNERS] = "limit container owners",
	[DIR_SECURITY] = "security",
	[DIR_INSECURE_REGISTRY] = "insecure registry",
	[DIR_ALLOW_USER_LIMITS] = "allow user limits",
	[DIR_MAX_MEMORY] = "max memory",
	[DIR_MAX_PIDS] = "max pids",
	[DIR_MAX_CPUS] = "max cpus",
	[DIR_MOUNT_DEV] = "mount dev",
	[DIR_ALLOW_NV] = "allow nv",
	[DIR_ALWAYS_USE_NV] = "always use nv",
	[DIR_ALWAYS_USE_ROCM] = "always use rocm",
	[DIR_ALLOW_DEVICE_PATH] = "allow device path",
	[DIR_MPI_PASSTHROUGH] = "mpi passthrough",
	[DIR_SQUASHFUSE_PATH] = "squashfuse path",
	[DIR_ALLOW_SIF] = "allow sif",
};

/* These may be given more than once. */
static bool repeatable(enum directive d)
{
	return d == DIR_BIND_PATH || d == DIR_LIMIT_PATHS || d == DIR_LIMIT_OWNERS || d == DIR_SECURITY ||
	       d == DIR_INSECURE_REGISTRY || d == DIR_ALLOW_DEVICE_PATH;
}

static int apply(struct parse_ctx *ctx, struct ochre_config *cfg, enum directive d, char *value)
{
	switch (d) {
	case DIR_RUNTIME:
		return set_runtimes(ctx, cfg, value);
	case DIR_CRUN_PATH:
		return set_path(ctx, directive_names[d], &cfg->runtime_path[RUNTIME_CRUN], value);
	case DIR_RUNC_PATH:
		return set_path(ctx, directive_names[d], &cfg->runtime_path[RUNTIME_RUNC], value);
	case DIR_TMPFS_SIZE:
		if (config_parse_size(value, &cfg->tmpfs_size) < 0)
			return fail(ctx, "bad size '%s' for 'tmpfs size' (e.g. 64M, 1G)", value);
		return 0;
	case DIR_SESSION_DIR:
		return set_path(ctx, directive_names[d], &cfg->session_dir, value);
	case DIR_CACHE_DIR:
		return set_path(ctx, directive_names[d], &cfg->cache_dir, value);
	case DIR_CONMON_PATH:
		return set_path(ctx, directive_names[d], &cfg->conmon_path, value);
	case DIR_FUSE_OVERLAYFS_PATH:
		return set_path(ctx, directive_names[d], &cfg->fuse_overlayfs_path, value);
	case DIR_FUSERMOUNT_PATH:
		return set_path(ctx, directive_names[d], &cfg->fusermount_path, value);
	case DIR_SQUASHFUSE_PATH:
		return set_path(ctx, directive_names[d], &cfg->squashfuse_path, value);
	case DIR_ALLOW_SIF:
		return set_bool(ctx, directive_names[d], &cfg->allow_sif, value);
	case DIR_OVERLAY:
		return set_overlay(ctx, cfg, value);
	case DIR_ALLOW_SETUID:
		return set_bool(ctx, directive_names[d], &cfg->allow_setuid, value);
	case DIR_SETUID_USERNS:
		return set_setuid_userns(ctx, cfg, value);
	case DIR_ALLOW_USER_OVERLAY:
		return set_bool(ctx, directive_names[d], &cfg->allow_user_overlay, value);
	case DIR_USER_BIND_CONTROL:
		return set_bool(ctx, directive_names[d], &cfg->user_bind_control, value);
	case DIR_MPI_PASSTHROUGH:
		return set_bool(ctx, directive_names[d], &cfg->mpi_passthrough, value);
	case DIR_BIND_PATH:
		return add_to_list(ctx, directive_names[d], &cfg->bind_paths, LIST_BIND, value);
	case DIR_LIMIT_PATHS:
		return add_to_list(ctx, directive_names[d], &cfg->limit_paths, LIST_PATH, value);
	case DIR_LIMIT_OWNERS:
		return add_to_list(ctx, directive_names[d], &cfg->limit_owners, LIST_OWNER, value);
	case DIR_SECURITY:
		return add_to_list(ctx, directive_names[d], &cfg->security, LIST_SECURITY, value);
	case DIR_INSECURE_REGISTRY:
		return add_to_list(ctx, directive_names[d], &cfg->insecure_registries, LIST_REGISTRY, value);
	case DIR_ALLOW_USER_LIMITS:
		return set_bool(ctx, directive_names[d], &cfg->allow_user_limits, value);
	case DIR_MAX_MEMORY:
		if (config_parse_size(value, &cfg->max_memory) < 0)
			return fail(ctx, "bad size '%s' for 'max memory' (e.g. 64G)", value);
		return 0;
	case DIR_MAX_PIDS:
		return set_count(ctx, directive_names[d], &cfg->max_pids, value);
	case DIR_MAX_CPUS:
		return set_cpus(ctx, &cfg->max_cpus_milli, value);
	case DIR_MOUNT_DEV:
		return set_mount_dev(ctx, cfg, value);
	case DIR_ALLOW_NV:
		return set_bool(ctx, directive_names[d], &cfg->allow_nv, value);
	case DIR_ALWAYS_USE_NV:
		return set_bool(ctx, directive_names[d], &cfg->always_use_nv, value);
	case DIR_ALWAYS_USE_ROCM:
		return set_bool(ctx, directive_names[d], &cfg->always_use_rocm, value);
	case DIR_ALLOW_DEVICE_PATH:
		return add_to_list(ctx, directive_names[d], &cfg->device_paths, LIST_PATH, value);
	case DIR_COUNT:
	default:
		break;
	}
	return fail(ctx, "internal error: directive %d", (int)d);
}

int config_parse(const char *name, char *text, size_t len, struct ochre_config *cfg, char *err, size_t errlen)
{
	struct parse_ctx ctx = { .name = name, .err = err, .errlen = errlen };
	int seen[DIR_COUNT] = { 0 };

	if (text[len] != '\0' || memchr(text, '\0', len))
		return fail(&ctx, "file contains a NUL byte");
	char *end = text + len;
	for (char *line = text; line < end;) {
		char *nl = memchr(line, '\n', (size_t)(end - line));
		char *next = nl ? nl + 1 : end;
		if (nl)
			*nl = '\0'; /* the last line is ended by text[len] == '\0' */
		ctx.lineno++;

		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *s = trim(line);
		line = next;
		if (*s == '\0')
			continue;

		char *eq = strchr(s, '=');
		if (!eq)
			return fail(&ctx, "expected 'directive = value', got '%s'", s);
		*eq = '\0';
		char *key = trim(s), *value = trim(eq + 1);
		int d;
		for (d = 0; d < DIR_COUNT; d++)
			if (strcmp(key, directive_names[d]) == 0)
				break;
		if (d == DIR_COUNT)
			return fail(&ctx, "unknown directive '%s'", key);
		if (seen[d]++ && !repeatable((enum directive)d))
			return fail(&ctx, "'%s' is set twice", key);
		if (*value == '\0')
			return fail(&ctx, "'%s' needs a value", key);
		if (apply(&ctx, cfg, (enum directive)d, value) < 0)
			return -1;
	}
	return 0;
}
