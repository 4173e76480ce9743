#define _GNU_SOURCE
#include "registry_pull.h"

#include "../../../common/log.h"
#include "../../image/image_select.h"
#include "../../image/registry_ref.h"
#include "../../util/fsutil.h"
#include "../../util/json_read.h"
#include "../../util/xalloc.h"
#include "../unpack/digest.h"
#include "registry_blobs.h"
#include "registry_http.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MANIFEST_ACCEPT MT_OCI_INDEX ", " MT_OCI_MANIFEST ", " MT_DOCKER_LIST ", " MT_DOCKER_MANIFEST
#define MAX_LAYERS 1000

/* The state of one pull. */
struct pull {
	struct cache *c;
	const struct image_ref *ref;
	struct registry_ref r;
	struct registry_client cl;
	const char *platform;
	registry_build_fn build;
	void *build_data;
	bool always_build;
	char *top; /* digest of what the reference names (index or manifest) */
	char *key; /* digest of the platform's manifest: the cache key */
};

static bool blob_present(const struct cache *c, const char *digest)
{
	char *path = registry_blob_path(c, digest);
	struct stat st;
	bool ok = stat(path, &st) == 0 && S_ISREG(st.st_mode);
	free(path);
	return ok;
}

static bool entry_present(const struct cache *c, const char *key)
{
	char *entry = cache_entry_dir(c, key);
	struct stat st;
	bool ok = stat(entry, &st) == 0;
	free(entry);
	return ok;
}

/* A manifest's or index's media type: its own field, else by its shape
 * (OCI allows leaving it out). NULL for anything else (e.g. schema 1). */
static const char *media_type_of(const char *text, const char *content_type)
{
	static const char *const known[] = { MT_OCI_INDEX, MT_OCI_MANIFEST, MT_DOCKER_LIST, MT_DOCKER_MANIFEST };
	json_object *o = json_tokener_parse(text);
	const char *mt = json_str_field(o, "mediaType");
	if (!mt)
		mt = content_type;
	const char *found = NULL;
	for (size_t i = 0; mt && i < sizeof known / sizeof known[0]; i++)
		if (strcmp(mt, known[i]) == 0)
			found = known[i];
	if (!found && !json_str_field(o, "mediaType") && o) {
		json_object *s;
		bool v2 = json_object_object_get_ex(o, "schemaVersion", &s) && json_object_get_int(s) == 2;
		if (v2 && json_array_field(o, "manifests"))
			found = MT_OCI_INDEX;
		else if (v2 && json_array_field(o, "layers"))
			found = MT_OCI_MANIFEST;
	}
	json_object_put(o);
	return found;
}

/* Store verified bytes as a blob (with the lock: temp files live in tmp/). */
static int store_bytes(const struct cache *c, const char *digest, const char *data, size_t len, struct error *err)
{
	char *dir = xasprintf("%s/blobs/%.6s", c->root, digest);
	int ret = make_private_dirs(dir, err);
	free(dir);
	if (ret < 0)
		return -1;
	char *tmp = xasprintf("%s/blob.XXXXXX", c->tmp);
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len || fdatasync(fd) < 0)
		ret = error_set(err, errno, "write %s", tmp);
	if (fd >= 0)
		close(fd);
	char *final = registry_blob_path(c, digest);
	if (ret == 0 && rename(tmp, final) < 0)
		ret = error_set(err, errno, "rename %s to %s", tmp, final);
	if (ret < 0 && fd >= 0)
		unlink(tmp);
	free(final);
	free(tmp);
	return ret;
}

/* GET a manifest or index by tag or digest; check it against `expect`
 * (a digest, or NULL for a tag: then against the registry's
 * Docker-Content-Digest, if sent) and store it; *digest is what it is. */
