#ifndef OCHRE_CONTEXT_H
#define OCHRE_CONTEXT_H

#include "../../common/config.h"

#include <stdbool.h>

/* What every subcommand gets from main(). */
struct ochre_context {
	struct ochre_config cfg;
	const char *config_path;
	char *starter_path;  /* absolute, next to our own install location */
	char *importer_path; /* ochre-import, beside the starter */
	char **argv;         /* ochre's own command line, NULL-terminated */
	bool starter_setuid; /* ochre-starter is installed setuid root */
};

#endif
