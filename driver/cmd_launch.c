#define _GNU_SOURCE
#include "cmd_launch.h"

#include "../common/log.h"
#include "../common/request.h"
#include "image.h"
#include "launch.h"
#include "process.h"
#include "runtime.h"
#include "session.h"
#include "spec.h"
#include "subid.h"
#include "xalloc.h"

#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define IMAGE_HELP \
	"IMAGE:\n" \
	"  oci:DIR[:TAG]              an OCI image layout (skopeo, umoci, buildah)\n" \
	"  oci-archive:FILE[:TAG]     a tar of an OCI image layout\n" \
	"  docker-archive:FILE[:REF]  a 'docker save' tarball\n" \
	"  DIR                        an OCI layout (DIR/oci-layout exists), or else a\n" \
	"                             root filesystem directory, used as it is\n" \
	"An OCI image is verified and unpacked into your cache once (progress shows\n" \
	"on a terminal); later launches use the cached copy.\n" \
	"\n" \
	"Options:\n" \
	"  --runtime NAME       OCI runtime to use: crun or runc (default: the\n" \
	"                       config's 'runtime' search order, crun then runc)\n" \
	"  -e, --env K=V[,K=V]  set variables in the container (repeatable)\n" \
	"  --env-file FILE      set variables from FILE (NAME=value lines; $X expands)\n" \
	"  --cleanenv           pass not even TERM and the proxy variables from the host\n" \
	"  --hostname NAME      the container's hostname (its own uts namespace)\n" \
	"  --no-pid             no pid namespace of its own (its process is not pid 1)\n" \
	"  --pwd, --cwd DIR     working directory in the container (default: the\n" \
	"                       image's WorkingDir, else /)\n" \
	"  -h, --help           show this help\n" \
	"\n" \
	"Environment: the host's is not passed, except TERM and the proxy variables.\n" \
	"Lowest precedence first: the image's Env, then OCHREENV_NAME=value (also\n" \
	"SINGULARITYENV_ and APPTAINERENV_) from the host, then --env-file, then\n" \
	"--env. APPEND_PATH / PREPEND_PATH (e.g. OCHREENV_APPEND_PATH=/opt/bin)\n" \
	"extend PATH. Names that are not shell identifiers are dropped with a warning.\n"

#define CONTAINER_HELP \
	"The container gets its own pid, mount, ipc and uts namespaces, a fresh /dev,\n" \
	"/proc and /sys, and a writable root whose changes vanish when it exits. It\n" \
	"runs as you (root stays root, and only root takes on the image's User). The\n" \
	"image's Env and WorkingDir apply. Its exit status is ochre's; ochre's own\n" \
	"errors exit 255.\n\n"

static const char *const usages[] = {
	[LAUNCH_EXEC] = "Usage: ochre exec [OPTIONS] IMAGE COMMAND [ARGS...]\n\n"
			"Run COMMAND in a new container made from IMAGE.\n" CONTAINER_HELP IMAGE_HELP,
	[LAUNCH_RUN] = "Usage: ochre run [OPTIONS] IMAGE [ARGS...]\n\n"
		       "Run the image's Entrypoint with ARGS, or with its Cmd when no ARGS are given.\n"
		       CONTAINER_HELP IMAGE_HELP,
	[LAUNCH_SHELL] = "Usage: ochre shell [OPTIONS] IMAGE\n\n"
			 "Run /bin/sh in a new container made from IMAGE.\n" CONTAINER_HELP IMAGE_HELP,
};

static const char *const mode_names[] = {
	[LAUNCH_EXEC] = "exec",
	[LAUNCH_RUN] = "run",
	[LAUNCH_SHELL] = "shell",
};

struct exec_options {
	const char *runtime;
	const char *image;
	char **command;
	struct env_options env;
	const char *hostname;
	const char *cwd;
	bool no_pid;
};

/* A hostname as the kernel and resolvers accept it: letters, digits, '-'
 * and '.', at most 64 bytes. */
static bool hostname_is_valid(const char *h)
{
	size_t n = strlen(h);
	return n > 0 && n <= 64 && h[0] != '-' &&
	       strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") == n;
}

