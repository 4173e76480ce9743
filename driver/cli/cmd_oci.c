/* `ochre oci ...`: OCI runtime operations on a bundle the caller prepared,
 * for root and for any other user, after SingularityCE's `singularity oci`.
 * create runs the container detached under conmon (which keeps its console
 * and log); run keeps it in the foreground; the other operations call the
 * runtime chosen at create on the state kept in oci_state.h's layout. */
#define _GNU_SOURCE
#include "cmd_oci.h"

#include "../../common/log.h"
#include "../container/resources.h"
#include "../launch/launch.h"
#include "../launch/runtime.h"
#include "../oci/oci_attach.h"
#include "../oci/oci_state.h"
#include "../util/fsutil.h"
#include "../util/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CONMON_TIMEOUT_MS 60000

extern char **environ;

static const char oci_usage[] = "Usage: ochre oci SUBCOMMAND [OPTIONS] ...\n"
				"\n"
				"OCI runtime operations on a bundle you prepared (a directory with config.json\n"
				"and its rootfs), for any user. The runtime is crun or runc, as for exec.\n"
				"\n"
				"  create [--runtime NAME] [-b BUNDLE] [--pid-file FILE] [LIMITS] ID\n"
				"                        create a container, detached under conmon\n"
				"  start ID              start its process\n"
				"  state ID              print its OCI state (JSON)\n"
				"  kill ID [SIGNAL]      send a signal (name or number; default TERM)\n"
				"  delete [--force] ID   remove it (--force: even if running)\n"
				"  exec ID CMD...        run CMD in it; exits with CMD's status\n"
				"  attach ID             connect to its console; Ctrl-P Ctrl-Q detaches\n"
				"  pause ID, resume ID   freeze and thaw it (needs a freezer cgroup)\n"
				"  update --from-file FILE ID   apply linux resources (JSON) to it\n"
				"  update LIMITS ID      apply --memory, --cpus, ... (as for exec) to it\n"
				"  run [--runtime NAME] [-b BUNDLE] [LIMITS] ID\n"
				"                        create, start and wait in the foreground\n"
				"\n"
				"LIMITS: --apply-cgroups FILE, --cpus, --memory, --pids-limit... as for\n"
				"'ochre exec' (see its --help), over the bundle's linux.resources.\n"
				"\n"
				"Each subcommand has --help.\n";

struct subcommand {
	const char *name;
	const char *usage; /* one line after "Usage: ochre oci " */
	const char *help;
	int (*fn)(int argc, char **argv, const struct ochre_context *ctx, struct error *err);
};

/* ---- running the runtime ------------------------------------------------ */

/* The last useful line of a runtime's stderr: runc says
 * 'time=... level=error msg="..."', crun says "crun: ...". */
static void runtime_message(char *text, char *out, size_t len)
{
	char *last = NULL;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
		if (*line && !strstr(line, "newuidmap") && !strstr(line, "newgidmap"))
			last = line;
	if (!last) {
		snprintf(out, len, "the runtime failed");
		return;
	}
	char *msg = strstr(last, "msg=\"");
	if (msg) {
		msg += 5;
		char *end = strrchr(msg, '"');
		if (end)
			*end = '\0';
		last = msg;
	}
	snprintf(out, len, "%s", last);
}

