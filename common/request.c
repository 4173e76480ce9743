#include "request.h"

#include "log.h"
#include "path.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void request_init(struct starter_request *req)
{
	memset(req, 0, sizeof *req);
	req->log_level = LOG_LEVEL_WARN;
	req->lifeline_fd = -1;
	req->sync_fd = -1;
}

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- writing ---------------------------------------------------------- */

struct writer {
	char *buf;
	size_t cap, len;
	int failed;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3))) static void emit(struct writer *w, const char *fmt, ...)
{
	if (w->failed)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(w->buf + w->len, w->cap - w->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= w->cap - w->len) {
		w->failed = fail(w->err, w->errlen, "starter request is larger than %zu bytes", w->cap);
		return;
	}
	w->len += (size_t)n;
}

static void emit_value(struct writer *w, const char *key, const char *value)
{
	if (w->failed)
		return;
	if (strchr(value, '\n') || strlen(key) + 1 + strlen(value) >= REQUEST_MAX_LINE) {
		w->failed = fail(w->err, w->errlen,
				 "cannot pass %s to the starter: it contains a newline or is too long", key);
		return;
	}
	emit(w, "%s %s\n", key, value);
}

long request_format(const struct starter_request *req, char *buf, size_t cap, char *err, size_t errlen)
{
	struct writer w = { .buf = buf, .cap = cap, .err = err, .errlen = errlen };
	emit(&w, "%s %d\n", REQUEST_MAGIC, REQUEST_VERSION);
	if (req->mode == REQUEST_MODE_ENTER)
		emit(&w, "mode enter\n");
	emit(&w, "log-level %s\n", log_level_name(req->log_level));
	if (req->session)
		emit_value(&w, "session", req->session);
	for (size_t i = 0; i < req->n_lowers; i++) {
		const struct request_squashfs *q = &req->lower_squashfs[i];
		char key[64] = "lower";
		if (q->size)
			snprintf(key, sizeof key, "lower-squashfs %llu %llu", q->offset, q->size);
		emit_value(&w, key, req->lowers[i]);
	}
	if (req->squashfuse)
		emit_value(&w, "squashfuse", req->squashfuse);
	if (req->tmpfs_size)
		emit(&w, "tmpfs-size %llu\n", req->tmpfs_size);
	if (req->upper)
		emit_value(&w, "upper", req->upper);
	if (req->mountpoints)
		emit_value(&w, "mountpoints", req->mountpoints);
	if (req->overlay != REQUEST_OVERLAY_AUTO)
		emit(&w, "overlay %s\n", req->overlay == REQUEST_OVERLAY_FUSE ? "fuse" : "kernel");
	if (req->fuse_overlayfs)
		emit_value(&w, "fuse-overlayfs", req->fuse_overlayfs);
	if (req->force_userns)
		emit(&w, "userns yes\n");
	if (req->caller_ids_self)
		emit(&w, "caller-ids self\n");
	for (size_t i = 0; i < req->n_uid_ranges; i++)
		emit(&w, "uid-range %lu %lu %lu\n", req->uid_ranges[i].inside, req->uid_ranges[i].outside,
		     req->uid_ranges[i].count);
	for (size_t i = 0; i < req->n_gid_ranges; i++)
		emit(&w, "gid-range %lu %lu %lu\n", req->gid_ranges[i].inside, req->gid_ranges[i].outside,
		     req->gid_ranges[i].count);
	if (req->newuidmap)
		emit_value(&w, "newuidmap", req->newuidmap);
	if (req->newgidmap)
		emit_value(&w, "newgidmap", req->newgidmap);
	if (req->lifeline_fd >= 0)
		emit(&w, "lifeline-fd %d\n", req->lifeline_fd);
	if (req->sync_fd >= 0)
		emit(&w, "sync-fd %d\n", req->sync_fd);
	emit_value(&w, "payload", req->payload);
	if (req->payload_exec_readonly)
		emit(&w, "payload-exec readonly\n");
	for (size_t i = 0; i < req->n_args; i++)
		emit_value(&w, "arg", req->args[i]);
	emit(&w, "end\n");
	return w.failed ? -1 : (long)w.len;
}

