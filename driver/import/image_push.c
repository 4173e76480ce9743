#define _GNU_SOURCE
#include "image_push.h"

#include "../../common/log.h"
#include "../image/sif_format.h"
#include "../util/json_read.h"
#include "../util/xalloc.h"
#include "registry/registry_oras.h"
#include "registry/registry_push.h"
#include "unpack/digest.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define JSON_MAX (4 * 1024 * 1024)

static uint64_t le(const unsigned char *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* The SIF's used descriptors: type, offset, size and (OCI) digest. */
struct object {
	uint32_t type;
	uint64_t offset, size;
	char digest[SIF_OCI_DIGEST_LEN + 1];
};

static int read_objects(int fd, const char *file, struct object **objs, size_t *n, struct error *err)
{
	unsigned char h[SIF_HDR_LEN];
	struct stat st;
	if (fstat(fd, &st) < 0 || pread(fd, h, sizeof h, 0) != (ssize_t)sizeof h ||
	    memcmp(h + SIF_HDR_MAGIC_OFF, SIF_MAGIC, sizeof SIF_MAGIC) != 0)
		return error_set(err, 0, "%s is not a SIF file", file);
	uint64_t total = le(h + SIF_HDR_DESCR_TOTAL_OFF, 8), off = le(h + SIF_HDR_DESCR_OFFSET_OFF, 8);
	if (total == 0 || total > 4096 || off + total * SIF_DESCR_LEN > (uint64_t)st.st_size)
		return error_set(err, 0, "%s: bad descriptor table", file);
	unsigned char *d = xmalloc(total * SIF_DESCR_LEN);
	if (pread(fd, d, total * SIF_DESCR_LEN, (off_t)off) != (ssize_t)(total * SIF_DESCR_LEN)) {
		free(d);
		return error_set(err, errno, "read %s", file);
	}
	*objs = xcalloc(total, sizeof **objs);
	*n = 0;
	for (uint64_t i = 0; i < total; i++) {
		const unsigned char *p = d + i * SIF_DESCR_LEN;
		if (!p[SIF_DESCR_USED_OFF])
			continue;
		struct object *o = &(*objs)[(*n)++];
		o->type = (uint32_t)le(p + SIF_DESCR_DATATYPE_OFF, 4);
		o->offset = le(p + SIF_DESCR_OFFSET_OFF, 8);
		o->size = le(p + SIF_DESCR_SIZE_OFF, 8);
		memcpy(o->digest, p + SIF_DESCR_EXTRA_OFF, SIF_OCI_DIGEST_LEN);
		if (o->offset + o->size < o->offset || o->offset + o->size > (uint64_t)st.st_size) {
			free(d);
			return error_set(err, 0, "%s: an object lies outside the file", file);
		}
	}
	free(d);
	return 0;
}

/* A small JSON object's bytes, checked against its digest. */
static char *read_json(int fd, const struct object *o, const char *file, struct error *err)
{
	if (o->size > JSON_MAX) {
		error_set(err, 0, "%s: blob %s is too large for JSON", file, o->digest);
		return NULL;
	}
	char *text = xmalloc(o->size + 1);
	if (pread(fd, text, o->size, (off_t)o->offset) != (ssize_t)o->size ||
	    digest_buffer_check(o->digest, text, o->size, err, "blob") < 0) {
		if (!*err->msg)
			error_set(err, errno, "read %s", file);
		free(text);
		return NULL;
	}
	text[o->size] = '\0';
	return text;
}

static const struct object *by_digest(const struct object *objs, size_t n, const char *digest)
{
	for (size_t i = 0; digest && i < n; i++)
		if (objs[i].type == SIF_DATA_OCI_BLOB && strcmp(objs[i].digest, digest) == 0)
			return &objs[i];
	return NULL;
}

/* docker://: the OCI-SIF's image, its blobs read in place. */
static int push_oci_sif(int fd, const char *file, const char *ref, bool insecure, const char *authfile,
			struct error *err)
{
	struct object *objs = NULL;
	size_t n = 0;
	char *index = NULL, *manifest = NULL;
	json_object *ij = NULL, *mj = NULL;
	struct push_blob *blobs = NULL;
	int ret = -1;
	if (read_objects(fd, file, &objs, &n, err) < 0)
		goto out;
	const struct object *root = NULL;
	for (size_t i = 0; i < n; i++)
		if (objs[i].type == SIF_DATA_OCI_ROOT_INDEX)
			root = &objs[i];
	if (!root) {
		error_set(err, 0, "%s is not an OCI-SIF (no OCI root index): push it to oras://", file);
		goto out;
	}
	json_object *ms, *cfg, *layers;
	if (!(index = read_json(fd, root, file, err)) || !(ij = json_parse_object(index, "root index", err)))
		goto out;
	ms = json_array_field(ij, "manifests");
	if (!ms || json_object_array_length(ms) != 1) {
		error_set(err, 0, "%s: the root index must name one image", file);
		goto out;
	}
	const struct object *mo = by_digest(objs, n, json_str_field(json_object_array_get_idx(ms, 0), "digest"));
	if (!mo || !(manifest = read_json(fd, mo, file, err)) || !(mj = json_parse_object(manifest, "manifest", err))) {
		if (!mo)
			error_set(err, 0, "%s: the manifest is missing", file);
		goto out;
	}
	layers = json_array_field(mj, "layers");
	if (!json_object_object_get_ex(mj, "config", &cfg) || !layers) {
		error_set(err, 0, "%s: manifest without config or layers", file);
		goto out;
	}
	size_t nl = json_object_array_length(layers);
	blobs = xcalloc(nl + 1, sizeof *blobs);
	for (size_t i = 0; i <= nl; i++) {
		json_object *d = i == 0 ? cfg : json_object_array_get_idx(layers, i - 1);
		const struct object *o = by_digest(objs, n, json_str_field(d, "digest"));
		if (!o) {
			error_set(err, 0, "%s: blob %s named by the manifest is missing", file,
				  json_str_field(d, "digest") ? json_str_field(d, "digest") : "?");
			goto out;
		}
		blobs[i] = (struct push_blob){ .media_type = json_str_field(d, "mediaType"),
					       .digest = o->digest,
					       .fd = fd,
					       .offset = o->offset,
					       .len = o->size };
	}
	ret = registry_push(ref, blobs, nl + 1, manifest, insecure, authfile, err);
out:
	json_object_put(ij);
	json_object_put(mj);
	free(blobs);
	free(index);
	free(manifest);
	free(objs);
	return ret;
}

/* oras://: the whole file as the one layer of an ORAS artifact, with an
 * empty JSON config, as SingularityCE pushes a SIF. */
static int push_oras(int fd, const char *file, const char *ref, bool insecure, const char *authfile, struct error *err)
{
	unsigned char h[SIF_HDR_LEN];
	struct stat st;
	if (fstat(fd, &st) < 0 || pread(fd, h, sizeof h, 0) != (ssize_t)sizeof h ||
	    memcmp(h + SIF_HDR_MAGIC_OFF, SIF_MAGIC, sizeof SIF_MAGIC) != 0)
		return error_set(err, 0, "%s is not a SIF file", file);
	struct digest_ctx *ctx = digest_sha256_begin();
	static char buf[1024 * 1024];
	ssize_t r;
	off_t off = 0;
	while ((r = pread(fd, buf, sizeof buf, off)) > 0) {
		digest_update(ctx, buf, (size_t)r);
		off += r;
	}
	char layer_digest[DIGEST_MAX_STRING], config_digest[DIGEST_MAX_STRING];
	digest_end(ctx, layer_digest, sizeof layer_digest);
	if (r < 0 || off != st.st_size)
		return error_set(err, errno, "read %s", file);
	digest_sha256_buffer("{}", 2, config_digest, sizeof config_digest);
	char *copy = xstrdup(file);
	json_object *m = json_object_new_object(), *c = json_object_new_object(), *l = json_object_new_object(),
		    *ls = json_object_new_array(), *ann = json_object_new_object();
	json_object_object_add(m, "schemaVersion", json_object_new_int(2));
	json_object_object_add(m, "mediaType", json_object_new_string(MT_OCI_MANIFEST));
	json_object_object_add(c, "mediaType", json_object_new_string(ORAS_SIF_CONFIG_MEDIA_TYPE));
	json_object_object_add(c, "digest", json_object_new_string(config_digest));
	json_object_object_add(c, "size", json_object_new_int(2));
	json_object_object_add(m, "config", c);
	json_object_object_add(l, "mediaType", json_object_new_string(ORAS_SIF_LAYER_MEDIA_TYPE));
	json_object_object_add(l, "digest", json_object_new_string(layer_digest));
	json_object_object_add(l, "size", json_object_new_int64((int64_t)st.st_size));
	json_object_object_add(ann, "org.opencontainers.image.title", json_object_new_string(basename(copy)));
	json_object_object_add(l, "annotations", ann);
	json_object_array_add(ls, l);
	json_object_object_add(m, "layers", ls);
	const char *manifest =
		json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	struct push_blob blobs[2] = {
		{ .media_type = ORAS_SIF_CONFIG_MEDIA_TYPE, .digest = config_digest, .data = "{}", .len = 2 },
		{ .media_type = ORAS_SIF_LAYER_MEDIA_TYPE,
		  .digest = layer_digest,
		  .fd = fd,
		  .len = (unsigned long long)st.st_size },
	};
	int ret = registry_push(ref, blobs, 2, manifest, insecure, authfile, err);
	json_object_put(m);
	free(copy);
	return ret;
}

int image_push(const char *file, const char *ref, bool insecure, const char *authfile, struct error *err)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_set(err, errno, "open %s", file);
	int ret;
	if (registry_oras_is_ref(ref))
		ret = push_oras(fd, file, ref, insecure, authfile, err);
	else if (strncmp(ref, "docker://", 9) == 0)
		ret = push_oci_sif(fd, file, ref, insecure, authfile, err);
	else
		ret = error_set(err, 0, "push: %s is neither oras:// nor docker://", ref);
	close(fd);
	return ret;
}
