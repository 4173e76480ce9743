/* Running an external tool (mksquashfs) from the importer: shown with
 * --debug exactly as run, its stdout kept off the importer's (which is the
 * reply channel to the driver), its stderr the user's. */
#ifndef OCHRE_RUN_TOOL_H
#define OCHRE_RUN_TOOL_H

#include "../../util/error.h"

#include <sys/types.h>

/* argv[0] is looked up in PATH. 0 when it exited 0; else -1 with err. */
int run_tool(char *const argv[], struct error *err);

/* The same, fed through a pipe: *in is its stdin's write end (caller
 * closes it, then waits). The pid, or -1 with err. */
pid_t run_tool_start(char *const argv[], int *in, struct error *err);
int run_tool_wait(pid_t pid, const char *name, struct error *err);

#endif
