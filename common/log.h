/* One log function with levels, shared by the driver and the starter.
 * Everything goes to stderr as "ochre: LEVEL: message" so a user sees one
 * voice whichever of the two programs speaks. */
#ifndef OCHRE_LOG_H
#define OCHRE_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LEVEL_ERROR = 0, /* --quiet: only errors */
	LOG_LEVEL_WARN = 1,  /* default */
	LOG_LEVEL_INFO = 2,
	LOG_LEVEL_DEBUG = 3, /* --debug: every command run, every mount */
};

extern enum log_level log_level_current;

/* "error", "warn", "info", "debug" <-> level; -1 when unknown. */
int log_level_from_name(const char *name);
const char *log_level_name(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

#define log_enabled(level) (log_level_current >= (level))
#define log_debug(...)                                         \
	do {                                                   \
		if (log_enabled(LOG_LEVEL_DEBUG))              \
			log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__); \
	} while (0)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)

/* Hold every message in memory instead of writing it, until
 * log_hold_release() writes them all. The setuid starter holds its output
 * while it has privilege: the caller owns its stderr, and a full pipe would
 * stop it mid-step, in a window between a check and a use, for as long as
 * the caller likes. log_hold_discard() forgets the held lines (a child
 * whose parent will write the ones they share). At most 32 KiB are held. */
void log_hold_begin(void);
void log_hold_release(void);
void log_hold_discard(void);

/* Log an argv vector as one shell-quoted command line at debug level. */
void log_debug_argv(const char *what, char *const argv[]);

#endif
