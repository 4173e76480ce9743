#include "log.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

enum log_level log_level_current = LOG_LEVEL_WARN;

/* Held lines (log_hold_begin): kept here, written by log_hold_release. */
#define LOG_HOLD_MAX (32 * 1024)
static char held[LOG_HOLD_MAX];
static size_t held_len;
static bool holding, held_truncated;

static const char *const level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARN] = "warning",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

int log_level_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof level_names / sizeof level_names[0]; i++)
		if (strcmp(name, level_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *log_level_name(enum log_level level)
{
	return level_names[level];
}

void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	if (!log_enabled(level))
		return;
	/* Build the line first and write it with one call, so lines from the
	 * driver, the starter and its children do not interleave mid-line. */
	char line[8192];
	int n = snprintf(line, sizeof line, "ochre: %s: ", level_names[level]);
	int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	if (len > sizeof line - 2)
		len = sizeof line - 2;
	line[len++] = '\n';
	if (holding) {
		if (held_len + len <= sizeof held) {
			memcpy(held + held_len, line, len);
			held_len += len;
		} else {
			held_truncated = true;
		}
		return;
	}
	fwrite(line, 1, len, stderr);
	fflush(stderr);
}

void log_hold_begin(void)
{
	holding = true;
}

void log_hold_discard(void)
{
	held_len = 0;
	held_truncated = false;
}

void log_hold_release(void)
{
	if (!holding)
		return;
	holding = false;
	fwrite(held, 1, held_len, stderr);
	if (held_truncated)
		fputs("ochre: debug: (held messages beyond 32 KiB dropped)\n", stderr);
	fflush(stderr);
	log_hold_discard();
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

/* Quote only what needs it, so debug lines can be pasted into a shell. */
static size_t append_quoted(char *buf, size_t pos, size_t cap, const char *arg)
{
	int plain = *arg != '\0';
	for (const char *p = arg; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%", *p))
			plain = 0;
	if (plain) {
		for (const char *p = arg; *p && pos < cap; p++)
			buf[pos++] = *p;
		return pos;
	}
	if (pos < cap)
		buf[pos++] = '\'';
	for (const char *p = arg; *p && pos + 4 < cap; p++) {
		if (*p == '\'') {
			memcpy(buf + pos, "'\\''", 4);
			pos += 4;
		} else {
			buf[pos++] = *p;
		}
	}
	if (pos < cap)
		buf[pos++] = '\'';
	return pos;
}

void log_debug_argv(const char *what, char *const argv[])
{
	if (!log_enabled(LOG_LEVEL_DEBUG))
		return;
	char buf[6144];
	size_t pos = 0, cap = sizeof buf - 1;
	for (size_t i = 0; argv[i] && pos < cap; i++) {
		if (i > 0)
			buf[pos++] = ' ';
		pos = append_quoted(buf, pos, cap, argv[i]);
	}
	buf[pos] = '\0';
	log_msg(LOG_LEVEL_DEBUG, "%s: %s", what, buf);
}
