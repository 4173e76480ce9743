/* `oras://REGISTRY/REPO:TAG|@DIGEST`: a SIF file stored as an ORAS
 * artifact, the way SingularityCE pushes one: an OCI manifest whose one
 * layer (application/vnd.sylabs.sif.layer.v1.sif) is the whole file. The
 * manifest is checked against its digest, the layer downloaded into the
 * cache's blob store by the same verified path as docker:// layers. Same
 * credentials, --no-https and allow-list as docker://. Importer only. */
#ifndef OCHRE_REGISTRY_ORAS_H
#define OCHRE_REGISTRY_ORAS_H

#include "../../image/cache.h"
#include "../../util/error.h"

#include <stdbool.h>

#define ORAS_PREFIX "oras://"
#define ORAS_SIF_LAYER_MEDIA_TYPE "application/vnd.sylabs.sif.layer.v1.sif"
#define ORAS_SIF_CONFIG_MEDIA_TYPE "application/vnd.sylabs.sif.config.v1+json"

bool registry_oras_is_ref(const char *image);

/* With the cache lock held (the blob store's temporaries live in tmp/):
 * the path of the verified SIF blob in the store (caller frees). */
int registry_oras_fetch(struct cache *c, const char *image, bool insecure, const char *authfile, char **blob,
			struct error *err);

#endif
