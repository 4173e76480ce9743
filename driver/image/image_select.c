#define _GNU_SOURCE
#include "image_select.h"

#include "../../common/log.h"
#include "../util/json_read.h"
#include "../util/xalloc.h"
#include "digest_name.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define REF_NAME "org.opencontainers.image.ref.name"
#define MAX_INDEX_DEPTH 4

/* ---- platforms ------------------------------------------------------------ */

void host_platform(char *out, size_t len)
{
	struct utsname u;
	uname(&u);
	const char *arch = u.machine, *variant = NULL;
	if (strcmp(arch, "x86_64") == 0)
		arch = "amd64";
	else if (strcmp(arch, "aarch64") == 0)
		arch = "arm64", variant = "v8";
	else if (strncmp(arch, "armv7", 5) == 0)
		arch = "arm", variant = "v7";
	else if (strncmp(arch, "armv6", 5) == 0)
		arch = "arm", variant = "v6";
	else if (strcmp(arch, "i686") == 0 || strcmp(arch, "i386") == 0)
		arch = "386";
	snprintf(out, len, "linux/%s%s%s", arch, variant ? "/" : "", variant ? variant : "");
}

static void descriptor_platform(json_object *desc, char *out, size_t len)
{
	json_object *p;
	if (!json_object_object_get_ex(desc, "platform", &p)) {
		snprintf(out, len, "(no platform)");
		return;
	}
	const char *os = json_str_field(p, "os"), *arch = json_str_field(p, "architecture"),
		   *variant = json_str_field(p, "variant");
	snprintf(out, len, "%s/%s%s%s", os ? os : "?", arch ? arch : "?", variant ? "/" : "", variant ? variant : "");
}

/* linux/arm64 matches linux/arm64/v8 both ways: the variant is optional. */
static bool platform_matches(const char *offered, const char *host)
{
	size_t n = strlen(offered);
	if (strncmp(offered, host, n) == 0 && (host[n] == '\0' || host[n] == '/'))
		return true;
	n = strlen(host);
	return strncmp(offered, host, n) == 0 && offered[n] == '/';
}

/* ---- manifest selection --------------------------------------------------- */

static bool is_index_type(const char *mt)
{
	return mt && (strcmp(mt, MT_OCI_INDEX) == 0 || strcmp(mt, MT_DOCKER_LIST) == 0);
}

static bool is_manifest_type(const char *mt)
{
	return mt && (strcmp(mt, MT_OCI_MANIFEST) == 0 || strcmp(mt, MT_DOCKER_MANIFEST) == 0);
}

/* Read blobs/ALG/HEX; when verify, check it against its digest. */
int image_read_blob(const struct blob_source *src, const char *digest, blob_check_fn check, char **data, size_t *len,
		    struct error *err)
{
	if (!digest || !digest_is_valid(digest))
		return error_set(err, 0, "%s: malformed digest '%s'", src->label, digest ? digest : "(none)");
	char name[DIGEST_MAX_STRING + 16];
	snprintf(name, sizeof name, "blobs/%.6s/%s", digest, digest + 7);
	if (blob_source_read(src, name, data, len, err) < 0)
		return error_set(err, 0, "%s: blob %s is missing or unreadable", src->label, digest);
	if (check && check(digest, *data, *len, err) < 0) {
		free(*data);
		return -1;
	}
	return 0;
}

static json_object *pick_by_tag(json_object *manifests, const char *tag, const char *label, struct error *err)
{
	size_t n = json_object_array_length(manifests);
	char tags[512] = "";
	for (size_t i = 0; i < n; i++) {
		json_object *d = json_object_array_get_idx(manifests, i), *ann;
		const char *name =
			json_object_object_get_ex(d, "annotations", &ann) ? json_str_field(ann, REF_NAME) : NULL;
		if (!name)
			continue;
		if (strcmp(name, tag) == 0)
			return d;
		size_t used = strlen(tags);
		snprintf(tags + used, sizeof tags - used, "%s%s", used ? ", " : "", name);
	}
	error_set(err, 0, "%s: no image tagged '%s' (tags: %s)", label, tag, *tags ? tags : "none");
	return NULL;
}

static json_object *pick_by_platform(json_object *manifests, const char *platform, const char *label, struct error *err)
{
	char host[64], offered[512] = "", p[128];
	if (platform)
		snprintf(host, sizeof host, "%s", platform);
	else
		host_platform(host, sizeof host);
	size_t n = json_object_array_length(manifests);
	for (size_t i = 0; i < n; i++) {
		json_object *d = json_object_array_get_idx(manifests, i);
		descriptor_platform(d, p, sizeof p);
		if (platform_matches(p, host))
			return d;
		size_t used = strlen(offered);
		snprintf(offered + used, sizeof offered - used, "%s%s", used ? ", " : "", p);
	}
	error_set(err, 0, "%s: no image for %s platform %s (offered: %s)", label,
		  platform ? "the requested" : "this host's", host, offered);
	return NULL;
}

