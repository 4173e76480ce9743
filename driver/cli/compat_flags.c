#define _GNU_SOURCE
#include "compat_flags.h"
#include "compat.h"

#include "../../common/log.h"
#include "../util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define L COMPAT_LAUNCH
#define P COMPAT_PULL
#define ENV(...)                  \
	{                         \
		__VA_ARGS__, NULL \
	}
#define NO_ENV       \
	{            \
		NULL \
	}

/* SingularityCE 4.x's action flags (cmd/internal/cli/action_flags.go),
 * the global ones its actions and pull take (singularity.go), pull's own
 * (pull.go), and ochre's own launch options, so that job scripts written
 * for ochre also run under the other names. */
const struct compat_flag compat_flags[] = {
	/* Mounts and files. */
	{ "bind", 'B', true, L, COMPAT_PASS, NULL, ENV("BIND", "BINDPATH"), true, NULL },
	{ "mount", 0, true, L, COMPAT_PASS, NULL, ENV("MOUNT"), true, NULL },
	{ "home", 'H', true, L, COMPAT_PASS, NULL, ENV("HOME"), false, NULL },
	{ "no-home", 0, false, L, COMPAT_PASS, NULL, ENV("NO_HOME"), false, NULL },
	{ "overlay", 'o', true, L, COMPAT_PASS, NULL, ENV("OVERLAY", "OVERLAYIMAGE"), false, NULL },
	{ "scratch", 'S', true, L, COMPAT_PASS, NULL, ENV("SCRATCH", "SCRATCHDIR"), false, NULL },
	{ "workdir", 'W', true, L, COMPAT_PASS, NULL, ENV("WORKDIR"), false, NULL },
	{ "pwd", 0, true, L, COMPAT_PASS, NULL, ENV("PWD", "TARGET_PWD"), false, NULL },
	{ "cwd", 0, true, L, COMPAT_PASS, NULL, ENV("CWD", "TARGET_CWD"), false, NULL },
	{ "no-mount", 0, true, L, COMPAT_PASS, NULL, ENV("NO_MOUNT"), false, NULL },
	{ "writable-tmpfs", 0, false, L, COMPAT_PASS, NULL, ENV("WRITABLE_TMPFS"), false, NULL },
	{ "contain", 'c', false, L, COMPAT_PASS, NULL, ENV("CONTAIN"), false, NULL },
	{ "containall", 'C', false, L, COMPAT_PASS, "contain cleanenv", ENV("CONTAINALL"), false, NULL },
	{ "compat", 0, false, L, COMPAT_NOOP, NULL, ENV("COMPAT"), false,
	  "ochre's default: contained, no host environment, writable tmpfs root, umask 0022" },
	{ "no-compat", 0, false, L, COMPAT_PASS, NULL, ENV("NO_COMPAT"), false, NULL },
	{ "no-umask", 0, false, L, COMPAT_PASS, NULL, ENV("NO_UMASK"), false, NULL },
	{ "dns", 0, true, L, COMPAT_PASS, NULL, ENV("DNS"), false, NULL },
	{ "writable", 'w', false, L, COMPAT_REFUSE, NULL, ENV("WRITABLE"), false,
	  "OCI images stay read-only: use --writable-tmpfs or --overlay DIR" },
	{ "data", 0, true, L, COMPAT_REFUSE, NULL, NO_ENV, false, "OCI-SIF data containers are not supported" },
	{ "fusemount", 0, true, L, COMPAT_REFUSE, NULL, ENV("FUSESPEC"), false,
	  "FUSE mounts in the container are not supported (SingularityCE's OCI mode has none either)" },
	{ "containlibs", 0, true, L, COMPAT_REFUSE, NULL, ENV("CONTAINLIBS"), false,
	  "use --bind for libraries, or --nv/--rocm for GPU ones" },
	/* Environment. */
	{ "env", 0, true, L, COMPAT_PASS, NULL, NO_ENV, false, NULL },
	{ "env-file", 0, true, L, COMPAT_PASS, NULL, ENV("ENV_FILE"), false, NULL },
	{ "cleanenv", 'e', false, L, COMPAT_PASS, NULL, ENV("CLEANENV"), false, NULL },
	{ "no-eval", 0, false, L, COMPAT_PASS, NULL, ENV("NO_EVAL"), false, NULL },
	/* Namespaces and identity. */
	{ "pid", 'p', false, L, COMPAT_PASS, NULL, ENV("PID", "UNSHARE_PID"), false, NULL },
	{ "no-pid", 0, false, L, COMPAT_PASS, NULL, ENV("NO_PID"), false, NULL },
	{ "ipc", 'i', false, L, COMPAT_PASS, NULL, ENV("IPC", "UNSHARE_IPC"), false, NULL },
	{ "uts", 0, false, L, COMPAT_PASS, NULL, ENV("UTS", "UNSHARE_UTS"), false, NULL },
	{ "net", 'n', false, L, COMPAT_PASS, NULL, ENV("NET", "UNSHARE_NET"), false, NULL },
	{ "network", 0, true, L, COMPAT_PASS, NULL, ENV("NETWORK"), false, NULL },
	{ "network-args", 0, true, L, COMPAT_REFUSE, NULL, ENV("NETWORK_ARGS"), false,
	  "ochre sets up no CNI networks (only --net --network none)" },
	{ "netns-path", 0, true, L, COMPAT_REFUSE, NULL, ENV("NETNS_PATH"), false,
	  "joining an existing network namespace is not supported" },
	{ "hostname", 0, true, L, COMPAT_PASS, NULL, ENV("HOSTNAME"), false, NULL },
	{ "userns", 'u', false, L, COMPAT_PASS, NULL, ENV("USERNS", "UNSHARE_USERNS"), false, NULL },
	{ "fakeroot", 'f', false, L, COMPAT_PASS, NULL, ENV("FAKEROOT"), false, NULL },
	{ "no-setgroups", 0, false, L, COMPAT_PASS, NULL, ENV("NO_SETGROUPS"), false, NULL },
	{ "no-init", 0, false, L, COMPAT_PASS, NULL, ENV("NOSHIMINIT"), false, NULL },
	{ "boot", 0, false, L, COMPAT_REFUSE, NULL, ENV("BOOT"), false, "booting /sbin/init is not supported" },
	/* Privileges. */
	{ "keep-privs", 0, false, L, COMPAT_PASS, NULL, ENV("KEEP_PRIVS"), false, NULL },
	{ "no-privs", 0, false, L, COMPAT_PASS, NULL, ENV("NO_PRIVS"), false, NULL },
	{ "add-caps", 0, true, L, COMPAT_PASS, NULL, ENV("ADD_CAPS"), false, NULL },
	{ "drop-caps", 0, true, L, COMPAT_PASS, NULL, ENV("DROP_CAPS"), false, NULL },
	{ "security", 0, true, L, COMPAT_PASS, NULL, ENV("SECURITY"), false, NULL },
	{ "allow-setuid", 0, false, L, COMPAT_REFUSE, NULL, ENV("ALLOW_SETUID"), false,
	  "setuid programs in the image never gain privilege (no_new_privs)" },
	/* Resources. */
	{ "apply-cgroups", 0, true, L, COMPAT_PASS, NULL, ENV("APPLY_CGROUPS"), false, NULL },
	{ "blkio-weight", 0, true, L, COMPAT_PASS, NULL, ENV("BLKIO_WEIGHT"), false, NULL },
	{ "blkio-weight-device", 0, true, L, COMPAT_PASS, NULL, ENV("BLKIO_WEIGHT_DEVICE"), false, NULL },
	{ "cpu-shares", 0, true, L, COMPAT_PASS, NULL, ENV("CPU_SHARES"), false, NULL },
	{ "cpus", 0, true, L, COMPAT_PASS, NULL, ENV("CPUS"), false, NULL },
	{ "cpuset-cpus", 0, true, L, COMPAT_PASS, NULL, ENV("CPUSET_CPUS"), false, NULL },
	{ "cpuset-mems", 0, true, L, COMPAT_PASS, NULL, ENV("CPUSET_MEMS"), false, NULL },
	{ "memory", 0, true, L, COMPAT_PASS, NULL, ENV("MEMORY"), false, NULL },
	{ "memory-reservation", 0, true, L, COMPAT_PASS, NULL, ENV("MEMORY_RESERVATION"), false, NULL },
	{ "memory-swap", 0, true, L, COMPAT_PASS, NULL, ENV("MEMORY_SWAP"), false, NULL },
	{ "oom-kill-disable", 0, false, L, COMPAT_PASS, NULL, ENV("OOM_KILL_DISABLE"), false, NULL },
	{ "pids-limit", 0, true, L, COMPAT_PASS, NULL, ENV("PIDS_LIMIT"), false, NULL },
	/* Devices. */
	{ "nv", 0, false, L, COMPAT_PASS, NULL, ENV("NV"), false, NULL },
	{ "nvccli", 0, false, L, COMPAT_PASS, NULL, ENV("NVCCLI"), false, NULL },
	{ "rocm", 0, false, L, COMPAT_PASS, NULL, ENV("ROCM"), false, NULL },
	{ "no-nv", 0, false, L, COMPAT_NOOP, NULL, ENV("NV_OFF", "NO_NV"), false,
	  "ochre has no 'always use nv': GPUs come only with --nv" },
	{ "no-rocm", 0, false, L, COMPAT_NOOP, NULL, ENV("ROCM_OFF", "NO_ROCM"), false,
	  "ochre has no 'always use rocm': GPUs come only with --rocm" },
	{ "device", 0, true, L, COMPAT_PASS, NULL, NO_ENV, false, NULL },
	{ "cdi-dirs", 0, true, L, COMPAT_PASS, NULL, NO_ENV, false, NULL },
	/* What runs. */
	{ "app", 0, true, L, COMPAT_REFUSE, NULL, ENV("APP", "APPNAME"), false, "OCI images have no SCIF apps" },
	{ "shell", 's', true, L, COMPAT_WARN, NULL, ENV("SHELL"), false,
	  "ochre's shell runs /bin/sh; for another, use 'exec IMAGE PATH'" },
	/* Images (global flags of SingularityCE that its actions and pull take). */
	{ "oci", 0, false, L | P, COMPAT_SPECIAL, NULL, ENV("OCI"), false, "ochre always runs OCI containers" },
	{ "no-oci", 0, false, L | P, COMPAT_REFUSE, NULL, ENV("NO_OCI"), false,
	  "ochre has only OCI mode (SingularityCE's native runtime is not part of it)" },
	{ "no-https", 0, false, L | P, COMPAT_PASS, NULL, ENV("NOHTTPS", "NO_HTTPS"), false, NULL },
	{ "nohttps", 0, false, L | P, COMPAT_PASS, "no-https", NO_ENV, false, NULL },
	{ "authfile", 0, true, L | P, COMPAT_PASS, NULL, ENV("AUTHFILE"), false, NULL },
	{ "platform", 0, true, L | P, COMPAT_PASS, NULL, ENV("PLATFORM"), false, NULL },
	{ "arch", 0, true, L | P, COMPAT_SPECIAL, NULL, ENV("ARCH"), false, "linux/ARCH as --platform" },
	{ "docker-login", 0, false, L | P, COMPAT_SPECIAL, NULL, ENV("DOCKER_LOGIN"), false,
	  "asks for a user name and password, used for this command only" },
	{ "docker-username", 0, true, L | P, COMPAT_SPECIAL, NULL, NO_ENV, false, "as $OCHRE_DOCKER_USERNAME" },
	{ "docker-password", 0, true, L | P, COMPAT_SPECIAL, NULL, NO_ENV, false, "as $OCHRE_DOCKER_PASSWORD" },
	{ "docker-host", 0, true, L | P, COMPAT_REFUSE, NULL, NO_ENV, false,
	  "ochre reads images from registries and files, not from a Docker daemon" },
	{ "disable-cache", 0, false, L | P, COMPAT_WARN, NULL, ENV("DISABLE_CACHE"), false,
	  "ochre always keeps verified images in its cache" },
	{ "tmpdir", 0, true, L | P, COMPAT_NOOP, NULL, ENV("TMPDIR"), false,
	  "ochre's temporary files go under its cache, on the same filesystem as what they become" },
	{ "passphrase", 0, false, L | P, COMPAT_REFUSE, NULL, NO_ENV, false, "encrypted images are not supported" },
	{ "pem-path", 0, true, L | P, COMPAT_REFUSE, NULL, NO_ENV, false, "encrypted images are not supported" },
	{ "sif-fuse", 0, false, L, COMPAT_NOOP, NULL, ENV("SIF_FUSE"), false,
	  "ochre chooses how to mount single-file images itself" },
	{ "proot", 0, true, L, COMPAT_REFUSE, NULL, ENV("PROOT"), false, "proot is not supported" },
	/* pull's own. */
	{ "name", 0, true, P, COMPAT_PASS, NULL, NO_ENV, false, NULL },
	{ "dir", 0, true, P, COMPAT_PASS, NULL, ENV("PULLDIR", "PULLFOLDER"), false, NULL },
	{ "force", 'F', false, P, COMPAT_PASS, NULL, ENV("FORCE"), false, NULL },
	{ "keep-layers", 0, false, P, COMPAT_PASS, NULL, ENV("KEEP_LAYERS"), false, NULL },
	{ "library", 0, true, P, COMPAT_REFUSE, NULL, ENV("LIBRARY"), false, "library:// images are not supported" },
	{ "allow-unsigned", 'U', false, P, COMPAT_NOOP, NULL, ENV("ALLOW_UNSIGNED"), false,
	  "only library:// images are signature-checked on pull, and ochre has none" },
	{ "allow-unauthenticated", 0, false, P, COMPAT_NOOP, NULL, ENV("ALLOW_UNAUTHENTICATED"), false,
	  "only library:// images are signature-checked on pull, and ochre has none" },
	{ "no-cleanup", 0, false, P, COMPAT_NOOP, NULL, NO_ENV, false, "ochre removes only its own temporary files" },
	{ "with-cosign", 0, false, P, COMPAT_REFUSE, NULL, ENV("WITH_COSIGN"), false,
	  "cosign signatures are not checked by ochre" },
	/* ochre's own (no variables of the other tools). */
	{ "runtime", 0, true, L, COMPAT_PASS, NULL, NO_ENV, false, NULL },
	{ "no-pull", 0, false, L | P, COMPAT_PASS, NULL, NO_ENV, false, NULL },
	{ "no-mpi", 0, false, L, COMPAT_PASS, NULL, NO_ENV, false, NULL },
};
const unsigned compat_n_flags = sizeof compat_flags / sizeof compat_flags[0];