static void read_all(int fd, char **buf, size_t *len)
{
	size_t cap = 4096;
	*buf = xmalloc(cap);
	*len = 0;
	for (;;) {
		if (*len + 1 >= cap) {
			cap = xsize_mul(cap, 2);
			*buf = xrealloc(*buf, cap);
		}
		ssize_t n = read(fd, *buf + *len, cap - *len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		*len += (size_t)n;
	}
	(*buf)[*len] = '\0';
}

/* Run RUNTIME --root ROOT/ID/rt ARGS...; stdout into *out when out is not
 * NULL. A failure becomes one error line: "WHAT 'ID': runtime's message". */
static int run_runtime(const struct oci_container *c, const char *what, const char *const *args, char **out,
		       struct error *err)
{
	char *rt_root = oci_path(c, "rt");
	const char *argv[64];
	size_t n = 0;
	argv[n++] = c->runtime;
	argv[n++] = "--root";
	argv[n++] = rt_root;
	for (size_t i = 0; args[i] && n < 63; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	log_debug_argv("run", (char *const *)argv);

	int outp[2] = { -1, -1 }, errp[2];
	if ((out && pipe2(outp, O_CLOEXEC) < 0) || pipe2(errp, O_CLOEXEC) < 0) {
		free(rt_root);
		return error_set(err, errno, "pipe");
	}
	pid_t pid = fork();
	if (pid == 0) {
		if ((out && dup2(outp[1], 1) < 0) || dup2(errp[1], 2) < 0)
			_exit(127);
		execve(c->runtime, (char *const *)argv, environ);
		dprintf(2, "cannot run %s: %s\n", c->runtime, strerror(errno));
		_exit(127);
	}
	free(rt_root);
	close(errp[1]);
	if (out)
		close(outp[1]);
	char *errtext = NULL, *outtext = NULL;
	size_t len;
	/* stderr is small; read stdout first only when asked for (state). */
	if (out)
		read_all(outp[0], &outtext, &len);
	read_all(errp[0], &errtext, &len);
	close(errp[0]);
	if (out)
		close(outp[0]);
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char msg[1024];
		runtime_message(errtext, msg, sizeof msg);
		free(errtext);
		free(outtext);
		return error_set(err, 0, "%s '%s': %s", what, c->id, msg);
	}
	if (log_enabled(LOG_LEVEL_DEBUG) && *errtext)
		log_debug("runtime said: %s", errtext);
	free(errtext);
	if (out)
		*out = outtext;
	return 0;
}

/* ---- options ------------------------------------------------------------ */

struct create_options {
	const char *runtime;
	const char *bundle;
	const char *pid_file;
	const char *id;
	struct resource_options limits;
};

/* A resource limit flag at argv[*i] ("--memory 1G" or "--memory=1G"):
 * 1 when taken (and *i moved past its value), 0 when not one, -1. */
static int take_limit_flag(int argc, char **argv, int *i, struct resource_options *limits, struct error *err)
{
	static const struct option opts[] = { RESOURCE_LONGOPTS, { NULL, 0, NULL, 0 } };
	const char *a = argv[*i];
	if (strncmp(a, "--", 2) != 0)
		return 0;
	size_t len = strcspn(a + 2, "=");
	for (const struct option *o = opts; o->name; o++) {
		if (strlen(o->name) != len || strncmp(a + 2, o->name, len) != 0)
			continue;
		const char *value = NULL;
		if (o->has_arg == required_argument) {
			if (a[2 + len] == '=')
				value = a + 3 + len;
			else if (++*i < argc)
				value = argv[*i];
			else
				return error_set(err, 0, "oci %s: option '%s' needs a value", argv[0], a);
		} else if (a[2 + len] == '=') {
			return error_set(err, 0, "oci %s: option '--%s' takes no value", argv[0], o->name);
		}
		return resource_option(o->val, value, argv[0], limits, err) < 0 ? -1 : 1;
	}
	return 0;
}

/* The limits asked for, checked as for exec (the admin's policy, and
 * whether this caller can have limits on this host at all); NULL with
 * *res_out NULL when none were. */
static int oci_limits(const char *what, const struct resource_options *o, const struct ochre_context *ctx,
		      json_object **res_out, struct error *err)
{
	*res_out = NULL;
	if (!o->given)
		return 0;
	json_object *res = resources_build(o, err);
	if (!res || resources_check_policy(res, &ctx->cfg, getuid(), err) < 0) {
		json_object_put(res);
		return error_wrap(err, "oci %s", what);
	}
	if (getuid() != 0) {
		struct cgroup_plan plan;
		if (cgroup_plan_make(json_object_get(res), getuid(), &plan, err) < 0) {
			json_object_put(res);
			return error_wrap(err, "oci %s", what);
		}
		cgroup_plan_free(&plan);
		/* A user's bundle gets no cgroup of its own from ochre oci (exec
		 * and run make one): refused, never run without the limits. */
		json_object_put(res);
		return error_set(err, 0,
				 "oci %s: resource limits for a non-root user are applied by 'ochre exec' and "
				 "'ochre run' only; ochre oci takes them as root",
				 what);
	}
	*res_out = res;
	return 0;
}

static int parse_create_options(int argc, char **argv, bool allow_pid_file, struct create_options *o, struct error *err)
{
	o->bundle = ".";
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **slot = NULL;
		int taken;
		if (strcmp(a, "-b") == 0 || strcmp(a, "--bundle") == 0)
			slot = &o->bundle;
		else if (strcmp(a, "--runtime") == 0)
			slot = &o->runtime;
		else if (allow_pid_file && strcmp(a, "--pid-file") == 0)
			slot = &o->pid_file;
		else if ((taken = take_limit_flag(argc, argv, &i, &o->limits, err)) != 0) {
			if (taken < 0)
				return -1;
			continue;
		} else if (a[0] == '-')
			return error_set(err, 0, "oci %s: unknown option '%s'", argv[0], a);
		else if (o->id)
			return error_set(err, 0, "oci %s: unexpected argument '%s'", argv[0], a);
		else
			o->id = a;
		if (slot) {
			if (++i >= argc)
				return error_set(err, 0, "oci %s: option '%s' needs a value", argv[0], a);
			*slot = argv[i];
		}
	}
	if (!o->id)
		return error_set(err, 0, "oci %s: missing container ID", argv[0]);
	return 0;
}

