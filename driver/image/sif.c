/* SIF header and descriptor validation (sif.h). Fields are read with
 * explicit little-endian loads from byte buffers: the file is hostile
 * until proven otherwise, and no struct is ever laid over it. */
#include "sif.h"

#include "../util/fsutil.h"
#include "../util/xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t le64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int sif_has_magic(const unsigned char *head, size_t len)
{
	return len >= SIF_HDR_MAGIC_OFF + SIF_HDR_MAGIC_LEN &&
	       memcmp(head + SIF_HDR_MAGIC_OFF, SIF_MAGIC, SIF_HDR_MAGIC_LEN) == 0;
}

struct sif_header {
	uint64_t descr_total, descr_offset, descr_size;
};

static int parse_header(const unsigned char *h, uint64_t file_size, const char *name, struct sif_header *out,
			struct error *err)
{
	if (!sif_has_magic(h, SIF_HDR_LEN))
		return error_set(err, 0, "%s: not a SIF file: bad magic", name);
	if (memcmp(h + SIF_HDR_VERSION_OFF, SIF_VERSION, SIF_HDR_VERSION_LEN) != 0)
		return error_set(err, 0, "%s: unsupported SIF version (only %s is known)", name, SIF_VERSION);
	out->descr_total = le64(h + SIF_HDR_DESCR_TOTAL_OFF);
	out->descr_offset = le64(h + SIF_HDR_DESCR_OFFSET_OFF);
	out->descr_size = le64(h + SIF_HDR_DESCR_SIZE_OFF);
	if (out->descr_total == 0 || out->descr_total > SIF_MAX_DESCRIPTORS)
		return error_set(err, 0, "%s: bad SIF header: %llu descriptors (1 to %d allowed)", name,
				 (unsigned long long)out->descr_total, SIF_MAX_DESCRIPTORS);
	if (out->descr_size != out->descr_total * SIF_DESCR_LEN)
		return error_set(err, 0, "%s: bad SIF header: descriptor area of %llu bytes for %llu descriptors", name,
				 (unsigned long long)out->descr_size, (unsigned long long)out->descr_total);
	if (out->descr_offset < SIF_HDR_LEN || out->descr_offset > file_size ||
	    out->descr_size > file_size - out->descr_offset)
		return error_set(err, 0,
				 "%s: truncated or bad SIF header: descriptors at %llu+%llu, file is %llu bytes", name,
				 (unsigned long long)out->descr_offset, (unsigned long long)out->descr_size,
				 (unsigned long long)file_size);
	return 0;
}

static void parse_extra(const unsigned char *d, struct sif_object *o)
{
	const unsigned char *x = d + SIF_DESCR_EXTRA_OFF;
	if (o->type == SIF_DATA_PARTITION) {
		o->fstype = (int32_t)le32(x + SIF_PART_FSTYPE_OFF);
		o->parttype = (int32_t)le32(x + SIF_PART_PARTTYPE_OFF);
		memcpy(o->arch, x + SIF_PART_ARCH_OFF, SIF_PART_ARCH_LEN);
		o->arch[SIF_PART_ARCH_LEN] = '\0';
	} else if (o->type == SIF_DATA_OCI_ROOT_INDEX || o->type == SIF_DATA_OCI_BLOB) {
		/* Text up to the first NUL; anything longer than a sha256 digest
		 * is kept cut, and then matches no digest. */
		size_t n = strnlen((const char *)x, SIF_OCI_DIGEST_LEN);
		memcpy(o->digest, x, n);
		o->digest[n] = '\0';
	}
}