const struct compat_flag *compat_flag_find(const char *name, char shorthand, unsigned command)
{
	for (unsigned i = 0; i < compat_n_flags; i++) {
		const struct compat_flag *fl = &compat_flags[i];
		if (!(fl->commands & command))
			continue;
		if (name ? strcmp(fl->name, name) == 0 : fl->shorthand && fl->shorthand == shorthand)
			return fl;
	}
	return NULL;
}

int compat_parse_bool(const char *v)
{
	static const char *const yes[] = { "1", "t", "T", "true", "TRUE", "True", "yes", "on" };
	static const char *const no[] = { "0", "f", "F", "false", "FALSE", "False", "no", "off", "" };
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
		if (strcmp(v, yes[i]) == 0)
			return 1;
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
		if (strcmp(v, no[i]) == 0)
			return 0;
	return -1;
}

/* One translation in progress. */
struct translation {
	enum compat_family family;
	const char *command;
	unsigned command_bit;
	struct strv *out;
	bool given[sizeof compat_flags / sizeof compat_flags[0]]; /* on the command line */
	struct error *err;
};

/* "ochre" for our own options, else "singularity exec" and the like. */
static const char *where(const struct translation *t, char *buf, size_t size)
{
	snprintf(buf, size, "%s %s", compat_tool_name(t->family), t->command);
	return buf;
}

