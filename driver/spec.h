/* config.json: the OCI runtime spec for one container. The runtime trusts
 * it entirely, so every policy decision is made before it is written. */
#ifndef OCHRE_SPEC_H
#define OCHRE_SPEC_H

#include "error.h"
#include "process.h"

#include <stdbool.h>
#include <sys/types.h>

struct spec_params {
	const struct process *proc; /* args, env, cwd, uid, gid */
	/* Non-root caller: the runtime runs as root of the starter's outer
	 * user namespace (id 0 = the caller) and must create an inner one
	 * mapping the caller's own ids back. */
	bool rootless;
	/* runc insists that container root be mapped: map it to outer id 1,
	 * the first subordinate id the starter maps. */
	bool map_container_root;
	const char *hostname; /* --hostname, or NULL: the host's */
	bool no_pid;          /* --no-pid: no pid namespace of its own */
};

/* Build the spec as a JSON string (caller frees). */
char *spec_generate(const struct spec_params *p);

/* Write it to BUNDLE/config.json (created, never overwritten). */
int spec_write(const char *bundle, const struct spec_params *p, struct error *err);

#endif
