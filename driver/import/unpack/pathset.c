#include "pathset.h"

#include "../../util/fsutil.h"
#include "../../util/xalloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void pathset_init(struct pathset *s)
{
	memset(s, 0, sizeof *s);
}

void pathset_clear(struct pathset *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->slots[i]);
	free(s->slots);
	memset(s, 0, sizeof *s);
}

static void insert(char **slots, size_t cap, char *item)
{
	for (size_t i = fnv1a64(item) & (cap - 1);; i = (i + 1) & (cap - 1))
		if (!slots[i]) {
			slots[i] = item;
			return;
		}
}

bool pathset_has(const struct pathset *s, const char *path)
{
	if (!s->cap)
		return false;
	for (size_t i = fnv1a64(path) & (s->cap - 1); s->slots[i]; i = (i + 1) & (s->cap - 1))
		if (strcmp(s->slots[i], path) == 0)
			return true;
	return false;
}

void pathset_add(struct pathset *s, const char *path)
{
	if (pathset_has(s, path))
		return;
	if (2 * (s->count + 1) > s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 256;
		char **slots = xcalloc(cap, sizeof *slots);
		for (size_t i = 0; i < s->cap; i++)
			if (s->slots[i])
				insert(slots, cap, s->slots[i]);
		free(s->slots);
		s->slots = slots;
		s->cap = cap;
	}
	insert(s->slots, s->cap, xstrdup(path));
	s->count++;
}
