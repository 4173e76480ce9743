#define _GNU_SOURCE
#include "nvlib.h"

#include "ldcache.h"

#include "../util/xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int nvlib_read_list(const char *path, struct strv *entries, struct error *err)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return error_set(err, errno, "gpu library list '%s'", path);
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) >= 0) {
		char *s = line + strspn(line, " \t");
		size_t len = strcspn(s, "\r\n");
		while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		if (len > 0 && s[0] != '#') {
			char *entry = strndup(s, len);
			if (!entry)
				abort();
			strv_add(entries, entry);
		}
	}
	int failed = ferror(f);
	free(line);
	fclose(f);
	return failed ? error_set(err, EIO, "gpu library list '%s'", path) : 0;
}

static void add_file(struct nvlib_file **files, size_t *n, const char *host_path, const char *target)
{
	*files = realloc(*files, (*n + 1) * sizeof **files);
	if (!*files)
		abort();
	(*files)[(*n)++] = (struct nvlib_file){ .host_path = xstrdup(host_path), .target = xstrdup(target) };
}

static bool has_target(const struct nvlib_file *files, size_t n, const char *target)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(files[i].target, target) == 0)
			return true;
	return false;
}

/* A library entry: every native ld cache entry whose soname starts with it
 * (SingularityCE's rule: "libcuda.so" finds libcuda.so.1 and
 * libcuda.so.535.104.05), the first one only for each soname; or a file
 * named by absolute path. */
static void find_library(const char *entry, const struct ldcache *cache, int32_t flags, struct nvlib_result *r)
{
	if (entry[0] == '/') {
		struct stat st;
		const char *base = strrchr(entry, '/') + 1;
		if (stat(entry, &st) == 0 && S_ISREG(st.st_mode) && *base &&
		    !has_target(r->libraries, r->n_libraries, base))
			add_file(&r->libraries, &r->n_libraries, entry, base);
		return;
	}
	size_t len = strlen(entry);
	for (size_t i = 0; i < cache->n; i++) {
		const struct ldcache_entry *e = &cache->entries[i];
		if (e->flags == flags && strncmp(e->name, entry, len) == 0 && !strchr(e->name, '/') &&
		    !has_target(r->libraries, r->n_libraries, e->name))
			add_file(&r->libraries, &r->n_libraries, e->path, e->name);
	}
}

