#define _GNU_SOURCE
#include "image_plan.h"

#include "../../image/image_select.h"
#include "../../image/sif_format.h"
#include "../../util/json_read.h"
#include "../../util/xalloc.h"
#include "digest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Import verifies every JSON blob before parsing it. */
static int check_blob(const char *digest, const void *data, size_t len, struct error *err)
{
	return digest_buffer_check(digest, data, len, err, "blob");
}

static int layer_compression(const char *mt, enum layer_compression *c)
{
	static const struct {
		const char *type;
		enum layer_compression c;
	} known[] = {
		{ "application/vnd.oci.image.layer.v1.tar", LAYER_TAR },
		{ "application/vnd.oci.image.layer.v1.tar+gzip", LAYER_GZIP },
		{ "application/vnd.oci.image.layer.v1.tar+zstd", LAYER_ZSTD },
		{ "application/vnd.oci.image.layer.nondistributable.v1.tar", LAYER_TAR },
		{ "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", LAYER_GZIP },
		{ "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", LAYER_ZSTD },
		{ "application/vnd.docker.image.rootfs.diff.tar.gzip", LAYER_GZIP },
		{ "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", LAYER_GZIP },
		{ SIF_OCI_SQUASHFS_LAYER_MEDIA_TYPE, LAYER_SQUASHFS },
	};
	for (size_t i = 0; mt && i < sizeof known / sizeof known[0]; i++)
		if (strcmp(mt, known[i].type) == 0) {
			*c = known[i].c;
			return 0;
		}
	return -1;
}

static void add_layer(struct image_plan *plan, const char *dir, const char *file, const char *digest, long long size,
		      enum layer_compression c)
{
	plan->layers = xreallocarray(plan->layers, plan->n_layers + 1, sizeof *plan->layers);
	struct layer_plan *l = &plan->layers[plan->n_layers++];
	l->path = xasprintf("%s/%s", dir, file);
	l->digest = xstrdup(digest);
	l->size = size;
	l->compression = c;
}

static int load_oci(const struct image_ref *ref, const struct blob_source *src, struct image_plan *plan,
		    struct error *err)
{
	if (image_select_manifest(src, ref->tag, ref->platform, check_blob, &plan->key, err) < 0)
		return -1;
	char *text;
	size_t len;
	if (image_read_blob(src, plan->key, check_blob, &text, &len, err) < 0)
		return -1;
	json_object *manifest = json_parse_object(text, plan->key, err);
	free(text);
	if (!manifest)
		return -1;

	int ret = -1;
	json_object *cfg_desc, *layers = json_array_field(manifest, "layers");
	if (!json_object_object_get_ex(manifest, "config", &cfg_desc) || !layers) {
		error_set(err, 0, "manifest %s: no config or layers", plan->key);
		goto out;
	}
	const char *cfg_digest = json_str_field(cfg_desc, "digest");
	if (image_read_blob(src, cfg_digest, check_blob, &text, &len, err) < 0)
		goto out;
	plan->config = json_parse_object(text, "image config", err);
	free(text);
	if (!plan->config)
		goto out;
	plan->manifest_file = xasprintf("%s/blobs/%.6s/%s", src->dir, plan->key, plan->key + 7);
	plan->config_file = xasprintf("%s/blobs/%.6s/%s", src->dir, cfg_digest, cfg_digest + 7);

	for (size_t i = 0; i < json_object_array_length(layers); i++) {
		json_object *d = json_object_array_get_idx(layers, i), *sz;
		const char *mt = json_str_field(d, "mediaType"), *digest = json_str_field(d, "digest");
		enum layer_compression c;
		if (layer_compression(mt, &c) < 0) {
			error_set(err, 0, "layer %s: unsupported media type '%s'", digest ? digest : "?",
				  mt ? mt : "(none)");
			goto out;
		}
		if (!digest || !digest_is_valid(digest) || !json_object_object_get_ex(d, "size", &sz) ||
		    json_object_get_int64(sz) < 0) {
			error_set(err, 0, "manifest %s: layer %zu has a malformed digest or size", plan->key, i);
			goto out;
		}
		char name[DIGEST_MAX_STRING + 16];
		snprintf(name, sizeof name, "blobs/%.6s/%s", digest, digest + 7);
		add_layer(plan, src->dir, name, digest, json_object_get_int64(sz), c);
	}
	ret = 0;
out:
	json_object_put(manifest);
	return ret;
}

static int load_docker(const struct image_ref *ref, const struct blob_source *src, struct image_plan *plan,
		       struct error *err)
{
	json_object *root = NULL, *m;
	int ret = -1;
	if (image_docker_entry(ref, src, &m, &root, err) < 0)
		goto out;
	const char *config = json_str_field(m, "Config");
	json_object *layers = json_array_field(m, "Layers");
	plan->key = config ? docker_config_digest(config) : NULL;
	if (!plan->key || !layers) {
		error_set(err, 0, "%s: manifest.json entry without a usable Config or Layers", src->label);
		goto out;
	}
	char *text;
	size_t len;
	if (blob_source_read(src, config, &text, &len, err) < 0)
		goto out;
	int bad = digest_buffer_check(plan->key, text, len, err, "image config");
	plan->config = bad ? NULL : json_parse_object(text, "image config", err);
	free(text);
	if (!plan->config)
		goto out;

	/* docker save stores layers uncompressed; their digests are the
	 * config's diff_ids, one per layer, in order. */
	json_object *rootfs, *diff_ids = NULL;
	if (json_object_object_get_ex(plan->config, "rootfs", &rootfs))
		diff_ids = json_array_field(rootfs, "diff_ids");
	size_t n = json_object_array_length(layers);
	if (!diff_ids || json_object_array_length(diff_ids) != n) {
		error_set(err, 0, "%s: the config's diff_ids do not match the layers", src->label);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const char *file = json_object_get_string(json_object_array_get_idx(layers, i));
		const char *digest = json_object_get_string(json_object_array_get_idx(diff_ids, i));
		if (!file || !digest || !digest_is_valid(digest) || strstr(file, "..")) {
			error_set(err, 0, "%s: layer %zu has a malformed name or diff_id", src->label, i);
			goto out;
		}
		add_layer(plan, src->dir, file, digest, -1, LAYER_TAR);
	}
	ret = 0;
out:
	json_object_put(root);
	return ret;
}

int image_plan_load(const struct image_ref *ref, const struct blob_source *src, struct image_plan *plan,
		    struct error *err)
{
	memset(plan, 0, sizeof *plan);
	int ret = ref->kind == IMAGE_DOCKER_ARCHIVE ? load_docker(ref, src, plan, err) : load_oci(ref, src, plan, err);
	if (ret < 0)
		image_plan_free(plan);
	return ret;
}

void image_plan_free(struct image_plan *plan)
{
	for (size_t i = 0; i < plan->n_layers; i++) {
		free(plan->layers[i].path);
		free(plan->layers[i].digest);
	}
	free(plan->layers);
	free(plan->key);
	free(plan->manifest_file);
	free(plan->config_file);
	json_object_put(plan->config);
	memset(plan, 0, sizeof *plan);
}
