/* `ochre push FILE oras://...|docker://...`: uploads over the distribution
 * API (monolithic: POST an upload, PUT its bytes with their digest; blobs
 * the registry has already are skipped), with the same credentials,
 * --no-https and allow-list as pulls, tokens asked for push access.
 * Importer only. */
#ifndef OCHRE_REGISTRY_PUSH_H
#define OCHRE_REGISTRY_PUSH_H

#include "../../util/error.h"

#include <stdbool.h>
#include <stddef.h>

/* One blob of what is pushed: bytes of a file (len at offset) or memory. */
struct push_blob {
	const char *media_type;
	const char *digest; /* "sha256:HEX", checked by the registry */
	int fd;
	unsigned long long offset, len;
	const char *data; /* instead of fd, when set */
};

/* Push blobs (config first, then layers, as the manifest names them) and
 * then the manifest, of media type OCI image manifest, under ref's tag.
 * ref: "docker://..." or "oras://..." (the registry reference). */
int registry_push(const char *ref, const struct push_blob *blobs, size_t n, const char *manifest, bool insecure,
		  const char *authfile, struct error *err);

#endif
