#include "die.h"

#include "../common/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

noreturn void die(const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_error("%s", msg);
	/* Exiting, nothing is left to protect: let the context out. */
	log_hold_release();
	_exit(STARTER_EXIT_FAILURE);
}

noreturn void die_errno(const char *fmt, ...)
{
	int saved = errno;
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	die("%s: %s", msg, saved == ELOOP ? "a path component is a symbolic link" : strerror(saved));
}
