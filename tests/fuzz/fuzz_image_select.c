/* libFuzzer target for the choice of an image inside a layout or archive
 * (driver/image_select.c): index.json through nested indexes to a manifest
 * by tag or platform, and docker-save's manifest.json entry by tag.
 *
 * The input is a small set of files, split at NUL bytes: first the text of
 * index.json, then members "NAME\nDATA" (e.g. "blobs/sha256/HEX\n{...}" for
 * a nested index, or "manifest.json\n[...]"), held in memory as an archive's
 * small members are. Blobs are not hashed (no check function, as on a
 * cached launch). Checks, beyond "no crash, no leak, no sanitizer report":
 *  - a refusal leaves a reason in err;
 *  - a chosen manifest digest is a valid digest that the input names;
 *  - a docker-archive key is "sha256:" and 64 hex digits, named by the
 *    chosen entry's Config. */
#define _GNU_SOURCE
#include "../../driver/image/image_select.h"
#include "../../driver/import/unpack/digest.h"
#include "fuzz_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                                   \
	do {                                                                                                          \
		if (!(cond)) {                                                                                        \
			fprintf(stderr, "fuzz_image_select: check failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                                                      \
		}                                                                                                     \
	} while (0)

#define MAX_MEMBERS 8

static void select_manifest(const struct blob_source *src, const char *input, size_t size, const char *tag,
			    const char *platform)
{
	char *digest = NULL;
	struct error err;
	err.msg[0] = '\0';
	if (image_select_manifest(src, tag, platform, NULL, &digest, &err) < 0) {
		CHECK(err.msg[0] != '\0');
		CHECK(!digest);
		return;
	}
	CHECK(digest && digest_is_valid(digest));
	CHECK(memmem(input, size, digest, strlen(digest)) != NULL);
	free(digest);
}

static void find_docker_key(const struct blob_source *src, const char *tag)
{
	struct image_ref ref = { .kind = IMAGE_DOCKER_ARCHIVE, .tag = (char *)tag };
	char *key = NULL;
	struct error err;
	err.msg[0] = '\0';
	if (image_find_key(&ref, src, &key, &err) < 0) {
		CHECK(err.msg[0] != '\0');
		return;
	}
	CHECK(key && strncmp(key, "sha256:", 7) == 0 && strlen(key) == 7 + 64 && digest_is_valid(key));
	free(key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A private, NUL-terminated copy to split in place. */
	char *input = malloc(size + 1);
	memcpy(input, data, size);
	input[size] = '\0';
	struct mem_member members[MAX_MEMBERS];
	size_t n = 0;
	char *end = input + size, *p = input + strlen(input) + 1;
	while (p < end && n < MAX_MEMBERS) {
		char *next = p + strlen(p) + 1;
		char *nl = strchr(p, '\n');
		if (nl) {
			*nl = '\0';
			members[n].name = p;
			members[n].data = nl + 1;
			members[n].len = strlen(nl + 1);
			n++;
		}
		p = next;
	}
	struct blob_source src = {
		.members = members,
		.n_members = n,
		.label = "fuzz",
		.index_json = input,
	};
	select_manifest(&src, (const char *)data, size, NULL, NULL);
	select_manifest(&src, (const char *)data, size, "latest", NULL);
	select_manifest(&src, (const char *)data, size, NULL, "linux/arm64/v8");
	select_manifest(&src, (const char *)data, size, NULL, "linux/amd64");
	find_docker_key(&src, NULL);
	find_docker_key(&src, "busybox:latest");
	for (size_t i = 0; i < n; i++)
		free(docker_config_digest(members[i].name));
	free(input);
	return 0;
}
