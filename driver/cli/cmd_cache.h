#ifndef OCHRE_CMD_CACHE_H
#define OCHRE_CMD_CACHE_H

#include "../util/error.h"
#include "context.h"

/* `ochre cache list` and `ochre cache clean [--all | DIGEST...]`. */
int cmd_cache(struct ochre_context *ctx, int argc, char **argv, struct error *err);

/* `ochre pull IMAGE`: import into the cache only. */
int cmd_pull(struct ochre_context *ctx, int argc, char **argv, struct error *err);

#endif
