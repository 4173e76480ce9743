#include "json_read.h"

const char *json_str_field(json_object *o, const char *key)
{
	json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

json_object *json_array_field(json_object *o, const char *key)
{
	json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_array))
		return NULL;
	return v;
}

json_object *json_parse_object(const char *text, const char *what, struct error *err)
{
	enum json_tokener_error jerr;
	json_object *o = json_tokener_parse_verbose(text, &jerr);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		error_set(err, 0, "%s: not a JSON object (%s)", what, o ? "wrong type" : json_tokener_error_desc(jerr));
		return NULL;
	}
	return o;
}
