#define _GNU_SOURCE
#include "cmd_exec.h"

#include "../common/log.h"
#include "../common/request.h"
#include "launch.h"
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

static const char exec_usage[] =
	"Usage: ochre exec [OPTIONS] IMAGE COMMAND [ARGS...]\n"
	"\n"
	"Run COMMAND in a new container made from IMAGE. The container gets its own\n"
	"pid, mount, ipc and uts namespaces, a fresh /dev, /proc and /sys, and a\n"
	"writable root whose changes vanish when it exits. It runs as you (root\n"
	"stays root). Its exit status is ochre's; ochre's own errors exit 255.\n"
	"\n"
	"IMAGE:\n"
	"  DIR                  a root filesystem directory (left unchanged)\n"
	"\n"
	"Options:\n"
	"  --runtime NAME       OCI runtime to use: crun or runc (default: the\n"
	"                       config's 'runtime' search order, crun then runc)\n"
	"  -h, --help           show this help\n";

struct exec_options {
	const char *runtime;
	const char *image;
	char **command;
};

static int parse_options(int argc, char **argv, struct exec_options *o, struct error *err)
{
	enum { OPT_RUNTIME = 256 };
	static const struct option longopts[] = {
		{ "runtime", required_argument, NULL, OPT_RUNTIME },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	/* '+': stop at IMAGE so the command's own options stay its own. */
	opterr = 0;
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_RUNTIME:
			o->runtime = optarg;
			break;
		case 'h':
			fputs(exec_usage, stdout);
			return 1;
		case ':':
			return error_set(err, 0, "exec: option '%s' needs a value", argv[optind - 1]);
		default: {
			char opt[64];
			if (optopt)
				snprintf(opt, sizeof opt, "-%c", optopt);
			else
				snprintf(opt, sizeof opt, "%.*s", (int)strcspn(argv[optind - 1], "="),
					 argv[optind - 1]);
			return error_set(err, 0, "exec: unknown option '%s'", opt);
		}
		}
	}
	if (optind >= argc)
		return error_set(err, 0, "exec: missing image and command (see 'ochre exec --help')");
	o->image = argv[optind];
	if (optind + 1 >= argc)
		return error_set(err, 0, "exec: missing command to run in the container");
	o->command = argv + optind + 1;
	return 0;
}

/* The image is a rootfs directory: resolve it fully now, so the starter
 * gets a symlink-free absolute path to open. */
static char *resolve_rootfs_dir(const char *image, struct error *err)
{
	char *path = realpath(image, NULL);
	if (!path) {
		error_set(err, errno, "image '%s'", image);
		return NULL;
	}
	struct stat st;
	if (stat(path, &st) < 0) {
		error_set(err, errno, "image '%s'", image);
	} else if (!S_ISDIR(st.st_mode)) {
		error_set(err, 0, "image '%s': not a directory", image);
	} else {
		return path;
	}
	free(path);
	return NULL;
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

static const char *home_dir(void)
{
	struct passwd *pw = getpwuid(getuid());
	return pw && pw->pw_dir && pw->pw_dir[0] == '/' ? pw->pw_dir : "/";
}

int cmd_exec(struct ochre_context *ctx, int argc, char **argv, struct error *err)
{
	struct exec_options o = { 0 };
	int ret = parse_options(argc, argv, &o, err);
	if (ret != 0)
		return ret < 0 ? -1 : 0;

	char *rootfs = resolve_rootfs_dir(o.image, err);
	if (!rootfs)
		return -1;
	struct runtime rt;
	if (runtime_resolve(&ctx->cfg, o.runtime, &rt, err) < 0)
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
		.uid = getuid(),
		.gid = getgid(),
		.rootless = rootless,
		.map_container_root = req.n_uid_ranges > 0,
		.args = o.command,
		.home = home_dir(),
		.term = getenv("TERM"),
	};
	if (spec_write(s.path, &sp, err) < 0) {
		session_remove_path(s.path);
		return -1;
	}

	req.session = s.path;
	req.lowers[req.n_lowers++] = rootfs;
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
