/* Single-file images: hand-built bad SIFs each give their one-line error;
 * the fixtures of scripts/build-sif-images.sh (in $OCHRE_IMAGES, default
 * build/test-images; skipped when absent) open with the right layers and
 * config, and files read through layers, whiteouts and hostile symlinks. */
#include "../../driver/image/sif_format.h"
#include "../../driver/image/single_file.h"
#include "unit.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/ochre-sif-XXXXXX";

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* A native SIF with one squashfs-looking primary partition of 4096 bytes. */
static unsigned char *good_native(size_t *len)
{
	size_t total = 2, dataoff = SIF_DEFAULT_DESCR_OFFSET + total * SIF_DESCR_LEN;
	dataoff = (dataoff + 4095) / 4096 * 4096;
	*len = dataoff + 4096;
	unsigned char *b = calloc(1, *len);
	memcpy(b + SIF_HDR_MAGIC_OFF, SIF_MAGIC, 10);
	memcpy(b + SIF_HDR_VERSION_OFF, SIF_VERSION, 2);
	put64(b + SIF_HDR_DESCR_TOTAL_OFF, total);
	put64(b + SIF_HDR_DESCR_OFFSET_OFF, SIF_DEFAULT_DESCR_OFFSET);
	put64(b + SIF_HDR_DESCR_SIZE_OFF, total * SIF_DESCR_LEN);
	put64(b + SIF_HDR_DATA_OFFSET_OFF, dataoff);
	unsigned char *d = b + SIF_DEFAULT_DESCR_OFFSET;
	put32(d + SIF_DESCR_DATATYPE_OFF, SIF_DATA_PARTITION);
	d[SIF_DESCR_USED_OFF] = 1;
	put32(d + SIF_DESCR_ID_OFF, 1);
	put64(d + SIF_DESCR_OFFSET_OFF, dataoff);
	put64(d + SIF_DESCR_SIZE_OFF, 4096);
	put32(d + SIF_DESCR_EXTRA_OFF + SIF_PART_FSTYPE_OFF, SIF_FS_SQUASH);
	put32(d + SIF_DESCR_EXTRA_OFF + SIF_PART_PARTTYPE_OFF, SIF_PART_PRIMSYS);
	memcpy(b + dataoff, "hsqs", 4);
	return b;
}

static char *write_tmp(const char *name, const unsigned char *b, size_t len)
{
	static char path[256];
	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "w");
	fwrite(b, 1, len, f);
	fclose(f);
	return path;
}

static void expect_error(const char *name, const unsigned char *b, size_t len, const char *needle)
{
	struct single_file f;
	struct error err = { 0 };
	char *path = write_tmp(name, b, len);
	int r = single_file_open(path, &f, &err);
	char label[128];
	snprintf(label, sizeof label, "%s: refused with '%s'", name, needle);
	CHECK(r < 0 && strstr(err.msg, needle) && strstr(err.msg, name) && !strchr(err.msg, '\n'), label);
	if (r < 0 && !strstr(err.msg, needle))
		printf("# got: %s\n", err.msg);
	if (r == 0)
		single_file_close(&f);
}

