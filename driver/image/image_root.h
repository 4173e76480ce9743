/* What the driver reads inside an image before a launch (/etc/passwd,
 * /etc/group, the user's shell, /.singularity.d): the files of a rootfs
 * directory, or of a single-file image, read in place. */
#ifndef OCHRE_IMAGE_ROOT_H
#define OCHRE_IMAGE_ROOT_H

#include "single_file.h"

#include <stdbool.h>
#include <stdio.h>

struct image_root {
	const char *dir;                /* a rootfs directory, or NULL */
	const struct single_file *file; /* a single-file image, or NULL */
};

/* rel (relative to the image's root) for reading, resolved inside the
 * image; NULL with errno when it is missing or unreadable. */
FILE *image_root_fopen(const struct image_root *r, const char *rel);

/* Is rel a directory in the image (symlinks not followed)? */
bool image_root_has_dir(const struct image_root *r, const char *rel);

#endif