/* "ID" alone, for most subcommands. */
static int parse_id_only(int argc, char **argv, const char **id, struct error *err)
{
	if (argc != 2 || argv[1][0] == '-')
		return error_set(err, 0, "oci %s: expected exactly one container ID", argv[0]);
	*id = argv[1];
	return 0;
}

/* ---- create, run -------------------------------------------------------- */

/* The bundle conmon and the runtime get: the user's config.json with
 * root.path made absolute, and the limits asked for (res, if any) over its
 * linux.resources, in ROOT/ID/bundle.d. */
static int write_private_bundle(const struct oci_container *c, json_object *res, struct error *err)
{
	char *user_config = xasprintf("%s/config.json", c->bundle);
	json_object *spec = json_object_from_file(user_config);
	int ret = 0;
	json_object *root, *path;
	if (!spec || !json_object_object_get_ex(spec, "root", &root) ||
	    !json_object_object_get_ex(root, "path", &path) || !json_object_is_type(path, json_type_string)) {
		ret = error_set(err, 0, "%s: not an OCI runtime config with root.path", user_config);
		goto out;
	}
	const char *p = json_object_get_string(path);
	if (p[0] != '/') {
		char *abs = xasprintf("%s/%s", c->bundle, p);
		json_object_object_add(root, "path", json_object_new_string(abs));
		free(abs);
	}
	if (res)
		resources_merge_into_spec(res, spec);
	char *dir = oci_path(c, "bundle.d"), *config = oci_path(c, "bundle.d/config.json");
	if (mkdir(dir, 0700) < 0 || json_object_to_file_ext(config, spec, JSON_C_TO_STRING_PLAIN) < 0)
		ret = error_set(err, errno, "write %s", config);
	free(dir);
	free(config);
out:
	json_object_put(spec);
	free(user_config);
	return ret;
}

static int prepare_container(const struct ochre_context *ctx, const struct create_options *o, struct oci_container *c,
			     struct error *err)
{
	json_object *res;
	if (oci_container_init(c, o->id, err) < 0 || oci_limits("create", &o->limits, ctx, &res, err) < 0)
		return -1;
	char *bundle = realpath(o->bundle, NULL);
	if (!bundle)
		return error_set(err, errno, "bundle '%s'", o->bundle);
	char *config = xasprintf("%s/config.json", bundle);
	int missing = access(config, R_OK);
	free(config);
	if (missing) {
		error_set(err, 0, "bundle '%s' has no readable config.json", o->bundle);
		free(bundle);
		json_object_put(res);
		return -1;
	}
	struct runtime rt;
	int ret = runtime_resolve(&ctx->cfg, o->runtime, &rt, err);
	if (ret == 0)
		ret = oci_container_claim(c, bundle, rt.path, err);
	free(bundle);
	if (ret == 0 && write_private_bundle(c, res, err) < 0) {
		oci_container_remove(c);
		ret = -1;
	}
	json_object_put(res);
	return ret;
}

