#ifndef OCHRE_CMD_LAUNCH_H
#define OCHRE_CMD_LAUNCH_H

#include "../container/process.h"
#include "../util/error.h"
#include "context.h"

/* `ochre exec IMAGE CMD...`, `ochre run IMAGE [ARGS...]`, `ochre shell
 * IMAGE`. On success this does not return: the process becomes the starter
 * and then exits with the container's status. Returns 0 for --help, -1 on
 * error. */
int cmd_launch(struct ochre_context *ctx, enum launch_mode mode, int argc, char **argv, struct error *err);

#endif