static int fetch_manifest(struct pull *p, const char *name, const char *expect, char **digest, struct error *err)
{
	char *path = xasprintf("/v2/%s/manifests/%s", p->r.repo, name);
	struct http_response resp;
	int ret = registry_request(&p->cl, "GET", path, MANIFEST_ACCEPT, &resp, err);
	free(path);
	if (ret < 0)
		return -1;
	char what[256];
	snprintf(what, sizeof what, "%s '%s'", strchr(name, ':') ? "manifest" : "manifest for tag", name);
	if (resp.status != 200) {
		registry_status_error(&p->cl, what, resp.status, resp.body, resp.retry_after, err);
		goto fail;
	}
	if (!media_type_of(resp.body, resp.content_type)) {
		error_set(err, 0,
			  "%s: %s is of an unsupported kind (%s); only OCI and Docker schema 2 "
			  "manifests and indexes are",
			  p->r.text, what, resp.content_type ? resp.content_type : "no media type");
		goto fail;
	}
	/* Name the content by its sha256 (what registries use), then hold it
	 * to what we were told it is. */
	struct digest_ctx *d =
		digest_begin("sha256:0000000000000000000000000000000000000000000000000000000000000000", err);
	if (!d)
		goto fail;
	digest_update(d, resp.body, resp.len);
	char actual[DIGEST_MAX_STRING];
	digest_end_matches(d, "sha256:", actual, sizeof actual);
	const char *want = expect ? expect : resp.digest && digest_is_valid(resp.digest) ? resp.digest : NULL;
	if (want && strncmp(want, "sha256:", 7) != 0) {
		if (digest_buffer_check(want, resp.body, resp.len, err, "manifest") < 0)
			goto fail;
		snprintf(actual, sizeof actual, "%s", want);
	} else if (want && strcmp(want, actual) != 0) {
		error_set(err, 0, "%s: %s is corrupt: it hashes to %s, not %s", p->r.text, what, actual, want);
		goto fail;
	}
	if (store_bytes(p->c, actual, resp.body, resp.len, err) < 0)
		goto fail;
	*digest = xstrdup(actual);
	http_response_free(&resp);
	return 0;
fail:
	http_response_free(&resp);
	return -1;
}

/* The tag's current digest with one HEAD request; NULL (no error) when the
 * registry does not say (then the GET will). */
static int resolve_tag(struct pull *p, char **digest, bool *unreachable, struct error *err)
{
	*digest = NULL;
	char *path = xasprintf("/v2/%s/manifests/%s", p->r.repo, p->r.tag);
	struct http_response resp;
	int ret = registry_request(&p->cl, "HEAD", path, MANIFEST_ACCEPT, &resp, err);
	free(path);
	*unreachable = ret < 0 && p->cl.unreachable;
	if (ret < 0)
		return -1;
	char what[256];
	snprintf(what, sizeof what, "manifest for tag '%s'", p->r.tag);
	if (resp.status != 200)
		ret = registry_status_error(&p->cl, what, resp.status, NULL, resp.retry_after, err);
	else if (resp.digest && digest_is_valid(resp.digest))
		*digest = xstrdup(resp.digest);
	http_response_free(&resp);
	return ret;
}

/* From the stored top-level blob to the platform's manifest digest, with
 * image_select's rules (what an OCI layout's index.json would say). */
static int select_key(struct pull *p, struct error *err)
{
	char *path = registry_blob_path(p->c, p->top), *text;
	size_t len;
	int ret = read_file(path, REGISTRY_MANIFEST_MAX, &text, &len, err);
	free(path);
	if (ret < 0)
		return -1;
	const char *mt = media_type_of(text, NULL);
	free(text);
	if (!mt)
		return error_set(err, 0, "%s: the stored manifest %s is of an unknown kind", p->r.text, p->top);
	char *index = xasprintf("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"%s\",\"digest\":\"%s\","
				"\"size\":%zu}]}",
				mt, p->top, len);
	struct blob_source src = { .dir = p->c->root, .label = p->r.text, .index_json = index };
	free(p->key);
	p->key = NULL;
	ret = image_select_manifest(&src, NULL, p->platform, NULL, &p->key, err);
	free(index);
	return ret;
}

static void record(struct pull *p)
{
	char *text = xasprintf(REGISTRY_PREFIX "%s/%s@%s", p->r.registry, p->r.repo, p->top);
	char *name = registry_record_name(text, p->platform);
	cache_ref_record(p->c, name, NULL, p->key);
	free(name);
	free(text);
	if (p->r.tag) {
		name = registry_record_name(p->r.text, p->platform);
		cache_ref_record(p->c, name, NULL, p->key);
		free(name);
	}
}

