#ifndef OCHRE_CMD_OCI_H
#define OCHRE_CMD_OCI_H

#include "../util/error.h"
#include "context.h"

/* `ochre oci SUBCOMMAND ...`; returns an exit status, or -1 with err. */
int cmd_oci(struct ochre_context *ctx, int argc, char **argv, struct error *err);

#endif
