#ifndef OCHRE_CMD_EXEC_H
#define OCHRE_CMD_EXEC_H

#include "context.h"
#include "error.h"

/* `ochre exec [OPTIONS] IMAGE CMD [ARGS...]`. On success this does not
 * return: the process becomes the starter and then exits with the
 * container's status. Returns 0 for --help, -1 on error. */
int cmd_exec(struct ochre_context *ctx, int argc, char **argv, struct error *err);

#endif
