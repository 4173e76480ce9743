/* The driver's error style (after crun): fallible functions return -1 and
 * fill a struct error; callers pass it up with `if (ret < 0) return ret;`,
 * adding what they were doing with error_wrap when that helps the reader
 * ("pull docker://x: " before the registry's message). Only main() prints
 * it, once, and exits 255, so cleanup on the way up always runs. */
#ifndef OCHRE_ERROR_H
#define OCHRE_ERROR_H

#define OCHRE_EXIT_FAILURE 255

struct error {
	int errnum; /* the errno behind it, 0 when none; callers may test it */
	char msg[2048];
};

/* Format the message; with errnum != 0, append ": strerror(errnum)" and
 * keep errnum. Always returns -1. */
int error_set(struct error *err, int errnum, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Context as the error rises: the message becomes "CONTEXT: message";
 * errnum is kept. Always returns -1. */
int error_wrap(struct error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
