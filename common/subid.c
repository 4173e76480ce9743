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

bool passwd_file_lookup(const char *name, unsigned long uid, char *name_out, size_t len)
{
	FILE *f = fopen("/etc/passwd", "re");
	char line[1024];
	bool found = false;
	while (f && !found && fgets(line, sizeof line, f)) {
		char *save = NULL, *entry = strtok_r(line, ":", &save);
		strtok_r(NULL, ":", &save);
		char *id = strtok_r(NULL, ":", &save), *end;
		if (!entry || !id || strtoul(id, &end, 10) != uid || *end != '\0')
			continue;
		if (name && strcmp(entry, name) == 0)
			found = true;
		else if (!name && strlen(entry) < len)
			found = (strcpy(name_out, entry), true);
	}
	if (f)
		fclose(f);
	return found;
}

bool subid_range_allowed(const char *file, unsigned long uid, unsigned long start, unsigned long count)
{
	char name[256], id_text[32];
	bool named = passwd_file_lookup(NULL, uid, name, sizeof name);
	snprintf(id_text, sizeof id_text, "%lu", uid);
	FILE *f = fopen(file, "re");
	char line[512];
	bool ok = false;
	while (f && !ok && fgets(line, sizeof line, f)) {
		char *save = NULL;
		char *owner = strtok_r(line, ":\n", &save), *first = strtok_r(NULL, ":\n", &save);
		char *n = strtok_r(NULL, ":\n", &save), *e1, *e2;
		if (!owner || !first || !n || (strcmp(owner, id_text) != 0 && (!named || strcmp(owner, name) != 0)))
			continue;
		unsigned long s = strtoul(first, &e1, 10), c = strtoul(n, &e2, 10);
		ok = !*e1 && !*e2 && start >= s && count <= c && start - s <= c - count;
	}
	if (f)
		fclose(f);
	return ok;
}