static int parse_options(enum launch_mode mode, int argc, char **argv, struct exec_options *o,
			 struct error *err)
{
	const char *name = mode_names[mode];
	enum { OPT_RUNTIME = 256, OPT_ENV_FILE, OPT_CLEANENV, OPT_HOSTNAME, OPT_NO_PID, OPT_PWD };
	static const struct option longopts[] = {
		{ "runtime", required_argument, NULL, OPT_RUNTIME },
		{ "env", required_argument, NULL, 'e' },
		{ "env-file", required_argument, NULL, OPT_ENV_FILE },
		{ "cleanenv", no_argument, NULL, OPT_CLEANENV },
		{ "hostname", required_argument, NULL, OPT_HOSTNAME },
		{ "no-pid", no_argument, NULL, OPT_NO_PID },
		{ "pwd", required_argument, NULL, OPT_PWD },
		{ "cwd", required_argument, NULL, OPT_PWD },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	/* '+': stop at IMAGE so the command's own options stay its own. */
	opterr = 0;
	optind = 1;
	int c;
	o->env.env_args = xcalloc((size_t)argc, sizeof *o->env.env_args);
	while ((c = getopt_long(argc, argv, "+:he:", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_RUNTIME:
			o->runtime = optarg;
			break;
		case 'e':
			o->env.env_args[o->env.n_env_args++] = optarg;
			break;
		case OPT_ENV_FILE:
			o->env.env_file = optarg;
			break;
		case OPT_CLEANENV:
			o->env.cleanenv = true;
			break;
		case OPT_HOSTNAME:
			if (!hostname_is_valid(optarg))
				return error_set(err, 0, "%s: invalid hostname '%s'", name, optarg);
			o->hostname = optarg;
			break;
		case OPT_NO_PID:
			o->no_pid = true;
			break;
		case OPT_PWD:
			if (optarg[0] != '/')
				return error_set(err, 0, "%s: --pwd needs an absolute path, not '%s'", name, optarg);
			o->cwd = optarg;
			break;
		case 'h':
			fputs(usages[mode], stdout);
			return 1;
		case ':':
			return error_set(err, 0, "%s: option '%s' needs a value", name, argv[optind - 1]);
		default: {
			char opt[64];
			if (optopt)
				snprintf(opt, sizeof opt, "-%c", optopt);
			else
				snprintf(opt, sizeof opt, "%.*s", (int)strcspn(argv[optind - 1], "="),
					 argv[optind - 1]);
			return error_set(err, 0, "%s: unknown option '%s'", name, opt);
		}
		}
	}
	if (optind >= argc)
		return error_set(err, 0, "%s: missing image%s (see 'ochre %s --help')", name,
				 mode == LAUNCH_EXEC ? " and command" : "", name);
	o->image = argv[optind];
	o->command = argv + optind + 1;
	if (mode == LAUNCH_EXEC && !o->command[0])
		return error_set(err, 0, "exec: missing command to run in the container");
	if (mode == LAUNCH_SHELL && o->command[0])
		return error_set(err, 0, "shell: unexpected argument '%s' (use 'ochre exec IMAGE CMD...')",
				 o->command[0]);
	return 0;
}

/* runc cannot run a rootless container whose root is unmapped, so it needs
 * one subordinate uid and gid (from /etc/subuid, /etc/subgid) for it. */
static int add_subordinate_ids(struct starter_request *req, struct error *err)
{
	static const char *const helpers[][2] = {
		{ "/usr/bin/newuidmap", "/usr/bin/newgidmap" },
		{ "/bin/newuidmap", "/bin/newgidmap" },
	};
	struct passwd *pw = getpwuid(getuid());
	const char *name = pw ? pw->pw_name : NULL;
	unsigned long ustart, ucount, gstart, gcount;
	if (!subid_lookup("/etc/subuid", name, getuid(), &ustart, &ucount) ||
	    !subid_lookup("/etc/subgid", name, getuid(), &gstart, &gcount))
		return error_set(err, 0,
				 "runc needs subordinate ids for rootless use: add a range for '%s' to "
				 "/etc/subuid and /etc/subgid, or use --runtime crun",
				 name ? name : "you");
	for (size_t i = 0; i < sizeof helpers / sizeof helpers[0]; i++) {
		if (access(helpers[i][0], X_OK) == 0 && access(helpers[i][1], X_OK) == 0) {
			req->newuidmap = helpers[i][0];
			req->newgidmap = helpers[i][1];
			break;
		}
	}
	if (!req->newuidmap)
		return error_set(err, 0, "runc needs newuidmap and newgidmap (Debian package uidmap)");
	req->uid_ranges[0] = (struct id_range){ .inside = 1, .outside = ustart, .count = ucount };
	req->gid_ranges[0] = (struct id_range){ .inside = 1, .outside = gstart, .count = gcount };
	req->n_uid_ranges = req->n_gid_ranges = 1;
	return 0;
}

int cmd_launch(struct ochre_context *ctx, enum launch_mode mode, int argc, char **argv, struct error *err)
{
	struct exec_options o = { 0 };
	int ret = parse_options(mode, argc, argv, &o, err);
	if (ret != 0)
		return ret < 0 ? -1 : 0;

	struct runtime rt;
	if (runtime_resolve(&ctx->cfg, o.runtime, &rt, err) < 0)
		return -1;
	struct image img;
	if (image_prepare(&ctx->cfg, ctx->importer_path, o.image, &img, err) < 0)
		return -1;
	struct process proc;
	if (process_from_image(img.config, mode, o.command, img.rootfs, &o.env, o.cwd, &proc, err) < 0)
		return -1;

	bool rootless = getuid() != 0;
	struct starter_request req;
	request_init(&req);
	req.log_level = log_level_current;
	if (rootless && rt.kind == RUNTIME_RUNC && add_subordinate_ids(&req, err) < 0)
		return -1;

	struct session s;
	if (session_create(&ctx->cfg, &s, err) < 0)
		return -1;
	struct spec_params sp = {
		.proc = &proc,
		.rootless = rootless,
		.map_container_root = req.n_uid_ranges > 0,
		.hostname = o.hostname,
		.no_pid = o.no_pid,
	};
	if (spec_write(s.path, &sp, err) < 0) {
		session_remove_path(s.path);
		return -1;
	}

	req.session = s.path;
	req.lowers[req.n_lowers++] = img.rootfs;
	req.tmpfs_size = ctx->cfg.tmpfs_size;
	req.payload = rt.path;
	const char *args[] = { runtime_kind_name(rt.kind), "--root", s.state, "run", "--bundle", s.path,
			       s.id, NULL };
	for (size_t i = 0; args[i]; i++)
		req.args[req.n_args++] = args[i];
	req.args[req.n_args] = NULL;
	log_debug_argv("runtime command", (char *const *)req.args);

	return launch_starter(ctx->starter_path, ctx->argv, &s, &req, err);
}
