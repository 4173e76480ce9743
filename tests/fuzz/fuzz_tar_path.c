/* libFuzzer target for the cleaning of tar member paths (driver/
 * layer_extract.c, clean_entry_path): every member and hardlink target of
 * an image layer goes through it before anything is written, and it alone
 * keeps "../" out of the image root.
 *
 * The input is one member path (up to its first NUL), cleaned into buffers
 * of several sizes. Checks, beyond "no crash, no sanitizer report":
 *  - a path with a ".." component is refused, whatever the buffer;
 *  - a cleaned path fits its buffer, is relative, has no empty, "." or
 *    ".." component, and keeps the input's other components in order;
 *  - cleaning is idempotent, and a refusal for lack of room happens only
 *    when the cleaned path would not fit. */
#define _GNU_SOURCE
#include "../../driver/import/unpack/layer_extract.h"
#include "fuzz_util.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                               \
	do {                                                                                                      \
		if (!(cond)) {                                                                                    \
			fprintf(stderr, "fuzz_tar_path: check failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                                                  \
		}                                                                                                 \
	} while (0)

/* The reference: components other than "" and ".", joined by '/', or
 * false for a ".." component. */
static bool reference_clean(const char *in, char *out)
{
	size_t o = 0;
	for (const char *p = in; *p;) {
		size_t n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return false;
		if (n > 0 && !(n == 1 && p[0] == '.')) {
			if (o)
				out[o++] = '/';
			memcpy(out + o, p, n);
			o += n;
		}
		p += n;
		if (*p == '/')
			p++;
	}
	out[o] = '\0';
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = strndup((const char *)data, size);
	size_t in_len = strlen(in);
	char *expected = malloc(in_len + 1);
	bool ok = reference_clean(in, expected);
	static const size_t sizes[] = { 1, 2, 8, 64, 256, 4096 };
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0] + 1; i++) {
		size_t len = i < sizeof sizes / sizeof sizes[0] ? sizes[i] : in_len + 2;
		char *out = malloc(len);
		int ret = clean_entry_path(in, out, len);
		if (!ok) {
			CHECK(ret < 0);
		} else if (ret < 0) {
			/* Only for lack of room: the component plus a '/' and a NUL. */
			CHECK(strlen(expected) + 2 > len);
		} else {
			CHECK(strlen(out) < len);
			CHECK(strcmp(out, expected) == 0);
			CHECK(out[0] != '/');
			CHECK(!strstr(out, "//"));
			char *again = malloc(len);
			CHECK(clean_entry_path(out, again, len) == 0 && strcmp(again, out) == 0);
			free(again);
		}
		free(out);
	}
	free(expected);
	free(in);
	return 0;
}
