/* The session dir: a private, caller-owned directory per container launch
 * that holds the OCI bundle (config.json, the rootfs mount point), the
 * overlay's tmpfs mount point and the runtime's state. It exists only while
 * the container runs; the starter's mounts on it exist only in the
 * container's mount namespace. */
#ifndef OCHRE_SESSION_H
#define OCHRE_SESSION_H

#include "../../common/config.h"
#include "../util/error.h"

struct session {
	char *path;   /* .../ochre/XXXXXX */
	char *id;     /* container id given to the runtime: ochre-XXXXXX */
	char *rootfs; /* path/rootfs */
	char *state;  /* path/state: the runtime's --root */
};

/* The base the session dirs go in: the configured one (a per-uid subdir
 * of it) or user_runtime_dir(); created if missing, and checked to be the
 * caller's and private. Where another user holds that path (or put
 * something else there), a warning and BASE-XXXXXX beside it, the caller's
 * own, made once and found again by later calls. NULL with err set on
 * failure. */
char *session_base(const struct ochre_config *cfg, struct error *err);

/* Create the session dir path (and its rootfs and overlay dirs) and fill
 * s. On failure nothing is left. Called once the session's cleanup process
 * runs, with the name it will remove (see launch.h). */
int session_make(const char *path, struct session *s, struct error *err);

/* Remove the session dir and everything in it, never following symlinks.
 * Returns 0, or -1 with errno. Safe to call from a forked child. */
int session_remove_path(const char *path);

/* After the container: rename the session dir to .removing-NAME beside
 * it, so that it is gone under its own name at once and its removal can
 * finish after ochre has exited. Returns the path left to remove (the new
 * name; path itself if the rename failed), or NULL if path is gone. */
char *session_retire(const char *path);

/* Remove retired session dirs (see above) in path's parent that have been
 * there a minute: their cleanup process was killed while removing them, as
 * a batch system does to what is left of a job step when it ends. */
void session_sweep_retired(const char *path);

void session_free(struct session *s);

/* The caller's private run-time directory for ochre, created if missing:
 * $XDG_RUNTIME_DIR/ochre when that is the caller's, else /run/ochre for
 * root and /run/user/UID/ochre or /tmp/ochre-UID for other users (with
 * the fallback session_base() describes). */
char *user_runtime_dir(struct error *err);

#endif
