/* ochre: run OCI containers on HPC systems, as the calling user.
 *
 * The driver never holds privilege: it refuses to run setuid, setgid or
 * with file capabilities. It reads the admin config, prepares a session
 * (bundle, config.json) and hands it to ochre-starter. */
#define _GNU_SOURCE
#include "../../common/config.h"
#include "../../common/log.h"
#include "../util/error.h"
#include "../util/xalloc.h"
#include "cmd_cache.h"
#include "cmd_inspect.h"
#include "cmd_launch.h"
#include "cmd_oci.h"
#include "cmd_pull.h"
#include "cmd_registry.h"
#include "compat.h"
#include "context.h"
#include <stdbool.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef OCHRE_VERSION
#define OCHRE_VERSION "0.0.0-dev"
#endif
#ifndef OCHRE_SYSCONFDIR
#define OCHRE_SYSCONFDIR "/usr/local/etc"
#endif
#define OCHRE_CONFIG_PATH OCHRE_SYSCONFDIR "/ochre/ochre.conf"

static const char usage[] = "Usage: ochre [GLOBAL OPTIONS] COMMAND [ARGS...]\n"
			    "\n"
			    "Run OCI container images on HPC systems, as yourself.\n"
			    "\n"
			    "Commands:\n"
			    "  exec IMAGE CMD...    run a command in a new container (ochre exec --help)\n"
			    "  run IMAGE [ARGS...]  run the image's Entrypoint/Cmd in a new container\n"
			    "  shell IMAGE          run /bin/sh in a new container\n"
			    "  pull IMAGE           write an image as a single file (OCI-SIF)\n"
			    "  push FILE REF        upload a SIF to oras://, an OCI-SIF's image to docker://\n"
			    "  inspect IMAGE        describe an image: format, digest, layers, config\n"
			    "  cache list|clean     show or remove the images unpacked in your cache\n"
			    "  registry login|logout  store or forget credentials for docker:// registries\n"
			    "  oci SUBCOMMAND       OCI runtime operations on a bundle (ochre oci --help)\n"
			    "\n"
			    "Global options:\n"
			    "  -d, --debug          show every command run, every mount, the starter request\n"
			    "  -q, --quiet          show only errors\n"
			    "  -c, --config FILE    read FILE instead of " OCHRE_CONFIG_PATH "\n"
			    "                       (for root, or where ochre-starter is not setuid)\n"
			    "  -V, --version        print the version\n"
			    "  -h, --help           show this help\n";

/* Both programs fail closed on elevated privilege; the driver has no
 * business holding any. AT_SECURE covers setuid, setgid and file caps. */
static int refuse_elevated_privileges(struct error *err)
{
	if (getauxval(AT_SECURE) || getuid() != geteuid() || getgid() != getegid())
		return error_set(err, 0,
				 "refusing to run with elevated privileges "
				 "(setuid, setgid or file capabilities)");
	return 0;
}

/* The helpers live in ../libexec/ochre/ from our binary, in an install
 * prefix and in the build tree alike; $PATH is never searched. */
static char *find_helper(const char *name, struct error *err)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n < 0) {
		error_set(err, errno, "readlink /proc/self/exe");
		return NULL;
	}
	self[n] = '\0';
	char *bin_dir = dirname(self); /* PREFIX/bin */
	return xasprintf("%s/libexec/ochre/%s", dirname(bin_dir), name);
}

static int load_config(struct ochre_context *ctx, bool explicit_path, struct error *err)
{
	config_init(&ctx->cfg);
	int fd = open(ctx->config_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && !explicit_path) {
		log_debug("config %s not found: using built-in defaults", ctx->config_path);
		return 0;
	}
	if (fd < 0)
		return error_set(err, errno, "config '%s'", ctx->config_path);

	char *text = xmalloc(CONFIG_MAX_BYTES + 1);
	size_t len = 0;
	ssize_t n;
	while ((n = read(fd, text + len, CONFIG_MAX_BYTES - len)) > 0)
		len += (size_t)n;
	int saved = errno;
	close(fd);
	int ret = 0;
	char msg[512];
	if (n < 0)
		ret = error_set(err, saved, "config '%s'", ctx->config_path);
	else if (len == CONFIG_MAX_BYTES)
		ret = error_set(err, 0, "config '%s' is larger than %d bytes", ctx->config_path, CONFIG_MAX_BYTES);
	else if ((text[len] = '\0', config_parse(ctx->config_path, text, len, &ctx->cfg, msg, sizeof msg)) < 0)
		ret = error_set(err, 0, "%s", msg);
	else
		log_debug("config: %s", ctx->config_path);
	free(text);
	return ret;
}

/* With a setuid starter the compiled-in config is the site's policy; only
 * root may point ochre at another. */
static int check_config_override(const struct ochre_context *ctx, struct error *err)
{
	struct stat st;
	if (getuid() != 0 && stat(ctx->starter_path, &st) == 0 && (st.st_mode & S_ISUID))
		return error_set(err, 0, "--config is not allowed with a setuid ochre-starter");
	return 0;
}