static void test_bad_files(void)
{
	size_t len;
	unsigned char *b = good_native(&len);
	struct single_file f;
	struct error err;
	CHECK(single_file_open(write_tmp("good.sif", b, len), &f, &err) == 0 && f.kind == SINGLE_FILE_NATIVE_SIF &&
		      f.n_layers == 1 && f.layers[0].size == 4096,
	      "hand-built native SIF opens");
	if (f.fd >= 0 && f.path)
		single_file_close(&f);
	expect_error("truncated.sif", b, 100, "not a SIF or squashfs");
	expect_error("truncated-descr.sif", b, SIF_DEFAULT_DESCR_OFFSET + 10, "truncated or bad SIF header");
	unsigned char *c = malloc(len);
#define MUTATE(stmt)                                             \
	do {                                                     \
		memcpy(c, b, len);                               \
		unsigned char *d = c + SIF_DEFAULT_DESCR_OFFSET; \
		(void)d;                                         \
		stmt;                                            \
	} while (0)
	MUTATE(memcpy(c + SIF_HDR_VERSION_OFF, "02", 2));
	expect_error("version.sif", c, len, "unsupported SIF version");
	MUTATE(put64(c + SIF_HDR_DESCR_TOTAL_OFF, 100000));
	expect_error("toomany.sif", c, len, "100000 descriptors");
	MUTATE(put64(d + SIF_DESCR_SIZE_OFF, 1u << 30));
	expect_error("outside.sif", c, len, "outside the");
	MUTATE(put64(d + SIF_DESCR_OFFSET_OFF, (uint64_t)-4096));
	expect_error("negative.sif", c, len, "outside the");
	MUTATE(put64(d + SIF_DESCR_OFFSET_OFF, 100));
	expect_error("overheader.sif", c, len, "overlaps the header");
	MUTATE(memcpy(d + SIF_DESCR_LEN, d, SIF_DESCR_LEN); put32(d + SIF_DESCR_LEN + SIF_DESCR_EXTRA_OFF + 4, 1));
	expect_error("overlap.sif", c, len, "overlap");
	MUTATE(d[SIF_DESCR_USED_OFF] = 7);
	expect_error("used.sif", c, len, "bad 'used' flag");
	MUTATE(put32(d + SIF_DESCR_EXTRA_OFF + SIF_PART_PARTTYPE_OFF, SIF_PART_DATA));
	expect_error("noprim.sif", c, len, "no primary system partition");
	MUTATE(memcpy(c + len - 4096, "XXXX", 4));
	expect_error("notsquash.sif", c, len, "not a squashfs");
	MUTATE(put32(d + SIF_DESCR_EXTRA_OFF, SIF_FS_EXT3));
	expect_error("ext3.sif", c, len, "not squashfs");
	MUTATE(memcpy(c + SIF_HDR_MAGIC_OFF, "SIF_MAGIX", 9));
	expect_error("magic.sif", c, len, "not a SIF or squashfs");
	free(c);
	free(b);
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	rewind(f);
	unsigned char *b = malloc(*len);
	*len = fread(b, 1, *len, f);
	fclose(f);
	return b;
}

static char *read_all(FILE *fp)
{
	static char buf[256];
	size_t n = fp ? fread(buf, 1, sizeof buf - 1, fp) : 0;
	buf[n] = '\0';
	if (fp)
		fclose(fp);
	return buf;
}

/* Corrupt one byte of the object whose digest Extra is the nth OCI blob. */
static void test_oci_corruptions(const char *images)
{
	char path[512];
	size_t len;
	snprintf(path, sizeof path, "%s/busybox-oci.sif", images);
	unsigned char *b = slurp(path, &len);
	if (!b)
		return;
	/* objects: layer, config, manifest, index (mksif's order) */
	const char *what[] = { "layer", "config", "manifest", "root index" };
	const char *need[] = { NULL, "config does not match", "manifest does not match", "root index does not match" };
	for (int k = 1; k < 4; k++) {
		unsigned char *c = malloc(len);
		memcpy(c, b, len);
		unsigned char *d = c + SIF_DEFAULT_DESCR_OFFSET + (size_t)k * SIF_DESCR_LEN;
		uint64_t off = 0;
		for (int i = 7; i >= 0; i--)
			off = off << 8 | d[SIF_DESCR_OFFSET_OFF + i];
		c[off + 1] ^= 1;
		char name[64];
		snprintf(name, sizeof name, "bad-%s.sif", what[k]);
		for (char *p = name; *p; p++)
			*p = *p == ' ' ? '-' : *p;
		expect_error(name, c, len, need[k]);
		free(c);
	}
	/* A layer whose bytes changed opens, and fails verify_layers. */
	unsigned char *c = malloc(len);
	memcpy(c, b, len);
	uint64_t off = 0;
	for (int i = 7; i >= 0; i--)
		off = off << 8 | c[SIF_DEFAULT_DESCR_OFFSET + SIF_DESCR_OFFSET_OFF + i];
	c[off + 200] ^= 1;
	struct single_file f;
	struct error err;
	int r = single_file_open(write_tmp("bad-layer.sif", c, len), &f, &err);
	CHECK(r == 0 && single_file_verify_layers(&f, &err) < 0 && strstr(err.msg, "does not match its digest"),
	      "a changed layer opens but fails --verify");
	if (r == 0)
		single_file_close(&f);
	free(c);
	free(b);
}

