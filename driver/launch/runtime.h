#ifndef OCHRE_RUNTIME_H
#define OCHRE_RUNTIME_H

#include "../../common/config.h"
#include "../util/error.h"

struct runtime {
	enum runtime_kind kind;
	char *path; /* absolute */
};

/* Pick the OCI runtime: `name` (from --runtime) if given, else the first of
 * the config's search order that exists. Paths come from the config or a
 * fixed list of system directories, never from $PATH. */
int runtime_resolve(const struct ochre_config *cfg, const char *name, struct runtime *out, struct error *err);

/* An executable NAME from the system directories (never $PATH), or the
 * configured path; NULL when none. */
char *find_system_tool(const char *configured, const char *name);

#endif
