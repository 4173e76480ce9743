/* ochre under another name: installed as `singularity` or `apptainer`
 * (make install COMPAT_LINKS=yes), it takes that tool's command line and
 * environment variables and turns them into its own (docs/SINGULARITY-
 * COMPAT.md). Under its own name the same variables apply, OCHRE_ first. */
#ifndef OCHRE_CLI_COMPAT_H
#define OCHRE_CLI_COMPAT_H

#include "../util/error.h"
#include "../util/strv.h"

#include <stdbool.h>

enum compat_family {
	COMPAT_OCHRE,
	COMPAT_SINGULARITY,
	COMPAT_APPTAINER,
};

/* From argv[0]'s last component. */
enum compat_family compat_family_of(const char *argv0);

/* "ochre", "singularity", "apptainer": for messages. */
const char *compat_tool_name(enum compat_family f);

/* What `--version` prints (without the newline): the form of the tool,
 * its version last on the line, ochre's attached, e.g.
 * "singularity-ce version 4.1.0-ochre.0.1.0". */
const char *compat_version_line(enum compat_family f);
/* What the `version` command prints: the version alone. */
const char *compat_version(enum compat_family f);

/* The first set (non-empty) of PREFIX+suffix in the family's order:
 * OCHRE_, SINGULARITY_, APPTAINER_ under ochre; APPTAINER_, SINGULARITY_
 * under apptainer; SINGULARITY_ under singularity. *name (if not NULL)
 * gets the variable's name, in a static buffer. */
const char *compat_getenv(enum compat_family f, const char *suffix, const char **name);

/* The variables ochre's own parts read (OCHRE_CACHEDIR, OCHRE_DOCKER_*),
 * set from the family's: the importer then finds them whatever the name. */
void compat_export_env(enum compat_family f);

/* The tool's options before the command, as ochre's (out gets argv
 * with them rewritten). 1 after printing the version, 0, or -1. */
int compat_translate_globals(enum compat_family f, int argc, char **argv, struct strv *out, struct error *err);

/* A subcommand's arguments (argv[0] is the command), rewritten into
 * ochre's: the tool's flags translated, its variables' options added
 * where the command line does not give them. out gets the new vector
 * (its strings copied). 0, or -1 with err naming the flag. */
int compat_translate(enum compat_family f, int argc, char **argv, struct strv *out, struct error *err);

#endif
