/* One image layer as a squashfs of its own (`ochre pull --keep-layers`),
 * its whiteouts as SingularityCE's oci-tools writes them for overlayfs: a
 * ".wh.NAME" marker becomes a character device 0/0 at NAME, and a
 * directory holding ".wh..wh..opq" gets the xattr trusted.overlay.opaque=y.
 * The tar is filtered through libarchive into tar2sqfs, never unpacked.
 * Containment is not this file's job: the caller first extracts the layers
 * with the unpacker (layer_extract.h), whose checks refuse a hostile layer;
 * here paths are only normalised the same way (clean_entry_path). */
#ifndef OCHRE_LAYER_SQUASHFS_H
#define OCHRE_LAYER_SQUASHFS_H

#include "../../util/error.h"
#include "../unpack/image_plan.h"

#include <stdbool.h>

/* as_root: keep device nodes (the unpacker keeps them only for root). */
int layer_to_squashfs(const struct layer_plan *layer, bool as_root, const char *out, struct error *err);

#endif
