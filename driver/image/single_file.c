/* Opening single-file images (single_file.h): tell the kind by magic, then
 * validate what a launch depends on before anything is mounted. An OCI-SIF
 * is walked from its root index to one image manifest, its config and its
 * layers, each found among the DataOCIBlob objects by the digest in the
 * descriptor's Extra and checked against the bytes (small blobs here,
 * layers in single_file_verify_layers). */
#include "single_file.h"

#include "../util/fsutil.h"
#include "../util/json_read.h"
#include "../util/sha256.h"
#include "../util/xalloc.h"
#include "image_select.h"
#include "sif.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SQUASHFS_MAGIC "hsqs"     /* le32 0x73717368 at offset 0 */
#define SMALL_BLOB_MAX (4u << 20) /* index, manifest, config: bytes, not gigabytes */
#define MT_OCI_INDEX_ "application/vnd.oci.image.index.v1+json"
#define MT_DOCKER_LIST_ "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_OCI_MANIFEST_ "application/vnd.oci.image.manifest.v1+json"
#define MT_DOCKER_MANIFEST_ "application/vnd.docker.distribution.manifest.v2+json"

static int has_squashfs_magic(int fd, uint64_t off)
{
	char m[4];
	return pread_full(fd, m, 4, off) == 0 && memcmp(m, SQUASHFS_MAGIC, 4) == 0;
}

static const struct sif_object *find_type(const struct sif_image *s, int32_t type, size_t *count)
{
	const struct sif_object *found = NULL;
	*count = 0;
	for (size_t i = 0; i < s->n_objects; i++)
		if (s->objects[i].type == type && (*count)++ == 0)
			found = &s->objects[i];
	return found;
}

enum single_file_kind single_file_sniff(int fd)
{
	unsigned char head[SIF_HDR_LEN];
	struct stat st;
	if (fstat(fd, &st) < 0 || pread_full(fd, head, 4, 0) < 0)
		return SINGLE_FILE_NOT;
	if (memcmp(head, SQUASHFS_MAGIC, 4) == 0)
		return SINGLE_FILE_SQUASHFS;
	if (pread_full(fd, head, sizeof head, 0) < 0 || !sif_has_magic(head, sizeof head))
		return SINGLE_FILE_NOT;
	struct sif_image s;
	struct error err;
	size_t n = 0;
	if (sif_parse(fd, (uint64_t)st.st_size, "", &s, &err) == 0) {
		find_type(&s, SIF_DATA_OCI_ROOT_INDEX, &n);
		sif_image_free(&s);
	}
	return n > 0 ? SINGLE_FILE_OCI_SIF : SINGLE_FILE_NATIVE_SIF;
}

/* ---- blobs -------------------------------------------------------------- */

/* An object's bytes (NUL-terminated for JSON), checked against digest. */
static int read_verified(const struct single_file *f, const struct sif_object *o, const char *digest, const char *what,
			 char **out, struct error *err)
{
	if (o->size > SMALL_BLOB_MAX)
		return error_set(err, 0, "%s: OCI %s %s is %llu bytes (at most %u)", f->path, what, digest,
				 (unsigned long long)o->size, SMALL_BLOB_MAX);
	char *buf = xmalloc((size_t)o->size + 1), sum[72];
	if (pread_full(f->fd, buf, (size_t)o->size, o->offset) < 0) {
		free(buf);
		return error_set(err, errno, "%s: read OCI %s", f->path, what);
	}
	buf[o->size] = '\0';
	sha256_digest_string(buf, (size_t)o->size, sum);
	if (strcmp(sum, digest) != 0) {
		free(buf);
		return error_set(err, 0, "%s: OCI %s does not match its digest %s (content is %s)", f->path, what,
				 digest, sum);
	}
	*out = buf;
	return 0;
}

static const struct sif_object *find_blob(const struct sif_image *s, const char *digest)
{
	for (size_t i = 0; i < s->n_objects; i++)
		if (s->objects[i].type == SIF_DATA_OCI_BLOB && strcmp(s->objects[i].digest, digest) == 0)
			return &s->objects[i];
	return NULL;
}