/* ---- reading ---------------------------------------------------------- */

/* A decimal number with no sign, no spaces and no leading zeros. */
static int parse_ulong(const char *s, unsigned long long max, unsigned long long *out)
{
	if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] != '\0'))
		return -1;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_range(char *value, struct id_range *r)
{
	char *f[3];
	for (int i = 0; i < 3; i++) {
		f[i] = value;
		char *sp = strchr(value, ' ');
		if ((i < 2) != (sp != NULL))
			return -1;
		if (sp) {
			*sp = '\0';
			value = sp + 1;
		}
	}
	unsigned long long v[3];
	for (int i = 0; i < 3; i++)
		if (parse_ulong(f[i], 0xfffffffeULL, &v[i]) < 0)
			return -1;
	/* Inside id 0 is checked with the whole request (caller-ids). */
	if (v[2] == 0 || v[0] + v[2] > 0xffffffffULL || v[1] + v[2] > 0xffffffffULL)
		return -1;
	r->inside = (unsigned long)v[0];
	r->outside = (unsigned long)v[1];
	r->count = (unsigned long)v[2];
	return 0;
}

enum key {
	KEY_MODE,
	KEY_SYNC_FD,
	KEY_LOG_LEVEL,
	KEY_SESSION,
	KEY_LOWER,
	KEY_LOWER_SQUASHFS,
	KEY_SQUASHFUSE,
	KEY_TMPFS_SIZE,
	KEY_UID_RANGE,
	KEY_GID_RANGE,
	KEY_NEWUIDMAP,
	KEY_NEWGIDMAP,
	KEY_LIFELINE_FD,
	KEY_PAYLOAD,
	KEY_ARG,
	KEY_UPPER,
	KEY_MOUNTPOINTS,
	KEY_OVERLAY,
	KEY_FUSE_OVERLAYFS,
	KEY_USERNS,
	KEY_CALLER_IDS,
	KEY_PAYLOAD_EXEC,
	KEY_END,
	KEY_COUNT,
};

static const struct {
	const char *name;
	unsigned max; /* how many times the key may appear */
} keys[KEY_COUNT] = {
	[KEY_MODE] = { "mode", 1 },
	[KEY_SYNC_FD] = { "sync-fd", 1 },
	[KEY_LOG_LEVEL] = { "log-level", 1 },
	[KEY_SESSION] = { "session", 1 },
	[KEY_LOWER] = { "lower", REQUEST_MAX_LOWERS },
	[KEY_LOWER_SQUASHFS] = { "lower-squashfs", REQUEST_MAX_LOWERS },
	[KEY_SQUASHFUSE] = { "squashfuse", 1 },
	[KEY_TMPFS_SIZE] = { "tmpfs-size", 1 },
	[KEY_UID_RANGE] = { "uid-range", REQUEST_MAX_ID_RANGES },
	[KEY_GID_RANGE] = { "gid-range", REQUEST_MAX_ID_RANGES },
	[KEY_NEWUIDMAP] = { "newuidmap", 1 },
	[KEY_NEWGIDMAP] = { "newgidmap", 1 },
	[KEY_LIFELINE_FD] = { "lifeline-fd", 1 },
	[KEY_PAYLOAD] = { "payload", 1 },
	[KEY_ARG] = { "arg", REQUEST_MAX_ARGS },
	[KEY_UPPER] = { "upper", 1 },
	[KEY_MOUNTPOINTS] = { "mountpoints", 1 },
	[KEY_OVERLAY] = { "overlay", 1 },
	[KEY_FUSE_OVERLAYFS] = { "fuse-overlayfs", 1 },
	[KEY_USERNS] = { "userns", 1 },
	[KEY_CALLER_IDS] = { "caller-ids", 1 },
	[KEY_PAYLOAD_EXEC] = { "payload-exec", 1 },
	[KEY_END] = { "end", 1 },
};

const struct id_range *request_root_range(const struct id_range *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (r[i].inside == 0)
			return &r[i];
	return NULL;
}

