#define _GNU_SOURCE
#include "group_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The next ':'-separated field of *s (which then points past it), or NULL
 * after the last. Unlike strtok, "a::b" has an empty second field. */
static char *next_field(char **s)
{
	char *field = *s;
	if (!field)
		return NULL;
	char *colon = strchr(field, ':');
	*s = colon ? colon + 1 : NULL;
	if (colon)
		*colon = '\0';
	return field;
}

/* One line's gid, when its name is name: all four fields, a decimal gid. */
static bool line_gid(char *line, const char *name, unsigned long *gid)
{
	line[strcspn(line, "\n")] = '\0';
	char *rest = line;
	char *fields[4];
	for (int i = 0; i < 4; i++)
		if (!(fields[i] = next_field(&rest)))
			return false;
	if (rest || strcmp(fields[0], name) != 0)
		return false;
	const char *g = fields[2];
	if (*g < '0' || *g > '9' || strspn(g, "0123456789") != strlen(g))
		return false;
	errno = 0;
	*gid = strtoul(g, NULL, 10);
	return errno == 0;
}

bool group_file_gid(const char *file, const char *name, unsigned long *gid)
{
	if (!*name)
		return false;
	FILE *f = fopen(file, "re");
	if (!f)
		return false;
	/* getline: a group with many members makes a long line, which must
	 * never be read as several. */
	char *line = NULL;
	size_t cap = 0;
	bool found = false;
	ssize_t n;
	/* A line with a NUL in it is no line of the format. */
	while (!found && (n = getline(&line, &cap, f)) >= 0)
		found = strlen(line) == (size_t)n && line_gid(line, name, gid);
	free(line);
	fclose(f);
	return found;
}
