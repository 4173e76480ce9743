#define _GNU_SOURCE
#include "cgroups_toml.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STRING 4096
#define MAX_ARRAY_ITEMS 256

enum value_type {
	V_INT,    /* int64, -1 meaning "unlimited" where the spec says so */
	V_UINT,   /* uint64 (kept below INT64_MAX: json-c's integers are signed) */
	V_WEIGHT, /* a blkio weight, 10..1000 */
	V_STRING,
	V_BOOL,
};

struct key_spec {
	const char *name;
	enum value_type type;
};

/* A table of linux.resources: [path], or [[path]] (an array of tables). */
struct table_spec {
	const char *path;
	bool array;
	const struct key_spec *keys;
};

static const struct key_spec memory_keys[] = {
	{ "limit", V_INT },
	{ "reservation", V_INT },
	{ "swap", V_INT },
	{ "kernel", V_INT },
	{ "kernelTCP", V_INT },
	{ "swappiness", V_UINT },
	{ "disableOOMKiller", V_BOOL },
	{ "useHierarchy", V_BOOL },
	{ NULL, V_INT },
};
static const struct key_spec cpu_keys[] = {
	{ "shares", V_UINT }, { "quota", V_INT },           { "burst", V_UINT },
	{ "period", V_UINT }, { "realtimeRuntime", V_INT }, { "realtimePeriod", V_UINT },
	{ "cpus", V_STRING }, { "mems", V_STRING },         { "idle", V_INT },
	{ NULL, V_INT },
};
static const struct key_spec pids_keys[] = { { "limit", V_INT }, { NULL, V_INT } };
static const struct key_spec blockio_keys[] = { { "weight", V_WEIGHT }, { "leafWeight", V_WEIGHT }, { NULL, V_INT } };
static const struct key_spec weight_device_keys[] = {
	{ "major", V_INT }, { "minor", V_INT }, { "weight", V_WEIGHT }, { "leafWeight", V_WEIGHT }, { NULL, V_INT },
};
static const struct key_spec throttle_keys[] = {
	{ "major", V_INT }, { "minor", V_INT }, { "rate", V_UINT }, { NULL, V_INT }
};

static const struct table_spec tables[] = {
	{ "memory", false, memory_keys },
	{ "cpu", false, cpu_keys },
	{ "pids", false, pids_keys },
	{ "blockIO", false, blockio_keys },
	{ "blockIO.weightDevice", true, weight_device_keys },
	{ "blockIO.throttleReadBpsDevice", true, throttle_keys },
	{ "blockIO.throttleWriteBpsDevice", true, throttle_keys },
	{ "blockIO.throttleReadIOPSDevice", true, throttle_keys },
	{ "blockIO.throttleWriteIOPSDevice", true, throttle_keys },
};
#define N_TABLES (sizeof tables / sizeof tables[0])

struct parser {
	const char *name;
	int lineno;
	struct error *err;
	json_object *root;
	const struct table_spec *table; /* NULL before the first header */
	json_object *current;           /* the object keys go into */
	bool defined[N_TABLES];         /* [path] seen (a plain table may be defined once) */
};

__attribute__((format(printf, 2, 3))) static int fail(struct parser *p, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return error_set(p->err, 0, "%s line %d: %s", p->name, p->lineno, msg);
}

static const char *skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static bool is_bare_key_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-';
}

/* After a value or header: blanks, then nothing or a comment. */
static int expect_line_end(struct parser *p, const char *s)
{
	s = skip_space(s);
	if (*s && *s != '#')
		return fail(p, "unexpected '%.20s' after the value", s);
	return 0;
}

/* The object at a dotted path, made where missing ("blockIO" for the
 * parent of "blockIO.weightDevice"). */
static json_object *object_at(json_object *root, const char *path)
{
	char buf[128];
	snprintf(buf, sizeof buf, "%s", path);
	json_object *o = root;
	for (char *save = NULL, *part = strtok_r(buf, ".", &save); part; part = strtok_r(NULL, ".", &save)) {
		json_object *next;
		if (!json_object_object_get_ex(o, part, &next)) {
			next = json_object_new_object();
			json_object_object_add(o, part, next);
		}
		o = next;
	}
	return o;
}

