#include "subid.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool subid_lookup(const char *file, const char *user_name, unsigned long id,
		  unsigned long *start, unsigned long *count)
{
	FILE *f = fopen(file, "re");
	if (!f)
		return false;
	char line[512], id_text[32];
	snprintf(id_text, sizeof id_text, "%lu", id);
	bool found = false;
	while (!found && fgets(line, sizeof line, f)) {
		char *save = NULL;
		char *owner = strtok_r(line, ":\n", &save);
		char *first = strtok_r(NULL, ":\n", &save);
		char *n = strtok_r(NULL, ":\n", &save);
		if (!owner || !first || !n)
			continue;
		if (strcmp(owner, id_text) != 0 && (!user_name || strcmp(owner, user_name) != 0))
			continue;
		char *e1, *e2;
		unsigned long s = strtoul(first, &e1, 10), c = strtoul(n, &e2, 10);
		if (*e1 || *e2 || c == 0)
			continue;
		*start = s;
		*count = c;
		found = true;
	}
	fclose(f);
	return found;
}