/* From index.json down to one manifest descriptor's digest. */
int image_select_manifest(const struct blob_source *src, const char *tag, const char *platform, blob_check_fn check,
			  char **manifest_digest, struct error *err)
{
	char *text;
	size_t len;
	if (blob_source_read(src, "index.json", &text, &len, err) < 0)
		return error_set(err, 0, "%s: no index.json: not an OCI image layout", src->label);
	json_object *index = json_parse_object(text, "index.json", err);
	free(text);
	if (!index)
		return -1;

	int ret = -1;
	json_object *owned = index; /* the index we must release */
	for (int depth = 0; depth < MAX_INDEX_DEPTH; depth++) {
		json_object *manifests = json_array_field(index, "manifests");
		if (!manifests || json_object_array_length(manifests) == 0) {
			error_set(err, 0, "%s: index lists no manifests", src->label);
			break;
		}
		json_object *chosen;
		if (depth == 0 && tag)
			chosen = pick_by_tag(manifests, tag, src->label, err);
		else if (json_object_array_length(manifests) == 1)
			chosen = json_object_array_get_idx(manifests, 0);
		else if (depth == 0 &&
			 !json_object_object_get_ex(json_object_array_get_idx(manifests, 0), "platform", NULL))
			chosen = NULL,
			error_set(err, 0, "%s holds several images: name one as %s:TAG", src->label, src->label);
		else
			chosen = pick_by_platform(manifests, platform, src->label, err);
		if (!chosen)
			break;

		const char *mt = json_str_field(chosen, "mediaType");
		const char *digest = json_str_field(chosen, "digest");
		if (!digest || !digest_is_valid(digest)) {
			error_set(err, 0, "%s: malformed manifest digest", src->label);
			break;
		}
		if (is_manifest_type(mt) || !mt) {
			*manifest_digest = xstrdup(digest);
			ret = 0;
			break;
		}
		if (!is_index_type(mt)) {
			error_set(err, 0, "%s: unsupported manifest media type '%s'", src->label, mt);
			break;
		}
		char *blob;
		if (image_read_blob(src, digest, check, &blob, &len, err) < 0)
			break;
		json_object *next = json_parse_object(blob, digest, err);
		free(blob);
		if (!next)
			break;
		json_object_put(owned);
		owned = index = next;
		if (depth + 1 == MAX_INDEX_DEPTH)
			error_set(err, 0, "%s: image indexes nested too deep", src->label);
	}
	json_object_put(owned);
	return ret;
}

/* ---- docker save ---------------------------------------------------------- */

static json_object *docker_pick(json_object *list, const char *tag, const char *label, struct error *err)
{
	size_t n = json_object_array_length(list);
	if (!tag) {
		if (n == 1)
			return json_object_array_get_idx(list, 0);
		error_set(err, 0, "%s holds %zu images: name one as docker-archive:%s:NAME:TAG", label, n, label);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *tags = json_array_field(json_object_array_get_idx(list, i), "RepoTags");
		for (size_t j = 0; tags && j < json_object_array_length(tags); j++) {
			json_object *entry = json_object_array_get_idx(tags, j);
			/* A hostile manifest.json may hold anything there (null, 7). */
			if (!json_object_is_type(entry, json_type_string))
				continue;
			const char *t = json_object_get_string(entry);
			/* "busybox:latest" also matches "docker.io/library/busybox:latest". */
			size_t tl = strlen(t), ql = strlen(tag);
			if (strcmp(t, tag) == 0 || (tl > ql && strcmp(t + tl - ql, tag) == 0 && t[tl - ql - 1] == '/'))
				return json_object_array_get_idx(list, i);
		}
	}
	error_set(err, 0, "%s: no image tagged '%s'", label, tag);
	return NULL;
}

/* The config file's name carries its digest: "HEX.json" or "blobs/sha256/HEX". */
char *docker_config_digest(const char *name)
{
	const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
	char hex[80];
	snprintf(hex, sizeof hex, "%.64s", base);
	char *d = xasprintf("sha256:%s", hex);
	bool ok = digest_is_valid(d) && (strcmp(base + 64, ".json") == 0 || base[64] == '\0');
	if (!ok) {
		free(d);
		return NULL;
	}
	return d;
}

int image_docker_entry(const struct image_ref *ref, const struct blob_source *src, json_object **out,
		       json_object **root, struct error *err)
{
	char *text;
	if (blob_source_read(src, "manifest.json", &text, NULL, err) < 0)
		return error_set(err, 0, "%s: no manifest.json: not a docker-archive", src->label);
	enum json_tokener_error jerr;
	*root = json_tokener_parse_verbose(text, &jerr);
	free(text);
	if (!*root || !json_object_is_type(*root, json_type_array))
		return error_set(err, 0, "%s: manifest.json is not a JSON array", src->label);
	*out = docker_pick(*root, ref->tag, src->label, err);
	return *out ? 0 : -1;
}

/* ---- public --------------------------------------------------------------- */

int image_find_key(const struct image_ref *ref, const struct blob_source *src, char **key, struct error *err)
{
	if (ref->kind != IMAGE_DOCKER_ARCHIVE)
		return image_select_manifest(src, ref->tag, ref->platform, NULL, key, err);

	json_object *root = NULL, *m;
	if (image_docker_entry(ref, src, &m, &root, err) < 0) {
		json_object_put(root);
		return -1;
	}
	const char *config = json_str_field(m, "Config");
	int ret = 0;
	*key = config ? docker_config_digest(config) : NULL;
	if (!*key)
		ret = error_set(err, 0, "%s: config name '%s' carries no sha256 digest", src->label,
				config ? config : "(none)");
	json_object_put(root);
	return ret;
}
