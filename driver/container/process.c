#define _GNU_SOURCE
#include "process.h"

#include "../../common/log.h"
#include "../util/fsutil.h"
#include "../util/strv.h"
#include "../util/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static json_object *config_field(json_object *image_config, const char *key)
{
	json_object *cfg, *v;
	if (!image_config || !json_object_object_get_ex(image_config, "config", &cfg) ||
	    !json_object_object_get_ex(cfg, key, &v))
		return NULL;
	return v;
}

static void add_strings(struct strv *s, json_object *array)
{
	if (!array || !json_object_is_type(array, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(array); i++) {
		const char *item = json_object_get_string(json_object_array_get_idx(array, i));
		if (item)
			strv_add(s, xstrdup(item));
	}
}

/* Look NAME up in a passwd-style file: field 3 (uid/gid) and field 4. */
static bool lookup_name(const struct image_root *root, const char *file, const char *name, long *id, long *group)
{
	FILE *f = image_root_fopen(root, file);
	if (!f)
		return false;
	char line[1024];
	bool found = false;
	while (!found && fgets(line, sizeof line, f)) {
		char *save = NULL, *fields[4] = { 0 };
		fields[0] = strtok_r(line, ":\n", &save);
		for (int i = 1; i < 4 && fields[i - 1]; i++)
			fields[i] = strtok_r(NULL, ":\n", &save);
		/* passwd: name:x:uid:gid; group: name:x:gid:members */
		if (!fields[0] || !fields[2] || strcmp(fields[0], name) != 0)
			continue;
		*id = strtol(fields[2], NULL, 10);
		if (group)
			*group = fields[3] ? strtol(fields[3], NULL, 10) : -1;
		found = true;
	}
	fclose(f);
	return found;
}

/* A numeric uid's primary group, when the image's passwd knows it; else 0. */
static long primary_gid(const struct image_root *root, long uid)
{
	FILE *f = image_root_fopen(root, "etc/passwd");
	char line[1024];
	long gid = 0;
	while (f && fgets(line, sizeof line, f)) {
		char *save = NULL;
		strtok_r(line, ":", &save); /* name */
		strtok_r(NULL, ":", &save); /* password */
		char *u = strtok_r(NULL, ":", &save), *g = strtok_r(NULL, ":", &save);
		if (u && g && strtol(u, NULL, 10) == uid) {
			gid = strtol(g, NULL, 10);
			break;
		}
	}
	if (f)
		fclose(f);
	return gid;
}

static bool parse_id(const char *s, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < 0 || v > 0x7fffffff)
		return false;
	*out = v;
	return true;
}

int resolve_image_user(const struct image_root *root, const char *spec, uid_t *uid, gid_t *gid, struct error *err)
{
	char *copy = xstrdup(spec);
	char *group = strchr(copy, ':');
	if (group)
		*group++ = '\0';
	long u = -1, g = -1;
	int ret = 0;
	if (!parse_id(copy, &u) && !lookup_name(root, "etc/passwd", copy, &u, &g))
		ret = error_set(err, 0, "image user '%s' is not in the image's /etc/passwd", copy);
	else if (group && !parse_id(group, &g) && !lookup_name(root, "etc/group", group, &g, NULL))
		ret = error_set(err, 0, "image group '%s' is not in the image's /etc/group", group);
	else if (!group && g < 0)
		g = primary_gid(root, u);
	free(copy);
	if (ret == 0) {
		*uid = (uid_t)u;
		*gid = (gid_t)g;
	}
	return ret;
}

/* A native SIF's (or any image's with /.singularity.d and no OCI config)
 * way to run, as SingularityCE's actions have it: its environment scripts
 * sourced in order, then the runscript for run, the command for exec, a
 * shell for shell. */
#define SINGULARITY_ENV "for f in /.singularity.d/env/*.sh; do [ -r \"$f\" ] && . \"$f\"; done; "

static void singularity_actions(enum launch_mode mode, char **user_args, struct strv *args)
{
	strv_add(args, xstrdup("/bin/sh"));
	strv_add(args, xstrdup("-c"));
	switch (mode) {
	case LAUNCH_EXEC:
		strv_add(args, xstrdup(SINGULARITY_ENV "exec \"$@\""));
		strv_add(args, xstrdup("/.singularity.d/actions/exec"));
		break;
	case LAUNCH_RUN:
		strv_add(args, xstrdup(SINGULARITY_ENV "exec /.singularity.d/runscript \"$@\""));
		strv_add(args, xstrdup("/.singularity.d/runscript"));
		break;
	case LAUNCH_SHELL:
	default:
		strv_add(args, xstrdup(SINGULARITY_ENV "exec /bin/sh"));
		strv_add(args, xstrdup("/.singularity.d/actions/shell"));
		return;
	}
	for (size_t i = 0; user_args && user_args[i]; i++)
		strv_add(args, xstrdup(user_args[i]));
}

/* The OCI way: exec's command, run's Entrypoint + (arguments or Cmd). */
static void command_from_config(json_object *image_config, enum launch_mode mode, char **user_args, struct strv *args)
{
	switch (mode) {
	case LAUNCH_EXEC:
		for (size_t i = 0; user_args[i]; i++)
			strv_add(args, xstrdup(user_args[i]));
		break;
	case LAUNCH_RUN:
		add_strings(args, config_field(image_config, "Entrypoint"));
		if (user_args && user_args[0])
			for (size_t i = 0; user_args[i]; i++)
				strv_add(args, xstrdup(user_args[i]));
		else
			add_strings(args, config_field(image_config, "Cmd"));
		break;
	case LAUNCH_SHELL:
	default:
		strv_add(args, xstrdup("/bin/sh"));
		break;
	}
}

int process_from_image(json_object *image_config, enum launch_mode mode, char **user_args,
		       const struct image_root *root, const struct env_options *env, const char *home,
		       struct process *p, struct error *err)
{
	memset(p, 0, sizeof *p);
	p->uid = getuid();
	p->gid = getgid();

	struct strv args = { 0 };
	if (!image_config && image_root_has_dir(root, ".singularity.d"))
		singularity_actions(mode, user_args, &args);
	else
		command_from_config(image_config, mode, user_args, &args);
	if (args.n == 0) {
		free(args.v);
		return error_set(err, 0, "the image has no Entrypoint or Cmd: give a command to run");
	}
	p->args = args.v;

	if (environment_build(config_field(image_config, "Env"), env, home, &p->env, err) < 0) {
		process_free(p);
		return -1;
	}

	json_object *wd = config_field(image_config, "WorkingDir");
	const char *cwd = wd ? json_object_get_string(wd) : NULL;
	if (cwd && cwd[0] == '/' && strcmp(cwd, "/") != 0)
		p->cwd = xstrdup(cwd);

	/* Only root can become another user; a user's container runs as
	 * themselves (the image's User applies under --fakeroot). */
	json_object *user = config_field(image_config, "User");
	const char *spec = user ? json_object_get_string(user) : NULL;
	if (spec && *spec) {
		if (getuid() != 0) {
			/* Resolved now; taken (or not) once the id mapping is known. */
			p->image_user = resolve_image_user(root, spec, &p->image_uid, &p->image_gid, err) == 0;
			if (!p->image_user) {
				process_free(p);
				return -1;
			}
		} else if (resolve_image_user(root, spec, &p->uid, &p->gid, err) < 0) {
			process_free(p);
			return -1;
		}
	}
	return 0;
}

void process_free(struct process *p)
{
	strv_free(p->args);
	strv_free(p->env);
	free(p->cwd);
	memset(p, 0, sizeof *p);
}
