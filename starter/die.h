/* The starter's one error style: print one line and exit 255. */
#ifndef OCHRE_STARTER_DIE_H
#define OCHRE_STARTER_DIE_H

#include <stdnoreturn.h>

#define STARTER_EXIT_FAILURE 255

noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Like die(), with ": strerror(errno)" appended. */
noreturn void die_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
