/* The command line of `ochre exec|run|shell`: SingularityCE's OCI-mode
 * flags, parsed and checked for form (not yet against the filesystem). */
#ifndef OCHRE_LAUNCH_OPTIONS_H
#define OCHRE_LAUNCH_OPTIONS_H

#include "../launch/image.h"
#include "../util/error.h"
#include "../util/strv.h"
#include "devices.h"
#include "environment.h"
#include "process.h"
#include "resources.h"

#include <stdbool.h>

/* --no-mount names; dev and devpts cannot be disabled (the runtime needs them). */
enum no_mount {
	NO_MOUNT_PROC = 1 << 0,
	NO_MOUNT_SYS = 1 << 1,
	NO_MOUNT_TMP = 1 << 2,
	NO_MOUNT_HOME = 1 << 3,
	NO_MOUNT_CWD = 1 << 4,
	NO_MOUNT_BIND_PATHS = 1 << 5,
};

struct launch_options {
	const char *runtime;
	const char *image;
	char **command;
	struct env_options env;
	const char *hostname;
	const char *cwd; /* --pwd/--cwd */
	bool no_pid;
	bool no_compat;
	bool contain; /* --contain/--containall: ochre's default; refused with --no-compat */
	bool no_umask;
	struct strv binds;  /* -B values, each a comma list */
	struct strv mounts; /* --mount values */
	const char *home;   /* -H SRC[:DST] */
	bool no_home;
	const char *workdir; /* -W */
	struct strv scratch; /* -S values, each a comma list */
	unsigned no_mount;   /* enum no_mount bits */
	bool net;
	const char *network; /* --network, only "none" */
	bool fakeroot;
	bool no_setgroups;
	struct strv add_caps, drop_caps;
	bool keep_privs, no_privs;
	bool writable_tmpfs;
	struct strv overlays;           /* -o values, "DIR" or "DIR:ro" */
	struct strv security;           /* --security values */
	const char *dns;                /* --dns a,b */
	bool userns;                    /* --userns: no setuid starter, a user namespace */
	bool no_mpi;                    /* --no-mpi: no MPI launch passthrough (mpi.h) */
	struct image_pull_options pull; /* --platform, --authfile, --no-https, --no-pull */
	struct resource_options limits; /* --apply-cgroups, --cpus, --memory, ... */
	struct device_options devices;  /* --device, --cdi-dirs, --nv, --nvccli, --rocm */
};

/* Returns 0, 1 after printing --help, or -1 with err set. */
int launch_options_parse(enum launch_mode mode, int argc, char **argv, struct launch_options *o, struct error *err);
void launch_options_free(struct launch_options *o);

/* The help text of ochre exec|run|shell. */
const char *launch_usage(enum launch_mode mode);

#endif
