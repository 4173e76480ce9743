#include "path.h"

#include <string.h>

bool path_is_clean_absolute(const char *path)
{
	if (path[0] != '/')
		return false;
	if (path[1] == '\0')
		return true;
	const char *p = path + 1;
	for (;;) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == 0)
			return false; /* "//" or a trailing slash */
		if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (!end)
			return true;
		p = end + 1;
	}
}

bool path_within(const char *path, const char *prefix)
{
	size_t len = strlen(prefix);
	if (strcmp(prefix, "/") == 0)
		return true;
	return strncmp(path, prefix, len) == 0 && (path[len] == '\0' || path[len] == '/');
}
