#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int error_set(struct error *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	if (errnum && n >= 0 && (size_t)n < sizeof err->msg)
		snprintf(err->msg + n, sizeof err->msg - (size_t)n, ": %s", strerror(errnum));
	err->errnum = errnum;
	return -1;
}

int error_wrap(struct error *err, const char *fmt, ...)
{
	char context[sizeof err->msg];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(context, sizeof context - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	size_t clen = strlen(context);
	memcpy(context + clen, ": ", 3);
	clen += 2;
	/* Shift the message right to make room; what does not fit is cut. */
	size_t mlen = strnlen(err->msg, sizeof err->msg - 1);
	if (clen + mlen > sizeof err->msg - 1)
		mlen = sizeof err->msg - 1 - clen;
	memmove(err->msg + clen, err->msg, mlen);
	memcpy(err->msg, context, clen);
	err->msg[clen + mlen] = '\0';
	return -1;
}
