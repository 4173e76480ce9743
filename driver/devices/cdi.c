/* CDI spec directories, the device registry and request resolution (the
 * spec format itself is cdi_parse.c). */
#define _GNU_SOURCE
#include "cdi.h"

#include "../util/xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* A usable device: its qualified name and where it is defined. */
struct cdi_registry_entry {
	char *qualified; /* vendor/class=name */
	size_t spec, device;
};

int cdi_format_of_name(const char *name)
{
	const char *dot = strrchr(name, '.');
	if (!dot || dot == name)
		return -1;
	if (strcmp(dot, ".json") == 0)
		return CDI_FORMAT_JSON;
	if (strcmp(dot, ".yaml") == 0 || strcmp(dot, ".yml") == 0)
		return CDI_FORMAT_YAML;
	return -1;
}

/* ---- trust ---- */

static int check_owner_mode(const char *path, const struct stat *st, struct error *err)
{
	if (st->st_uid != 0)
		return error_set(err, 0, "'%s' is owned by uid %u, not root", path, (unsigned)st->st_uid);
	if (!S_ISLNK(st->st_mode) && (st->st_mode & (S_IWGRP | S_IWOTH)))
		return error_set(err, 0, "'%s' is writable by group or others (mode %03o)", path,
				 (unsigned)(st->st_mode & 07777));
	return 0;
}

/* path and each directory above it, as written (lstat: symlinks themselves
 * must be root's, their mode does not matter). */
static int check_each_prefix(const char *path, bool follow, struct error *err)
{
	char buf[PATH_MAX];
	if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
		return error_set(err, ENAMETOOLONG, "'%s'", path);
	for (size_t len = strlen(buf); len > 0;) {
		struct stat st;
		if ((follow ? stat(buf, &st) : lstat(buf, &st)) < 0)
			return error_set(err, errno, "'%s'", buf);
		if (check_owner_mode(buf, &st, err) < 0)
			return -1;
		char *slash = strrchr(buf, '/');
		if (!slash || slash == buf) {
			if (slash && len > 1) {
				len = 1;
				buf[1] = '\0';
				continue;
			}
			break;
		}
		*slash = '\0';
		len = (size_t)(slash - buf);
	}
	return 0;
}

int cdi_path_trusted(const char *path, struct error *err)
{
	if (path[0] != '/')
		return error_set(err, 0, "'%s' is not an absolute path", path);
	char *real = realpath(path, NULL);
	if (!real)
		return error_set(err, errno, "'%s'", path);
	int ret = check_each_prefix(path, false, err);
	if (ret == 0)
		ret = check_each_prefix(real, true, err);
	free(real);
	return ret;
}

/* ---- loading ---- */

static void note_problem(struct cdi_registry *reg, const char *kind, char *line)
{
	strv_add(&reg->problems, line);
	strv_add(&reg->problem_kinds, xstrdup(kind ? kind : ""));
}

static bool is_kind_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("._-/", c);
}

/* The kind a broken spec claims, found by a plain text search, so that a
 * request for that kind can show why the spec was skipped. Best effort. */
static char *guess_kind(const char *data, size_t len)
{
	const char *p = memmem(data, len, "kind", 4);
	if (!p)
		return NULL;
	p += 4;
	const char *end = data + len;
	while (p < end && strchr("\"': \t", *p))
		p++;
	const char *start = p;
	while (p < end && *p && is_kind_char(*p))
		p++;
	return p > start ? strndup(start, (size_t)(p - start)) : NULL;
}

static int read_spec_file(int dirfd, const char *name, const char *path, bool trusted_only, char **data, size_t *len,
			  struct error *err)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | (trusted_only ? O_NOFOLLOW : 0));
	if (fd < 0)
		return error_set(err, errno, "cdi spec '%s'", path);
	struct stat st;
	int ret = -1;
	if (fstat(fd, &st) < 0) {
		error_set(err, errno, "cdi spec '%s'", path);
	} else if (!S_ISREG(st.st_mode)) {
		error_set(err, 0, "cdi spec '%s': not a regular file", path);
	} else if (trusted_only && check_owner_mode(path, &st, err) < 0) {
		char why[sizeof err->msg];
		snprintf(why, sizeof why, "%s", err->msg);
		error_set(err, 0, "cdi spec '%s': not trusted: %s", path, why);
	} else if (st.st_size > CDI_MAX_SPEC_SIZE) {
		error_set(err, 0, "cdi spec '%s': larger than %u bytes", path, CDI_MAX_SPEC_SIZE);
	} else {
		*data = xmalloc((size_t)st.st_size + 1);
		ssize_t n = read(fd, *data, (size_t)st.st_size + 1);
		if (n < 0 || n > st.st_size) {
			error_set(err, n < 0 ? errno : 0, "cdi spec '%s': %s", path, n < 0 ? "read" : "changed size");
			free(*data);
			*data = NULL;
		} else {
			*len = (size_t)n;
			ret = 0;
		}
	}
	close(fd);
	return ret;
}

