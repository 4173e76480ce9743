#define _GNU_SOURCE
#include "oci_sif.h"

#include "../../util/fsutil.h"
#include "../../util/xalloc.h"
#include "../unpack/digest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define COPY_CHUNK (1024 * 1024)

static void put_le(unsigned char *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, int bytes)
{
	uint64_t v = 0;
	for (int i = bytes - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* The spare slots SingularityCE leaves for overlays and signatures. */
static size_t total_slots(const struct oci_sif_writer *w)
{
	return w->capacity + SIF_OCI_SPARE_DESCRIPTORS;
}

void oci_sif_begin(struct oci_sif_writer *w, int fd, size_t n_blobs)
{
	memset(w, 0, sizeof *w);
	w->fd = fd;
	w->capacity = n_blobs;
	w->blobs = xcalloc(n_blobs, sizeof *w->blobs);
	w->data_offset = SIF_DEFAULT_DESCR_OFFSET + (uint64_t)total_slots(w) * SIF_DESCR_LEN;
	w->end = w->data_offset;
}

/* Copy the file into the SIF at w->end, hashing what is read. */
static int copy_file(struct oci_sif_writer *w, struct oci_sif_blob *b, struct error *err)
{
	int in = open(b->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (in < 0)
		return error_set(err, errno, "open %s", b->path);
	struct digest_ctx *ctx = digest_sha256_begin();
	char *buf = xmalloc(COPY_CHUNK);
	uint64_t off = w->end, len = 0;
	int ret = 0;
	for (;;) {
		ssize_t n = read(in, buf, COPY_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = error_set(err, errno, "read %s", b->path);
			break;
		}
		if (n == 0)
			break;
		digest_update(ctx, buf, (size_t)n);
		if (pwrite_full(w->fd, buf, (size_t)n, off + len) < 0) {
			ret = error_set(err, errno, "write the image file");
			break;
		}
		len += (uint64_t)n;
		if (w->progress)
			w->progress(w->progress_data, (unsigned long long)n);
	}
	if (ret == 0)
		digest_end(ctx, b->digest, sizeof b->digest);
	else
		digest_abort(ctx);
	b->len = (size_t)len;
	free(buf);
	close(in);
	return ret;
}

int oci_sif_add(struct oci_sif_writer *w, struct oci_sif_blob *b, struct error *err)
{
	if (w->n == w->capacity)
		return error_set(err, 0, "OCI-SIF: more blobs than planned");
	if (b->path) {
		if (copy_file(w, b, err) < 0)
			return -1;
	} else if (pwrite_full(w->fd, b->data, b->len, w->end) < 0) {
		return error_set(err, errno, "write the image file");
	}
	/* OCI blobs follow each other with no alignment gap (sif_format.h). */
	w->blobs[w->n].type = b->type;
	w->blobs[w->n].offset = w->end;
	w->blobs[w->n].size = b->len;
	snprintf(w->blobs[w->n].digest, sizeof w->blobs[w->n].digest, "%s", b->digest);
	w->end += b->len;
	w->n++;
	return 0;
}

/* A version 4 style UUID (RFC 4122 variant) from the root index's digest:
 * the same content, the same UUID; different images, different ones. */
static void content_uuid(const struct oci_sif_writer *w, unsigned char uuid[SIF_HDR_ID_LEN])
{
	const char *index = "";
	for (size_t i = 0; i < w->n; i++)
		if (w->blobs[i].type == SIF_DATA_OCI_ROOT_INDEX)
			index = w->blobs[i].digest;
	char seed[DIGEST_MAX_STRING + 32], hash[DIGEST_MAX_STRING];
	int len = snprintf(seed, sizeof seed, "ochre OCI-SIF %s", index);
	digest_sha256_buffer(seed, (size_t)len, hash, sizeof hash);
	for (int i = 0; i < SIF_HDR_ID_LEN; i++) {
		unsigned v;
		sscanf(hash + 7 + 2 * i, "%2x", &v);
		uuid[i] = (unsigned char)v;
	}
	uuid[6] = (unsigned char)((uuid[6] & 0x0f) | 0x40);
	uuid[8] = (unsigned char)((uuid[8] & 0x3f) | 0x80);
}

static void fill_header(const struct oci_sif_writer *w, unsigned char *h)
{
	memset(h, 0, SIF_HDR_LEN);
	memcpy(h + SIF_HDR_LAUNCH_OFF, SIF_LAUNCH_SCRIPT, strlen(SIF_LAUNCH_SCRIPT));
	memcpy(h + SIF_HDR_MAGIC_OFF, SIF_MAGIC, strlen(SIF_MAGIC));
	memcpy(h + SIF_HDR_VERSION_OFF, SIF_VERSION, strlen(SIF_VERSION));
	memcpy(h + SIF_HDR_ARCH_OFF, SIF_ARCH_UNKNOWN, strlen(SIF_ARCH_UNKNOWN));
	content_uuid(w, h + SIF_HDR_ID_OFF);
	put_le(h + SIF_HDR_CREATED_OFF, (uint64_t)SIF_DETERMINISTIC_TIME, 8);
	put_le(h + SIF_HDR_MODIFIED_OFF, (uint64_t)SIF_DETERMINISTIC_TIME, 8);
	put_le(h + SIF_HDR_DESCR_FREE_OFF, total_slots(w) - w->n, 8);
	put_le(h + SIF_HDR_DESCR_TOTAL_OFF, total_slots(w), 8);
	put_le(h + SIF_HDR_DESCR_OFFSET_OFF, SIF_DEFAULT_DESCR_OFFSET, 8);
	put_le(h + SIF_HDR_DESCR_SIZE_OFF, (uint64_t)total_slots(w) * SIF_DESCR_LEN, 8);
	put_le(h + SIF_HDR_DATA_OFFSET_OFF, w->data_offset, 8);
	put_le(h + SIF_HDR_DATA_SIZE_OFF, w->end - w->data_offset, 8);
}

static void fill_descriptor(const struct oci_sif_writer *w, size_t i, unsigned char *d)
{
	memset(d, 0, SIF_DESCR_LEN);
	if (i >= w->n)
		return; /* a spare slot: all zero, unused */
	put_le(d + SIF_DESCR_DATATYPE_OFF, (uint64_t)w->blobs[i].type, 4);
	d[SIF_DESCR_USED_OFF] = 1;
	put_le(d + SIF_DESCR_ID_OFF, i + 1, 4);
	put_le(d + SIF_DESCR_GROUPID_OFF, SIF_DEFAULT_GROUP | SIF_GROUP_MASK, 4);
	put_le(d + SIF_DESCR_OFFSET_OFF, w->blobs[i].offset, 8);
	put_le(d + SIF_DESCR_SIZE_OFF, w->blobs[i].size, 8);
	put_le(d + SIF_DESCR_SIZE_PADDED_OFF, w->blobs[i].size, 8);
	put_le(d + SIF_DESCR_CREATED_OFF, (uint64_t)SIF_DETERMINISTIC_TIME, 8);
	put_le(d + SIF_DESCR_MODIFIED_OFF, (uint64_t)SIF_DETERMINISTIC_TIME, 8);
	memcpy(d + SIF_DESCR_EXTRA_OFF, w->blobs[i].digest, strlen(w->blobs[i].digest));
}

int oci_sif_finish(struct oci_sif_writer *w, struct error *err)
{
	if (w->n != w->capacity)
		return error_set(err, 0, "OCI-SIF: %zu blobs written, %zu planned", w->n, w->capacity);
	size_t slots = total_slots(w);
	unsigned char *area = xcalloc(SIF_DEFAULT_DESCR_OFFSET + slots * SIF_DESCR_LEN, 1);
	for (size_t i = 0; i < slots; i++)
		fill_descriptor(w, i, area + SIF_DEFAULT_DESCR_OFFSET + i * SIF_DESCR_LEN);
	fill_header(w, area);
	int ret = 0;
	/* Header and descriptors last, then to disk: until then the file has
	 * no SIF magic, and nothing takes it for an image. */
	if (pwrite_full(w->fd, area, SIF_DEFAULT_DESCR_OFFSET + slots * SIF_DESCR_LEN, 0) < 0 || fsync(w->fd) < 0)
		ret = error_set(err, errno, "write the image file");
	free(area);
	return ret;
}

void oci_sif_writer_free(struct oci_sif_writer *w)
{
	free(w->blobs);
	w->blobs = NULL;
}

int oci_sif_check(const struct oci_sif_writer *w, struct error *err)
{
	size_t slots = total_slots(w), len = SIF_DEFAULT_DESCR_OFFSET + slots * SIF_DESCR_LEN;
	unsigned char *got = xmalloc(len), *want = xcalloc(len, 1);
	int ret = 0;
	if (pread_full(w->fd, got, len, 0) < 0) {
		ret = error_set(err, errno, "read back the image file");
		goto out;
	}
	fill_header(w, want);
	for (size_t i = 0; i < slots; i++)
		fill_descriptor(w, i, want + SIF_DEFAULT_DESCR_OFFSET + i * SIF_DESCR_LEN);
	if (memcmp(got, want, len) != 0) {
		ret = error_set(err, 0, "the image file's header or descriptors read back wrong");
		goto out;
	}
	struct stat st;
	if (fstat(w->fd, &st) < 0 || (uint64_t)st.st_size != w->end) {
		ret = error_set(err, 0, "the image file has the wrong size");
		goto out;
	}
	/* The small blobs (index, manifest, config) again, from the file. */
	for (size_t i = 0; i < w->n && ret == 0; i++) {
		uint64_t off = get_le(got + SIF_DEFAULT_DESCR_OFFSET + i * SIF_DESCR_LEN + SIF_DESCR_OFFSET_OFF, 8);
		uint64_t size = w->blobs[i].size;
		if (size > 4 * 1024 * 1024)
			continue;
		char *buf = xmalloc(size + 1);
		char digest[DIGEST_MAX_STRING];
		if (pread_full(w->fd, buf, size, off) < 0)
			ret = error_set(err, errno, "read back the image file");
		else {
			digest_sha256_buffer(buf, size, digest, sizeof digest);
			if (strcmp(digest, w->blobs[i].digest) != 0)
				ret = error_set(err, 0, "blob %s read back as %s", w->blobs[i].digest, digest);
		}
		free(buf);
	}
out:
	free(got);
	free(want);
	return ret;
}
