/* Where `ochre oci` keeps what it knows of each container.
 *
 *   ROOT = /run/ochre/oci (root), $XDG_RUNTIME_DIR/ochre/oci, ...
 *   ROOT/ID/lock          flock(2)ed by every operation on the container
 *   ROOT/ID/runtime       the runtime's absolute path, chosen at create
 *   ROOT/ID/bundle        the user's bundle directory
 *   ROOT/ID/bundle.d/     the bundle conmon and the runtime see: the user's
 *                         config.json with an absolute root.path (conmon
 *                         writes its attach socket and fifos here, not in
 *                         the user's directory)
 *   ROOT/ID/rt/           the runtime's --root
 *   ROOT/ID/pid, conmon.pid, log, exits/ID, sockets/ID/attach
 *   ROOT/.bundles/HASH    names the container using a bundle: one at a time
 *
 * The ID directory is made with mkdir(2), so two creates of one ID cannot
 * both win; the bundle file with O_EXCL, likewise for two IDs on one bundle. */
#ifndef OCHRE_OCI_STATE_H
#define OCHRE_OCI_STATE_H

#include "../util/error.h"

#include <stdbool.h>

struct oci_container {
	char *root; /* ROOT */
	char *id;
	char *dir;     /* ROOT/ID */
	char *runtime; /* once known */
	char *bundle;  /* the user's bundle, once known */
	int lock_fd;
};

/* Check ID's characters and find ROOT; does not touch ROOT/ID. */
int oci_container_init(struct oci_container *c, const char *id, struct error *err);
/* For every operation but create: ROOT/ID must exist; lock it and read
 * runtime and bundle. */
int oci_container_open(struct oci_container *c, struct error *err);
/* Create ROOT/ID and claim the bundle for it. */
int oci_container_claim(struct oci_container *c, const char *bundle, const char *runtime, struct error *err);
/* Remove ROOT/ID and release the bundle. */
void oci_container_remove(struct oci_container *c);
void oci_container_free(struct oci_container *c);

/* ROOT/ID/NAME (caller frees). */
char *oci_path(const struct oci_container *c, const char *name);

#endif
