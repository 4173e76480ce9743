/* config.json: the OCI runtime spec for one container. The runtime trusts
 * it entirely, so every policy decision is made before it is written
 * (container.c); this only writes the decisions down. */
#ifndef OCHRE_SPEC_H
#define OCHRE_SPEC_H

#include "../util/error.h"
#include "container.h"
#include "resources.h"

#include <stdbool.h>

struct spec_params {
	const struct container *c;
	/* Non-root caller: the runtime runs as root of the starter's outer
	 * user namespace (id 0 = the caller) and creates an inner one mapping
	 * the container's ids to it: the caller's own uid to outer 0, or, for
	 * --fakeroot, container root to outer 0 and container 1..subids to
	 * outer 1..subids (which the starter maps to /etc/subuid ranges). */
	unsigned long subids;
	/* runc insists that container root be mapped: map it to outer id 1,
	 * the first subordinate id the starter maps. */
	bool map_container_root;
	/* The image's User for a non-root caller: the container's uid (the
	 * image's) to outer 0, the caller, container 0 to the outer id of
	 * that number, and every other id to itself up to subids, so the
	 * image's other owners keep their numbers. */
	bool nested_user;
	/* The same in setuid mode, where the starter's namespace keeps the
	 * caller's own ids: the runtime nests one more, mapping the image's
	 * User to the caller (and nothing else). */
	bool nested_in_starter_userns;
	/* Setuid mode: the user namespace the starter made (as root, so even
	 * where the host lets no user create one) is the container's, mapped
	 * as it needs; the runtime creates none of its own. */
	bool in_starter_userns;
	/* Resource limits: the container's cgroup (NULL: none, the caller's). */
	const struct cgroup_plan *cgroup;
};

/* Build the spec as a JSON string (caller frees). */
char *spec_generate(const struct spec_params *p);

/* Write it to BUNDLE/config.json (created, never overwritten). */
int spec_write(const char *bundle, const struct spec_params *p, struct error *err);

#endif
