/* A minimal unit-test helper: each CHECK prints "ok - NAME" or
 * "not ok - NAME" (the harness counts these lines), and unit_done()
 * turns any failure into a non-zero exit status. */
#ifndef OCHRE_UNIT_H
#define OCHRE_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_failures;

#define CHECK(cond, name)                                                                     \
	do {                                                                                  \
		if (cond) {                                                                   \
			printf("ok - %s\n", name);                                            \
		} else {                                                                      \
			printf("not ok - %s (%s:%d: %s)\n", name, __FILE__, __LINE__, #cond); \
			unit_failures++;                                                      \
		}                                                                             \
	} while (0)

#define CHECK_STR(actual, expected, name)                                                          \
	do {                                                                                       \
		const char *a_ = (actual), *e_ = (expected);                                       \
		if (a_ && e_ && strcmp(a_, e_) == 0) {                                             \
			printf("ok - %s\n", name);                                                 \
		} else {                                                                           \
			printf("not ok - %s: got '%s', expected '%s'\n", name, a_ ? a_ : "(null)", \
			       e_ ? e_ : "(null)");                                                \
			unit_failures++;                                                           \
		}                                                                                  \
	} while (0)

static inline int unit_done(void)
{
	return unit_failures ? 1 : 0;
}

#endif
