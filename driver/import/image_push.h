/* `ochre push FILE REF` in the importer: FILE (a SIF) as an ORAS artifact
 * for oras://, or an OCI-SIF's image (its manifest, config and squashfs
 * layers as they are) for docker://. */
#ifndef OCHRE_IMAGE_PUSH_H
#define OCHRE_IMAGE_PUSH_H

#include "../util/error.h"

#include <stdbool.h>

int image_push(const char *file, const char *ref, bool insecure, const char *authfile, struct error *err);

#endif
