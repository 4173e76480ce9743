#define _GNU_SOURCE
#include "compat.h"

#include "../../common/log.h"
#include "../util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef OCHRE_VERSION
#define OCHRE_VERSION "0.0.0-dev"
#endif

/* The feature level ochre provides of each tool (docs/SINGULARITY-
 * COMPAT.md says why these): SingularityCE 4.1's OCI mode (OCI-SIF,
 * --no-compat, CDI --device, OCI-mode --overlay and resource limits);
 * Apptainer 1.3's command line for what both share. */
#define SINGULARITY_LEVEL "4.1.0"
#define APPTAINER_LEVEL "1.3.0"

enum compat_family compat_family_of(const char *argv0)
{
	const char *slash = argv0 ? strrchr(argv0, '/') : NULL;
	const char *base = slash ? slash + 1 : argv0 ? argv0 : "";
	if (strcmp(base, "singularity") == 0)
		return COMPAT_SINGULARITY;
	if (strcmp(base, "apptainer") == 0)
		return COMPAT_APPTAINER;
	return COMPAT_OCHRE;
}

const char *compat_tool_name(enum compat_family f)
{
	switch (f) {
	case COMPAT_SINGULARITY:
		return "singularity";
	case COMPAT_APPTAINER:
		return "apptainer";
	case COMPAT_OCHRE:
		return "ochre";
	default:
		return "ochre";
	}
}

const char *compat_version(enum compat_family f)
{
	switch (f) {
	case COMPAT_SINGULARITY:
		return SINGULARITY_LEVEL "-ochre." OCHRE_VERSION;
	case COMPAT_APPTAINER:
		return APPTAINER_LEVEL "-ochre." OCHRE_VERSION;
	case COMPAT_OCHRE:
		return OCHRE_VERSION;
	default:
		return OCHRE_VERSION;
	}
}

/* "singularity-ce version X" is what SingularityCE prints, and what
 * cwltool's (.+) version ([0-9.]+) and Snakemake's last word read. */
const char *compat_version_line(enum compat_family f)
{
	switch (f) {
	case COMPAT_SINGULARITY:
		return "singularity-ce version " SINGULARITY_LEVEL "-ochre." OCHRE_VERSION;
	case COMPAT_APPTAINER:
		return "apptainer version " APPTAINER_LEVEL "-ochre." OCHRE_VERSION;
	case COMPAT_OCHRE:
		return "ochre " OCHRE_VERSION;
	default:
		return "ochre " OCHRE_VERSION;
	}
}

/* Apptainer reads APPTAINER_ before its former SINGULARITY_; ochre its
 * own first, then the others, as its registry code always has. */
static const char *const *prefixes(enum compat_family f)
{
	static const char *const ochre[] = { "OCHRE_", "SINGULARITY_", "APPTAINER_", NULL };
	static const char *const singularity[] = { "SINGULARITY_", NULL };
	static const char *const apptainer[] = { "APPTAINER_", "SINGULARITY_", NULL };
	switch (f) {
	case COMPAT_SINGULARITY:
		return singularity;
	case COMPAT_APPTAINER:
		return apptainer;
	case COMPAT_OCHRE:
		return ochre;
	default:
		return ochre;
	}
}

const char *compat_getenv(enum compat_family f, const char *suffix, const char **name)
{
	static char found[128];
	for (const char *const *p = prefixes(f); *p; p++) {
		snprintf(found, sizeof found, "%s%s", *p, suffix);
		const char *v = getenv(found);
		if (v && *v) {
			if (name)
				*name = found;
			return v;
		}
	}
	return NULL;
}

void compat_export_env(enum compat_family f)
{
	static const char *const exported[] = { "CACHEDIR", "DOCKER_USERNAME", "DOCKER_PASSWORD" };
	for (size_t i = 0; i < sizeof exported / sizeof exported[0]; i++) {
		const char *name = NULL;
		const char *v = compat_getenv(f, exported[i], &name);
		if (!v)
			continue;
		char ours[64];
		snprintf(ours, sizeof ours, "OCHRE_%s", exported[i]);
		if (strcmp(name, ours) != 0) {
			log_debug("$%s: as $%s", name, ours);
			setenv(ours, v, 1);
		}
	}
}

/* The tool's options before the command, as ochre's: -d, -q, -s (quiet
 * too), -v and --nocolor (nothing to do). Its -c names a singularity.conf,
 * not an ochre.conf: refused. Returns 1 after printing the version. */
int compat_translate_globals(enum compat_family f, int argc, char **argv, struct strv *out, struct error *err)
{
	strv_add(out, xstrdup(argv[0]));
	int i = 1;
	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--version") == 0) {
			puts(compat_version_line(f));
			return 1;
		} else if (strcmp(a, "-d") == 0 || strcmp(a, "--debug") == 0) {
			strv_add(out, xstrdup("-d"));
		} else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0 || strcmp(a, "-s") == 0 ||
			   strcmp(a, "--silent") == 0) {
			strv_add(out, xstrdup("-q"));
		} else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0 || strcmp(a, "--nocolor") == 0) {
			log_debug("%s %s: accepted, nothing to do", compat_tool_name(f), a);
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			strv_add(out, xstrdup("--help"));
		} else {
			return error_set(err, 0, "%s: unknown or unsupported option '%.*s'%s", compat_tool_name(f),
					 (int)strcspn(a, "="), a,
					 strcmp(a, "-c") == 0 || strncmp(a, "--config", 8) == 0
						 ? ": ochre reads its own ochre.conf, not singularity.conf"
						 : "");
		}
	}
	for (; i < argc; i++)
		strv_add(out, xstrdup(argv[i]));
	return 0;
}
