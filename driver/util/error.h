/* The driver's error style (after crun): fallible functions return -1 and
 * fill a struct error; callers pass it up with `if (ret < 0) return ret;`.
 * Only main() prints it, once, and exits 255, so cleanup on the way up
 * always runs. */
#ifndef OCHRE_ERROR_H
#define OCHRE_ERROR_H

#define OCHRE_EXIT_FAILURE 255

struct error {
	char msg[2048];
};

/* Format the message; with errnum != 0, append ": strerror(errnum)".
 * Always returns -1. */
int error_set(struct error *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