/* conmon answers on the sync pipe with {"data": PID} (or "pid"), or a
 * negative number and a "message". */
static int wait_for_conmon(int fd, pid_t *pid, struct error *err)
{
	char buf[4096];
	size_t len = 0;
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (len < sizeof buf - 1 && !memchr(buf, '}', len)) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		long elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
		if (elapsed >= CONMON_TIMEOUT_MS)
			return error_set(err, 0, "conmon did not report the container's pid within %d s",
					 CONMON_TIMEOUT_MS / 1000);
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, (int)(CONMON_TIMEOUT_MS - elapsed)) <= 0)
			continue;
		ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	json_object *o = json_tokener_parse(buf), *v, *msg;
	int ret = 0;
	if (!o || !(json_object_object_get_ex(o, "data", &v) || json_object_object_get_ex(o, "pid", &v)))
		ret = error_set(err, 0, "conmon failed before reporting the container's pid");
	else if (json_object_get_int(v) <= 0)
		ret = error_set(err, 0, "%s",
				json_object_object_get_ex(o, "message", &msg)
					? json_object_get_string(msg)
					: "the runtime could not create the container");
	else
		*pid = json_object_get_int(v);
	json_object_put(o);
	return ret;
}

static void fill_request(struct starter_request *req, const char *payload, const char *const *args)
{
	request_init(req);
	req->log_level = log_level_current;
	req->payload = payload;
	for (size_t i = 0; args[i]; i++)
		req->args[req->n_args++] = args[i];
	req->args[req->n_args] = NULL;
}

static int oci_create(int argc, char **argv, const struct ochre_context *ctx, struct error *err)
{
	struct create_options o = { 0 };
	struct oci_container c;
	if (parse_create_options(argc, argv, true, &o, err) < 0)
		return -1;
	char *conmon = find_system_tool(ctx->cfg.conmon_path, "conmon");
	if (!conmon)
		return error_set(err, 0, "conmon not found (Debian package conmon, or 'conmon path' in the config)");
	if (prepare_container(ctx, &o, &c, err) < 0) {
		oci_container_free(&c);
		return -1;
	}
	char *bundle_d = oci_path(&c, "bundle.d"), *pidf = oci_path(&c, "pid"),
	     *conmon_pid = oci_path(&c, "conmon.pid"), *log = oci_path(&c, "log"), *exits = oci_path(&c, "exits"),
	     *sockets = oci_path(&c, "sockets"), *rt = oci_path(&c, "rt");
	char *log_arg = xasprintf("k8s-file:%s", log), *root_arg = xasprintf("--root=%s", rt);
	const char *args[] = { "conmon",   "--api-version",
			       "1",        "-c",
			       c.id,       "-u",
			       c.id,       "-n",
			       c.id,       "-r",
			       c.runtime,  "--runtime-arg",
			       root_arg,   "-b",
			       bundle_d,   "-p",
			       pidf,       "-P",
			       conmon_pid, "-l",
			       log_arg,    "--exit-dir",
			       exits,      "--socket-dir-path",
			       sockets,    "--full-attach",
			       "-i",       NULL };
	int ret = -1;
	int sync[2];
	if (mkdir(exits, 0700) < 0 || mkdir(sockets, 0700) < 0 || pipe2(sync, O_CLOEXEC) < 0) {
		error_set(err, errno, "prepare %s", c.dir);
		goto out;
	}
	struct starter_request req;
	fill_request(&req, conmon, args);
	pid_t starter = spawn_starter_enter(ctx->starter_path, &req, sync[1], err);
	if (starter < 0) {
		close(sync[0]);
		goto out;
	}
	pid_t container_pid = 0;
	ret = wait_for_conmon(sync[0], &container_pid, err);
	close(sync[0]);
	int status;
	while (waitpid(starter, &status, 0) < 0 && errno == EINTR)
		;
	if (ret == 0 && o.pid_file) {
		FILE *f = fopen(o.pid_file, "we");
		if (!f || fprintf(f, "%d\n", (int)container_pid) < 0 || fclose(f) != 0)
			ret = error_set(err, errno, "write %s", o.pid_file);
	}
	if (ret == 0)
		log_debug("container '%s' created, pid %d", c.id, (int)container_pid);
out:
	if (ret < 0) {
		struct error ignored;
		const char *del[] = { "delete", "--force", c.id, NULL };
		run_runtime(&c, "delete", del, NULL, &ignored);
		oci_container_remove(&c);
	}
	free(bundle_d);
	free(pidf);
	free(conmon_pid);
	free(log);
	free(exits);
	free(sockets);
	free(rt);
	free(log_arg);
	free(root_arg);
	free(conmon);
	oci_container_free(&c);
	return ret;
}

