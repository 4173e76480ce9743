/* Mount points the image lacks. The runtime would create them in the
 * rootfs, but it cannot where the rootfs is read-only, nor (in a user
 * namespace) inside an image directory whose owner is not mapped, where
 * overlay cannot copy the directory up. So the driver makes them in a
 * small layer of its own in the session dir, which the starter stacks
 * below the image: it adds only what no layer has, and shadows nothing. */
#ifndef OCHRE_MOUNTPOINTS_H
#define OCHRE_MOUNTPOINTS_H

#include "../image/single_file.h"
#include "../util/error.h"
#include "mount_list.h"

#include <stdbool.h>
#include <stddef.h>

/* Create in LAYER (an existing empty dir) every missing mount point of
 * mounts, given the image's layers (top-most first: dirs, then file, a
 * single-file image, or NULL). *used tells whether anything was created
 * (if not, the layer need not be stacked). */
int mountpoints_make(const char *layer, const char *const *layers, size_t n_layers, const struct single_file *file,
		     const struct mount_list *mounts, bool *used, struct error *err);

#endif