/* The blob a descriptor (manifest, config, layer) names, its size as said. */
static const struct sif_object *descriptor_blob(const struct single_file *f, const struct sif_image *s,
						json_object *desc, const char *what, const char **digest,
						struct error *err)
{
	json_object *size;
	*digest = json_str_field(desc, "digest");
	if (!*digest || strncmp(*digest, SIF_OCI_DIGEST_PREFIX, 7) != 0 || strlen(*digest) != SIF_OCI_DIGEST_LEN) {
		error_set(err, 0, "%s: OCI %s has no sha256 digest", f->path, what);
		return NULL;
	}
	const struct sif_object *o = find_blob(s, *digest);
	if (!o) {
		error_set(err, 0, "%s: OCI %s %s is not in the file", f->path, what, *digest);
		return NULL;
	}
	if (!json_object_object_get_ex(desc, "size", &size) || json_object_get_int64(size) < 0 ||
	    (uint64_t)json_object_get_int64(size) != o->size) {
		error_set(err, 0, "%s: OCI %s %s: size %s does not match the stored %llu bytes", f->path, what, *digest,
			  size ? json_object_get_string(size) : "(none)", (unsigned long long)o->size);
		return NULL;
	}
	return o;
}

static json_object *parse_blob(const struct single_file *f, const struct sif_object *o, const char *digest,
			       const char *what, struct error *err)
{
	char *text = NULL, label[PATH_MAX + 64];
	if (read_verified(f, o, digest, what, &text, err) < 0)
		return NULL;
	snprintf(label, sizeof label, "%s: OCI %s", f->path, what);
	json_object *j = json_parse_object(text, label, err);
	free(text);
	return j;
}

/* ---- OCI-SIF ------------------------------------------------------------ */

static bool platform_is_host(json_object *desc)
{
	json_object *p;
	char host[64], want[128];
	if (!json_object_object_get_ex(desc, "platform", &p))
		return false;
	const char *os = json_str_field(p, "os"), *arch = json_str_field(p, "architecture"),
		   *variant = json_str_field(p, "variant");
	host_platform(host, sizeof host);
	snprintf(want, sizeof want, "%s/%s", os ? os : "", arch ? arch : "");
	size_t n = strlen(want);
	if (strncmp(host, want, n) != 0 || (host[n] != '\0' && host[n] != '/'))
		return false;
	return !variant || host[n] == '\0' || strcmp(host + n + 1, variant) == 0;
}

static bool is_manifest_type(const char *mt)
{
	return mt && (strcmp(mt, MT_OCI_MANIFEST_) == 0 || strcmp(mt, MT_DOCKER_MANIFEST_) == 0);
}

/* The single image manifest in the root index, or the host's of several. */
static json_object *pick_manifest(const struct single_file *f, json_object *index, struct error *err)
{
	json_object *list = json_array_field(index, "manifests"), *first = NULL, *host = NULL;
	size_t n = list ? json_object_array_length(list) : 0, images = 0;
	for (size_t i = 0; i < n; i++) {
		json_object *d = json_object_array_get_idx(list, i);
		if (!is_manifest_type(json_str_field(d, "mediaType")))
			continue;
		images++;
		if (!first)
			first = d;
		if (!host && platform_is_host(d))
			host = d;
	}
	if (images == 1)
		return first;
	if (host)
		return host;
	if (images == 0)
		error_set(err, 0, "%s: OCI-SIF root index lists no image manifest", f->path);
	else
		error_set(err, 0, "%s: OCI-SIF holds %zu images, none for this host's platform", f->path, images);
	return NULL;
}

static int add_layer(struct single_file *f, const struct sif_image *s, json_object *desc, struct error *err)
{
	const char *digest, *mt = json_str_field(desc, "mediaType");
	const struct sif_object *o = descriptor_blob(f, s, desc, "layer", &digest, err);
	if (!o)
		return -1;
	if (!mt || strcmp(mt, SIF_OCI_SQUASHFS_LAYER_MEDIA_TYPE) != 0)
		return error_set(err, 0, "%s: layer %s has media type %s, not squashfs (%s)", f->path, digest,
				 mt ? mt : "(none)", SIF_OCI_SQUASHFS_LAYER_MEDIA_TYPE);
	if (!has_squashfs_magic(f->fd, o->offset))
		return error_set(err, 0, "%s: layer %s is not a squashfs filesystem (bad magic)", f->path, digest);
	f->layers = xreallocarray(f->layers, f->n_layers + 1, sizeof(*f->layers));
	f->layers[f->n_layers++] = (struct squashfs_layer){ o->offset, o->size, xstrdup(digest), xstrdup(mt) };
	return 0;
}