/* The config and layer descriptors of the stored manifest. */
static int manifest_wants(struct pull *p, json_object **manifest, struct blob_want **want, size_t *n, struct error *err)
{
	char *path = registry_blob_path(p->c, p->key), *text;
	int ret = read_file(path, REGISTRY_MANIFEST_MAX, &text, NULL, err);
	free(path);
	if (ret < 0)
		return -1;
	const char *mt = media_type_of(text, NULL);
	*manifest = json_parse_object(text, p->key, err);
	free(text);
	if (!*manifest)
		return -1;
	if (!mt || (strcmp(mt, MT_OCI_MANIFEST) != 0 && strcmp(mt, MT_DOCKER_MANIFEST) != 0))
		return error_set(err, 0, "%s: %s is not an image manifest", p->r.text, p->key);
	json_object *cfg, *layers = json_array_field(*manifest, "layers");
	size_t nl = layers ? json_object_array_length(layers) : 0;
	if (!json_object_object_get_ex(*manifest, "config", &cfg) || !layers || nl > MAX_LAYERS)
		return error_set(err, 0, "%s: manifest %s has no config or layers", p->r.text, p->key);
	*want = xcalloc(nl + 1, sizeof **want);
	*n = 0;
	for (size_t i = 0; i <= nl; i++) {
		json_object *d = i == 0 ? cfg : json_object_array_get_idx(layers, i - 1), *sz;
		const char *digest = json_str_field(d, "digest");
		if (!digest || !digest_is_valid(digest) || !json_object_object_get_ex(d, "size", &sz) ||
		    !json_object_is_type(sz, json_type_int) || json_object_get_int64(sz) < 0)
			return error_set(err, 0, "%s: manifest %s: %s has a malformed digest or size", p->r.text,
					 p->key, i == 0 ? "the config" : "a layer");
		bool dup = false; /* the same layer twice is fetched once */
		for (size_t j = 0; j < *n; j++)
			dup = dup || strcmp((*want)[j].digest, digest) == 0;
		if (dup)
			continue;
		(*want)[*n].digest = digest;
		(*want)[*n].size = json_object_get_int64(sz);
		if (i == 0)
			snprintf((*want)[*n].what, sizeof(*want)[*n].what, "config");
		else
			snprintf((*want)[*n].what, sizeof(*want)[*n].what, "layer %zu/%zu", i, nl);
		(*n)++;
	}
	return 0;
}

/* With the lock: fetch what is missing and build the entry. */
static int pull_locked(struct pull *p, struct error *err)
{
	if (!p->top || !blob_present(p->c, p->top)) {
		char *got = NULL;
		const char *name = p->top ? p->top : p->r.tag;
		if (fetch_manifest(p, name, p->top, &got, err) < 0)
			return -1;
		free(p->top);
		p->top = got;
	}
	if (select_key(p, err) < 0)
		return -1;
	if (!p->always_build && entry_present(p->c, p->key))
		return 0;
	if (!blob_present(p->c, p->key)) {
		char *got = NULL;
		if (fetch_manifest(p, p->key, p->key, &got, err) < 0)
			return -1;
		free(got);
	}
	json_object *manifest = NULL;
	struct blob_want *want = NULL;
	size_t n = 0;
	int ret = manifest_wants(p, &manifest, &want, &n, err);
	if (ret == 0)
		ret = registry_fetch_blobs(p->c, &p->cl, p->r.text, want, n, err);
	if (ret == 0) {
		char *index =
			xasprintf("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"%s\",\"digest\":\"%s\"}]}",
				  MT_OCI_MANIFEST, p->key);
		struct blob_source src = { .dir = p->c->root, .label = p->r.text, .index_json = index };
		char *built = NULL;
		ret = p->build(p->c, p->ref, &src, p->build_data, &built, err);
		if (ret == 0 && strcmp(built, p->key) != 0)
			ret = error_set(err, 0, "%s: built %s, expected %s", p->r.text, built, p->key);
		free(built);
		free(index);
	}
	free(want);
	json_object_put(manifest);
	return ret;
}

/* The registry cannot be reached (a compute node without a route out, a
 * network outage): a tag pulled before still runs, with a warning, as
 * --no-pull would have run it. HTTP errors (unknown tag, unauthorized) are
 * answers, not outages, and stay errors. */
static bool use_cached_tag(struct pull *p, const struct error *why)
{
	char *name = registry_record_name(p->r.text, p->platform);
	char *key = cache_ref_lookup(p->c, name, NULL);
	free(name);
	if (!key || !entry_present(p->c, key)) {
		free(key);
		return false;
	}
	log_warn("%s; using the copy of %s cached earlier", why->msg, p->r.text);
	free(p->key);
	p->key = key;
	return true;
}

