#define _GNU_SOURCE
#include "image_ref.h"

#include "../util/xalloc.h"
#include "registry_ref.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
	const char *prefix;
	enum image_kind kind;
} transports[] = {
	{ "oci:", IMAGE_OCI_DIR },
	{ "oci-archive:", IMAGE_OCI_ARCHIVE },
	{ "docker-archive:", IMAGE_DOCKER_ARCHIVE },
};

static const char *kind_prefix(enum image_kind kind)
{
	for (size_t i = 0; i < sizeof transports / sizeof transports[0]; i++)
		if (transports[i].kind == kind)
			return transports[i].prefix;
	return "";
}

/* Split "PATH[:TAG]" at the last colon whose tail could be a tag (no '/').
 * A docker-archive reference may itself contain a colon ("busybox:latest"),
 * so for it the split is at the first colon after the archive's path. */
static void split_tag(char *spec, enum image_kind kind, char **tag)
{
	*tag = NULL;
	char *colon = NULL;
	if (kind == IMAGE_DOCKER_ARCHIVE) {
		/* The file name ends at the first ':' after the last '/'. */
		char *slash = strrchr(spec, '/');
		colon = strchr(slash ? slash : spec, ':');
	} else {
		colon = strrchr(spec, ':');
		if (colon && strchr(colon, '/'))
			colon = NULL;
	}
	if (colon) {
		*colon = '\0';
		if (colon[1])
			*tag = xstrdup(colon + 1);
	}
}

int image_ref_parse(const char *arg, struct image_ref *ref, struct error *err)
{
	memset(ref, 0, sizeof *ref);
	if (registry_ref_is_docker(arg)) {
		struct registry_ref r;
		if (registry_ref_parse(arg, &r, err) < 0)
			return -1;
		ref->kind = IMAGE_DOCKER;
		ref->text = r.text;
		r.text = NULL;
		registry_ref_free(&r);
		return 0;
	}
	char *spec = NULL;
	bool explicit_kind = false;
	/* A path that exists is that file or directory, colons and all
	 * (cwltool names its pulled images 'host:port_repo:tag.sif'). */
	struct stat exists;
	if (stat(arg, &exists) == 0)
		spec = xstrdup(arg);
	for (size_t i = 0; !spec && i < sizeof transports / sizeof transports[0]; i++) {
		size_t n = strlen(transports[i].prefix);
		if (strncmp(arg, transports[i].prefix, n) == 0) {
			ref->kind = transports[i].kind;
			spec = xstrdup(arg + n);
			explicit_kind = true;
			break;
		}
	}
	if (!spec)
		spec = xstrdup(arg);
	if (explicit_kind)
		split_tag(spec, ref->kind, &ref->tag);
	if (*spec == '\0') {
		free(spec);
		image_ref_free(ref); /* the tag split off "oci::TAG" */
		return error_set(err, 0, "image '%s': no path given", arg);
	}

	ref->path = realpath(spec, NULL);
	int saved = errno;
	free(spec);
	if (!ref->path) {
		image_ref_free(ref);
		return error_set(err, saved, "image '%s'", arg);
	}
	struct stat st;
	if (stat(ref->path, &st) < 0) {
		saved = errno;
		image_ref_free(ref);
		return error_set(err, saved, "image '%s'", arg);
	}
	bool is_dir = S_ISDIR(st.st_mode);
	if (!explicit_kind) {
		if (!is_dir) {
			image_ref_free(ref);
			return error_set(err, 0,
					 "image '%s': not a directory (for an archive, say "
					 "oci-archive:%s or docker-archive:%s)",
					 arg, arg, arg);
		}
		char *layout = xasprintf("%s/oci-layout", ref->path);
		ref->kind = access(layout, F_OK) == 0 ? IMAGE_OCI_DIR : IMAGE_ROOTFS_DIR;
		free(layout);
	} else if ((ref->kind == IMAGE_OCI_DIR) != is_dir) {
		image_ref_free(ref);
		return error_set(err, 0, "image '%s': %s", arg,
				 is_dir ? "is a directory, not an archive" : "not a directory");
	}
	ref->text =
		xasprintf("%s%s%s%s", kind_prefix(ref->kind), ref->path, ref->tag ? ":" : "", ref->tag ? ref->tag : "");
	return 0;
}

void image_ref_free(struct image_ref *ref)
{
	free(ref->path);
	free(ref->tag);
	free(ref->text);
	memset(ref, 0, sizeof *ref);
}

bool image_platform_is_valid(const char *platform)
{
	int parts = 0;
	for (const char *p = platform;; parts++) {
		size_t n = strcspn(p, "/");
		if (n == 0 || n > 32 || strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789_.-") < n)
			return false;
		if (p[n] == '\0')
			break;
		p += n + 1;
	}
	return parts == 1 || parts == 2;
}