static int key_lookup(const char *name)
{
	for (int k = 0; k < KEY_COUNT; k++)
		if (strcmp(name, keys[k].name) == 0)
			return k;
	return -1;
}

static int check_path(const char *key, const char *value, char *err, size_t errlen)
{
	if (!path_is_clean_absolute(value))
		return fail(err, errlen, "starter request: %s '%s' is not a clean absolute path", key, value);
	return 0;
}

/* "OFFSET SIZE PATH": a squashfs image of SIZE (> 0) bytes at OFFSET in
 * the file PATH, as the next lower. */
static int parse_lower_squashfs(char *value, struct starter_request *req, char *err, size_t errlen)
{
	char *size = strchr(value, ' ');
	char *path = size ? strchr(size + 1, ' ') : NULL;
	if (!path)
		return fail(err, errlen, "starter request: lower-squashfs needs OFFSET SIZE PATH");
	*size++ = '\0';
	*path++ = '\0';
	struct request_squashfs q;
	/* Both well inside off_t, so that OFFSET + SIZE cannot overflow. */
	if (parse_ulong(value, 1ULL << 60, &q.offset) < 0 || parse_ulong(size, 1ULL << 60, &q.size) < 0 || q.size == 0)
		return fail(err, errlen, "starter request: bad lower-squashfs offset or size");
	if (req->n_lowers == REQUEST_MAX_LOWERS)
		return fail(err, errlen, "starter request: more than %d lowers", REQUEST_MAX_LOWERS);
	req->lower_squashfs[req->n_lowers] = q;
	req->lowers[req->n_lowers++] = path;
	return check_path("lower-squashfs", path, err, errlen);
}

static int parse_line(int key, char *value, struct starter_request *req, char *err, size_t errlen)
{
	unsigned long long n;

	switch ((enum key)key) {
	case KEY_MODE:
		if (strcmp(value, "run") == 0)
			req->mode = REQUEST_MODE_RUN;
		else if (strcmp(value, "enter") == 0)
			req->mode = REQUEST_MODE_ENTER;
		else
			return fail(err, errlen, "starter request: unknown mode '%s'", value);
		return 0;
	case KEY_SYNC_FD:
		if (parse_ulong(value, REQUEST_SYNC_FD_MAX, &n) < 0 || n < REQUEST_SYNC_FD_MIN)
			return fail(err, errlen, "starter request: sync-fd must be %d..%d", REQUEST_SYNC_FD_MIN,
				    REQUEST_SYNC_FD_MAX);
		req->sync_fd = (int)n;
		return 0;
	case KEY_LOG_LEVEL: {
		int level = log_level_from_name(value);
		if (level < 0)
			return fail(err, errlen, "starter request: bad log-level '%s'", value);
		req->log_level = level;
		return 0;
	}
	case KEY_SESSION:
		req->session = value;
		return check_path("session", value, err, errlen);
	case KEY_LOWER:
		if (req->n_lowers == REQUEST_MAX_LOWERS)
			return fail(err, errlen, "starter request: more than %d lowers", REQUEST_MAX_LOWERS);
		req->lowers[req->n_lowers++] = value;
		return check_path("lower", value, err, errlen);
	case KEY_LOWER_SQUASHFS:
		return parse_lower_squashfs(value, req, err, errlen);
	case KEY_SQUASHFUSE:
		req->squashfuse = value;
		return check_path("squashfuse", value, err, errlen);
	case KEY_UPPER:
		req->upper = value;
		return check_path("upper", value, err, errlen);
	case KEY_MOUNTPOINTS:
		req->mountpoints = value;
		return check_path("mountpoints", value, err, errlen);
	case KEY_OVERLAY:
		if (strcmp(value, "kernel") == 0)
			req->overlay = REQUEST_OVERLAY_KERNEL;
		else if (strcmp(value, "fuse") == 0)
			req->overlay = REQUEST_OVERLAY_FUSE;
		else if (strcmp(value, "auto") != 0)
			return fail(err, errlen, "starter request: bad overlay '%s'", value);
		return 0;
	case KEY_FUSE_OVERLAYFS:
		req->fuse_overlayfs = value;
		return check_path("fuse-overlayfs", value, err, errlen);
	case KEY_USERNS:
		if (strcmp(value, "yes") != 0)
			return fail(err, errlen, "starter request: bad userns '%s'", value);
		req->force_userns = true;
		return 0;
	case KEY_CALLER_IDS:
		if (strcmp(value, "self") == 0)
			req->caller_ids_self = true;
		else if (strcmp(value, "root") != 0)
			return fail(err, errlen, "starter request: bad caller-ids '%s'", value);
		return 0;
	case KEY_PAYLOAD_EXEC:
		if (strcmp(value, "readonly") == 0)
			req->payload_exec_readonly = true;
		else if (strcmp(value, "path") != 0)
			return fail(err, errlen, "starter request: bad payload-exec '%s'", value);
		return 0;
	case KEY_TMPFS_SIZE:
		if (parse_ulong(value, REQUEST_MAX_TMPFS_SIZE, &n) < 0 || n == 0)
			return fail(err, errlen, "starter request: bad tmpfs-size '%s'", value);
		req->tmpfs_size = n;
		return 0;
	case KEY_UID_RANGE:
		if (parse_range(value, &req->uid_ranges[req->n_uid_ranges++]) < 0)
			return fail(err, errlen, "starter request: bad uid-range");
		return 0;
	case KEY_GID_RANGE:
		if (parse_range(value, &req->gid_ranges[req->n_gid_ranges++]) < 0)
			return fail(err, errlen, "starter request: bad gid-range");
		return 0;
	case KEY_NEWUIDMAP:
		req->newuidmap = value;
		return check_path("newuidmap", value, err, errlen);
	case KEY_NEWGIDMAP:
		req->newgidmap = value;
		return check_path("newgidmap", value, err, errlen);
	case KEY_LIFELINE_FD:
		if (strcmp(value, "4") != 0)
			return fail(err, errlen, "starter request: lifeline-fd must be %d", REQUEST_LIFELINE_FD);
		req->lifeline_fd = REQUEST_LIFELINE_FD;
		return 0;
	case KEY_PAYLOAD:
		req->payload = value;
		return check_path("payload", value, err, errlen);
	case KEY_ARG:
		req->args[req->n_args++] = value;
		return 0;
	case KEY_END:
	case KEY_COUNT:
	default:
		break;
	}
	return fail(err, errlen, "starter request: unexpected key %d", key);
}