static void add_spec(struct cdi_registry *reg, struct cdi_spec *spec)
{
	reg->specs = realloc(reg->specs, (reg->n_specs + 1) * sizeof *reg->specs);
	if (!reg->specs)
		abort();
	reg->specs[reg->n_specs++] = *spec;
}

static void load_spec_file(struct cdi_registry *reg, int dirfd, const char *dir, const char *name, int priority,
			   bool trusted_only)
{
	char *path = xasprintf("%s/%s", dir, name), *data = NULL;
	size_t len = 0;
	struct error err;
	struct cdi_spec spec;
	if (read_spec_file(dirfd, name, path, trusted_only, &data, &len, &err) < 0) {
		note_problem(reg, NULL, xstrdup(err.msg));
	} else if (cdi_spec_parse(data, len, (enum cdi_format)cdi_format_of_name(name), path, &spec, &err) < 0) {
		char *kind = guess_kind(data, len);
		note_problem(reg, kind, xstrdup(err.msg));
		free(kind);
	} else {
		spec.priority = priority;
		add_spec(reg, &spec);
	}
	free(data);
	free(path);
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Spec file names in dir, sorted (the reference loader's order). */
static int list_spec_files(int dirfd, const char *dir, struct strv *names, struct error *err)
{
	int fd = dup(dirfd);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		if (fd >= 0)
			close(fd);
		return error_set(err, errno, "cdi spec dir '%s'", dir);
	}
	struct dirent *e;
	errno = 0;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && cdi_format_of_name(e->d_name) >= 0)
			strv_add(names, xstrdup(e->d_name));
	int saved = errno;
	closedir(d);
	if (saved)
		return error_set(err, saved, "cdi spec dir '%s'", dir);
	if (names->n)
		qsort(names->v, names->n, sizeof *names->v, compare_names);
	return 0;
}

static int load_dir(struct cdi_registry *reg, const char *dir, int priority, bool trusted_only, struct error *err)
{
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return errno == ENOENT ? 0 : error_set(err, errno, "cdi spec dir '%s'", dir);
	struct error why;
	if (trusted_only && cdi_path_trusted(dir, &why) < 0) {
		note_problem(reg, NULL, xasprintf("cdi spec dir '%s': not trusted: %s", dir, why.msg));
		close(dirfd);
		return 0;
	}
	struct strv names = { 0 };
	int ret = list_spec_files(dirfd, dir, &names, err);
	for (size_t i = 0; ret == 0 && i < names.n; i++)
		load_spec_file(reg, dirfd, dir, names.v[i], priority, trusted_only);
	strv_free(names.v);
	close(dirfd);
	return ret;
}

static struct cdi_registry_entry *find_entry(const struct cdi_registry *reg, const char *qualified)
{
	for (size_t i = 0; i < reg->n_entries; i++)
		if (strcmp(reg->entries[i].qualified, qualified) == 0)
			return &reg->entries[i];
	return NULL;
}

static bool in_strv(const struct strv *s, const char *item)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], item) == 0)
			return true;
	return false;
}

/* Index every device; a later directory's definition replaces an earlier
 * one; two in the same directory make a conflict (both dropped). */
