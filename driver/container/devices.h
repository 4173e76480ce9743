/* Devices in the container: CDI (--device VENDOR/CLASS=NAME), --nv and
 * --rocm (the host's GPU driver, found as SingularityCE finds it), the
 * admin's policy on them, and what a root container's device cgroup must
 * allow for the device binds to open.
 *
 * Everything is decided here, in the driver, before the session exists:
 * a bad request fails with one line and leaves nothing behind. The spec
 * (spec.c) only writes down what this put in the container. */
#ifndef OCHRE_DEVICES_H
#define OCHRE_DEVICES_H

#include "../../common/config.h"
#include "../util/error.h"
#include "../util/strv.h"

#include <stdbool.h>

struct container;

/* What the command line asks for. */
struct device_options {
	struct strv cdi;      /* --device values, each a comma list of VENDOR/CLASS=NAME */
	struct strv cdi_dirs; /* --cdi-dirs values, each a comma list of directories */
	bool nv, nvccli, rocm;
};

/* Where ochre runs: what the devices need to know of the launch. */
struct device_host {
	bool setuid_mode;       /* only trusted CDI specs; hooks run without host root */
	const char *sysconfdir; /* SYSCONFDIR: SYSCONFDIR/ochre/nvliblist.conf, rocmliblist.conf */
};

/* A device the container's device cgroup lets it use (root containers;
 * runc denies every device not listed). */
struct device_allow {
	char type; /* 'c' or 'b' */
	long long major, minor;
};

/* Add to c what o asks for: env, mounts, device nodes, hooks, groups.
 * Returns 0, or -1 with err set (unknown device, bad spec, policy). */
int devices_prepare(struct container *c, const struct device_options *o, const struct ochre_config *cfg,
		    const struct device_host *host, struct error *err);

/* Root containers: let the device cgroup allow the device node at host
 * path src, or every node below the directory src. */
void devices_allow_host_path(struct container *c, const char *src);

/* Set NAME=VALUE in a NULL-terminated environment (replacing NAME). */
void env_put(char ***env, const char *name, const char *value);

void device_options_free(struct device_options *o);

#endif