int request_parse(char *buf, size_t len, struct starter_request *req, char *err, size_t errlen)
{
	unsigned seen[KEY_COUNT] = { 0 };

	request_init(req);
	if (len == 0 || len > REQUEST_MAX_BYTES)
		return fail(err, errlen, "starter request: size %zu is out of range", len);
	if (memchr(buf, '\0', len))
		return fail(err, errlen, "starter request: contains a NUL byte");
	if (buf[len - 1] != '\n')
		return fail(err, errlen, "starter request: truncated (no final newline)");

	char magic[64];
	snprintf(magic, sizeof magic, "%s %d", REQUEST_MAGIC, REQUEST_VERSION);
	char *line = buf, *buf_end = buf + len;
	int lineno = 0;
	while (line < buf_end) {
		char *nl = memchr(line, '\n', (size_t)(buf_end - line));
		*nl = '\0';
		lineno++;
		if ((size_t)(nl - line) >= REQUEST_MAX_LINE)
			return fail(err, errlen, "starter request line %d: too long", lineno);
		if (lineno == 1) {
			if (strcmp(line, magic) != 0)
				return fail(err, errlen, "starter request: expected '%s' first", magic);
		} else if (seen[KEY_END]) {
			return fail(err, errlen, "starter request line %d: data after 'end'", lineno);
		} else {
			char *sp = strchr(line, ' ');
			char *value = sp ? sp + 1 : NULL;
			if (sp)
				*sp = '\0';
			int key = key_lookup(line);
			if (key < 0)
				return fail(err, errlen, "starter request line %d: unknown key '%s'", lineno, line);
			if (++seen[key] > keys[key].max)
				return fail(err, errlen, "starter request line %d: too many '%s'", lineno, line);
			if ((key == KEY_END) != (value == NULL))
				return fail(err, errlen, "starter request line %d: '%s' %s a value", lineno, line,
					    key == KEY_END ? "takes no" : "needs");
			if (key != KEY_END && parse_line(key, value, req, err, errlen) < 0)
				return -1;
		}
		line = nl + 1;
	}
	req->args[req->n_args] = NULL;

	if (!seen[KEY_END])
		return fail(err, errlen, "starter request: truncated (no 'end')");
	/* Each mode has its keys: what the other mode takes is refused. */
	static const int run_required[] = { KEY_SESSION, KEY_TMPFS_SIZE, KEY_PAYLOAD, KEY_ARG };
	static const int run_refused[] = { KEY_SYNC_FD };
	static const int enter_required[] = { KEY_PAYLOAD, KEY_ARG };
	static const int enter_refused[] = { KEY_SESSION,     KEY_LOWER,          KEY_TMPFS_SIZE,     KEY_UPPER,
					     KEY_MOUNTPOINTS, KEY_OVERLAY,        KEY_FUSE_OVERLAYFS, KEY_UID_RANGE,
					     KEY_GID_RANGE,   KEY_NEWUIDMAP,      KEY_NEWGIDMAP,      KEY_LIFELINE_FD,
					     KEY_CALLER_IDS,  KEY_LOWER_SQUASHFS, KEY_SQUASHFUSE };
	bool enter = req->mode == REQUEST_MODE_ENTER;
	const int *required = enter ? enter_required : run_required;
	size_t n_required =
		enter ? sizeof enter_required / sizeof enter_required[0] : sizeof run_required / sizeof run_required[0];
	const int *refused = enter ? enter_refused : run_refused;
	size_t n_refused =
		enter ? sizeof enter_refused / sizeof enter_refused[0] : sizeof run_refused / sizeof run_refused[0];
	for (size_t i = 0; i < n_required; i++)
		if (!seen[required[i]])
			return fail(err, errlen, "starter request: missing '%s'", keys[required[i]].name);
	for (size_t i = 0; i < n_refused; i++)
		if (seen[refused[i]])
			return fail(err, errlen, "starter request: '%s' does not go with mode %s",
				    keys[refused[i]].name, enter ? "enter" : "run");
	if (!enter && req->n_lowers == 0)
		return fail(err, errlen, "starter request: missing 'lower'");
	if (seen[KEY_LOWER_SQUASHFS] && !req->squashfuse)
		return fail(err, errlen, "starter request: lower-squashfs needs squashfuse");
	if (req->mountpoints && (strncmp(req->mountpoints, req->session, strlen(req->session)) != 0 ||
				 strcmp(req->mountpoints + strlen(req->session), "/mountpoints") != 0))
		return fail(err, errlen, "starter request: mountpoints must be SESSION/mountpoints");
	if (req->overlay == REQUEST_OVERLAY_FUSE && !req->fuse_overlayfs)
		return fail(err, errlen, "starter request: overlay fuse needs fuse-overlayfs");
	if (req->n_uid_ranges && !req->newuidmap)
		return fail(err, errlen, "starter request: uid-range needs newuidmap");
	if (req->n_gid_ranges && !req->newgidmap)
		return fail(err, errlen, "starter request: gid-range needs newgidmap");
	/* Inside id 0 is the caller's own mapping, which the starter writes,
	 * unless the caller keeps their ids (caller-ids self). */
	bool uid_root = request_root_range(req->uid_ranges, req->n_uid_ranges) != NULL;
	bool gid_root = request_root_range(req->gid_ranges, req->n_gid_ranges) != NULL;
	if (!req->caller_ids_self && (uid_root || gid_root))
		return fail(err, errlen, "starter request: bad %s-range: id 0 is the caller's",
			    uid_root ? "uid" : "gid");
	if (req->caller_ids_self && !(uid_root && gid_root))
		return fail(err, errlen, "starter request: caller-ids self needs a uid-range and a gid-range for 0");
	return 0;
}
