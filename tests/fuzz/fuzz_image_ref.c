/* libFuzzer target for image references as users write them
 * (driver/image_ref.c: oci:, oci-archive:, docker-archive:, docker://, a
 * plain directory).
 *
 * The input is one argument (up to its first NUL). The target runs in a
 * scratch directory holding a rootfs dir, an OCI layout dir and an archive
 * file, so that relative paths can resolve. Checks, beyond "no crash, no
 * leak, no sanitizer report":
 *  - a refusal leaves a reason in err and the ref zeroed;
 *  - an accepted reference has a known kind and canonical text; docker://
 *    has no path or tag, every other kind an absolute path, and its text is
 *    the transport prefix, the path and ":TAG" when there is one;
 *  - the canonical text parses again to the same reference. */
#define _GNU_SOURCE
#include "../../driver/image/image_ref.h"
#include "fuzz_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                                \
	do {                                                                                                       \
		if (!(cond)) {                                                                                     \
			fprintf(stderr, "fuzz_image_ref: check failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                                                   \
		}                                                                                                  \
	} while (0)

static void touch(const char *path)
{
	FILE *f = fopen(path, "w");
	if (f)
		fclose(f);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char dir[] = "/tmp/ochre-fuzz-image-ref.XXXXXX";
	if (!mkdtemp(dir) || chdir(dir) < 0) {
		perror("fuzz_image_ref: scratch dir");
		exit(1);
	}
	mkdir("rootfs", 0755);
	mkdir("layout", 0755);
	touch("layout/oci-layout");
	touch("image.tar");
	return 0;
}

static const char *prefix_of(enum image_kind kind)
{
	switch (kind) {
	case IMAGE_OCI_DIR:
		return "oci:";
	case IMAGE_OCI_ARCHIVE:
		return "oci-archive:";
	case IMAGE_DOCKER_ARCHIVE:
		return "docker-archive:";
	case IMAGE_ROOTFS_DIR:
	case IMAGE_DOCKER:
		return "";
	default:
		abort();
	}
}

static void check_valid(const struct image_ref *r)
{
	CHECK(r->text && *r->text);
	if (r->kind == IMAGE_DOCKER) {
		CHECK(!r->path && !r->tag);
		CHECK(strncmp(r->text, "docker://", 9) == 0);
		return;
	}
	CHECK(r->kind == IMAGE_ROOTFS_DIR || r->kind == IMAGE_OCI_DIR || r->kind == IMAGE_OCI_ARCHIVE ||
	      r->kind == IMAGE_DOCKER_ARCHIVE);
	CHECK(r->path && r->path[0] == '/');
	CHECK(!r->tag || *r->tag);
	char expected[8192];
	snprintf(expected, sizeof expected, "%s%s%s%s", prefix_of(r->kind), r->path, r->tag ? ":" : "",
		 r->tag ? r->tag : "");
	CHECK(strcmp(r->text, expected) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *arg = strndup((const char *)data, size);
	struct image_ref ref;
	struct error err;
	err.msg[0] = '\0';
	if (image_ref_parse(arg, &ref, &err) < 0) {
		CHECK(err.msg[0] != '\0');
		CHECK(!ref.path && !ref.tag && !ref.text);
		free(arg);
		return 0;
	}
	check_valid(&ref);
	/* A plain rootfs dir's text has no prefix, and may now have a colon
	 * that an explicit transport would split: compare those by path. */
	struct image_ref again;
	CHECK(image_ref_parse(ref.text, &again, &err) == 0);
	CHECK(again.kind == ref.kind);
	CHECK(strcmp(again.text, ref.text) == 0);
	image_ref_free(&again);
	image_ref_free(&ref);
	free(arg);
	return 0;
}
