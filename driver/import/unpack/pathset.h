/* A set of relative paths: which entries the layer being extracted has
 * already written, so that an opaque whiteout removes only what lower
 * layers left in a directory. */
#ifndef OCHRE_PATHSET_H
#define OCHRE_PATHSET_H

#include <stdbool.h>
#include <stddef.h>

struct pathset {
	char **slots;
	size_t cap, count;
};

void pathset_init(struct pathset *s);
void pathset_clear(struct pathset *s);
void pathset_add(struct pathset *s, const char *path);
bool pathset_has(const struct pathset *s, const char *path);

#endif
