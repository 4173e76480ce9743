/* docker:// references, named the way Docker names them:
 *   docker://[REGISTRY/]REPO[:TAG][@DIGEST]
 * REGISTRY is the first path component when it contains '.' or ':' or is
 * "localhost"; otherwise the image is on Docker Hub ("alpine" is
 * docker.io/library/alpine:latest). Parsing only: no network, no hashing,
 * so the driver can use it on a cached launch. */
#ifndef OCHRE_REGISTRY_REF_H
#define OCHRE_REGISTRY_REF_H

#include "../util/error.h"

#include <stdbool.h>

#define REGISTRY_PREFIX "docker://"
#define DOCKER_HUB "docker.io"
#define DOCKER_HUB_API "registry-1.docker.io"

struct registry_ref {
	char *registry; /* "host[:port]" as credentials name it; "docker.io" for Docker Hub */
	char *api_host; /* where the API is served: registry-1.docker.io for Docker Hub */
	char *repo;     /* "library/alpine" */
	char *tag;      /* NULL when only a digest is given */
	char *digest;   /* NULL for a tag reference */
	char *text;     /* canonical: docker://REGISTRY/REPO:TAG or docker://REGISTRY/REPO@DIGEST */
};

bool registry_ref_is_docker(const char *arg);
/* arg with or without the "docker://" prefix. */
int registry_ref_parse(const char *arg, struct registry_ref *ref, struct error *err);
void registry_ref_free(struct registry_ref *ref);

/* A host[:port] as registries and credentials name it (letters, digits,
 * '.', '-', one ':PORT', or a bracketed IPv6 address). */
bool registry_host_is_valid(const char *host);

/* The name of the cache's refs record (cache.h) for a canonical reference
 * and a platform (NULL: the host's); caller frees. */
char *registry_record_name(const char *text, const char *platform);

/* "docker.io", "index.docker.io", "registry-1.docker.io" -> "docker.io". */
const char *registry_normalize_host(const char *host);

#endif
