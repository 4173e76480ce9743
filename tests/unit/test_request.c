/* The driver -> starter request: round trip, and every refusal. */
#include "../../common/log.h"
#include "../../common/request.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char good[] = "OCHRE-STARTER-REQUEST 1\n"
			   "log-level debug\n"
			   "session /run/user/1000/ochre/abc\n"
			   "lower /home/u/rootfs\n"
			   "tmpfs-size 67108864\n"
			   "uid-range 1 100000 65536\n"
			   "gid-range 1 100000 65536\n"
			   "newuidmap /usr/bin/newuidmap\n"
			   "newgidmap /usr/bin/newgidmap\n"
			   "lifeline-fd 4\n"
			   "payload /usr/bin/crun\n"
			   "arg crun\n"
			   "arg run\n"
			   "end\n";

static int parse(const char *text, struct starter_request *req, char *err, size_t errlen)
{
	static char buf[REQUEST_MAX_BYTES + 8];
	size_t len = strlen(text);
	memcpy(buf, text, len + 1);
	return request_parse(buf, len, req, err, errlen);
}

/* Replace the first occurrence of `from` in the good request by `to`. */
static int parse_variant(const char *from, const char *to, char *err, size_t errlen)
{
	char text[8192];
	const char *at = strstr(good, from);
	if (!at)
		return 99;
	snprintf(text, sizeof text, "%.*s%s%s", (int)(at - good), good, to, at + strlen(from));
	struct starter_request req;
	return parse(text, &req, err, errlen);
}

static void refused(const char *from, const char *to, const char *expect, const char *name)
{
	char err[512] = "";
	int ret = parse_variant(from, to, err, sizeof err);
	char label[256];
	snprintf(label, sizeof label, "refuses %s", name);
	CHECK(ret == -1 && strstr(err, expect) != NULL, label);
	if (ret != -1 || !strstr(err, expect))
		printf("#   got ret=%d err='%s', expected '%s'\n", ret, err, expect);
}