static void emit(struct translation *t, const char *opt, const char *value)
{
	strv_add(t->out, xasprintf("--%s", opt));
	if (value)
		strv_add(t->out, xstrdup(value));
}

/* Ask for a registry login on the terminal, as SingularityCE's
 * --docker-login does; the importer reads it from the environment. */
static int docker_login(struct translation *t)
{
	char who[64];
	if (!isatty(STDIN_FILENO))
		return error_set(t->err, 0, "%s: --docker-login needs a terminal to ask for the password on",
				 where(t, who, sizeof who));
	fputs("Enter Docker Username: ", stderr);
	char *user = NULL;
	size_t cap = 0;
	ssize_t n = getline(&user, &cap, stdin);
	if (n <= 0) {
		free(user);
		return error_set(t->err, 0, "%s: --docker-login: no user name given", where(t, who, sizeof who));
	}
	user[strcspn(user, "\n")] = '\0';
	char *pass = getpass("Enter Docker Password: ");
	if (!pass) {
		free(user);
		return error_set(t->err, 0, "%s: --docker-login: no password given", where(t, who, sizeof who));
	}
	setenv("OCHRE_DOCKER_USERNAME", user, 1);
	setenv("OCHRE_DOCKER_PASSWORD", pass, 1);
	explicit_bzero(pass, strlen(pass));
	free(user);
	return 0;
}

