/* A growable, NULL-terminated vector of heap strings (argv/envp shaped). */
#ifndef OCHRE_STRV_H
#define OCHRE_STRV_H

#include <stddef.h>

struct strv {
	char **v; /* NULL-terminated once anything was added */
	size_t n, cap;
};

/* Append item (taken over, not copied). */
void strv_add(struct strv *s, char *item);
/* Free a vector's strings and the vector itself. */
void strv_free(char **v);

#endif
