#define _GNU_SOURCE
#include "binds.h"

#include "../util/xalloc.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

char *container_path(const char *flag, const char *path, struct error *err)
{
	if (path[0] != '/') {
		error_set(err, 0, "%s: destination '%s' must be an absolute path", flag, path);
		return NULL;
	}
	char *out = xmalloc(strlen(path) + 2), *o = out;
	for (const char *p = path; *p;) {
		while (*p == '/')
			p++;
		size_t len = strcspn(p, "/");
		if (len == 0 || (len == 1 && p[0] == '.')) {
			p += len;
			continue;
		}
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			free(out);
			error_set(err, 0, "%s: destination '%s' must not contain '..'", flag, path);
			return NULL;
		}
		*o++ = '/';
		memcpy(o, p, len);
		o += len;
		p += len;
	}
	if (o == out)
		*o++ = '/';
	*o = '\0';
	return out;
}

static int resolve_source(const char *flag, const char *src, struct bind_spec *b, struct error *err)
{
	if (!*src)
		return error_set(err, 0, "%s: empty source path", flag);
	char *real = realpath(src, NULL);
	if (!real)
		return error_set(err, errno == ENOENT ? 0 : errno, "%s: bind source '%s' %s", flag, src,
				 errno == ENOENT ? "does not exist" : "cannot be resolved");
	b->src = real;
	return 0;
}

int bind_parse(const char *flag, const char *item, bool with_options, struct bind_spec *b, struct error *err)
{
	memset(b, 0, sizeof *b);
	char *copy = xstrdup(item);
	char *dst = strchr(copy, ':'), *opt = NULL;
	if (dst) {
		*dst++ = '\0';
		opt = strchr(dst, ':');
		if (opt)
			*opt++ = '\0';
	}
	int ret = -1;
	if (opt && (!with_options || (strcmp(opt, "ro") != 0 && strcmp(opt, "rw") != 0))) {
		error_set(err, 0, "%s '%s': unknown option '%s' (ro or rw)", flag, item, opt);
		goto out;
	}
	if (resolve_source(flag, copy, b, err) < 0)
		goto out;
	b->dst = container_path(flag, dst && *dst ? dst : copy[0] == '/' ? copy : b->src, err);
	if (!b->dst)
		goto out;
	b->ro = opt && strcmp(opt, "ro") == 0;
	ret = 0;
out:
	free(copy);
	if (ret < 0)
		bind_spec_free(b);
	return ret;
}

int bind_parse_mount(const char *arg, struct bind_spec *b, struct error *err)
{
	memset(b, 0, sizeof *b);
	char *copy = xstrdup(arg);
	const char *type = NULL, *src = NULL, *dst = NULL;
	bool ro = false;
	int ret = -1;
	for (char *save = NULL, *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');
		if (eq)
			*eq++ = '\0';
		if (strcmp(kv, "type") == 0 && eq)
			type = eq;
		else if ((strcmp(kv, "source") == 0 || strcmp(kv, "src") == 0) && eq)
			src = eq;
		else if ((strcmp(kv, "destination") == 0 || strcmp(kv, "dst") == 0 || strcmp(kv, "target") == 0) && eq)
			dst = eq;
		else if ((strcmp(kv, "ro") == 0 || strcmp(kv, "readonly") == 0) &&
			 (!eq || strcmp(eq, "true") == 0 || strcmp(eq, "1") == 0))
			ro = true;
		else if ((strcmp(kv, "ro") == 0 || strcmp(kv, "readonly") == 0) && eq &&
			 (strcmp(eq, "false") == 0 || strcmp(eq, "0") == 0))
			ro = false;
		else if (strcmp(kv, "rw") == 0 && !eq)
			ro = false;
		else {
			error_set(err, 0, "--mount '%s': unknown field '%s'", arg, kv);
			goto out;
		}
	}
	if (!type || strcmp(type, "bind") != 0) {
		error_set(err, 0, "--mount '%s': only type=bind is supported", arg);
		goto out;
	}
	if (!src || !dst) {
		error_set(err, 0, "--mount '%s': needs source= and destination=", arg);
		goto out;
	}
	if (resolve_source("--mount", src, b, err) < 0 || !(b->dst = container_path("--mount", dst, err)))
		goto out;
	b->ro = ro;
	ret = 0;
out:
	free(copy);
	if (ret < 0)
		bind_spec_free(b);
	return ret;
}

void bind_spec_free(struct bind_spec *b)
{
	free(b->src);
	free(b->dst);
	memset(b, 0, sizeof *b);
}

bool bind_source_is_device(const char *src)
{
	struct stat st, dev;
	struct statvfs vfs;
	/* A node on a nodev mount (a root-made node in a nodev /tmp) stays
	 * unopenable, as on the host. */
	if (stat(src, &st) < 0 || statvfs(src, &vfs) < 0 || (vfs.f_flag & ST_NODEV))
		return false;
	if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
		return true;
	bool under_dev = strcmp(src, "/dev") == 0 || strncmp(src, "/dev/", 5) == 0;
	return S_ISDIR(st.st_mode) && under_dev && stat("/dev", &dev) == 0 && dev.st_dev == st.st_dev;
}

bool device_path_listed(const char *src, char *const *paths, size_t n_paths)
{
	if (n_paths == 0)
		return true;
	for (size_t i = 0; i < n_paths; i++) {
		size_t len = strlen(paths[i]);
		if (strcmp(paths[i], "/") == 0 ||
		    (strncmp(src, paths[i], len) == 0 && (src[len] == '\0' || src[len] == '/')))
			return true;
	}
	return false;
}
