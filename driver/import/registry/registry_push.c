#define _GNU_SOURCE
#include "registry_push.h"

#include "../../../common/log.h"
#include "../../image/registry_ref.h"
#include "../../util/xalloc.h"
#include "registry_http.h"
#include "registry_oras.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"

static int push_blob(struct registry_client *cl, const struct registry_ref *r, const struct push_blob *b,
		     struct error *err)
{
	char *path = xasprintf("/v2/%s/blobs/%s", r->repo, b->digest);
	struct http_response resp;
	int ret = registry_request(cl, "HEAD", path, NULL, &resp, err);
	free(path);
	if (ret < 0)
		return -1;
	long status = resp.status;
	http_response_free(&resp);
	if (status == 200) {
		log_debug("push: %s is in %s already", b->digest, r->text);
		return 0;
	}
	path = xasprintf("/v2/%s/blobs/uploads/", r->repo);
	struct http_body empty = { .data = "", .len = 0 };
	ret = registry_send(cl, "POST", path, &empty, &resp, err);
	free(path);
	if (ret < 0)
		return -1;
	if (resp.status != 202 || !resp.location) {
		registry_status_error(cl, "blob upload", resp.status, resp.body, resp.retry_after, err);
		http_response_free(&resp);
		return -1;
	}
	char *loc = resp.location[0] == '/' ? xasprintf("%s%s", cl->base, resp.location) : xstrdup(resp.location);
	http_response_free(&resp);
	char *put = xasprintf("%s%sdigest=%s", loc, strchr(loc, '?') ? "&" : "?", b->digest);
	free(loc);
	struct http_body body = { .data = b->data, .fd = b->fd, .offset = b->offset, .len = b->len };
	ret = registry_send(cl, "PUT", put, &body, &resp, err);
	free(put);
	if (ret == 0 && resp.status != 201)
		ret = registry_status_error(cl, b->digest, resp.status, resp.body, resp.retry_after, err);
	http_response_free(&resp);
	return ret;
}

int registry_push(const char *ref, const struct push_blob *blobs, size_t n, const char *manifest, bool insecure,
		  const char *authfile, struct error *err)
{
	const char *rest = registry_oras_is_ref(ref) ? ref + strlen(ORAS_PREFIX) : ref;
	char *as_docker = registry_ref_is_docker(rest) && strncmp(rest, REGISTRY_PREFIX, strlen(REGISTRY_PREFIX)) == 0
				  ? xstrdup(rest)
				  : xasprintf(REGISTRY_PREFIX "%s", rest);
	struct registry_ref r;
	int ret = registry_ref_parse(as_docker, &r, err);
	free(as_docker);
	if (ret < 0)
		return -1;
	if (!r.tag) {
		registry_ref_free(&r);
		return error_set(err, 0, "push: %s names no tag to push to", ref);
	}
	struct registry_client cl;
	registry_http_global_init();
	if (registry_client_init(&cl, r.registry, r.api_host, r.repo, insecure, authfile, err) < 0) {
		registry_ref_free(&r);
		return -1;
	}
	cl.push = true;
	log_debug("push to %s at %s (%s)", ref, cl.base, insecure ? "plain HTTP" : "HTTPS");
	ret = 0;
	for (size_t i = 0; i < n && ret == 0; i++)
		ret = push_blob(&cl, &r, &blobs[i], err);
	if (ret == 0) {
		char *path = xasprintf("/v2/%s/manifests/%s", r.repo, r.tag);
		struct http_body body = { .content_type = MT_OCI_MANIFEST, .data = manifest, .len = strlen(manifest) };
		struct http_response resp;
		ret = registry_send(&cl, "PUT", path, &body, &resp, err);
		free(path);
		if (ret == 0 && resp.status != 201)
			ret = registry_status_error(&cl, "manifest", resp.status, resp.body, resp.retry_after, err);
		http_response_free(&resp);
	}
	registry_client_free(&cl);
	registry_ref_free(&r);
	return ret;
}