/* The flags that need more than a rename. */
static int apply_special(struct translation *t, const struct compat_flag *fl, const char *value)
{
	if (strcmp(fl->name, "oci") == 0) {
		log_debug("--oci: %s", fl->why);
		return 0;
	}
	if (strcmp(fl->name, "arch") == 0) {
		char *platform = xasprintf("linux/%s", value);
		emit(t, "platform", platform);
		free(platform);
		return 0;
	}
	if (strcmp(fl->name, "docker-username") == 0 || strcmp(fl->name, "docker-password") == 0) {
		setenv(fl->name[7] == 'u' ? "OCHRE_DOCKER_USERNAME" : "OCHRE_DOCKER_PASSWORD", value, 1);
		return 0;
	}
	return docker_login(t); /* the last special one */
}

/* A flag with its value (NULL for a boolean set), from the command line
 * (source NULL) or from the variable named source. */
static int apply(struct translation *t, const struct compat_flag *fl, const char *value, const char *source)
{
	char who[64], flag[64];
	snprintf(flag, sizeof flag, "%s%s", source ? "$" : "--", source ? source : fl->name);
	switch (fl->action) {
	case COMPAT_PASS: {
		char *names = xstrdup(fl->ochre ? fl->ochre : fl->name);
		for (char *save = NULL, *n = strtok_r(names, " ", &save); n; n = strtok_r(NULL, " ", &save))
			emit(t, n, fl->value ? value : NULL);
		free(names);
		return 0;
	}
	case COMPAT_NOOP:
		log_debug("%s: %s: accepted, nothing to do: %s", where(t, who, sizeof who), flag, fl->why);
		return 0;
	case COMPAT_WARN:
		log_warn("%s: ignoring %s: %s", where(t, who, sizeof who), flag, fl->why);
		return 0;
	case COMPAT_REFUSE:
		if (source) { /* a site's or a module's setting: not this command's fault */
			log_warn("%s: ignoring %s: not supported: %s", where(t, who, sizeof who), flag, fl->why);
			return 0;
		}
		return error_set(t->err, 0, "%s: %s is not supported by ochre: %s", where(t, who, sizeof who), flag,
				 fl->why);
	case COMPAT_SPECIAL:
		return apply_special(t, fl, value);
	default:
		return error_set(t->err, 0, "%s: %s: unexpected action %d", where(t, who, sizeof who), flag,
				 (int)fl->action);
	}
}

