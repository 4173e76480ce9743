/* libFuzzer target for the WWW-Authenticate challenge parser
 * (driver/registry_http.c, registry_challenge_param): `Scheme k="v", k2=v2`
 * as a registry's 401 answer carries it (RFC 7235), quoted values holding
 * commas and backslash escapes.
 *
 * The input is the header's value (up to its first NUL). The parameters a
 * bearer handshake reads (realm, service, scope), a name in another case,
 * and an absent one are looked up. Checks, beyond "no crash, no leak, no
 * sanitizer report": a value found is no longer than the input and is a
 * substring of it (the parser copies, never decodes), and a name the input
 * does not contain (case-insensitively) is never found. */
#define _GNU_SOURCE
#include "../../driver/import/registry/registry_http.h"
#include "fuzz_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                               \
	do {                                                                                                      \
		if (!(cond)) {                                                                                    \
			fprintf(stderr, "fuzz_www_authenticate: check failed at %s:%d: %s\n", __FILE__, __LINE__, \
				#cond);                                                                           \
			abort();                                                                                  \
		}                                                                                                 \
	} while (0)

static void lookup(const char *challenge, const char *name)
{
	char *v = registry_challenge_param(challenge, name);
	if (!v)
		return;
	CHECK(strlen(v) <= strlen(challenge));
	CHECK(strstr(challenge, v) != NULL);
	CHECK(strcasestr(challenge, name) != NULL);
	free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *challenge = strndup((const char *)data, size);
	fuzz_note_longest_line(challenge, strlen(challenge));
	static const char *const names[] = { "realm", "service", "scope", "REALM", "error", "absent-name" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		lookup(challenge, names[i]);
	free(challenge);
	return 0;
}
