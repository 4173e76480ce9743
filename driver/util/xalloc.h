/* Allocation that cannot fail: out of memory, or a size that does not fit
 * in size_t, and the program stops at once with one line ("ochre: error:
 * out of memory") and exit status 255, like any other error. Every
 * allocation in driver/ goes through these, never through a bare
 * malloc/realloc checked with abort() (SIGABRT, exit 134). */
#ifndef OCHRE_XALLOC_H
#define OCHRE_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
/* realloc for n elements of size bytes, the product checked for overflow. */
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Sizes computed for an allocation: a + b and a * b, stopping as out of
 * memory when the result does not fit. */
size_t xsize_add(size_t a, size_t b);
size_t xsize_mul(size_t a, size_t b);

#endif