static volatile pid_t run_child = -1;

static void forward_to_run_child(int sig)
{
	if (run_child > 0)
		kill(run_child, sig);
}

static int oci_run(int argc, char **argv, const struct ochre_context *ctx, struct error *err)
{
	struct create_options o = { 0 };
	struct oci_container c;
	if (parse_create_options(argc, argv, false, &o, err) < 0)
		return -1;
	if (prepare_container(ctx, &o, &c, err) < 0) {
		oci_container_free(&c);
		return -1;
	}
	/* Others may query or signal the container while it runs. */
	close(c.lock_fd);
	c.lock_fd = -1;
	char *rt = oci_path(&c, "rt"), *bundle_d = oci_path(&c, "bundle.d");
	const char *name = strrchr(c.runtime, '/') + 1;
	const char *args[] = { name, "--root", rt, "run", "--bundle", bundle_d, c.id, NULL };
	struct starter_request req;
	fill_request(&req, c.runtime, args);
	req.payload_exec_readonly = runtime_kind_from_name(name) == RUNTIME_CRUN; /* as for exec: cmd_launch.c */

	/* The runtime passes signals on to the container; we pass them on to
	 * the runtime, and clean up after it whatever happens. */
	sigset_t block, old;
	sigemptyset(&block);
	int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH };
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaddset(&block, sigs[i]);
	sigprocmask(SIG_BLOCK, &block, &old);
	pid_t child = spawn_starter_enter(ctx->starter_path, &req, -1, err);
	int ret = -1;
	if (child > 0) {
		run_child = child;
		struct sigaction sa = { .sa_handler = forward_to_run_child, .sa_flags = SA_RESTART };
		for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
			sigaction(sigs[i], &sa, NULL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		int status;
		while (waitpid(child, &status, 0) < 0 && errno == EINTR)
			;
		ret = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	oci_container_remove(&c);
	free(rt);
	free(bundle_d);
	oci_container_free(&c);
	return ret;
}

/* ---- the rest ----------------------------------------------------------- */

static int open_container(const char *id, struct oci_container *c, struct error *err)
{
	if (oci_container_init(c, id, err) < 0 || oci_container_open(c, err) < 0) {
		oci_container_free(c);
		return -1;
	}
	return 0;
}

/* Operations that are one runtime call: start, pause, resume. */
static int simple_op(int argc, char **argv, const char *what, struct error *err)
{
	const char *id = NULL;
	struct oci_container c;
	if (parse_id_only(argc, argv, &id, err) < 0 || open_container(id, &c, err) < 0)
		return -1;
	const char *args[] = { what, c.id, NULL };
	int ret = run_runtime(&c, what, args, NULL, err);
	oci_container_free(&c);
	return ret;
}

static int oci_start(int argc, char **argv, const struct ochre_context *ctx, struct error *err)
{
	(void)ctx;
	return simple_op(argc, argv, "start", err);
}

static int oci_pause(int argc, char **argv, const struct ochre_context *ctx, struct error *err)
{
	(void)ctx;
	return simple_op(argc, argv, "pause", err);
}

static int oci_resume(int argc, char **argv, const struct ochre_context *ctx, struct error *err)
{
	(void)ctx;
	return simple_op(argc, argv, "resume", err);
}

static int oci_state(int argc, char **argv, const struct ochre_context *ctx, struct error *err)
{
	(void)ctx;
	const char *id = NULL;
	struct oci_container c;
	if (parse_id_only(argc, argv, &id, err) < 0 || open_container(id, &c, err) < 0)
		return -1;
	const char *args[] = { "state", c.id, NULL };
	char *out = NULL;
	int ret = run_runtime(&c, "state", args, &out, err);
	json_object *state = ret == 0 ? json_tokener_parse(out) : NULL;
	if (ret == 0 && !state)
		ret = error_set(err, 0, "state '%s': the runtime's answer is not JSON", c.id);
	if (state) {
		/* The user's bundle, not the private copy the runtime was given. */
		json_object_object_add(state, "bundle", json_object_new_string(c.bundle));
		printf("%s\n", json_object_to_json_string_ext(state, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
									     JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(state);
	}
	free(out);
	oci_container_free(&c);
	return ret;
}

static int parse_signal(const char *s)
{
	static const struct {
		const char *name;
		int sig;
	} names[] = {
		{ "HUP", SIGHUP },   { "INT", SIGINT },   { "QUIT", SIGQUIT }, { "KILL", SIGKILL },
		{ "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "TERM", SIGTERM }, { "CONT", SIGCONT },
		{ "STOP", SIGSTOP }, { "TSTP", SIGTSTP }, { "ALRM", SIGALRM }, { "WINCH", SIGWINCH },
		{ "PIPE", SIGPIPE }, { "ABRT", SIGABRT },
	};
	char *end;
	long n = strtol(s, &end, 10);
	if (*s && !*end)
		return n > 0 && n < NSIG ? (int)n : -1;
	if (strncmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcasecmp(s, names[i].name) == 0)
			return names[i].sig;
	return -1;
}

static int oci_kill(int argc, char **argv, const struct ochre_context *ctx, struct error *err)
{
	(void)ctx;
	if (argc < 2 || argc > 3 || argv[1][0] == '-')
		return error_set(err, 0, "oci kill: expected ID [SIGNAL]");
	int sig = argc == 3 ? parse_signal(argv[2]) : SIGTERM;
	if (sig < 0)
		return error_set(err, 0, "oci kill: unknown signal '%s'", argv[2]);
	struct oci_container c;
	if (open_container(argv[1], &c, err) < 0)
		return -1;
	char num[16];
	snprintf(num, sizeof num, "%d", sig);
	const char *args[] = { "kill", c.id, num, NULL };
	int ret = run_runtime(&c, "kill", args, NULL, err);
	oci_container_free(&c);
	return ret;
}

/* conmon stays until the container's process exits; wait for it so that
 * nothing of the container outlives delete. */
static void wait_conmon_gone(const struct oci_container *c)
{
	char *path = oci_path(c, "conmon.pid"), *text = NULL;
	struct error ignored;
	if (read_file(path, 64, &text, NULL, &ignored) == 0) {
		pid_t pid = (pid_t)atoi(text);
		for (int i = 0; pid > 0 && i < 100 && kill(pid, 0) == 0; i++)
			usleep(50 * 1000);
		if (pid > 0 && kill(pid, 0) == 0) {
			log_warn("conmon (pid %d) of '%s' did not exit; killing it", (int)pid, c->id);
			kill(pid, SIGKILL);
		}
	}
	free(text);
	free(path);
}

/* Whether the runtime still keeps state for c: crun and runc both keep a
 * container's in ROOT/ID under the --root we give them. Once it is gone,
 * a failed `delete --force` only says the container does not exist. */
static bool runtime_knows(const struct oci_container *c)
{
	char *rt_root = oci_path(c, "rt");
	char *dir = xasprintf("%s/%s", rt_root, c->id);
	struct stat st;
	bool known = lstat(dir, &st) == 0 || errno != ENOENT;
	free(dir);
	free(rt_root);
	return known;
}

static int oci_delete(int argc, char **argv, const struct ochre_context *ctx, struct error *err)
{
	(void)ctx;
	bool force = false;
	const char *id = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--force") == 0 || strcmp(argv[i], "-f") == 0)
			force = true;
		else if (argv[i][0] == '-' || id)
			return error_set(err, 0, "oci delete: unexpected argument '%s'", argv[i]);
		else
			id = argv[i];
	}
	if (!id)
		return error_set(err, 0, "oci delete: missing container ID");
	struct oci_container c;
	if (open_container(id, &c, err) < 0)
		return -1;
	const char *args[] = { "delete", force ? "--force" : c.id, force ? c.id : NULL, NULL };
	int ret = run_runtime(&c, "delete", args, NULL, err);
	if (ret < 0 && force && !runtime_knows(&c)) {
		log_debug("%s", err->msg); /* already gone from the runtime: finish the job */
		ret = 0;
	}
	if (ret == 0) {
		wait_conmon_gone(&c);
		oci_container_remove(&c);
	}
	oci_container_free(&c);
	return ret;
}

static int oci_exec(int argc, char **argv, const struct ochre_context *ctx, struct error *err)
{
	(void)ctx;
	int i = 1;
	bool tty = false;
	if (i < argc && (strcmp(argv[i], "-t") == 0 || strcmp(argv[i], "--tty") == 0)) {
		tty = true;
		i++;
	}
	if (i < argc && argv[i][0] == '-')
		return error_set(err, 0, "oci exec: unknown option '%s'", argv[i]);
	if (argc - i < 2)
		return error_set(err, 0, "oci exec: expected ID CMD...");
	struct oci_container c;
	if (open_container(argv[i], &c, err) < 0)
		return -1;
	char *rt = oci_path(&c, "rt");
	char **rargv = xcalloc((size_t)argc + 8, sizeof *rargv);
	size_t n = 0;
	rargv[n++] = c.runtime;
	rargv[n++] = "--root";
	rargv[n++] = rt;
	rargv[n++] = "exec";
	if (tty)
		rargv[n++] = "--tty";
	rargv[n++] = c.id;
	for (int k = i + 1; k < argc; k++)
		rargv[n++] = argv[k];
	log_debug_argv("exec", rargv);
	/* The command's status is ours: become the runtime. */
	close(c.lock_fd);
	execve(c.runtime, rargv, environ);
	int ret = error_set(err, errno, "run %s", c.runtime);
	free(rargv);
	free(rt);
	oci_container_free(&c);
	return ret;
}

/* update --from-file FILE ID, or update LIMITS ID: the limits written to
 * ROOT/ID/resources.json for the runtime. */
static int oci_update(int argc, char **argv, const struct ochre_context *ctx, struct error *err)
{
	struct resource_options limits = { 0 };
	const char *file = NULL, *id = NULL;
	int ret = 0;
	for (int i = 1; i < argc && ret == 0; i++) {
		int taken = take_limit_flag(argc, argv, &i, &limits, err);
		if (taken < 0)
			ret = -1;
		else if (taken)
			continue;
		else if (strcmp(argv[i], "--from-file") == 0 && i + 1 < argc && !file)
			file = argv[++i];
		else if (argv[i][0] != '-' && !id)
			id = argv[i];
		else
			ret = error_set(err, 0, "oci update: expected --from-file FILE ID, or limit flags and ID");
	}
	if (ret == 0 && (!id || (!file && !limits.given) || (file && limits.given)))
		ret = error_set(err, 0,
				"oci update: expected --from-file FILE ID, or limit flags (--memory, --cpus, "
				"...) and ID");
	json_object *res = NULL;
	if (ret == 0 && file && !(res = json_object_from_file(file)))
		ret = error_set(err, 0, "oci update: %s is not a readable JSON file", file);
	json_object_put(res);
	res = NULL;
	if (ret == 0 && !file && oci_limits("update", &limits, ctx, &res, err) < 0)
		ret = -1;
	struct oci_container c;
	if (ret < 0 || open_container(id, &c, err) < 0) {
		json_object_put(res);
		resource_options_free(&limits);
		return -1;
	}
	char *written = NULL;
	if (res) {
		written = oci_path(&c, "resources.json");
		unlink(written);
		if (json_object_to_file_ext(written, res, JSON_C_TO_STRING_PLAIN) < 0)
			ret = error_set(err, errno, "write %s", written);
		file = written;
	}
	if (ret == 0) {
		const char *args[] = { "update", "--resources", file, c.id, NULL };
		ret = run_runtime(&c, "update", args, NULL, err);
	}
	free(written);
	json_object_put(res);
	resource_options_free(&limits);
	oci_container_free(&c);
	return ret;
}

static int oci_attach_cmd(int argc, char **argv, const struct ochre_context *ctx, struct error *err)
{
	(void)ctx;
	const char *id = NULL;
	struct oci_container c;
	if (parse_id_only(argc, argv, &id, err) < 0 || open_container(id, &c, err) < 0)
		return -1;
	/* Others may operate on the container while we are attached. */
	close(c.lock_fd);
	c.lock_fd = -1;
	int ret = oci_attach(&c, err);
	oci_container_free(&c);
	return ret;
}

static const struct subcommand subcommands[] = {
	{ "create", "create [--runtime NAME] [-b BUNDLE] [--pid-file FILE] [LIMITS] ID",
	  "Create container ID from BUNDLE (default: the current directory), detached\n"
	  "under conmon, which keeps its console and log. It waits, stopped, for start.\n",
	  oci_create },
	{ "start", "start ID", "Start the process of a created container.\n", oci_start },
	{ "state", "state ID", "Print the container's OCI state as JSON.\n", oci_state },
	{ "kill", "kill ID [SIGNAL]", "Send SIGNAL (a name like TERM or a number; default TERM) to the container.\n",
	  oci_kill },
	{ "delete", "delete [--force] ID",
	  "Remove a stopped container and all ochre keeps of it; --force also a running one.\n", oci_delete },
	{ "exec", "exec [-t] ID CMD [ARGS...]",
	  "Run CMD inside the running container; exit with its status. -t: with a terminal.\n", oci_exec },
	{ "attach", "attach ID",
	  "Connect to the container's console: your input goes to it, its output comes\n"
	  "back. Ctrl-P Ctrl-Q detaches and leaves it running; when it exits, attach\n"
	  "exits with its status.\n",
	  oci_attach_cmd },
	{ "pause", "pause ID", "Freeze every process of the container (needs a freezer cgroup).\n", oci_pause },
	{ "resume", "resume ID", "Thaw a paused container.\n", oci_resume },
	{ "update", "update --from-file FILE ID | update LIMITS ID",
	  "Apply the linux resources in FILE (JSON, as in config.json's linux.resources), or\n"
	  "the limit flags of 'ochre exec' (--apply-cgroups FILE, --cpus, --memory, ...).\n",
	  oci_update },
	{ "run", "run [--runtime NAME] [-b BUNDLE] [LIMITS] ID",
	  "Create, start and wait for container ID in the foreground: signals reach it,\n"
	  "its exit status is ochre's, and nothing of it remains afterwards.\n",
	  oci_run },
};

int cmd_oci(struct ochre_context *ctx, int argc, char **argv, struct error *err)
{
	if (argc < 2)
		return error_set(err, 0, "oci: missing subcommand (see 'ochre oci --help')");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(oci_usage, stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++) {
		const struct subcommand *s = &subcommands[i];
		if (strcmp(argv[1], s->name) != 0)
			continue;
		for (int k = 2; k < argc && strcmp(argv[k], "--") != 0; k++)
			if (strcmp(argv[k], "--help") == 0 || strcmp(argv[k], "-h") == 0) {
				if (strcmp(s->name, "exec") == 0 && k > 3)
					break; /* the command's own --help */
				printf("Usage: ochre oci %s\n\n%s", s->usage, s->help);
				return 0;
			}
		return s->fn(argc - 1, argv + 1, ctx, err);
	}
	return error_set(err, 0, "oci: unknown subcommand '%s' (see 'ochre oci --help')", argv[1]);
}