static int open_manifest(struct single_file *f, const struct sif_image *s, json_object *m, struct error *err)
{
	json_object *cdesc, *layers = json_array_field(m, "layers");
	const char *cdigest;
	if (!json_object_object_get_ex(m, "config", &cdesc) || !json_object_is_type(cdesc, json_type_object))
		return error_set(err, 0, "%s: OCI manifest has no config", f->path);
	const struct sif_object *co = descriptor_blob(f, s, cdesc, "config", &cdigest, err);
	if (!co || !(f->config = parse_blob(f, co, cdigest, "config", err)))
		return -1;
	size_t n = layers ? json_object_array_length(layers) : 0;
	if (n == 0)
		return error_set(err, 0, "%s: OCI manifest lists no layers", f->path);
	for (size_t i = 0; i < n; i++)
		if (add_layer(f, s, json_object_array_get_idx(layers, i), err) < 0)
			return -1;
	return 0;
}

/* The root index: checked against the digest in its descriptor's Extra
 * (sylabs/sif records it as it writes); the manifest and config it leads
 * to are checked against the digests it names. */
static json_object *read_root_index(const struct single_file *f, const struct sif_object *ri, struct error *err)
{
	if (*ri->digest)
		return parse_blob(f, ri, ri->digest, "root index", err);
	if (ri->size > SMALL_BLOB_MAX)
		return error_set(err, 0, "%s: OCI root index is %llu bytes (at most %u)", f->path,
				 (unsigned long long)ri->size, SMALL_BLOB_MAX),
		       NULL;
	char *text = xcalloc(1, (size_t)ri->size + 1);
	json_object *index = NULL;
	if (pread_full(f->fd, text, (size_t)ri->size, ri->offset) == 0)
		index = json_parse_object(text, f->path, err);
	else
		error_set(err, errno, "%s: read OCI root index", f->path);
	free(text);
	return index;
}

static int open_oci_sif(struct single_file *f, const struct sif_image *s, struct error *err)
{
	size_t count;
	const struct sif_object *ri = find_type(s, SIF_DATA_OCI_ROOT_INDEX, &count), *mo;
	if (count != 1)
		return error_set(err, 0, "%s: OCI-SIF has %zu root indexes (one expected)", f->path, count);
	json_object *index = read_root_index(f, ri, err), *manifest = NULL, *md;
	const char *mdigest;
	int ret = -1;
	if (index && (md = pick_manifest(f, index, err)) &&
	    (mo = descriptor_blob(f, s, md, "manifest", &mdigest, err)) &&
	    (manifest = parse_blob(f, mo, mdigest, "manifest", err))) {
		f->digest = xstrdup(mdigest);
		ret = open_manifest(f, s, manifest, err);
	}
	json_object_put(manifest);
	json_object_put(index);
	return ret;
}

/* ---- native SIF and squashfs -------------------------------------------- */

static int open_native_sif(struct single_file *f, const struct sif_image *s, struct error *err)
{
	const struct sif_object *prim = NULL;
	for (size_t i = 0; i < s->n_objects; i++) {
		const struct sif_object *o = &s->objects[i];
		if (o->type != SIF_DATA_PARTITION || o->parttype != SIF_PART_PRIMSYS)
			continue;
		if (prim)
			return error_set(err, 0, "%s: SIF has two primary system partitions", f->path);
		prim = o;
	}
	if (!prim)
		return error_set(err, 0, "%s: SIF has no primary system partition", f->path);
	if (prim->fstype == SIF_FS_ENCRYPTED_SQUASHFS)
		return error_set(err, 0, "%s: SIF's root filesystem is encrypted, which ochre does not support",
				 f->path);
	if (prim->fstype != SIF_FS_SQUASH)
		return error_set(err, 0, "%s: SIF's root filesystem is not squashfs (type %d)", f->path, prim->fstype);
	if (!has_squashfs_magic(f->fd, prim->offset))
		return error_set(err, 0, "%s: SIF's root partition is not a squashfs filesystem (bad magic)", f->path);
	f->layers = xcalloc(1, sizeof(*f->layers));
	f->layers[0] = (struct squashfs_layer){ prim->offset, prim->size, NULL, NULL };
	f->n_layers = 1;
	return 0;
}

