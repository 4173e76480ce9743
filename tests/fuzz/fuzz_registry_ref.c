/* libFuzzer target for docker:// references (driver/registry_ref.c, Docker's
 * naming rules).
 *
 * The input is one reference (up to its first NUL), with or without the
 * docker:// prefix. Checks, beyond "no crash, no leak, no sanitizer report":
 *  - a refusal leaves a reason in err;
 *  - an accepted reference has a valid registry host, an API host, a
 *    non-empty repository, a tag or a digest, and a canonical text that
 *    parses again to the same fields (the canonical form is a fixed point);
 *  - the refs record name is the text and its platform (the host's when
 *    none is given). */
#define _GNU_SOURCE
#include "../../driver/image/registry_ref.h"
#include "fuzz_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                                   \
	do {                                                                                                          \
		if (!(cond)) {                                                                                        \
			fprintf(stderr, "fuzz_registry_ref: check failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                                                      \
		}                                                                                                     \
	} while (0)

static int str_eq(const char *a, const char *b)
{
	return a && b ? strcmp(a, b) == 0 : a == b;
}

static void check_record_name(const char *text, const char *platform)
{
	char *name = registry_record_name(text, platform);
	size_t n = strlen(text);
	CHECK(name && strncmp(name, text, n) == 0 && strncmp(name + n, " platform=", 10) == 0);
	CHECK(!platform || strcmp(name + n + 10, platform) == 0);
	free(name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *arg = strndup((const char *)data, size);
	struct registry_ref r;
	struct error err;
	err.msg[0] = '\0';
	(void)registry_ref_is_docker(arg);
	(void)registry_host_is_valid(arg);
	(void)registry_normalize_host(arg);
	if (registry_ref_parse(arg, &r, &err) < 0) {
		CHECK(err.msg[0] != '\0');
		free(arg);
		return 0;
	}
	CHECK(r.registry && registry_host_is_valid(r.registry));
	CHECK(r.api_host && *r.api_host);
	CHECK(r.repo && *r.repo);
	CHECK(r.tag || r.digest);
	CHECK(r.text && strncmp(r.text, REGISTRY_PREFIX, strlen(REGISTRY_PREFIX)) == 0);
	CHECK(registry_ref_is_docker(r.text));

	struct registry_ref again;
	CHECK(registry_ref_parse(r.text, &again, &err) == 0);
	CHECK(str_eq(again.registry, r.registry));
	CHECK(str_eq(again.api_host, r.api_host));
	CHECK(str_eq(again.repo, r.repo));
	/* With a digest, the canonical text may leave the tag out. */
	CHECK(str_eq(again.tag, r.tag) || (r.digest && !again.tag));
	CHECK(str_eq(again.digest, r.digest));
	CHECK(str_eq(again.text, r.text));
	registry_ref_free(&again);

	check_record_name(r.text, NULL);
	check_record_name(r.text, "linux/arm64/v8");
	registry_ref_free(&r);
	free(arg);
	return 0;
}