static void index_devices(struct cdi_registry *reg)
{
	for (size_t s = 0; s < reg->n_specs; s++) {
		const struct cdi_spec *spec = &reg->specs[s];
		for (size_t d = 0; d < spec->n_devices; d++) {
			char *q = xasprintf("%s/%s=%s", spec->vendor, spec->class, spec->devices[d].name);
			struct cdi_registry_entry *old = find_entry(reg, q);
			if (old && reg->specs[old->spec].priority == spec->priority) {
				char *kind = xasprintf("%s/%s", spec->vendor, spec->class);
				note_problem(reg, kind,
					     xasprintf("cdi device '%s' is defined in both '%s' and '%s'", q,
						       reg->specs[old->spec].origin, spec->origin));
				free(kind);
				if (!in_strv(&reg->conflicts, q))
					strv_add(&reg->conflicts, xstrdup(q));
			}
			if (old) {
				free(old->qualified);
				*old = (struct cdi_registry_entry){ .qualified = q, .spec = s, .device = d };
				continue;
			}
			reg->entries = realloc(reg->entries, (reg->n_entries + 1) * sizeof *reg->entries);
			if (!reg->entries)
				abort();
			reg->entries[reg->n_entries++] =
				(struct cdi_registry_entry){ .qualified = q, .spec = s, .device = d };
		}
	}
}

int cdi_registry_load(struct cdi_registry *reg, const char *const *dirs, size_t n_dirs, bool require_trusted,
		      struct error *err)
{
	for (size_t i = 0; i < n_dirs; i++)
		if (load_dir(reg, dirs[i], (int)i, require_trusted, err) < 0)
			return -1;
	index_devices(reg);
	return 0;
}

void cdi_registry_free(struct cdi_registry *reg)
{
	for (size_t i = 0; i < reg->n_specs; i++)
		cdi_spec_free(&reg->specs[i]);
	free(reg->specs);
	for (size_t i = 0; i < reg->n_entries; i++)
		free(reg->entries[i].qualified);
	free(reg->entries);
	strv_free(reg->problems.v);
	strv_free(reg->problem_kinds.v);
	strv_free(reg->conflicts.v);
	memset(reg, 0, sizeof *reg);
}

/* ---- resolution ---- */

char *cdi_available_devices(const struct cdi_registry *reg)
{
	struct strv names = { 0 };
	for (size_t i = 0; i < reg->n_entries; i++)
		if (!in_strv(&reg->conflicts, reg->entries[i].qualified))
			strv_add(&names, reg->entries[i].qualified);
	if (names.n)
		qsort(names.v, names.n, sizeof *names.v, compare_names);
	size_t len = 1;
	for (size_t i = 0; i < names.n; i++)
		len += strlen(names.v[i]) + 2;
	char *out = xmalloc(len), *p = out;
	*p = '\0';
	for (size_t i = 0; i < names.n; i++)
		p += sprintf(p, "%s%s", i ? ", " : "", names.v[i]);
	free(names.v); /* the strings are the registry's */
	return out;
}

/* A spec of this kind that could not be loaded, or a conflict: the reason
 * a request for it cannot be met. */
static const char *problem_for(const struct cdi_registry *reg, const char *kind, const char *qualified)
{
	for (size_t i = 0; i < reg->problems.n; i++) {
		const char *p = reg->problems.v[i];
		if (qualified && strncmp(p, "cdi device '", 12) == 0 &&
		    strncmp(p + 12, qualified, strlen(qualified)) == 0 && p[12 + strlen(qualified)] == '\'')
			return p;
		if (!qualified && strcmp(reg->problem_kinds.v[i], kind) == 0)
			return p;
	}
	return NULL;
}

static int unknown_device(const struct cdi_registry *reg, const char *request, const char *kind, struct error *err)
{
	const char *why = problem_for(reg, kind, NULL);
	if (why)
		return error_set(err, 0, "cdi device '%s' is unavailable: %s", request, why);
	char *available = cdi_available_devices(reg);
	error_set(err, 0, "unknown cdi device '%s' (%s%s%s%s)", request, available[0] ? "available: " : "",
		  available[0] ? available : "no cdi devices are defined", reg->problems.n ? "; not used: " : "",
		  reg->problems.n ? reg->problems.v[0] : "");
	free(available);
	return -1;
}

