/* Running an external tool (mksquashfs) from the importer: shown with
 * --debug exactly as run, its stdout kept off the importer's (which is the
 * reply channel to the driver), its stderr the user's. */
#ifndef OCHRE_RUN_TOOL_H
#define OCHRE_RUN_TOOL_H

#include "../../util/error.h"

/* argv[0] is looked up in PATH. 0 when it exited 0; else -1 with err. */
int run_tool(char *const argv[], struct error *err);

#endif
