/* The container's process: arguments, environment, working directory and
 * user, from the command line and the image config (Entrypoint, Cmd, Env,
 * WorkingDir, User). */
#ifndef OCHRE_PROCESS_H
#define OCHRE_PROCESS_H

#include "../image/image_root.h"
#include "../util/error.h"
#include "environment.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <sys/types.h>

enum launch_mode {
	LAUNCH_EXEC,  /* ochre exec IMAGE CMD...: CMD */
	LAUNCH_RUN,   /* ochre run IMAGE [ARGS]: Entrypoint + (ARGS or Cmd) */
	LAUNCH_SHELL, /* ochre shell IMAGE: /bin/sh */
};

struct process {
	char **args; /* NULL-terminated */
	char **env;  /* NULL-terminated, "NAME=value" */
	char *cwd;   /* the image's WorkingDir (NULL when unset or "/"), until
		      * the launch decides (container.c) */
	uid_t uid;
	gid_t gid;
	/* A non-root caller's image with a User: its ids, which the launch
	 * takes through a nested id mapping where it can (cmd_launch.c). */
	bool image_user;
	uid_t image_uid;
	gid_t image_gid;
};

/* image_config: the image's config blob, or NULL for a plain rootfs dir.
 * root: where to resolve a User name (etc/passwd, etc/group). env: the
 * environment options; home: the container's home directory (HOME). */
int process_from_image(json_object *image_config, enum launch_mode mode, char **user_args,
		       const struct image_root *root, const struct env_options *env, const char *home,
		       struct process *p, struct error *err);
void process_free(struct process *p);

/* "name[:group]" or "uid[:gid]" against ROOTFS/etc/passwd and etc/group. */
int resolve_image_user(const struct image_root *root, const char *spec, uid_t *uid, gid_t *gid, struct error *err);

#endif
