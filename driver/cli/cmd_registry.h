#ifndef OCHRE_CMD_REGISTRY_H
#define OCHRE_CMD_REGISTRY_H

#include "../util/error.h"
#include "context.h"

/* `ochre registry login|logout ...`: store or forget registry credentials.
 * The check against the registry runs in ochre-import (libcurl); the
 * password reaches it on a pipe, never on a command line. */
int cmd_registry(struct ochre_context *ctx, int argc, char **argv, struct error *err);

#endif
