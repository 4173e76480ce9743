/* Content digests ("sha256:HEX", "sha512:HEX") as OCI descriptors name
 * them, computed with OpenSSL's libcrypto while data streams past. */
#ifndef OCHRE_DIGEST_H
#define OCHRE_DIGEST_H

#include "error.h"

#include <stdbool.h>
#include <stddef.h>

#define DIGEST_MAX_STRING 160 /* "sha512:" + 128 hex + NUL, with room */

struct digest_ctx;

/* Check "ALG:HEX" (sha256 or sha512, lower-case hex of the right length).
 * This, digest_hex_length and digest_to_filename (digest_name.c) compute
 * nothing; the rest (digest.c) hashes with libcrypto. */
bool digest_is_valid(const char *digest);
size_t digest_hex_length(const char *digest); /* 0 for an unknown algorithm */

/* Start hashing for the algorithm of `expected` ("sha256:..."). */
struct digest_ctx *digest_begin(const char *expected, struct error *err);
void digest_update(struct digest_ctx *ctx, const void *data, size_t len);
/* Finish; true when the data hashed to `expected`. Frees ctx. */
bool digest_end_matches(struct digest_ctx *ctx, const char *expected, char *actual, size_t actual_len);
void digest_abort(struct digest_ctx *ctx);

/* Digest of a whole buffer, e.g. a manifest read into memory. */
int digest_buffer_check(const char *expected, const void *data, size_t len, struct error *err,
			const char *what);

/* "sha256:abc" -> "sha256-abc": the form used in file names. */
void digest_to_filename(const char *digest, char *out, size_t len);

#endif
