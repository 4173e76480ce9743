/* Where ochre finds the helpers it runs (runtimes, conmon, fuse-overlayfs,
 * newuidmap): the admin config's path, else a fixed list of system
 * directories, never $PATH (the caller's, naming anything). The driver
 * picks its helpers here, and the setuid starter computes from the same
 * rules the only payloads it accepts, so the two agree by construction. */
#ifndef OCHRE_SYSTEM_TOOL_H
#define OCHRE_SYSTEM_TOOL_H

#include <stdbool.h>
#include <stddef.h>

/* An executable regular file (stat follows symlinks; access() asks with
 * the real ids, the caller's in the setuid starter too). */
bool system_tool_executable(const char *path);

/* The first SYSTEM_DIR/name that system_tool_executable() accepts,
 * into out[len].
 * Returns false when no directory has one. */
bool system_tool_search(const char *name, char *out, size_t len);

/* newuidmap and newgidmap, at the fixed paths the driver tries in order
 * ({uidmap, gidmap} pairs, NULL-terminated); the setuid starter accepts
 * no others in a request. */
extern const char *const system_idmap_helpers[][2];

/* Is path one of system_idmap_helpers' (column 0: newuidmap, 1: newgidmap)? */
bool system_idmap_helper_known(const char *path, int column);

#endif