/* A tool: the first executable regular file of that name in bin_path. */
static void find_binary(const char *name, const char *bin_path, struct nvlib_result *r)
{
	if (strchr(name, '/') || has_target(r->binaries, r->n_binaries, name))
		return;
	char *dirs = xstrdup(bin_path), *save = NULL;
	for (char *dir = strtok_r(dirs, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		char *path = xasprintf("%s/%s", dir, name);
		struct stat st;
		bool found = dir[0] == '/' && stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
		if (found)
			add_file(&r->binaries, &r->n_binaries, path, name);
		free(path);
		if (found)
			break;
	}
	free(dirs);
}

static int compare_files(const void *a, const void *b)
{
	return strcmp(((const struct nvlib_file *)a)->target, ((const struct nvlib_file *)b)->target);
}

/* The character devices in root+dir whose names start with prefix ("" for
 * all), sorted. */
static void find_devices(const char *root, const char *dir, const char *prefix, struct nvlib_result *r)
{
	char *host_dir = xasprintf("%s%s", root, dir);
	DIR *d = opendir(host_dir);
	size_t first = r->n_devices;
	for (struct dirent *e; d && (e = readdir(d));) {
		if (e->d_name[0] == '.' || strncmp(e->d_name, prefix, strlen(prefix)) != 0)
			continue;
		char *host = xasprintf("%s/%s", host_dir, e->d_name);
		char *target = xasprintf("%s/%s", dir, e->d_name);
		struct stat st;
		if (lstat(host, &st) == 0 && S_ISCHR(st.st_mode))
			add_file(&r->devices, &r->n_devices, host, target);
		free(host);
		free(target);
	}
	if (d)
		closedir(d);
	if (r->n_devices > first)
		qsort(r->devices + first, r->n_devices - first, sizeof *r->devices, compare_files);
	free(host_dir);
}

static void find_socket(const char *root, const char *path, bool want_dir, struct nvlib_result *r)
{
	char *host = xasprintf("%s%s", root, path);
	struct stat st;
	if (stat(host, &st) == 0 && (want_dir ? S_ISDIR(st.st_mode) : S_ISSOCK(st.st_mode)))
		add_file(&r->sockets, &r->n_sockets, host, path);
	free(host);
}

static void find_vendor_devices(enum nvlib_vendor vendor, const char *root, struct nvlib_result *r)
{
	switch (vendor) {
	case NVLIB_NVIDIA:
		/* nvidia0..N, nvidiactl, nvidia-uvm, nvidia-uvm-tools, nvidia-modeset */
		find_devices(root, "/dev", "nvidia", r);
		find_devices(root, "/dev/nvidia-caps", "", r);
		find_socket(root, "/var/run/nvidia-persistenced/socket", false, r);
		find_socket(root, "/tmp/nvidia-mps", true, r);
		break;
	case NVLIB_ROCM:
		find_devices(root, "/dev", "kfd", r);
		find_devices(root, "/dev/dri", "", r);
		break;
	default:
		abort();
	}
}

/* Generic libraries on the list (libGL, libEGL, libOpenCL, libdrm) are
 * found on any desktop-ish host; only the vendor's own runtime says a
 * driver is installed. */
static bool has_driver_library(enum nvlib_vendor vendor, const struct nvlib_result *r)
{
	static const char *const nvidia[] = { "libcuda.so", "libnvidia-ml.so", NULL };
	static const char *const rocm[] = { "libhsa-runtime64.so", "libhsakmt.so", NULL };
	const char *const *names = vendor == NVLIB_NVIDIA ? nvidia : rocm;
	for (size_t i = 0; i < r->n_libraries; i++)
		for (const char *const *n = names; *n; n++)
			if (strncmp(r->libraries[i].target, *n, strlen(*n)) == 0)
				return true;
	return false;
}

int nvlib_find(enum nvlib_vendor vendor, const struct nvlib_options *opt, struct nvlib_result *out, struct error *err)
{
	memset(out, 0, sizeof *out);
	struct strv entries = { 0 };
	struct ldcache cache;
	if (nvlib_read_list(opt->list_file, &entries, err) < 0)
		return -1;
	if (ldcache_load(opt->ld_cache ? opt->ld_cache : LDCACHE_DEFAULT_PATH, &cache, err) < 0) {
		strv_free(entries.v);
		return -1;
	}
	int32_t flags = opt->lib_flags ? opt->lib_flags : LDCACHE_FLAGS_NATIVE;
	for (size_t i = 0; i < entries.n; i++) {
		if (strstr(entries.v[i], ".so"))
			find_library(entries.v[i], &cache, flags, out);
		else
			find_binary(entries.v[i], opt->bin_path ? opt->bin_path : NVLIB_SYSTEM_PATH, out);
	}
	const char *root = opt->root && strcmp(opt->root, "/") != 0 ? opt->root : "";
	find_vendor_devices(vendor, root, out);
	out->driver_found = out->n_devices > 0 || has_driver_library(vendor, out);
	ldcache_free(&cache);
	strv_free(entries.v);
	return 0;
}

static void files_free(struct nvlib_file *files, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(files[i].host_path);
		free(files[i].target);
	}
	free(files);
}

void nvlib_result_free(struct nvlib_result *r)
{
	files_free(r->libraries, r->n_libraries);
	files_free(r->binaries, r->n_binaries);
	files_free(r->devices, r->n_devices);
	files_free(r->sockets, r->n_sockets);
	memset(r, 0, sizeof *r);
}
