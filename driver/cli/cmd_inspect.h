#ifndef OCHRE_CMD_INSPECT_H
#define OCHRE_CMD_INSPECT_H

#include "../util/error.h"
#include "context.h"

/* `ochre inspect [--json] [--verify] IMAGE`: an image's format, digest,
 * layers and config, for every image kind ochre runs. */
int cmd_inspect(struct ochre_context *ctx, int argc, char **argv, struct error *err);

#endif