int registry_pull(struct cache *c, const struct image_ref *ref, const struct registry_pull_options *opts, char **key,
		  struct error *err)
{
	struct pull p = { .c = c,
			  .ref = ref,
			  .platform = opts->platform,
			  .build = opts->build,
			  .build_data = opts->build_data,
			  .always_build = opts->always_build };
	*key = NULL;
	if (registry_ref_parse(ref->text, &p.r, err) < 0)
		return -1;
	int ret = -1;
	registry_http_global_init();
	if (registry_client_init(&p.cl, p.r.registry, p.r.api_host, p.r.repo, opts->insecure, opts->authfile, err) < 0)
		goto out_ref;
	log_debug("pull %s from %s (%s)", p.r.text, p.cl.base, opts->insecure ? "plain HTTP" : "HTTPS");
	char *hints = xasprintf("%s/registries", c->root);
	struct error ignored;
	if (make_private_dirs(hints, &ignored) == 0) {
		char *hint = xasprintf("%s/%s.auth", hints, p.r.api_host);
		registry_client_use_hint(&p.cl, hint);
		free(hint);
	}
	free(hints);

	/* What the reference names now: a digest is fixed; a tag costs a HEAD. */
	bool unreachable = false;
	if (p.r.digest)
		p.top = xstrdup(p.r.digest);
	else if (resolve_tag(&p, &p.top, &unreachable, err) < 0) {
		if (unreachable && !p.always_build && use_cached_tag(&p, err))
			ret = 0;
		goto out;
	}
	if (p.top && blob_present(c, p.top)) {
		if (select_key(&p, err) < 0)
			goto out;
		if (!p.always_build && entry_present(c, p.key)) {
			log_debug("%s is cached as %s", p.r.text, p.key);
			ret = 0;
			goto done;
		}
	}
	/* One importer at a time builds; whoever waited may find it done. */
	if (cache_lock(c, err) < 0)
		goto out;
	cache_remove_stale_builds(c);
	ret = pull_locked(&p, err);
	cache_unlock(c);
	if (ret < 0)
		goto out;
done:
	record(&p);
	*key = p.key;
	p.key = NULL;
out:
	if (ret == 0 && !*key) {
		*key = p.key;
		p.key = NULL;
	}
	registry_client_free(&p.cl);
out_ref:
	free(p.top);
	free(p.key);
	registry_ref_free(&p.r);
	return ret;
}

/* ---- login / logout ----------------------------------------------------- */

int registry_login(const char *registry, const char *username, const char *password, bool insecure,
		   const char *authfile, struct error *err)
{
	if (!registry_host_is_valid(registry))
		return error_set(err, 0, "registry login: '%s' is not a registry host[:port]", registry);
	const char *name = registry_normalize_host(registry);
	const char *api = strcmp(name, DOCKER_HUB) == 0 ? DOCKER_HUB_API : name;
	char *path = registry_creds_store_path(authfile, err);
	if (!path)
		return -1;
	registry_http_global_init();
	/* Check them first, as `docker login` does: GET /v2/ with the handshake. */
	struct registry_client cl;
	memset(&cl, 0, sizeof cl);
	cl.registry = name;
	cl.api_host = api;
	cl.insecure = insecure;
	cl.base = xasprintf("%s://%s", insecure ? "http" : "https", api);
	cl.creds.username = xstrdup(username);
	cl.creds.password = xstrdup(password);
	cl.creds.source = xstrdup("the login");
	struct http_response resp;
	int ret = registry_request(&cl, "GET", "/v2/", NULL, &resp, err);
	if (ret == 0) {
		if (resp.status == 401 && !resp.www_authenticate)
			ret = error_set(err, 0, "%s: unauthorized: wrong username or password", name);
		else if (resp.status != 200)
			ret = registry_status_error(&cl, "/v2/", resp.status, resp.body, resp.retry_after, err);
		http_response_free(&resp);
	}
	registry_client_free(&cl);
	int found;
	if (ret == 0)
		ret = registry_creds_store(path, name, username, password, &found, err);
	if (ret == 0)
		log_debug("stored credentials for %s in %s", name, path);
	free(path);
	return ret;
}

int registry_logout(const char *registry, const char *authfile, int *found, struct error *err)
{
	if (!registry_host_is_valid(registry))
		return error_set(err, 0, "registry logout: '%s' is not a registry host[:port]", registry);
	char *path = registry_creds_store_path(authfile, err);
	if (!path)
		return -1;
	struct stat st;
	int ret = 0;
	*found = 0;
	if (stat(path, &st) == 0)
		ret = registry_creds_store(path, registry_normalize_host(registry), NULL, NULL, found, err);
	free(path);
	return ret;
}
