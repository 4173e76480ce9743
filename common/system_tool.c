#include "system_tool.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Where distributions install runtimes and their helpers. */
static const char *const system_dirs[] = {
	"/usr/local/bin", "/usr/bin", "/bin", "/usr/local/sbin", "/usr/sbin", "/sbin",
};

const char *const system_idmap_helpers[][2] = {
	{ "/usr/bin/newuidmap", "/usr/bin/newgidmap" },
	{ "/bin/newuidmap", "/bin/newgidmap" },
	{ NULL, NULL },
};

bool system_tool_executable(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

bool system_tool_search(const char *name, char *out, size_t len)
{
	for (size_t i = 0; i < sizeof system_dirs / sizeof system_dirs[0]; i++) {
		int n = snprintf(out, len, "%s/%s", system_dirs[i], name);
		if (n > 0 && (size_t)n < len && system_tool_executable(out))
			return true;
	}
	return false;
}

bool system_idmap_helper_known(const char *path, int column)
{
	for (size_t i = 0; system_idmap_helpers[i][column]; i++)
		if (strcmp(path, system_idmap_helpers[i][column]) == 0)
			return true;
	return false;
}
