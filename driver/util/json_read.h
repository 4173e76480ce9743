/* Reading JSON with json-c: a member of the expected type, or a whole
 * document that must be an object. Image selection, plans and the registry
 * client all read untrusted JSON this way. */
#ifndef OCHRE_JSON_READ_H
#define OCHRE_JSON_READ_H

#include "error.h"

#include <json-c/json.h>

/* A string or array member (NULL when absent or of another
 * type), and a whole document that must be an object. */
const char *json_str_field(json_object *o, const char *key);
json_object *json_array_field(json_object *o, const char *key);
json_object *json_parse_object(const char *text, const char *what, struct error *err);

#endif
