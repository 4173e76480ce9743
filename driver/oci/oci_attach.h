#ifndef OCHRE_OCI_ATTACH_H
#define OCHRE_OCI_ATTACH_H

#include "../util/error.h"
#include "oci_state.h"

/* Connect to conmon's attach socket of container c. Returns the container's
 * exit status when it exits, 0 when the user detaches (Ctrl-P Ctrl-Q), or
 * -1 with err. */
int oci_attach(const struct oci_container *c, struct error *err);

#endif