/* "[path]" or "[[path]]": the table keys go into from here on. */
static int parse_header(struct parser *p, const char *s)
{
	bool array = s[1] == '[';
	s += array ? 2 : 1;
	char path[128];
	size_t n = 0;
	s = skip_space(s);
	while (is_bare_key_char(*s) || *s == '.') {
		if (n + 1 >= sizeof path)
			return fail(p, "table name too long");
		path[n++] = *s++;
	}
	path[n] = '\0';
	s = skip_space(s);
	if (*s != ']' || (array && s[1] != ']'))
		return fail(p, "bad table header (expected [NAME] or [[NAME]])");
	s += array ? 2 : 1;
	if (expect_line_end(p, s) < 0)
		return -1;
	size_t i;
	for (i = 0; i < N_TABLES; i++)
		if (strcmp(tables[i].path, path) == 0)
			break;
	if (i == N_TABLES)
		return fail(p, "unknown table '%s' (ochre applies memory, cpu, pids and blockIO limits)", path);
	if (tables[i].array != array)
		return fail(p, "'%s' is %s", path,
			    tables[i].array ? "an array of tables: write [[" : "a table: write [");
	p->table = &tables[i];
	if (!array) {
		if (p->defined[i])
			return fail(p, "table [%s] defined twice", path);
		p->defined[i] = true;
		p->current = object_at(p->root, path);
		return 0;
	}
	/* [[blockIO.weightDevice]]: a new element of blockIO's weightDevice. */
	const char *dot = strrchr(path, '.');
	char parent[128];
	snprintf(parent, sizeof parent, "%.*s", (int)(dot - path), path);
	json_object *owner = object_at(p->root, parent), *arr;
	if (!json_object_object_get_ex(owner, dot + 1, &arr)) {
		arr = json_object_new_array();
		json_object_object_add(owner, dot + 1, arr);
	}
	if (json_object_array_length(arr) >= MAX_ARRAY_ITEMS)
		return fail(p, "more than %d [[%s]] entries", MAX_ARRAY_ITEMS, path);
	p->current = json_object_new_object();
	json_object_array_add(arr, p->current);
	return 0;
}

/* A decimal integer as TOML writes it: an optional sign, no leading
 * zero, '_' only between digits. */
static int parse_integer(struct parser *p, const char **sp, int64_t *out)
{
	const char *s = *sp;
	bool neg = *s == '-';
	if (*s == '+' || *s == '-')
		s++;
	if (!isdigit((unsigned char)*s))
		return fail(p, "expected a value: an integer, a \"string\", true or false");
	if (s[0] == '0' && (isdigit((unsigned char)s[1]) || s[1] == '_' || s[1] == 'x' || s[1] == 'o' || s[1] == 'b'))
		return fail(p, "integers are written in decimal, without leading zeros");
	uint64_t v = 0;
	for (;;) {
		if (isdigit((unsigned char)*s)) {
			unsigned d = (unsigned)(*s - '0');
			if (v > (UINT64_MAX - d) / 10)
				return fail(p, "integer out of range");
			v = v * 10 + d;
			s++;
		} else if (*s == '_' && isdigit((unsigned char)s[-1]) && isdigit((unsigned char)s[1])) {
			s++;
		} else {
			break;
		}
	}
	if (*s == '.' || *s == 'e' || *s == 'E')
		return fail(p, "not an integer (the cgroups file takes whole numbers)");
	if (v > (uint64_t)INT64_MAX + (neg ? 1 : 0))
		return fail(p, "integer out of range");
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	*sp = s;
	return 0;
}

/* "basic" (with \\ \" \t \n \r \b \f) or 'literal', on one line. */
static int parse_string(struct parser *p, const char **sp, char *out)
{
	const char *s = *sp;
	char quote = *s++;
	if (s[0] == quote && s[1] == quote)
		return fail(p, "multi-line strings are not supported");
	size_t n = 0;
	for (; *s != quote; s++) {
		char c = *s;
		if (c == '\0')
			return fail(p, "unterminated string");
		if ((unsigned char)c < 0x20 && c != '\t')
			return fail(p, "control character in a string");
		if (c == '\\' && quote == '"') {
			static const char from[] = "\\\"tnrbf", to[] = "\\\"\t\n\r\b\f";
			const char *e = s[1] ? strchr(from, s[1]) : NULL;
			if (!e)
				return fail(p, "unsupported escape '\\%c' in a string", s[1] ? s[1] : ' ');
			c = to[e - from];
			s++;
		}
		if (n + 1 >= MAX_STRING)
			return fail(p, "string longer than %d bytes", MAX_STRING - 1);
		out[n++] = c;
	}
	out[n] = '\0';
	*sp = s + 1;
	return 0;
}

