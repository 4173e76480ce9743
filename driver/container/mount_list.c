#define _GNU_SOURCE
#include "mount_list.h"

#include "../util/strv.h"
#include "../util/xalloc.h"

#include <stdlib.h>
#include <string.h>

static void entry_free(struct mount_entry *e)
{
	free(e->dest);
	free(e->type);
	free(e->source);
	strv_free(e->options);
}

void mount_list_add(struct mount_list *l, const char *dest, const char *type, const char *source,
		    const char *const *options, bool user)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].dest, dest) == 0) {
			entry_free(&l->v[i]);
			memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof l->v[0]);
			l->n--;
			break;
		}
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->v = xreallocarray(l->v, l->cap, sizeof l->v[0]);
	}
	struct strv opts = { 0 };
	for (size_t i = 0; options[i]; i++)
		strv_add(&opts, xstrdup(options[i]));
	if (!opts.v)
		opts.v = xcalloc(1, sizeof *opts.v);
	l->v[l->n++] = (struct mount_entry){
		.dest = xstrdup(dest),
		.type = xstrdup(type),
		.source = xstrdup(source),
		.options = opts.v,
		.user = user,
	};
}

void mount_list_bind(struct mount_list *l, const char *source, const char *dest, bool ro, bool user)
{
	const char *opts[] = { "rbind", "nosuid", "nodev", ro ? "ro" : NULL, NULL };
	mount_list_add(l, dest, "none", source, opts, user);
}

bool mount_list_has(const struct mount_list *l, const char *dest)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].dest, dest) == 0)
			return true;
	return false;
}

static size_t depth(const char *path)
{
	size_t d = 0;
	for (const char *p = path; *p; p++)
		if (*p == '/' && p[1] && p[1] != '/')
			d++;
	return d;
}

void mount_list_sort(struct mount_list *l)
{
	/* Insertion sort: stable, and the lists are short. */
	for (size_t i = 1; i < l->n; i++) {
		struct mount_entry e = l->v[i];
		size_t d = depth(e.dest), j = i;
		while (j > 0 && depth(l->v[j - 1].dest) > d) {
			l->v[j] = l->v[j - 1];
			j--;
		}
		l->v[j] = e;
	}
}

void mount_list_free(struct mount_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		entry_free(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}
