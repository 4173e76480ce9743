/* Content digests ("sha256:HEX", "sha512:HEX") as OCI descriptors name
 * them (digest_name.h), computed with OpenSSL's libcrypto while data streams
 * past. Importer only. */
#ifndef OCHRE_DIGEST_H
#define OCHRE_DIGEST_H

#include "../../image/digest_name.h"
#include "../../util/error.h"

#include <stdbool.h>
#include <stddef.h>

struct digest_ctx;

/* Start hashing for the algorithm of `expected` ("sha256:..."). */
struct digest_ctx *digest_begin(const char *expected, struct error *err);
void digest_update(struct digest_ctx *ctx, const void *data, size_t len);
/* Finish; true when the data hashed to `expected`. Frees ctx. */
bool digest_end_matches(struct digest_ctx *ctx, const char *expected, char *actual, size_t actual_len);
void digest_abort(struct digest_ctx *ctx);

/* A new sha256 and its end as "sha256:HEX" in out (DIGEST_MAX_STRING), for
 * content ochre makes itself (OCI-SIF blobs). */
struct digest_ctx *digest_sha256_begin(void);
void digest_end(struct digest_ctx *ctx, char *out, size_t out_len);
void digest_sha256_buffer(const void *data, size_t len, char *out, size_t out_len);

/* Digest of a whole buffer, e.g. a manifest read into memory. */
int digest_buffer_check(const char *expected, const void *data, size_t len, struct error *err, const char *what);

#endif
