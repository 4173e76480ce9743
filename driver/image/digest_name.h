/* Digest names ("sha256:HEX", "sha512:HEX") as OCI descriptors write them,
 * checked and turned into file names without computing anything, so that
 * the driver's cached launch path does not load libcrypto (digest.h
 * hashes, in the importer only). */
#ifndef OCHRE_DIGEST_NAME_H
#define OCHRE_DIGEST_NAME_H

#include <stdbool.h>
#include <stddef.h>

#define DIGEST_MAX_STRING 160 /* "sha512:" + 128 hex + NUL, with room */

/* "ALG:HEX": sha256 or sha512, lower-case hex of the right length. */
bool digest_is_valid(const char *digest);
size_t digest_hex_length(const char *digest); /* 0 for an unknown algorithm */

/* "sha256:abc" -> "sha256-abc": the form used in file names. */
void digest_to_filename(const char *digest, char *out, size_t len);

#endif