static void test_fixtures(const char *images)
{
	char path[512];
	struct single_file f;
	struct error err;
	mode_t t;
	snprintf(path, sizeof path, "%s/busybox-oci.sif", images);
	if (access(path, R_OK) != 0) {
		printf("ok - # SKIP fixtures: %s missing (scripts/build-sif-images.sh)\n", path);
		return;
	}
	CHECK(single_file_open(path, &f, &err) == 0 && f.kind == SINGLE_FILE_OCI_SIF && f.n_layers == 1 && f.config &&
		      f.digest && strncmp(f.digest, "sha256:", 7) == 0,
	      "busybox-oci.sif opens: one layer, config, digest");
	CHECK(single_file_verify_layers(&f, &err) == 0, "busybox-oci.sif layers verify");
	CHECK(strstr(read_all(single_file_fopen(&f, "/etc/passwd")), "root:") != NULL, "fopen /etc/passwd");
	single_file_close(&f);

	snprintf(path, sizeof path, "%s/busybox.sif", images);
	CHECK(single_file_open(path, &f, &err) == 0 && f.kind == SINGLE_FILE_NATIVE_SIF && f.n_layers == 1 &&
		      f.layers[0].offset % 4096 == 0,
	      "busybox.sif opens: one aligned partition");
	CHECK(strstr(read_all(single_file_fopen(&f, ".singularity.d/env/90-environment.sh")), "SIF_TEST_VAR") != NULL,
	      "native SIF: environment script readable");
	single_file_close(&f);

	snprintf(path, sizeof path, "%s/busybox.sqfs", images);
	CHECK(single_file_open(path, &f, &err) == 0 && f.kind == SINGLE_FILE_SQUASHFS && f.layers[0].offset == 0,
	      "busybox.sqfs opens");
	CHECK(single_file_lstat(&f, "bin/sh", &t) == 0 && (t == S_IFLNK || t == S_IFREG), "squashfs: lstat bin/sh");
	single_file_close(&f);

	snprintf(path, sizeof path, "%s/busybox-layers-oci.sif", images);
	CHECK(single_file_open(path, &f, &err) == 0 && f.n_layers == 3, "busybox-layers-oci.sif: three layers");
	CHECK_STR(read_all(single_file_fopen(&f, "etc/layer-file")), "layer2\n", "upper layer wins");
	CHECK(single_file_lstat(&f, "etc/motd-old", &t) < 0 && errno == ENOENT, "0/0 char device whites out");
	CHECK(single_file_lstat(&f, "opaque-dir/lower-file", &t) < 0 && errno == ENOENT, "opaque dir hides lower");
	CHECK(single_file_lstat(&f, "opaque-dir/upper-file", &t) == 0 && t == S_IFREG, "opaque dir keeps its own");
	CHECK(single_file_lstat(&f, "bin/busybox", &t) == 0 && t == S_IFREG, "lower layer shows through");
	CHECK_STR(read_all(single_file_fopen(&f, "srv/escape-rel")), "layer2\n", "../ symlink stays inside");
	CHECK_STR(read_all(single_file_fopen(&f, "srv/escape-abs")), "layer2\n", "absolute symlink stays inside");
	CHECK_STR(read_all(single_file_fopen(&f, "/../../etc/layer-file")), "layer2\n", "leading .. stays inside");
	CHECK(single_file_fopen(&f, "srv/loop") == NULL && errno == ELOOP, "symlink loop: ELOOP");
	CHECK(single_file_lstat(&f, "srv/escape-abs", &t) == 0 && t == S_IFLNK, "lstat does not follow");
	CHECK(single_file_lstat(&f, "srv/escape-abs/x", &t) < 0 && errno == ENOTDIR, "lstat: no symlink mid-path");
	CHECK(single_file_fopen(&f, "etc") == NULL && errno == EISDIR, "fopen a directory: EISDIR");
	single_file_close(&f);
	test_oci_corruptions(images);
}

int main(void)
{
	if (!mkdtemp(tmpdir))
		return 1;
	test_bad_files();
	const char *images = getenv("OCHRE_IMAGES");
	test_fixtures(images && *images ? images : "build/test-images");
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		return 1;
	return unit_done();
}