static int parse_descriptor(const unsigned char *d, uint64_t file_size, uint64_t data_start, const char *name,
			    size_t index, struct sif_object *o, struct error *err)
{
	memset(o, 0, sizeof(*o));
	o->type = (int32_t)le32(d + SIF_DESCR_DATATYPE_OFF);
	o->id = le32(d + SIF_DESCR_ID_OFF);
	uint64_t off = le64(d + SIF_DESCR_OFFSET_OFF), size = le64(d + SIF_DESCR_SIZE_OFF);
	/* int64 on disk: a negative value reads as a huge one and fails below. */
	if (off > file_size || size > file_size - off)
		return error_set(
			err, 0, "%s: SIF descriptor %zu (type 0x%x): object at %llu+%llu is outside the %llu-byte file",
			name, index, (unsigned)o->type, (unsigned long long)off, (unsigned long long)size,
			(unsigned long long)file_size);
	if (size > 0 && off < data_start)
		return error_set(
			err, 0, "%s: SIF descriptor %zu (type 0x%x): object at %llu overlaps the header or descriptors",
			name, index, (unsigned)o->type, (unsigned long long)off);
	o->offset = off;
	o->size = size;
	parse_extra(d, o);
	return 0;
}

static int by_offset(const void *a, const void *b)
{
	const struct sif_object *x = *(const struct sif_object *const *)a, *y = *(const struct sif_object *const *)b;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* No two used objects share a byte (empty ones share nothing). */
static int check_overlaps(const struct sif_image *img, const char *name, struct error *err)
{
	if (img->n_objects < 2)
		return 0;
	const struct sif_object **v = xcalloc(img->n_objects, sizeof(*v));
	for (size_t i = 0; i < img->n_objects; i++)
		v[i] = &img->objects[i];
	qsort(v, img->n_objects, sizeof(*v), by_offset);
	uint64_t end = 0;
	const struct sif_object *last = NULL;
	int ret = 0;
	for (size_t i = 0; i < img->n_objects && ret == 0; i++) {
		if (v[i]->size == 0)
			continue;
		if (last && v[i]->offset < end)
			ret = error_set(err, 0, "%s: SIF objects %u and %u overlap (at %llu)", name, last->id, v[i]->id,
					(unsigned long long)v[i]->offset);
		end = v[i]->offset + v[i]->size;
		last = v[i];
	}
	free(v);
	return ret;
}

static int parse_descriptors(const unsigned char *arr, const struct sif_header *h, uint64_t file_size, const char *name,
			     struct sif_image *out, struct error *err)
{
	uint64_t data_start = h->descr_offset + h->descr_size;
	out->objects = xcalloc(h->descr_total, sizeof(*out->objects));
	for (size_t i = 0; i < h->descr_total; i++) {
		const unsigned char *d = arr + i * SIF_DESCR_LEN;
		unsigned used = d[SIF_DESCR_USED_OFF];
		if (used > 1)
			return error_set(err, 0, "%s: SIF descriptor %zu: bad 'used' flag %u", name, i, used);
		if (!used)
			continue;
		if (parse_descriptor(d, file_size, data_start, name, i, &out->objects[out->n_objects], err) < 0)
			return -1;
		out->n_objects++;
	}
	return check_overlaps(out, name, err);
}

int sif_parse(int fd, uint64_t file_size, const char *name, struct sif_image *out, struct error *err)
{
	unsigned char h[SIF_HDR_LEN];
	struct sif_header hdr = { 0 };
	memset(out, 0, sizeof(*out));
	if (file_size < SIF_HDR_LEN || pread_full(fd, h, sizeof(h), 0) < 0)
		return error_set(err, 0, "%s: truncated SIF file (%llu bytes, header needs %d)", name,
				 (unsigned long long)file_size, SIF_HDR_LEN);
	if (parse_header(h, file_size, name, &hdr, err) < 0)
		return -1;
	unsigned char *arr = xmalloc(hdr.descr_size);
	int ret = pread_full(fd, arr, hdr.descr_size, hdr.descr_offset);
	if (ret < 0)
		error_set(err, errno, "%s: read SIF descriptors", name);
	else
		ret = parse_descriptors(arr, &hdr, file_size, name, out, err);
	free(arr);
	if (ret < 0)
		sif_image_free(out);
	return ret;
}

void sif_image_free(struct sif_image *img)
{
	free(img->objects);
	img->objects = NULL;
	img->n_objects = 0;
}
