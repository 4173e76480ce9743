/* What one container will be, decided from the command line, the admin's
 * config and the image, before anything is written: its process, identity,
 * mounts, capabilities and layers. SingularityCE's OCI-mode defaults apply
 * ("compat"), or its native ones with --no-compat. Every check of the
 * user's input happens in container_prepare(), so that bad input fails
 * before a session dir exists. */
#ifndef OCHRE_CONTAINER_H
#define OCHRE_CONTAINER_H

#include "../../common/config.h"
#include "../../common/request.h"
#include "../devices/cdi.h"
#include "../launch/image.h"
#include "../launch/session.h"
#include "../util/error.h"
#include "capabilities.h"
#include "devices.h"
#include "launch_options.h"
#include "mount_list.h"
#include "process.h"
#include "security.h"

#include <stdbool.h>

struct container {
	struct process proc;
	struct mount_list mounts;
	struct cap_sets caps;
	struct security_opts security;
	char *home;    /* the home directory in the container */
	bool rootless; /* the caller is not root */
	bool fakeroot; /* uid 0 in the container's user namespace */
	bool readonly_root;
	bool host_dev; /* /dev is the host's, bound (--no-compat, 'mount dev = yes') */
	int umask;
	bool keep_groups; /* --no-setgroups */
	bool net;         /* a network namespace (loopback only) */
	const char *hostname;
	bool no_pid;
	bool image_user; /* a non-root caller runs as the image's User (nested ids) */
	const char *dns;
	/* Layers, besides the image: a writable --overlay dir (else a tmpfs
	 * upper), and the read-only ones, top-most first. */
	char *upper;
	char *ro_overlays[REQUEST_MAX_LOWERS];
	size_t n_ro_overlays;
	const char *image_rootfs;             /* a rootfs dir, or NULL for: */
	const struct single_file *image_file; /* a single-file image's squashfs layers */
	char *workdir;                        /* -W, canonical */
	char *mountpoint_layer;               /* set by container_finish when used */
	/* Devices (devices.c): what goes into the spec beyond mounts and env:
	 * device nodes the runtime makes (root only; other modes bind the
	 * host's), OCI hooks, additional gids (root only). */
	struct cdi_edits device_edits;
	struct device_allow *dev_allow; /* root: the device cgroup's allow list */
	size_t n_dev_allow;
};

int container_prepare(const struct launch_options *o, const struct ochre_config *cfg, enum launch_mode mode,
		      const struct image *img, const struct device_host *host, struct container *c, struct error *err);

/* In the new session dir: the /etc files and the mount point layer. */
int container_finish(struct container *c, const struct session *s, struct error *err);

/* The overlay's lower dirs, top-most first; returns how many. The mount
 * point layer is not among them (the starter stacks it bottom-most). */
size_t container_lowers(const struct container *c, const char **lowers, size_t max);

/* The request's lowers, all of them: the dirs and, for a single-file
 * image, each squashfs layer at its place in the file (top-most first). */
void container_request_lowers(const struct container *c, struct starter_request *req);

void container_free(struct container *c);

#endif
