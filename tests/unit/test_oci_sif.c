/* The OCI-SIF writer (driver/import/sif/oci_sif.c) against the layout in
 * sif_format.h, read back here byte by byte: header, descriptors, blob
 * placement, spare slots, determinism and the content-derived UUID; and
 * SingularityCE's default file names for `ochre pull`. */
#define _GNU_SOURCE
#include "../../driver/cli/cmd_pull.h"
#include "../../driver/import/sif/oci_sif.h"
#include "../../driver/import/unpack/digest.h"
#include "unit.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static uint64_t le(const unsigned char *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* A layer file, then two JSON blobs, into a new memfd; its bytes in *out. */
static size_t write_one(const char *layer_path, const char *index_text, unsigned char **out)
{
	int fd = memfd_create("sif", 0);
	struct oci_sif_writer w;
	struct error err = { .msg = "" };
	oci_sif_begin(&w, fd, 3);
	struct oci_sif_blob layer = { .type = SIF_DATA_OCI_BLOB, .path = layer_path };
	struct oci_sif_blob cfg = { .type = SIF_DATA_OCI_BLOB, .data = "{}", .len = 2 };
	struct oci_sif_blob idx = { .type = SIF_DATA_OCI_ROOT_INDEX, .data = index_text, .len = strlen(index_text) };
	digest_sha256_buffer(cfg.data, cfg.len, cfg.digest, sizeof cfg.digest);
	digest_sha256_buffer(idx.data, idx.len, idx.digest, sizeof idx.digest);
	int ok = oci_sif_add(&w, &layer, &err) == 0 && oci_sif_add(&w, &cfg, &err) == 0 &&
		 oci_sif_add(&w, &idx, &err) == 0 && oci_sif_finish(&w, &err) == 0 && oci_sif_check(&w, &err) == 0;
	CHECK(ok, "write and read back an OCI-SIF");
	oci_sif_writer_free(&w);
	struct stat st;
	fstat(fd, &st);
	*out = malloc((size_t)st.st_size);
	CHECK(pread(fd, *out, (size_t)st.st_size, 0) == st.st_size, "read the file");
	close(fd);
	return (size_t)st.st_size;
}

