/* Helper processes: ochre runs ochre-import (unpacking and the registry,
 * which alone link libarchive, libcrypto and libcurl) as a child and reads
 * its answer. One runner, one reply format, written by the helper on its
 * stdout as a single line:
 *
 *   ok              done, nothing to report (registry login)
 *   ok VALUE        done, with one value: an import's cache key, "removed"
 *                   or "none" for a registry logout
 *   error MESSAGE   failed; MESSAGE is for the user, as it is
 *
 * with exit status 0 after "ok" and non-zero after "error". The helper's
 * stderr stays the caller's (progress on a terminal, --debug lines);
 * anything but a reply on stdout (a crash, nothing) is a failure that the
 * runner describes. */
#ifndef OCHRE_HELPER_H
#define OCHRE_HELPER_H

#include "error.h"

#define HELPER_REPLY_MAX 4096

struct helper_run {
	char *const *argv; /* argv[0]: the program's path; no secrets (/proc shows it) */
	const char *input; /* written to its stdin, which is then closed; NULL: ours */
	const char *what;  /* names the run in messages: "image import of IMAGE" */
};

/* Run the helper and wait for it. Returns VALUE ("" after a bare "ok"), to
 * be freed, or NULL with err: the helper's MESSAGE, else "WHAT failed" or
 * "WHAT was killed by signal N". */
char *helper_run(const struct helper_run *h, struct error *err);

/* The helper's side: print the reply line (value may be NULL). */
void helper_reply_ok(const char *value);
void helper_reply_error(const char *message);

#endif
