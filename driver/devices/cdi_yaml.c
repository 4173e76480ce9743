#define _GNU_SOURCE
#include "cdi_yaml.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define YAML_STR_TAG "tag:yaml.org,2002:str"

/* The containers being filled, innermost last; a mapping also holds the key
 * waiting for its value. */
struct yaml_frame {
	json_object *node;
	char *pending_key;
};

struct yaml_builder {
	struct yaml_frame stack[CDI_YAML_MAX_DEPTH];
	size_t depth;
	json_object *root;
	bool root_set;
	int documents;
	char *why;
	size_t why_len;
};

static int fail(struct yaml_builder *b, const yaml_event_t *ev, const char *what)
{
	snprintf(b->why, b->why_len, "line %zu: %s", (size_t)ev->start_mark.line + 1, what);
	return -1;
}

static bool str_in(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

/* An integer as YAML writes it: [-+] then decimal, 0o/0x, or 1.1-style
 * leading-zero octal; anything out of int64's range is no integer. */
static bool plain_integer(const char *s, int64_t *out)
{
	const char *p = s;
	bool neg = false;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	int base = 10;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		base = 16, p += 2;
	else if (p[0] == '0' && p[1] == 'o')
		base = 8, p += 2;
	else if (p[0] == '0' && p[1] != '\0')
		base = 8, p += 1;
	if (*p == '\0' || !strchr("0123456789abcdefABCDEF", *p))
		return false;
	errno = 0;
	char *end;
	uintmax_t v = strtoumax(p, &end, base);
	if (*end != '\0' || errno == ERANGE)
		return false;
	if (neg ? v > (uintmax_t)INT64_MAX + 1 : v > (uintmax_t)INT64_MAX)
		return false;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}

static bool plain_float(const char *s, double *out)
{
	const char *p = s + (*s == '-' || *s == '+');
	if (!(*p >= '0' && *p <= '9') && !(*p == '.' && p[1] >= '0' && p[1] <= '9'))
		return false;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (*end != '\0' || errno == ERANGE || !strpbrk(s, ".eE"))
		return false;
	*out = v;
	return true;
}

static json_object *scalar_value(const yaml_event_t *ev)
{
	const char *text = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	const char *tag = (const char *)ev->data.scalar.tag;
	bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	if (!plain || (tag && strcmp(tag, YAML_STR_TAG) == 0) || strlen(text) != len)
		return json_object_new_string_len(text, (int)len);
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL", NULL };
	static const char *const trues[] = { "true", "True", "TRUE", NULL };
	static const char *const falses[] = { "false", "False", "FALSE", NULL };
	int64_t i;
	double d;
	if (str_in(text, nulls))
		return NULL;
	if (str_in(text, trues))
		return json_object_new_boolean(1);
	if (str_in(text, falses))
		return json_object_new_boolean(0);
	if (plain_integer(text, &i))
		return json_object_new_int64(i);
	if (plain_float(text, &d))
		return json_object_new_double(d);
	return json_object_new_string_len(text, (int)len);
}

/* Put value (taken over) where the innermost container expects it. */
static int place(struct yaml_builder *b, const yaml_event_t *ev, json_object *value, bool is_scalar)
{
	if (b->depth == 0) {
		b->root = value;
		b->root_set = true;
		return 0;
	}
	struct yaml_frame *top = &b->stack[b->depth - 1];
	if (json_object_is_type(top->node, json_type_array)) {
		json_object_array_add(top->node, value);
		return 0;
	}
	if (!top->pending_key) {
		if (!is_scalar) {
			json_object_put(value);
			return fail(b, ev, "a mapping key must be a scalar");
		}
		const char *key = (const char *)ev->data.scalar.value;
		json_object_put(value);
		if (json_object_object_get_ex(top->node, key, NULL)) {
			char what[200];
			snprintf(what, sizeof what, "key '%.100s' appears twice", key);
			return fail(b, ev, what);
		}
		top->pending_key = strdup(key);
		return top->pending_key ? 0 : fail(b, ev, "out of memory");
	}
	json_object_object_add(top->node, top->pending_key, value);
	free(top->pending_key);
	top->pending_key = NULL;
	return 0;
}

static int open_container(struct yaml_builder *b, const yaml_event_t *ev, json_object *node)
{
	if (b->depth == CDI_YAML_MAX_DEPTH) {
		json_object_put(node);
		return fail(b, ev, "nested too deeply");
	}
	if (b->depth > 0) {
		struct yaml_frame *top = &b->stack[b->depth - 1];
		if (json_object_is_type(top->node, json_type_object) && !top->pending_key) {
			json_object_put(node);
			return fail(b, ev, "a mapping key must be a scalar");
		}
	}
	b->stack[b->depth++] = (struct yaml_frame){ .node = node };
	return 0;
}

static int close_container(struct yaml_builder *b, const yaml_event_t *ev)
{
	struct yaml_frame done = b->stack[--b->depth];
	free(done.pending_key); /* never set: libyaml pairs keys and values */
	return place(b, ev, done.node, false);
}

static int handle_event(struct yaml_builder *b, const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		return ++b->documents > 1 ? fail(b, ev, "more than one YAML document") : 0;
	case YAML_ALIAS_EVENT:
		return fail(b, ev, "YAML aliases are not supported in CDI specs");
	case YAML_SCALAR_EVENT:
		return place(b, ev, scalar_value(ev), true);
	case YAML_SEQUENCE_START_EVENT:
		return open_container(b, ev, json_object_new_array());
	case YAML_MAPPING_START_EVENT:
		return open_container(b, ev, json_object_new_object());
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return close_container(b, ev);
	case YAML_NO_EVENT:
	case YAML_STREAM_START_EVENT:
	case YAML_STREAM_END_EVENT:
	case YAML_DOCUMENT_END_EVENT:
		return 0;
	default:
		return fail(b, ev, "unexpected YAML event");
	}
}

static void builder_free(struct yaml_builder *b)
{
	while (b->depth > 0) {
		struct yaml_frame *f = &b->stack[--b->depth];
		free(f->pending_key);
		json_object_put(f->node);
	}
	json_object_put(b->root);
	b->root = NULL;
}

json_object *cdi_yaml_to_json(const char *data, size_t len, char *why, size_t why_len)
{
	struct yaml_builder b = { .why = why, .why_len = why_len };
	yaml_parser_t parser;
	why[0] = '\0';
	if (!yaml_parser_initialize(&parser)) {
		snprintf(why, why_len, "cannot start the YAML parser");
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	int ret = 0;
	for (bool end = false; !end && ret == 0;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&parser, &ev)) {
			snprintf(why, why_len, "line %zu: %s", (size_t)parser.problem_mark.line + 1,
				 parser.problem ? parser.problem : "YAML syntax error");
			ret = -1;
			break;
		}
		end = ev.type == YAML_STREAM_END_EVENT;
		ret = handle_event(&b, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	if (ret < 0) {
		builder_free(&b);
		return NULL;
	}
	return b.root;
}
