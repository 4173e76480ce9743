/* Hashing with OpenSSL's libcrypto: only the importer links this. */
#include "digest.h"

#include "../../util/xalloc.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct digest_ctx {
	EVP_MD_CTX *md;
};

static const EVP_MD *algorithm(const char *digest)
{
	if (strncmp(digest, "sha256:", 7) == 0)
		return EVP_sha256();
	if (strncmp(digest, "sha512:", 7) == 0)
		return EVP_sha512();
	return NULL;
}

struct digest_ctx *digest_begin(const char *expected, struct error *err)
{
	const EVP_MD *alg = algorithm(expected);
	if (!alg || !digest_is_valid(expected)) {
		error_set(err, 0, "unsupported or malformed digest '%s'", expected);
		return NULL;
	}
	struct digest_ctx *ctx = xmalloc(sizeof *ctx);
	ctx->md = EVP_MD_CTX_new();
	if (!ctx->md || EVP_DigestInit_ex(ctx->md, alg, NULL) != 1) {
		digest_abort(ctx);
		error_set(err, 0, "cannot start a %.6s digest", expected);
		return NULL;
	}
	return ctx;
}

struct digest_ctx *digest_sha256_begin(void)
{
	struct error ignored;
	return digest_begin("sha256:0000000000000000000000000000000000000000000000000000000000000000", &ignored);
}

void digest_end(struct digest_ctx *ctx, char *out, size_t out_len)
{
	digest_end_matches(ctx, "sha256:", out, out_len);
}

void digest_sha256_buffer(const void *data, size_t len, char *out, size_t out_len)
{
	struct digest_ctx *ctx = digest_sha256_begin();
	digest_update(ctx, data, len);
	digest_end(ctx, out, out_len);
}

void digest_update(struct digest_ctx *ctx, const void *data, size_t len)
{
	EVP_DigestUpdate(ctx->md, data, len);
}

bool digest_end_matches(struct digest_ctx *ctx, const char *expected, char *actual, size_t actual_len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	EVP_DigestFinal_ex(ctx->md, md, &md_len);
	digest_abort(ctx);

	char hex[2 * EVP_MAX_MD_SIZE + 1];
	for (unsigned i = 0; i < md_len; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	hex[2 * md_len] = '\0';
	if (actual)
		snprintf(actual, actual_len, "%.7s%s", expected, hex);
	return strcmp(expected + 7, hex) == 0;
}

void digest_abort(struct digest_ctx *ctx)
{
	if (!ctx)
		return;
	EVP_MD_CTX_free(ctx->md);
	free(ctx);
}

int digest_buffer_check(const char *expected, const void *data, size_t len, struct error *err, const char *what)
{
	struct digest_ctx *ctx = digest_begin(expected, err);
	if (!ctx)
		return -1;
	digest_update(ctx, data, len);
	char actual[DIGEST_MAX_STRING];
	if (!digest_end_matches(ctx, expected, actual, sizeof actual))
		return error_set(err, 0, "%s %s: content does not match its digest (got %s)", what, expected, actual);
	return 0;
}
