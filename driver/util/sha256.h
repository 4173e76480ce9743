/* SHA-256 (FIPS 180-4), small and dependency-free, for what ochre itself
 * must hash at launch (an OCI-SIF's index, manifest and config) without
 * loading libcrypto, which only the importer links (GNUmakefile). */
#ifndef OCHRE_SHA256_H
#define OCHRE_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint64_t length; /* bytes hashed so far */
	unsigned char block[64];
	size_t used; /* bytes waiting in block */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, unsigned char out[32]);

/* "sha256:" + 64 lower-case hex of data, into out (at least 72 bytes). */
void sha256_digest_string(const void *data, size_t len, char out[72]);
/* The same for a finished hash. */
void sha256_format(const unsigned char sum[32], char out[72]);

#endif
