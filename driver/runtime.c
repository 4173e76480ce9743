#include "runtime.h"

#include "../common/log.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Where distributions install runtimes; $PATH is the caller's and could
 * name anything, so it is not consulted. */
static const char *const system_dirs[] = {
	"/usr/local/bin", "/usr/bin", "/bin", "/usr/local/sbin", "/usr/sbin", "/sbin",
};

static int is_executable_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* The tool's real path: a setuid starter runs only helpers whose every
 * path component is root's, and refuses symlinks (Debian's /usr/bin/runc
 * is one, to /usr/sbin/runc). */
static char *real_tool_path(const char *path)
{
	char *real = realpath(path, NULL);
	return real ? real : xstrdup(path);
}

char *find_system_tool(const char *configured, const char *name)
{
	if (configured) {
		if (is_executable_file(configured))
			return real_tool_path(configured);
		log_debug("%s path %s from the config is not an executable file", name, configured);
		return NULL;
	}
	for (size_t i = 0; i < sizeof system_dirs / sizeof system_dirs[0]; i++) {
		char *path = xasprintf("%s/%s", system_dirs[i], name);
		if (is_executable_file(path)) {
			char *real = real_tool_path(path);
			free(path);
			return real;
		}
		free(path);
	}
	return NULL;
}

static char *find_runtime(const struct ochre_config *cfg, enum runtime_kind kind)
{
	return find_system_tool(cfg->runtime_path[kind], runtime_kind_name(kind));
}

int runtime_resolve(const struct ochre_config *cfg, const char *name, struct runtime *out,
		    struct error *err)
{
	enum runtime_kind order[CONFIG_MAX_RUNTIMES];
	size_t n = 0;
	if (name) {
		int kind = runtime_kind_from_name(name);
		if (kind < 0)
			return error_set(err, 0, "unknown runtime '%s' (known: crun, runc)", name);
		order[n++] = (enum runtime_kind)kind;
	} else {
		memcpy(order, cfg->runtimes, sizeof order);
		n = cfg->n_runtimes;
	}

	char tried[64] = "";
	for (size_t i = 0; i < n; i++) {
		char *path = find_runtime(cfg, order[i]);
		if (path) {
			out->kind = order[i];
			out->path = path;
			log_debug("runtime: %s", path);
			return 0;
		}
		strcat(tried, i ? ", " : "");
		strcat(tried, runtime_kind_name(order[i]));
	}
	return error_set(err, 0, "no OCI runtime found (tried: %s)", tried);
}
