/* --apply-cgroups FILE: SingularityCE's cgroups TOML, the OCI runtime
 * spec's linux.resources written in TOML ([memory] limit = ..., [cpu]
 * shares/quota/period/cpus/mems, [pids] limit, [blockIO] weight and
 * [[blockIO.weightDevice]] major/minor/weight, ...). Debian packages no C
 * TOML library, so this is a small strict parser of exactly that subset:
 * tables, arrays of tables, integers, strings and booleans, every key
 * checked against the spec's names and types. Anything else (an unknown
 * key, a repeated one, an inline table, a float, a cgroup v2 "unified"
 * map) is an error naming the line: a typo in a limit must never be
 * silently dropped. */
#ifndef OCHRE_CGROUPS_TOML_H
#define OCHRE_CGROUPS_TOML_H

#include "../util/error.h"

#include <json-c/json.h>
#include <stddef.h>

#define CGROUPS_TOML_MAX_BYTES (64 * 1024)

/* Parse text[0..len) (need not be NUL-terminated; a NUL in it is an
 * error). Returns a new JSON object shaped as linux.resources (caller
 * puts it), or NULL with err set to "NAME line N: ...". */
json_object *cgroups_toml_parse(const char *name, const char *text, size_t len, struct error *err);

#endif