/* The variables' options, before the command line's: a value given there
 * wins (a later option overrides an earlier one), except for the flags
 * whose variable adds to it (--bind, --mount), as in SingularityCE. */
static int apply_environment(struct translation *t)
{
	for (unsigned i = 0; i < compat_n_flags; i++) {
		const struct compat_flag *fl = &compat_flags[i];
		if (!(fl->commands & t->command_bit) || (t->given[i] && !fl->env_appends))
			continue;
		const char *name = NULL, *v = NULL;
		for (size_t k = 0; !v && fl->env[k]; k++)
			v = compat_getenv(t->family, fl->env[k], &name);
		if (!v)
			continue;
		char var[96];
		snprintf(var, sizeof var, "%s", name);
		log_debug("%s=%s: as --%s", var, v, fl->name);
		if (!fl->value) {
			int b = compat_parse_bool(v);
			if (b < 0)
				return error_set(t->err, 0, "$%s: '%s' is not a boolean (true, false, 1, 0)", var, v);
			if (b == 0)
				continue;
			v = NULL;
		}
		if (apply(t, fl, v, var) < 0)
			return -1;
	}
	return 0;
}

/* Under ochre's name: only note which flags the command line gives. */
static void note_ochre_options(struct translation *t, int argc, char **argv)
{
	static const char ochre_shorts[] = "BHWSofe";
	static const char *const short_names[] = { "bind", "home", "workdir", "scratch", "overlay", "fakeroot", "env" };
	for (int i = 1; i < argc && argv[i][0] == '-' && strcmp(argv[i], "--") != 0; i++) {
		const struct compat_flag *fl = NULL;
		if (argv[i][1] == '-') {
			char *name = xstrndup(argv[i] + 2, strcspn(argv[i] + 2, "="));
			fl = compat_flag_find(name, 0, t->command_bit);
			if (fl && fl->value && !strchr(argv[i], '='))
				i++;
			free(name);
		} else if (argv[i][1] && strchr(ochre_shorts, argv[i][1])) {
			fl = compat_flag_find(short_names[strchr(ochre_shorts, argv[i][1]) - ochre_shorts], 0,
					      t->command_bit);
			if (argv[i][1] != 'f' && !argv[i][2])
				i++;
		}
		if (fl)
			t->given[fl - compat_flags] = true;
	}
}

