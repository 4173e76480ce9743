/* User bind specifications: -B/--bind SRC[:DST[:ro|rw]], --mount
 * type=bind,source=SRC,destination=DST[,ro], -H SRC[:DST] and the admin's
 * 'bind path' entries. The source must exist on the host (it is resolved
 * to a canonical path now, as the caller); the destination must be an
 * absolute path in the container. */
#ifndef OCHRE_BINDS_H
#define OCHRE_BINDS_H

#include "../util/error.h"

#include <stdbool.h>
#include <stddef.h>

struct bind_spec {
	char *src; /* canonical host path */
	char *dst; /* normalised absolute container path */
	bool ro;
};

/* One "SRC[:DST[:ro|rw]]" (with_options false: "SRC[:DST]"). */
int bind_parse(const char *flag, const char *item, bool with_options, struct bind_spec *b, struct error *err);

/* One --mount value, docker's syntax; only type=bind. */
int bind_parse_mount(const char *arg, struct bind_spec *b, struct error *err);

/* An absolute container path, normalised ("//" and "/." removed, no
 * trailing '/'); ".." is refused. NULL with err set. */
char *container_path(const char *flag, const char *path, struct error *err);

void bind_spec_free(struct bind_spec *b);

/* Is src (a canonical host path) a device to bind without nodev: a
 * character or block device node, or a directory of the host's /dev
 * filesystem (/dev itself, /dev/infiniband, /dev/dri, ...)? Not /dev/shm,
 * /dev/pts or /dev/mqueue: other filesystems, mounted there. Never one on
 * a mount that is nodev on the host. */
bool bind_source_is_device(const char *src);

/* Is src at or below one of the paths listed (the admin's 'allow device
 * path'; an empty list allows any)? */
bool device_path_listed(const char *src, char *const *paths, size_t n_paths);

#endif