static int open_squashfs(struct single_file *f, struct error *err)
{
	unsigned char sb[96];
	if (pread_full(f->fd, sb, sizeof sb, 0) < 0)
		return error_set(err, 0, "%s: truncated squashfs (no superblock)", f->path);
	uint64_t used = 0;
	for (int i = 7; i >= 0; i--)
		used = used << 8 | sb[40 + i]; /* bytes_used, le64 at 40 */
	if (used > (uint64_t)f->st.st_size)
		return error_set(err, 0, "%s: truncated squashfs: %llu bytes used, file is %llu", f->path,
				 (unsigned long long)used, (unsigned long long)f->st.st_size);
	f->layers = xcalloc(1, sizeof(*f->layers));
	f->layers[0] = (struct squashfs_layer){ 0, (uint64_t)f->st.st_size, NULL, NULL };
	f->n_layers = 1;
	return 0;
}

static int open_kind(struct single_file *f, struct error *err)
{
	struct sif_image s;
	int ret;
	switch (f->kind) {
	case SINGLE_FILE_SQUASHFS:
		return open_squashfs(f, err);
	case SINGLE_FILE_OCI_SIF:
	case SINGLE_FILE_NATIVE_SIF:
		if (sif_parse(f->fd, (uint64_t)f->st.st_size, f->path, &s, err) < 0)
			return -1;
		ret = f->kind == SINGLE_FILE_OCI_SIF ? open_oci_sif(f, &s, err) : open_native_sif(f, &s, err);
		sif_image_free(&s);
		return ret;
	case SINGLE_FILE_NOT:
		break;
	default:
		break;
	}
	return error_set(err, 0, "%s: not a SIF or squashfs image", f->path);
}

int single_file_open(const char *path, struct single_file *f, struct error *err)
{
	memset(f, 0, sizeof(*f));
	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0)
		return error_set(err, errno, "%s", path);
	char *real = realpath(path, NULL);
	f->path = real ? xstrdup(real) : xstrdup(path);
	free(real);
	if (fstat(f->fd, &f->st) < 0 || !S_ISREG(f->st.st_mode)) {
		error_set(err, 0, "%s: not a regular file", f->path);
		single_file_close(f);
		return -1;
	}
	f->kind = single_file_sniff(f->fd);
	if (open_kind(f, err) < 0) {
		single_file_close(f);
		return -1;
	}
	return 0;
}

int single_file_verify_layers(const struct single_file *f, struct error *err)
{
	enum { CHUNK = 1 << 20 };
	char *buf = xmalloc(CHUNK);
	int ret = 0;
	for (size_t i = 0; i < f->n_layers && ret == 0; i++) {
		const struct squashfs_layer *l = &f->layers[i];
		if (!l->digest)
			continue;
		struct sha256 h;
		unsigned char sum[32];
		char text[72];
		sha256_init(&h);
		for (uint64_t done = 0; done < l->size && ret == 0;) {
			size_t n = l->size - done < CHUNK ? (size_t)(l->size - done) : CHUNK;
			if (pread_full(f->fd, buf, n, l->offset + done) < 0)
				ret = error_set(err, errno, "%s: read layer %s", f->path, l->digest);
			sha256_update(&h, buf, n);
			done += n;
		}
		sha256_final(&h, sum);
		sha256_format(sum, text);
		if (ret == 0 && strcmp(text, l->digest) != 0)
			ret = error_set(err, 0, "%s: layer %s does not match its digest (content is %s)", f->path,
					l->digest, text);
	}
	free(buf);
	return ret;
}

void single_file_close(struct single_file *f)
{
	for (size_t i = 0; i < f->n_layers; i++) {
		free(f->layers[i].digest);
		free(f->layers[i].media_type);
	}
	free(f->layers);
	if (f->config)
		json_object_put(f->config);
	free(f->digest);
	free(f->path);
	if (f->fd >= 0)
		close(f->fd);
	memset(f, 0, sizeof(*f));
	f->fd = -1;
}
