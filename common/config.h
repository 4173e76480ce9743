/* The administrator's policy file, etc/ochre.conf.
 *
 * Syntax: one "directive = value" per line; '#' starts a comment; blank
 * lines are ignored. Directive names may contain spaces ("crun path").
 * An unknown directive, a repeated one or a bad value is an error that
 * names the file and line: a typo in policy must never be silently ignored.
 * The file itself documents every directive with its default. */
#ifndef OCHRE_CONFIG_H
#define OCHRE_CONFIG_H

#include <stddef.h>

#define CONFIG_MAX_BYTES (256 * 1024)
#define CONFIG_MAX_RUNTIMES 2

enum runtime_kind {
	RUNTIME_CRUN,
	RUNTIME_RUNC,
	RUNTIME_KIND_COUNT,
};

struct ochre_config {
	enum runtime_kind runtimes[CONFIG_MAX_RUNTIMES]; /* search order */
	size_t n_runtimes;
	char *runtime_path[RUNTIME_KIND_COUNT]; /* NULL: search the system dirs */
	unsigned long long tmpfs_size;          /* bytes */
	char *session_dir;                      /* NULL: per-user default */
	char *cache_dir;                        /* NULL: per-user default */
	char *conmon_path;                      /* NULL: search the system dirs */
};

const char *runtime_kind_name(enum runtime_kind kind);
int runtime_kind_from_name(const char *name); /* -1 when unknown */

void config_init(struct ochre_config *cfg);
void config_free(struct ochre_config *cfg);

/* Parse text[0..len) (modified in place; text[len] must be '\0') into cfg; name is used in messages.
 * Returns 0, or -1 with "config 'NAME' line N: ..." in err. */
int config_parse(const char *name, char *text, size_t len, struct ochre_config *cfg,
		 char *err, size_t errlen);

/* Parse "64M", "1G", "4096" into bytes (K, M, G, T are powers of 1024). */
int config_parse_size(const char *s, unsigned long long *out);

#endif