/* Check one request's syntax and split it; kind is "vendor/class". */
static int parse_request(const char *request, char **kind, char **name, struct error *err)
{
	const char *eq = strchr(request, '=');
	const char *slash = strchr(request, '/');
	if (!eq || !slash || slash > eq)
		return error_set(err, 0, "invalid cdi device '%s' (expected vendor.com/class=name)", request);
	char *vendor = strndup(request, (size_t)(slash - request));
	char *class = strndup(slash + 1, (size_t)(eq - slash - 1));
	int ret = 0;
	if (!vendor || !class)
		abort();
	if (!cdi_vendor_name_valid(vendor) || !cdi_class_name_valid(class) ||
	    (strcmp(eq + 1, "all") != 0 && !cdi_device_name_valid(eq + 1)))
		ret = error_set(err, 0, "invalid cdi device '%s' (expected vendor.com/class=name)", request);
	else {
		*kind = xasprintf("%s/%s", vendor, class);
		*name = xstrdup(eq + 1);
	}
	free(vendor);
	free(class);
	return ret;
}

/* The registry entries one request names (in spec order for "all"). */
static int select_request(const struct cdi_registry *reg, const char *request, struct cdi_registry_entry **picked,
			  size_t *n_picked, struct error *err)
{
	char *kind = NULL, *name = NULL;
	if (parse_request(request, &kind, &name, err) < 0)
		return -1;
	int ret = 0;
	const struct cdi_registry_entry *exact = find_entry(reg, request);
	if (in_strv(&reg->conflicts, request)) {
		ret = error_set(err, 0, "%s", problem_for(reg, kind, request));
	} else if (exact) {
		picked[(*n_picked)++] = (struct cdi_registry_entry *)exact;
	} else if (strcmp(name, "all") == 0) {
		size_t before = *n_picked, kind_len = strlen(kind);
		for (size_t i = 0; i < reg->n_entries; i++) {
			const char *q = reg->entries[i].qualified;
			if (strncmp(q, kind, kind_len) == 0 && q[kind_len] == '=' && !in_strv(&reg->conflicts, q))
				picked[(*n_picked)++] = &reg->entries[i];
		}
		if (*n_picked == before)
			ret = unknown_device(reg, request, kind, err);
	} else {
		ret = unknown_device(reg, request, kind, err);
	}
	free(kind);
	free(name);
	return ret;
}

static bool picked_before(struct cdi_registry_entry *const *picked, size_t n, const struct cdi_registry_entry *e)
{
	for (size_t i = 0; i < n; i++)
		if (picked[i] == e)
			return true;
	return false;
}

static void merge_picked(const struct cdi_registry *reg, struct cdi_registry_entry *const *picked, size_t n,
			 struct cdi_edits *out)
{
	bool *spec_done = xcalloc(reg->n_specs ? reg->n_specs : 1, sizeof *spec_done);
	for (size_t i = 0; i < n; i++) {
		if (picked_before(picked, i, picked[i]))
			continue;
		const struct cdi_spec *spec = &reg->specs[picked[i]->spec];
		if (!spec_done[picked[i]->spec]) {
			spec_done[picked[i]->spec] = true;
			cdi_edits_append(out, &spec->edits);
		}
		cdi_edits_append(out, &spec->devices[picked[i]->device].edits);
	}
	free(spec_done);
}

int cdi_resolve(const struct cdi_registry *reg, const char *const *requests, size_t n_requests, struct cdi_edits *out,
		struct error *err)
{
	/* Each device at most once per request item, so this many suffice. */
	size_t cap = 1;
	for (size_t r = 0; r < n_requests; r++)
		for (const char *p = requests[r];; p++) {
			if (*p == ',' || *p == '\0')
				cap += reg->n_entries + 1;
			if (*p == '\0')
				break;
		}
	struct cdi_registry_entry **picked = xcalloc(cap, sizeof *picked);
	size_t n_picked = 0;
	int ret = 0;
	for (size_t r = 0; ret == 0 && r < n_requests; r++) {
		char *list = xstrdup(requests[r]), *save = NULL;
		if (!list[0] || list[0] == ',' || list[strlen(list) - 1] == ',' || strstr(list, ",,"))
			ret = error_set(err, 0, "invalid cdi device list '%s' (an empty item)", requests[r]);
		for (char *item = strtok_r(list, ",", &save); ret == 0 && item; item = strtok_r(NULL, ",", &save))
			ret = select_request(reg, item, picked, &n_picked, err);
		free(list);
	}
	if (ret == 0)
		merge_picked(reg, picked, n_picked, out);
	free(picked);
	return ret;
}
