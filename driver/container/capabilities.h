/* Linux capability sets for the container's process, as SingularityCE's
 * OCI mode sets them:
 *   root and --fakeroot: the OCI runtimes' usual default set (below) in
 *     bounding, effective and permitted; every capability with --keep-privs;
 *   a user: bounding = the default set; effective, permitted, inheritable
 *     and ambient hold only what --add-caps asks for (capabilities of the
 *     container's user namespace, not of the host);
 *   --add-caps / --drop-caps adjust these; --no-privs empties every set. */
#ifndef OCHRE_CAPABILITIES_H
#define OCHRE_CAPABILITIES_H

#include "../util/error.h"
#include "../util/strv.h"

#include <stdbool.h>
#include <stdint.h>

struct cap_sets {
	uint64_t bounding, effective, permitted, inheritable, ambient;
};

struct cap_request {
	bool as_root; /* uid 0 in the container (root caller or --fakeroot) */
	bool keep_privs;
	bool no_privs;
	const struct strv *add, *drop; /* comma lists of names */
	uint64_t limit;                /* what the runtime can grant: root's own bounding set
			 * on the host; every capability in a user namespace */
};

/* This process's bounding set (what host root may hand on). */
uint64_t cap_own_bounding_set(void);

int cap_sets_build(const struct cap_request *r, struct cap_sets *out, struct error *err);

/* "CAP_CHOWN" for bit 0; NULL past the last known capability. */
const char *cap_name(unsigned bit);
unsigned cap_count(void);

#endif
