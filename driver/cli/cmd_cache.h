#ifndef OCHRE_CMD_CACHE_H
#define OCHRE_CMD_CACHE_H

#include "../util/error.h"
#include "context.h"

/* `ochre cache list` and `ochre cache clean [--all | DIGEST...]`. */
int cmd_cache(struct ochre_context *ctx, int argc, char **argv, struct error *err);

#endif
