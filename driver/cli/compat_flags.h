/* The table behind compat_translate(): every SingularityCE 4.x flag of
 * the commands ochre implements, and what ochre does with it. Exposed for
 * the unit tests and for docs/SINGULARITY-COMPAT.md's table. */
#ifndef OCHRE_CLI_COMPAT_FLAGS_H
#define OCHRE_CLI_COMPAT_FLAGS_H

#include <stdbool.h>

enum compat_action {
	COMPAT_PASS,   /* ochre's option of the name in .ochre (or the same name) */
	COMPAT_NOOP,   /* accepted, nothing to do: .why says why (debug log) */
	COMPAT_WARN,   /* accepted, ignored with a warning: .why says the difference */
	COMPAT_REFUSE, /* an error naming the flag and .why */
	COMPAT_SPECIAL /* handled in compat_flags.c by name */
};

/* Which commands take the flag. */
enum compat_commands {
	COMPAT_LAUNCH = 1 << 0, /* exec, run, shell */
	COMPAT_PULL = 1 << 1,
};

struct compat_flag {
	const char *name;  /* the tool's long name */
	char shorthand;    /* the tool's one-letter form, or 0 */
	bool value;        /* takes a value */
	unsigned commands; /* enum compat_commands */
	enum compat_action action;
	const char *ochre;  /* COMPAT_PASS: ochre's long options (space-separated), NULL: the same */
	const char *env[3]; /* variable suffixes (after SINGULARITY_ etc.), NULL-ended */
	bool env_appends;   /* the variable adds to the command line's values (--bind) */
	const char *why;
};

extern const struct compat_flag compat_flags[];
extern const unsigned compat_n_flags;

/* The flag of that long name (or, with name NULL, one-letter form) for
 * the command; NULL when the tool has none. */
const struct compat_flag *compat_flag_find(const char *name, char shorthand, unsigned command);

/* "1", "true", "yes"... as Go's strconv.ParseBool: 1 true, 0 false, -1 neither. */
int compat_parse_bool(const char *v);

#endif