/* One long option of the tool's; *i moves past its value. */
static int translate_long(struct translation *t, int argc, char **argv, int *i)
{
	char who[64];
	const char *arg = argv[*i] + 2, *eq = strchr(arg, '=');
	char *name = xstrndup(arg, eq ? (size_t)(eq - arg) : strlen(arg));
	const struct compat_flag *fl = compat_flag_find(name, 0, t->command_bit);
	if (!fl) {
		error_set(t->err, 0, "%s: unknown or unsupported flag --%s", where(t, who, sizeof who), name);
		free(name);
		return -1;
	}
	free(name);
	const char *value = eq ? eq + 1 : NULL;
	if (fl->value && !value) {
		if (*i + 1 >= argc)
			return error_set(t->err, 0, "%s: flag --%s needs a value", where(t, who, sizeof who), fl->name);
		value = argv[++*i];
	} else if (!fl->value && value) {
		int b = compat_parse_bool(value);
		if (b < 0)
			return error_set(t->err, 0, "%s: --%s=%s: not a boolean", where(t, who, sizeof who), fl->name,
					 value);
		if (b == 0)
			return 0;
		value = NULL;
	}
	t->given[fl - compat_flags] = true;
	return apply(t, fl, value, NULL);
}

/* "-abc": one-letter flags, the last may take a value (the rest of the
 * word, or the next one). */
static int translate_short(struct translation *t, int argc, char **argv, int *i)
{
	char who[64];
	for (const char *p = argv[*i] + 1; *p; p++) {
		const struct compat_flag *fl = compat_flag_find(NULL, *p, t->command_bit);
		if (!fl)
			return error_set(t->err, 0, "%s: unknown or unsupported flag -%c", where(t, who, sizeof who),
					 *p);
		const char *value = NULL;
		if (fl->value) {
			if (p[1])
				value = p + 1;
			else if (*i + 1 < argc)
				value = argv[++*i];
			else
				return error_set(t->err, 0, "%s: flag -%c needs a value", where(t, who, sizeof who),
						 *p);
		}
		t->given[fl - compat_flags] = true;
		if (apply(t, fl, value, NULL) < 0)
			return -1;
		if (value)
			break;
	}
	return 0;
}

/* The tool's flags, up to the first argument that is not one. Returns
 * the index of that argument, or -1. */
static int translate_options(struct translation *t, int argc, char **argv, struct strv *opts)
{
	struct strv *saved = t->out;
	t->out = opts;
	int i = 1, ret = 0;
	for (; i < argc && ret == 0 && argv[i][0] == '-' && argv[i][1]; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		ret = argv[i][1] == '-' ? translate_long(t, argc, argv, &i) : translate_short(t, argc, argv, &i);
	}
	t->out = saved;
	return ret < 0 ? -1 : i;
}

static unsigned command_bit(const char *command)
{
	if (strcmp(command, "exec") == 0 || strcmp(command, "run") == 0 || strcmp(command, "shell") == 0)
		return COMPAT_LAUNCH;
	if (strcmp(command, "pull") == 0)
		return COMPAT_PULL;
	return 0;
}

int compat_translate(enum compat_family f, int argc, char **argv, struct strv *out, struct error *err)
{
	struct translation t = {
		.family = f, .command = argv[0], .command_bit = command_bit(argv[0]), .out = out, .err = err
	};
	strv_add(out, xstrdup(argv[0]));
	int first = 1;
	struct strv opts = { 0 };
	if (t.command_bit && f == COMPAT_OCHRE) {
		note_ochre_options(&t, argc, argv);
	} else if (t.command_bit) {
		/* --help is ochre's own: it describes what ochre does. */
		for (int i = 1; i < argc && argv[i][0] == '-'; i++)
			if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
				strv_add(out, xstrdup("--help"));
				return 0;
			}
		first = translate_options(&t, argc, argv, &opts);
	}
	if (first < 0 || (t.command_bit && apply_environment(&t) < 0)) {
		strv_free(opts.v);
		return -1;
	}
	for (size_t i = 0; i < opts.n; i++)
		strv_add(out, opts.v[i]);
	free(opts.v);
	/* `pull [FILE] URI`: the file is --name's. */
	if (f != COMPAT_OCHRE && t.command_bit == COMPAT_PULL && argc - first == 2) {
		emit(&t, "name", argv[first]);
		first++;
	}
	for (int i = first; i < argc; i++)
		strv_add(out, xstrdup(argv[i]));
	return 0;
}
