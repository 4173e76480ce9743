#define _GNU_SOURCE
#include "registry_oras.h"

#include "../../../common/log.h"
#include "../../image/registry_ref.h"
#include "../../util/json_read.h"
#include "../../util/xalloc.h"
#include "../unpack/digest.h"
#include "registry_blobs.h"
#include "registry_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"

bool registry_oras_is_ref(const char *image)
{
	return strncmp(image, ORAS_PREFIX, strlen(ORAS_PREFIX)) == 0;
}

/* The manifest, held to its digest (given, or the registry's header). */
static int get_manifest(struct registry_client *cl, const struct registry_ref *r, json_object **manifest,
			struct error *err)
{
	const char *name = r->digest ? r->digest : r->tag;
	char *path = xasprintf("/v2/%s/manifests/%s", r->repo, name);
	struct http_response resp;
	int ret = registry_request(cl, "GET", path, MT_OCI_MANIFEST, &resp, err);
	free(path);
	if (ret < 0)
		return -1;
	char what[256];
	snprintf(what, sizeof what, "%s '%s'", r->digest ? "manifest" : "manifest for tag", name);
	ret = -1;
	if (resp.status != 200) {
		registry_status_error(cl, what, resp.status, resp.body, resp.retry_after, err);
		goto out;
	}
	const char *want = r->digest ? r->digest : resp.digest && digest_is_valid(resp.digest) ? resp.digest : NULL;
	if (want && digest_buffer_check(want, resp.body, resp.len, err, "manifest") < 0)
		goto out;
	*manifest = json_parse_object(resp.body, what, err);
	if (*manifest)
		ret = 0;
out:
	http_response_free(&resp);
	return ret;
}

/* The one SIF layer's descriptor. */
static int sif_layer(json_object *manifest, const char *text, const char **digest, long long *size, struct error *err)
{
	json_object *layers = json_array_field(manifest, "layers"), *sz;
	size_t n = layers ? json_object_array_length(layers) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *d = json_object_array_get_idx(layers, i);
		const char *mt = json_str_field(d, "mediaType");
		if (!mt || strcmp(mt, ORAS_SIF_LAYER_MEDIA_TYPE) != 0)
			continue;
		*digest = json_str_field(d, "digest");
		if (!*digest || !digest_is_valid(*digest) || !json_object_object_get_ex(d, "size", &sz) ||
		    json_object_get_int64(sz) < 0)
			return error_set(err, 0, "%s: the SIF layer has a malformed digest or size", text);
		*size = json_object_get_int64(sz);
		return 0;
	}
	return error_set(err, 0, "%s is not a SIF artifact (no layer of type %s)", text, ORAS_SIF_LAYER_MEDIA_TYPE);
}

int registry_oras_fetch(struct cache *c, const char *image, bool insecure, const char *authfile, char **blob,
			struct error *err)
{
	/* The reference is docker://'s, but for its scheme. */
	char *as_docker = xasprintf(REGISTRY_PREFIX "%s", image + strlen(ORAS_PREFIX));
	struct registry_ref r;
	int ret = registry_ref_parse(as_docker, &r, err);
	free(as_docker);
	if (ret < 0)
		return error_set(err, 0, "bad oras:// reference '%s'", image);
	struct registry_client cl;
	json_object *manifest = NULL;
	ret = -1;
	registry_http_global_init();
	if (registry_client_init(&cl, r.registry, r.api_host, r.repo, insecure, authfile, err) < 0)
		goto out_ref;
	log_debug("pull %s from %s (%s)", image, cl.base, insecure ? "plain HTTP" : "HTTPS");
	const char *digest = NULL;
	long long size = 0;
	if (get_manifest(&cl, &r, &manifest, err) < 0 || sif_layer(manifest, image, &digest, &size, err) < 0)
		goto out;
	struct blob_want want = { .digest = digest, .size = size };
	snprintf(want.what, sizeof want.what, "SIF");
	if (registry_fetch_blobs(c, &cl, image, &want, 1, err) < 0)
		goto out;
	*blob = registry_blob_path(c, digest);
	ret = 0;
out:
	json_object_put(manifest);
	registry_client_free(&cl);
out_ref:
	registry_ref_free(&r);
	return ret;
}
