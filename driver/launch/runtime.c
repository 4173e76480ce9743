#include "runtime.h"

#include "../../common/log.h"
#include "../../common/system_tool.h"
#include "../util/xalloc.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
		if (system_tool_executable(configured))
			return real_tool_path(configured);
		log_debug("%s path %s from the config is not an executable file", name, configured);
		return NULL;
	}
	char path[PATH_MAX];
	return system_tool_search(name, path, sizeof path) ? real_tool_path(path) : NULL;
}

static char *find_runtime(const struct ochre_config *cfg, enum runtime_kind kind)
{
	return find_system_tool(cfg->runtime_path[kind], runtime_kind_name(kind));
}

int runtime_resolve(const struct ochre_config *cfg, const char *name, struct runtime *out, struct error *err)
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
