/* Allocation that cannot fail: out of memory, the driver stops at once. */
#ifndef OCHRE_XALLOC_H
#define OCHRE_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