int main(void)
{
	char layer_path[] = "/tmp/test_oci_sif.XXXXXX";
	int lfd = mkstemp(layer_path);
	CHECK(lfd >= 0 && write(lfd, "hsqs-layer-bytes", 16) == 16, "make a layer file");
	close(lfd);

	unsigned char *a, *b, *c;
	size_t na = write_one(layer_path, "{\"schemaVersion\":2}", &a);
	size_t nb = write_one(layer_path, "{\"schemaVersion\":2}", &b);
	size_t nc = write_one(layer_path, "{\"schemaVersion\":2,\"x\":1}", &c);
	CHECK(na == nb && memcmp(a, b, na) == 0, "same blobs, same bytes");
	CHECK(memcmp(a + SIF_HDR_ID_OFF, c + SIF_HDR_ID_OFF, SIF_HDR_ID_LEN) != 0, "another index, another UUID");
	CHECK(nc == na + 6, "sizes follow the blobs");

	CHECK(memcmp(a + SIF_HDR_MAGIC_OFF, "SIF_MAGIC\0", 10) == 0, "magic");
	CHECK(memcmp(a + SIF_HDR_VERSION_OFF, "01\0", 3) == 0, "version");
	CHECK(memcmp(a + SIF_HDR_ARCH_OFF, "00\0", 3) == 0, "arch unknown");
	CHECK(memcmp(a, SIF_LAUNCH_SCRIPT, strlen(SIF_LAUNCH_SCRIPT)) == 0, "launch script");
	CHECK((a[SIF_HDR_ID_OFF + 6] & 0xf0) == 0x40 && (a[SIF_HDR_ID_OFF + 8] & 0xc0) == 0x80, "UUID version bits");
	CHECK((int64_t)le(a + SIF_HDR_CREATED_OFF, 8) == SIF_DETERMINISTIC_TIME, "fixed creation time");
	uint64_t total = le(a + SIF_HDR_DESCR_TOTAL_OFF, 8), freed = le(a + SIF_HDR_DESCR_FREE_OFF, 8);
	CHECK(total == 3 + SIF_OCI_SPARE_DESCRIPTORS && freed == SIF_OCI_SPARE_DESCRIPTORS, "spare descriptors");
	CHECK(le(a + SIF_HDR_DESCR_OFFSET_OFF, 8) == SIF_DEFAULT_DESCR_OFFSET, "descriptor area offset");
	CHECK(le(a + SIF_HDR_DESCR_SIZE_OFF, 8) == total * SIF_DESCR_LEN, "descriptor area size");
	uint64_t data = le(a + SIF_HDR_DATA_OFFSET_OFF, 8);
	CHECK(data == SIF_DEFAULT_DESCR_OFFSET + total * SIF_DESCR_LEN, "data follows the descriptors");
	CHECK(data + le(a + SIF_HDR_DATA_SIZE_OFF, 8) == na, "data size reaches the end");

	uint64_t expect_off = data;
	static const char *const blobs[] = { "hsqs-layer-bytes", "{}", "{\"schemaVersion\":2}" };
	for (int i = 0; i < 3; i++) {
		const unsigned char *d = a + SIF_DEFAULT_DESCR_OFFSET + (size_t)i * SIF_DESCR_LEN;
		uint64_t off = le(d + SIF_DESCR_OFFSET_OFF, 8), size = le(d + SIF_DESCR_SIZE_OFF, 8);
		char digest[DIGEST_MAX_STRING];
		digest_sha256_buffer(blobs[i], strlen(blobs[i]), digest, sizeof digest);
		CHECK(le(d + SIF_DESCR_DATATYPE_OFF, 4) == (i == 2 ? SIF_DATA_OCI_ROOT_INDEX : SIF_DATA_OCI_BLOB),
		      "data type");
		CHECK(d[SIF_DESCR_USED_OFF] == 1 && le(d + SIF_DESCR_ID_OFF, 4) == (uint64_t)i + 1, "used, id");
		CHECK(le(d + SIF_DESCR_GROUPID_OFF, 4) == (SIF_DEFAULT_GROUP | SIF_GROUP_MASK), "group");
		CHECK(off == expect_off && size == strlen(blobs[i]), "blobs back to back, no alignment");
		CHECK(memcmp(a + off, blobs[i], size) == 0, "blob bytes");
		CHECK_STR((const char *)d + SIF_DESCR_EXTRA_OFF, digest, "digest in Extra");
		expect_off += size;
	}
	const unsigned char *spare = a + SIF_DEFAULT_DESCR_OFFSET + 3 * SIF_DESCR_LEN;
	int zero = 1;
	for (size_t i = 0; i < SIF_OCI_SPARE_DESCRIPTORS * SIF_DESCR_LEN; i++)
		zero &= spare[i] == 0;
	CHECK(zero, "spare descriptors are zero");

	/* SingularityCE's default names. */
	static const char *const names[][2] = {
		{ "docker://alpine:3.19", "alpine_3.19.sif" },
		{ "docker://alpine", "alpine_latest.sif" },
		{ "docker://ghcr.io/org/tool:1.2", "tool_1.2.sif" },
		{ "oras://localhost:5000/lab/app:v1", "app_v1.sif" },
		{ "https://example.org/images/lolcow.sif?x=1", "lolcow.sif" },
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char *n = pull_default_name(names[i][0]);
		CHECK_STR(n, names[i][1], names[i][0]);
		free(n);
	}
	CHECK(pull_default_name("https://example.org/") == NULL, "a URL without a file name");

	unlink(layer_path);
	free(a);
	free(b);
	free(c);
	return unit_done();
}