int main(void)
{
	struct starter_request req;
	char err[512];

	CHECK(parse(good, &req, err, sizeof err) == 0, "parses a complete request");
	CHECK_STR(req.session, "/run/user/1000/ochre/abc", "session");
	CHECK(req.n_lowers == 1 && strcmp(req.lowers[0], "/home/u/rootfs") == 0, "lower");
	CHECK(req.tmpfs_size == 67108864ULL, "tmpfs-size");
	CHECK(req.n_uid_ranges == 1 && req.uid_ranges[0].outside == 100000 && req.uid_ranges[0].count == 65536,
	      "uid-range");
	CHECK(req.lifeline_fd == 4, "lifeline-fd");
	CHECK(req.log_level == LOG_LEVEL_DEBUG, "log-level");
	CHECK(req.n_args == 2 && strcmp(req.args[1], "run") == 0 && req.args[2] == NULL, "args NULL-terminated");

	/* Round trip: format what we parsed, parse it again. */
	char out[REQUEST_MAX_BYTES];
	long len = request_format(&req, out, sizeof out, err, sizeof err);
	CHECK(len > 0 && (size_t)len == strlen(good) && memcmp(out, good, (size_t)len) == 0,
	      "format reproduces the request byte for byte");

	struct starter_request w;
	request_init(&w);
	w.session = "/s";
	w.lowers[w.n_lowers++] = "/l";
	w.tmpfs_size = 1;
	w.payload = "/p";
	w.args[w.n_args++] = "bad\nvalue";
	CHECK(request_format(&w, out, sizeof out, err, sizeof err) == -1 && strstr(err, "newline"),
	      "format refuses a value with a newline");
	w.args[0] = "ok";
	CHECK(request_format(&w, out, 16, err, sizeof err) == -1, "format refuses a too small buffer");

	refused("OCHRE-STARTER-REQUEST 1", "OCHRE-STARTER-REQUEST 2", "expected", "another version");
	refused("arg run\n", "arg run\nbogus 1\n", "unknown key 'bogus'", "an unknown key");
	refused("session /run", "session run", "clean absolute", "a relative session");
	refused("lower /home/u/rootfs", "lower /home/u/../rootfs", "clean absolute", "a '..' component");
	refused("lower /home/u/rootfs", "lower /home//rootfs", "clean absolute", "an empty component");
	refused("payload /usr/bin/crun\n", "payload /usr/bin/crun\npayload /bin/sh\n", "too many 'payload'",
		"a repeated single key");
	refused("end\n", "", "truncated", "a request without end");
	refused("end\n", "end\narg x\n", "after 'end'", "data after end");
	refused("end\n", "end", "truncated", "a missing final newline");
	refused("tmpfs-size 67108864", "tmpfs-size 0", "tmpfs-size", "a zero tmpfs size");
	refused("tmpfs-size 67108864", "tmpfs-size -1", "tmpfs-size", "a negative tmpfs size");
	refused("tmpfs-size 67108864", "tmpfs-size 012", "tmpfs-size", "a leading zero");
	refused("tmpfs-size 67108864", "tmpfs-size 99999999999999999999999", "tmpfs-size", "an overflowing size");
	refused("uid-range 1 100000 65536", "uid-range 0 100000 65536", "uid-range", "a range over id 0");
	refused("uid-range 1 100000 65536", "uid-range 1 100000", "uid-range", "a short range");
	refused("gid-range 1 100000 65536", "gid-range 0 100000 1", "id 0 is the caller's", "a gid range over id 0");
	refused("arg run\n", "arg run\ncaller-ids self\n", "needs a uid-range and a gid-range for 0",
		"caller-ids self without a root for the namespace");
	refused("uid-range 1 100000 65536", "caller-ids you\nuid-range 1 100000 65536", "bad caller-ids",
		"an unknown caller-ids");

	/* caller-ids self: ranges may then give id 0 (in either order). */
	static const char self[] = "OCHRE-STARTER-REQUEST 1\nlog-level debug\nsession /s\nlower /l\n"
				   "tmpfs-size 1\nuid-range 0 100000 1\ngid-range 0 200000 1\n"
				   "newuidmap /n\nnewgidmap /n\ncaller-ids self\npayload /p\narg p\nend\n";
	CHECK(parse(self, &req, err, sizeof err) == 0 && req.caller_ids_self &&
		      request_root_range(req.gid_ranges, req.n_gid_ranges)->outside == 200000,
	      "parses caller-ids self with ranges for id 0");
	len = request_format(&req, out, sizeof out, err, sizeof err);
	CHECK(len > 0 && strstr(out, "\ncaller-ids self\n") && strstr(out, "\nuid-range 0 100000 1\n"),
	      "caller-ids self round trip");
	/* payload-exec: readonly, or path (the default, not written). */
	static const char ro[] = "OCHRE-STARTER-REQUEST 1\nlog-level warning\nsession /s\nlower /l\ntmpfs-size 1\n"
				 "payload /usr/bin/crun\npayload-exec readonly\narg crun\nend\n";
	CHECK(parse(ro, &req, err, sizeof err) == 0 && req.payload_exec_readonly, "parses payload-exec readonly");
	CHECK(request_format(&req, out, sizeof out, err, sizeof err) == (long)strlen(ro) &&
		      memcmp(out, ro, strlen(ro)) == 0,
	      "payload-exec readonly round trip");
	CHECK(parse_variant("arg run\n", "payload-exec path\narg run\n", err, sizeof err) == 0,
	      "parses payload-exec path");
	CHECK(parse(good, &req, err, sizeof err) == 0 && !req.payload_exec_readonly,
	      "payload-exec path is the default");
	refused("arg run\n", "payload-exec ro\narg run\n", "bad payload-exec", "an unknown payload-exec");
	refused("arg run\n", "payload-exec readonly\npayload-exec readonly\narg run\n", "too many 'payload-exec'",
		"a repeated payload-exec");
	refused("newuidmap /usr/bin/newuidmap\n", "", "needs newuidmap", "ranges without newuidmap");
	refused("lifeline-fd 4", "lifeline-fd 7", "lifeline-fd", "another lifeline fd");
	refused("log-level debug", "log-level loud", "log-level", "an unknown log level");
	refused("session /run/user/1000/ochre/abc\n", "", "missing 'session'", "a missing session");
	refused("arg crun\narg run\n", "", "missing 'arg'", "a request without args");
	refused("end\n", "end \n", "takes no", "a value on end");
	refused("arg run\n", "arg\n", "needs a value", "a key without value");

	/* Mode enter: payload and args only, plus an optional sync fd. */
	static const char enter[] = "OCHRE-STARTER-REQUEST 1\nmode enter\nlog-level warning\nsync-fd 5\n"
				    "payload /usr/bin/conmon\narg conmon\nend\n";
	CHECK(parse(enter, &req, err, sizeof err) == 0 && req.mode == REQUEST_MODE_ENTER && req.sync_fd == 5,
	      "parses an enter request");
	CHECK(request_format(&req, out, sizeof out, err, sizeof err) == (long)strlen(enter) &&
		      memcmp(out, enter, strlen(enter)) == 0,
	      "enter request round trip");
	static const char enter_lower[] = "OCHRE-STARTER-REQUEST 1\nmode enter\nlower /x\n"
					  "payload /usr/bin/conmon\narg conmon\nend\n";
	CHECK(parse(enter_lower, &req, err, sizeof err) == -1 && strstr(err, "does not go with mode enter"),
	      "refuses a lower in mode enter");
	refused("lifeline-fd 4\n", "lifeline-fd 4\nsync-fd 5\n", "does not go with mode run", "a sync-fd in mode run");
	refused("log-level debug", "mode exec\nlog-level debug", "unknown mode", "an unknown mode");
	static const char low_fd[] = "OCHRE-STARTER-REQUEST 1\nmode enter\nsync-fd 2\n"
				     "payload /usr/bin/conmon\narg conmon\nend\n";
	CHECK(parse(low_fd, &req, err, sizeof err) == -1 && strstr(err, "sync-fd"), "refuses sync-fd over stdio");

	/* Limits: lines, lowers, args, NUL bytes. */
	char big[REQUEST_MAX_LINE + 64];
	memset(big, 'a', sizeof big);
	big[0] = '/';
	big[sizeof big - 1] = '\0';
	char line[REQUEST_MAX_LINE + 80];
	snprintf(line, sizeof line, "lower %s", big);
	refused("lower /home/u/rootfs", line, "too long", "an over-long line");

	char many[8192] = "";
	for (int i = 0; i <= REQUEST_MAX_LOWERS; i++)
		strcat(many, "lower /x\n");
	refused("lower /home/u/rootfs\n", many, "too many 'lower'", "too many lowers");

	char nul[sizeof good];
	memcpy(nul, good, sizeof good);
	nul[40] = '\0';
	CHECK(request_parse(nul, sizeof good - 1, &req, err, sizeof err) == -1 && strstr(err, "NUL"),
	      "refuses a NUL byte");
	CHECK(request_parse(nul, 0, &req, err, sizeof err) == -1, "refuses an empty request");
	return unit_done();
}
