/* YAML to a json-c tree, for CDI specs: libyaml parses, this turns the
 * one document into the same objects json-c would build from the JSON
 * form, so one validator serves both formats. Plain scalars are typed as
 * YAML 1.2's core schema does (null, booleans, integers in decimal, 0o
 * octal or 0x hex, the YAML 1.1 leading-zero octal that file modes use,
 * floats); quoted scalars and "!!str" are strings. Refused: aliases (no
 * real spec needs them, and they are how a tiny file expands into a huge
 * tree), more than one document, a non-scalar or repeated mapping key,
 * nesting deeper than CDI_YAML_MAX_DEPTH. */
#ifndef OCHRE_CDI_YAML_H
#define OCHRE_CDI_YAML_H

#include <json-c/json.h>
#include <stddef.h>

#define CDI_YAML_MAX_DEPTH 64

/* The document's root (NULL for an empty document, with why ""), or NULL
 * with why saying what is wrong and where ("line N: ..."). */
json_object *cdi_yaml_to_json(const char *data, size_t len, char *why, size_t why_len);

#endif