static int parse_value(struct parser *p, const struct key_spec *k, const char **sp, json_object **out)
{
	const char *s = *sp;
	if (*s == '"' || *s == '\'') {
		if (k->type != V_STRING)
			return fail(p, "'%s' takes %s, not a string", k->name,
				    k->type == V_BOOL ? "true or false" : "an integer");
		char *buf = malloc(MAX_STRING);
		if (!buf)
			return fail(p, "out of memory");
		int ret = parse_string(p, sp, buf);
		if (ret == 0)
			*out = json_object_new_string(buf);
		free(buf);
		return ret;
	}
	if (strncmp(s, "true", 4) == 0 || strncmp(s, "false", 5) == 0) {
		if (k->type != V_BOOL)
			return fail(p, "'%s' takes %s, not a boolean", k->name,
				    k->type == V_STRING ? "a string" : "an integer");
		bool v = s[0] == 't';
		*sp = s + (v ? 4 : 5);
		*out = json_object_new_boolean(v);
		return 0;
	}
	if (*s == '[' || *s == '{')
		return fail(p, "inline arrays and tables are not supported: use [[...]] tables");
	int64_t v = 0;
	if (parse_integer(p, sp, &v) < 0)
		return -1;
	switch (k->type) {
	case V_INT:
		break;
	case V_UINT:
		if (v < 0)
			return fail(p, "'%s' cannot be negative", k->name);
		break;
	case V_WEIGHT:
		if (v < 10 || v > 1000)
			return fail(p, "'%s' must be between 10 and 1000", k->name);
		break;
	case V_STRING:
		return fail(p, "'%s' takes a string", k->name);
	case V_BOOL:
		return fail(p, "'%s' takes true or false", k->name);
	default:
		return fail(p, "internal error: type %d", (int)k->type);
	}
	*out = json_object_new_int64(v);
	return 0;
}

static int parse_key_value(struct parser *p, const char *s)
{
	const char *start = s;
	while (is_bare_key_char(*s))
		s++;
	size_t klen = (size_t)(s - start);
	if (klen == 0)
		return fail(p, "expected 'key = value' or a [table] header");
	char key[64];
	if (klen >= sizeof key)
		return fail(p, "key too long");
	memcpy(key, start, klen);
	key[klen] = '\0';
	s = skip_space(s);
	if (*s == '.')
		return fail(p, "dotted keys are not supported: use a [table] header");
	if (*s != '=')
		return fail(p, "expected '=' after '%s'", key);
	if (!p->table)
		return fail(p, "'%s' outside a table (e.g. [memory], [cpu], [pids], [blockIO])", key);
	const struct key_spec *k = p->table->keys;
	while (k->name && strcmp(k->name, key) != 0)
		k++;
	if (!k->name)
		return fail(p, "unknown key '%s' in [%s]", key, p->table->path);
	if (json_object_object_get_ex(p->current, key, NULL))
		return fail(p, "'%s' set twice in [%s]", key, p->table->path);
	s = skip_space(s + 1);
	json_object *v = NULL;
	if (parse_value(p, k, &s, &v) < 0)
		return -1;
	json_object_object_add(p->current, key, v);
	return expect_line_end(p, s);
}

static int parse_line(struct parser *p, const char *line)
{
	const char *s = skip_space(line);
	if (*s == '\0' || *s == '#')
		return 0;
	if (*s == '[')
		return parse_header(p, s);
	return parse_key_value(p, s);
}

/* [[blockIO.weightDevice]] entries name their device. */
static int check_devices(struct parser *p, json_object *root)
{
	json_object *bio;
	if (!json_object_object_get_ex(root, "blockIO", &bio))
		return 0;
	json_object_object_foreach(bio, key, val)
	{
		if (!json_object_is_type(val, json_type_array))
			continue;
		for (size_t i = 0; i < json_object_array_length(val); i++) {
			json_object *d = json_object_array_get_idx(val, i);
			if (!json_object_object_get_ex(d, "major", NULL) ||
			    !json_object_object_get_ex(d, "minor", NULL)) {
				p->lineno = 0;
				return error_set(p->err, 0, "%s: every [[blockIO.%s]] needs major and minor", p->name,
						 key);
			}
		}
	}
	return 0;
}

json_object *cgroups_toml_parse(const char *name, const char *text, size_t len, struct error *err)
{
	struct parser p = { .name = name, .err = err, .root = json_object_new_object() };
	if (len > CGROUPS_TOML_MAX_BYTES || memchr(text, '\0', len)) {
		error_set(err, 0, "%s: not a cgroups TOML file (too large, or binary)", name);
		goto fail;
	}
	char *line = malloc(len + 1);
	if (!line) {
		error_set(err, ENOMEM, "%s", name);
		goto fail;
	}
	for (size_t pos = 0; pos < len;) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		size_t n = end - pos;
		memcpy(line, text + pos, n);
		if (n && line[n - 1] == '\r')
			n--;
		line[n] = '\0';
		p.lineno++;
		pos = end + 1;
		if (parse_line(&p, line) < 0) {
			free(line);
			goto fail;
		}
	}
	free(line);
	if (check_devices(&p, p.root) < 0)
		goto fail;
	return p.root;
fail:
	json_object_put(p.root);
	return NULL;
}