/* Under another name: its command set. Others get one clear error. */
static int check_compat_command(enum compat_family f, const char *command, struct error *err)
{
	static const char *const known[] = { "exec",    "run",   "shell",    "pull", "push",
					     "inspect", "cache", "registry", "oci",  NULL };
	for (size_t i = 0; known[i]; i++)
		if (strcmp(command, known[i]) == 0)
			return 0;
	return error_set(err, 0,
			 "%s %s: not supported by ochre (it implements exec, run, shell, pull, inspect, cache, "
			 "registry, oci; see docs/SINGULARITY-COMPAT.md)",
			 compat_tool_name(f), command);
}

/* The subcommand's arguments in ochre's form (compat.h); the vector
 * lives until exit. */
static int dispatch_args(enum compat_family f, int *argc, char ***argv, struct error *err)
{
	struct strv sub = { 0 };
	compat_export_env(f);
	if (compat_translate(f, *argc, *argv, &sub, err) < 0) {
		strv_free(sub.v);
		return -1;
	}
	if (f != COMPAT_OCHRE)
		log_debug_argv("as ochre's command line", sub.v);
	*argc = (int)sub.n;
	*argv = sub.v;
	return 0;
}

static int run(int argc, char **argv, struct error *err)
{
	static const struct option longopts[] = {
		{ "debug", no_argument, NULL, 'd' },        { "quiet", no_argument, NULL, 'q' },
		{ "config", required_argument, NULL, 'c' }, { "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },         { NULL, 0, NULL, 0 },
	};
	struct ochre_context ctx = { .config_path = OCHRE_CONFIG_PATH, .argv = argv };
	bool explicit_config = false;

	if (refuse_elevated_privileges(err) < 0)
		return -1;
	enum compat_family family = compat_family_of(argv[0]);
	if (family != COMPAT_OCHRE) {
		struct strv globals = { 0 };
		int r = compat_translate_globals(family, argc, argv, &globals, err);
		if (r != 0) {
			strv_free(globals.v);
			return r < 0 ? -1 : 0;
		}
		argc = (int)globals.n;
		argv = globals.v; /* lives until exit */
	}

	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "+:dqc:Vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			log_level_current = LOG_LEVEL_DEBUG;
			break;
		case 'q':
			log_level_current = LOG_LEVEL_ERROR;
			break;
		case 'c':
			ctx.config_path = optarg;
			explicit_config = true;
			break;
		case 'V':
			printf("ochre %s\n", OCHRE_VERSION);
			return 0;
		case 'h':
			fputs(usage, stdout);
			return 0;
		case ':':
			return error_set(err, 0, "option '%s' needs a value", argv[optind - 1]);
		default:
			if (optopt)
				return error_set(err, 0, "unknown option '-%c'", optopt);
			return error_set(err, 0, "unknown option '%.*s'", (int)strcspn(argv[optind - 1], "="),
					 argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return error_set(err, 0, "missing command (see 'ochre --help')");

	const char *command = argv[optind];
	if (family != COMPAT_OCHRE && strcmp(command, "version") == 0) {
		puts(compat_version(family));
		return 0;
	}
	if (family != COMPAT_OCHRE && check_compat_command(family, command, err) < 0)
		return -1;
	static const char *const launchers[] = {
		[LAUNCH_EXEC] = "exec", [LAUNCH_RUN] = "run", [LAUNCH_SHELL] = "shell"
	};
	int launch = -1;
	for (int i = 0; i < 3; i++)
		if (strcmp(command, launchers[i]) == 0)
			launch = i;
	if (launch < 0 && strcmp(command, "cache") != 0 && strcmp(command, "pull") != 0 &&
	    strcmp(command, "push") != 0 && strcmp(command, "inspect") != 0 && strcmp(command, "oci") != 0 &&
	    strcmp(command, "registry") != 0)
		return error_set(err, 0, "unknown command '%s' (see 'ochre --help')", command);

	ctx.starter_path = find_helper("ochre-starter", err);
	ctx.importer_path = find_helper("ochre-import", err);
	if (!ctx.starter_path || !ctx.importer_path)
		return -1;
	struct stat st;
	ctx.starter_setuid = stat(ctx.starter_path, &st) == 0 && (st.st_mode & S_ISUID) && st.st_uid == 0;
	if (explicit_config && check_config_override(&ctx, err) < 0)
		return -1;
	if (load_config(&ctx, explicit_config, err) < 0)
		return -1;
	argc -= optind;
	argv += optind;
	if (dispatch_args(family, &argc, &argv, err) < 0)
		return -1;
	if (launch < 0 && strcmp(command, "oci") == 0)
		return cmd_oci(&ctx, argc, argv, err);
	if (launch < 0 && strcmp(command, "registry") == 0)
		return cmd_registry(&ctx, argc, argv, err);
	if (launch < 0 && strcmp(command, "inspect") == 0)
		return cmd_inspect(&ctx, argc, argv, err);
	if (launch < 0 && strcmp(command, "pull") == 0)
		return cmd_pull(&ctx, argc, argv, err);
	if (launch < 0 && strcmp(command, "push") == 0)
		return cmd_push(&ctx, argc, argv, err);
	if (launch < 0)
		return cmd_cache(&ctx, argc, argv, err);
	return cmd_launch(&ctx, (enum launch_mode)launch, argc, argv, err);
}

int main(int argc, char **argv)
{
	struct error err = { .msg = "" };
	int code = run(argc, argv, &err);
	if (code < 0) {
		log_error("%s", err.msg);
		return OCHRE_EXIT_FAILURE;
	}
	return code;
}
