#define _GNU_SOURCE
#include "launch_options.h"

#include "../util/xalloc.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMAGE_HELP                                                                           \
	"IMAGE:\n"                                                                           \
	"  oci:DIR[:TAG]              an OCI image layout (skopeo, umoci, buildah)\n"        \
	"  oci-archive:FILE[:TAG]     a tar of an OCI image layout\n"                        \
	"  docker-archive:FILE[:REF]  a 'docker save' tarball\n"                             \
	"  docker://[REGISTRY/]REPO[:TAG|@DIGEST]  an image in a registry (Docker Hub\n"     \
	"                             when REGISTRY is left out); see 'ochre pull --help'\n" \
	"  DIR                        an OCI layout (DIR/oci-layout exists), or else a\n"    \
	"                             root filesystem directory, used as it is\n"            \
	"  FILE                       a single-file image, told by its first bytes\n"        \
	"                             whatever its name: an OCI-SIF, a SIF or a\n"           \
	"                             squashfs, run in place (each squashfs served by\n"     \
	"                             squashfuse_ll from the file, never unpacked)\n"        \
	"An OCI image is verified and unpacked into your cache once (progress shows\n"       \
	"on a terminal); later launches use the cached copy.\n\n"

#define OPTIONS_HELP                                                                          \
	"Options:\n"                                                                          \
	"  --runtime NAME          OCI runtime: crun or runc (default: the config's\n"        \
	"                          'runtime' order, crun then runc)\n"                        \
	" Images:\n"                                                                          \
	"  --platform OS/ARCH[/VARIANT]  the image to pick from a multi-platform index\n"     \
	"                          (default: the host's, e.g. linux/amd64)\n"                 \
	"  --authfile FILE         docker://: registry credentials from FILE (auth.json)\n"   \
	"  --no-https              docker://: plain HTTP, no TLS (a local registry)\n"        \
	"  --no-pull               docker://: use the cached image, never ask the registry\n" \
	" Environment:\n"                                                                     \
	"  -e, --env K=V[,K=V]     set variables in the container (repeatable)\n"             \
	"  --env-file FILE[,FILE]  set variables from FILE (NAME=value; $X expands;\n"        \
	"                          repeatable, later files win)\n"                            \
	"  --no-eval               --env-file values as written: no $X expansion\n"           \
	"  --cleanenv              pass not even TERM and the proxy variables\n"              \
	" Files and mounts:\n"                                                                \
	"  -B, --bind SRC[:DST[:ro|rw]][,...]\n"                                              \
	"                          bind a host path (DST defaults to SRC; repeatable)\n"      \
	"  --mount type=bind,source=SRC,destination=DST[,ro]\n"                               \
	"                          the same, in docker's syntax (repeatable)\n"               \
	"  -H, --home SRC[:DST]    bind SRC as the home directory (at DST, default SRC)\n"    \
	"  --no-home               no home directory mount\n"                                 \
	"  --pwd, --cwd DIR        working directory in the container\n"                      \
	"  -W, --workdir DIR       keep /tmp and /var/tmp in DIR/tmp and DIR/var_tmp\n"       \
	"  -S, --scratch DIR[,...] an empty writable DIR in the container: a tmpfs, or\n"     \
	"                          under the workdir with -W (repeatable)\n"                  \
	"  --no-mount NAME[,...]   skip a default mount: proc, sys, tmp, home, cwd,\n"        \
	"                          bind-paths (dev and devpts cannot be skipped)\n"           \
	"  --writable-tmpfs        writable root whose changes vanish at exit (the\n"         \
	"                          default; with --no-compat the root is read-only)\n"        \
	"  -o, --overlay DIR[:ro]  stack DIR on the image: writable and persistent\n"         \
	"                          (one, yours, holding upper/ and work/), or read-only\n"    \
	"                          with :ro (several; the first given is top-most)\n"         \
	"  --dns IP[,IP]           nameservers for the container's /etc/resolv.conf\n"        \
	"  --contain               no host home, /tmp or cwd: what ochre does anyway\n"       \
	"                          (refused with --no-compat)\n"                              \
	"  --no-compat             SingularityCE's native behaviour: bind $HOME, /tmp,\n"     \
	"                          /var/tmp, the current directory (the cwd), the\n"          \
	"                          host's /dev (the config's 'mount dev') and the\n"          \
	"                          admin's 'bind path's; pass the host environment;\n"        \
	"                          read-only root; keep your umask\n"                         \
	"  --no-umask              with --no-compat: umask 0022, not yours\n"                 \
	"  --no-mpi                in a Slurm step or MPI launch, do not pass the\n"          \
	"                          launch's variables, PMIx directory and /dev/shm\n"         \
	" Namespaces and identity:\n"                                                         \
	"  --hostname NAME         the container's hostname\n"                                \
	"  --net                   a network namespace of its own ...\n"                      \
	"  --network none          ... with only a loopback interface\n"                      \
	"  --no-pid                no pid namespace of its own (not pid 1)\n"                 \
	"  --oci, --pid, --ipc, --uts, --no-init  accepted: ochre always runs OCI\n"          \
	"                          containers with their own pid, ipc and uts\n"              \
	"                          namespaces and no init process\n"                          \
	"  -f, --fakeroot          be root in the container (your /etc/subuid and\n"          \
	"                          /etc/subgid ranges are mapped when you have them)\n"       \
	"  --no-setgroups          keep your supplementary groups (crun only)\n"              \
	"  --userns                user-namespace mode even where ochre-starter is\n"         \
	"                          installed setuid root\n"                                   \
	" Privileges:\n"                                                                      \
	"  --add-caps CAP[,CAP]    add capabilities (CAP_X or x)\n"                           \
	"  --drop-caps CAP[,CAP]   drop capabilities\n"                                       \
	"  --keep-privs            root (or --fakeroot) keeps every capability\n"             \
	"  --no-privs              no capabilities at all, even for root\n"                   \
	"  --security TYPE:VALUE   selinux:LABEL or apparmor:PROFILE (where the host\n"       \
	"                          enables it)\n" RESOURCE_HELP " Devices and GPUs:\n"        \
	"  --device VENDOR/CLASS=NAME[,...]\n"                                                \
	"                          a CDI device (e.g. nvidia.com/gpu=0; NAME 'all' for\n"     \
	"                          every device of that kind; repeatable)\n"                  \
	"  --cdi-dirs DIR[,DIR]    where CDI specs are (default: /etc/cdi,/var/run/cdi;\n"    \
	"                          in setuid mode only root-owned, not group/other-\n"        \
	"                          writable ones are read)\n"                                 \
	"  --nv                    NVIDIA GPUs: the driver's libraries (the config's\n"       \
	"                          nvliblist.conf) in /.singularity.d/libs, on\n"             \
	"                          LD_LIBRARY_PATH; its tools in /usr/bin; /dev/nvidia*;\n"   \
	"                          NVIDIA_VISIBLE_DEVICES and CUDA_VISIBLE_DEVICES passed.\n" \
	"                          Without a driver: a warning, and the container runs\n"     \
	"  --nvccli                the same through the host's nvidia-container-cli\n"        \
	"  --rocm                  AMD GPUs: rocmliblist.conf, /dev/kfd, /dev/dri\n"          \
	"  A -B/--mount of a device node, or of a directory of them under /dev\n"             \
	"  (/dev/infiniband, /dev/dri), is usable: the host's permissions decide.\n"          \
	"  -h, --help              show this help\n\n"

#define ENV_HELP                                                                        \
	"Environment: the host's is not passed (except with --no-compat), but TERM\n"   \
	"and the proxy variables are. Lowest precedence first: the image's Env, then\n" \
	"OCHREENV_NAME=value (also SINGULARITYENV_ and APPTAINERENV_) from the host,\n" \
	"then --env-file, then --env. APPEND_PATH / PREPEND_PATH (e.g.\n"               \
	"OCHREENV_APPEND_PATH=/opt/bin) extend PATH. Names that are not shell\n"        \
	"identifiers are dropped with a warning.\n"

#define CONTAINER_HELP                                                                 \
	"The container (SingularityCE's OCI-mode defaults) gets its own pid, mount,\n" \
	"ipc and uts namespaces; /proc; /sys; a fresh /dev; private tmpfs /tmp and\n"  \
	"/var/tmp; a tmpfs home at your home's path (its working directory, unless\n"  \
	"the image sets WorkingDir); /etc/passwd and /etc/group with your entry and\n" \
	"groups; the host's /etc/resolv.conf and /etc/hosts; a writable root whose\n"  \
	"changes vanish when it exits. It runs as you (root stays root, and only\n"    \
	"root takes on the image's User). Its exit status is ochre's; ochre's own\n"   \
	"errors exit 255.\n\n"

static const char *const usages[] = {
	[LAUNCH_EXEC] =
		"Usage: ochre exec [OPTIONS] IMAGE COMMAND [ARGS...]\n\n"
		"Run COMMAND in a new container made from IMAGE.\n" CONTAINER_HELP IMAGE_HELP OPTIONS_HELP ENV_HELP,
	[LAUNCH_RUN] = "Usage: ochre run [OPTIONS] IMAGE [ARGS...]\n\n"
		       "Run the image's Entrypoint with ARGS, or with its Cmd when no ARGS are given.\n" CONTAINER_HELP
			       IMAGE_HELP OPTIONS_HELP ENV_HELP,
	[LAUNCH_SHELL] =
		"Usage: ochre shell [OPTIONS] IMAGE\n\n"
		"Run /bin/sh in a new container made from IMAGE.\n" CONTAINER_HELP IMAGE_HELP OPTIONS_HELP ENV_HELP,
};

static const char *const mode_names[] = {
	[LAUNCH_EXEC] = "exec",
	[LAUNCH_RUN] = "run",
	[LAUNCH_SHELL] = "shell",
};

const char *launch_usage(enum launch_mode mode)
{
	return usages[mode];
}

/* A hostname as the kernel and resolvers accept it: letters, digits, '-'
 * and '.', at most 64 bytes. */
static bool hostname_is_valid(const char *h)
{
	size_t n = strlen(h);
	return n > 0 && n <= 64 && h[0] != '-' &&
	       strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") == n;
}

static int parse_no_mount(const char *arg, unsigned *bits, struct error *err)
{
	static const struct {
		const char *name;
		unsigned bit;
	} names[] = {
		{ "proc", NO_MOUNT_PROC }, { "sys", NO_MOUNT_SYS }, { "tmp", NO_MOUNT_TMP },
		{ "home", NO_MOUNT_HOME }, { "cwd", NO_MOUNT_CWD }, { "bind-paths", NO_MOUNT_BIND_PATHS },
	};
	char *copy = xstrdup(arg);
	int ret = 0;
	for (char *save = NULL, *n = strtok_r(copy, ",", &save); n && ret == 0; n = strtok_r(NULL, ",", &save)) {
		size_t i;
		for (i = 0; i < sizeof names / sizeof names[0]; i++)
			if (strcmp(n, names[i].name) == 0)
				break;
		if (i < sizeof names / sizeof names[0])
			*bits |= names[i].bit;
		else if (strcmp(n, "dev") == 0 || strcmp(n, "devpts") == 0)
			ret = error_set(err, 0,
					"--no-mount %s: /dev and /dev/pts cannot be disabled "
					"(the OCI runtime needs them)",
					n);
		else
			ret = error_set(err, 0,
					"--no-mount: unknown mount '%s' (known: proc, sys, tmp, home, "
					"cwd, bind-paths)",
					n);
	}
	free(copy);
	return ret;
}

enum {
	OPT_RUNTIME = 256,
	OPT_ENV_FILE,
	OPT_CLEANENV,
	OPT_HOSTNAME,
	OPT_NO_PID,
	OPT_PWD,
	OPT_MOUNT,
	OPT_NO_HOME,
	OPT_NO_MOUNT,
	OPT_NET,
	OPT_NETWORK,
	OPT_NO_SETGROUPS,
	OPT_ADD_CAPS,
	OPT_DROP_CAPS,
	OPT_KEEP_PRIVS,
	OPT_NO_PRIVS,
	OPT_WRITABLE_TMPFS,
	OPT_SECURITY,
	OPT_DNS,
	OPT_NO_COMPAT,
	OPT_NO_UMASK,
	OPT_USERNS,
	OPT_DEVICE,
	OPT_CDI_DIRS,
	OPT_NV,
	OPT_NVCCLI,
	OPT_ROCM,
	OPT_NO_MPI,
	OPT_NO_EVAL,
	OPT_CONTAIN,
	OPT_NAMESPACE_NOOP,
};

static const struct option longopts[] = {
	{ "runtime", required_argument, NULL, OPT_RUNTIME },
	{ "env", required_argument, NULL, 'e' },
	{ "env-file", required_argument, NULL, OPT_ENV_FILE },
	{ "cleanenv", no_argument, NULL, OPT_CLEANENV },
	{ "hostname", required_argument, NULL, OPT_HOSTNAME },
	{ "no-pid", no_argument, NULL, OPT_NO_PID },
	{ "pwd", required_argument, NULL, OPT_PWD },
	{ "cwd", required_argument, NULL, OPT_PWD },
	{ "bind", required_argument, NULL, 'B' },
	{ "mount", required_argument, NULL, OPT_MOUNT },
	{ "home", required_argument, NULL, 'H' },
	{ "no-home", no_argument, NULL, OPT_NO_HOME },
	{ "workdir", required_argument, NULL, 'W' },
	{ "scratch", required_argument, NULL, 'S' },
	{ "no-mount", required_argument, NULL, OPT_NO_MOUNT },
	{ "net", no_argument, NULL, OPT_NET },
	{ "network", required_argument, NULL, OPT_NETWORK },
	{ "fakeroot", no_argument, NULL, 'f' },
	{ "no-setgroups", no_argument, NULL, OPT_NO_SETGROUPS },
	{ "add-caps", required_argument, NULL, OPT_ADD_CAPS },
	{ "drop-caps", required_argument, NULL, OPT_DROP_CAPS },
	{ "keep-privs", no_argument, NULL, OPT_KEEP_PRIVS },
	{ "no-privs", no_argument, NULL, OPT_NO_PRIVS },
	{ "writable-tmpfs", no_argument, NULL, OPT_WRITABLE_TMPFS },
	{ "overlay", required_argument, NULL, 'o' },
	{ "security", required_argument, NULL, OPT_SECURITY },
	{ "dns", required_argument, NULL, OPT_DNS },
	{ "no-compat", no_argument, NULL, OPT_NO_COMPAT },
	{ "no-umask", no_argument, NULL, OPT_NO_UMASK },
	{ "userns", no_argument, NULL, OPT_USERNS },
	{ "device", required_argument, NULL, OPT_DEVICE },
	{ "cdi-dirs", required_argument, NULL, OPT_CDI_DIRS },
	{ "nv", no_argument, NULL, OPT_NV },
	{ "nvccli", no_argument, NULL, OPT_NVCCLI },
	{ "rocm", no_argument, NULL, OPT_ROCM },
	{ "no-mpi", no_argument, NULL, OPT_NO_MPI },
	{ "no-eval", no_argument, NULL, OPT_NO_EVAL },
	/* SingularityCE's: what ochre always does, accepted so that job
	 * scripts keep working (docs/SINGULARITY-COMPAT.md says why each). */
	{ "contain", no_argument, NULL, OPT_CONTAIN },
	{ "oci", no_argument, NULL, OPT_NAMESPACE_NOOP },
	{ "pid", no_argument, NULL, OPT_NAMESPACE_NOOP },
	{ "ipc", no_argument, NULL, OPT_NAMESPACE_NOOP },
	{ "uts", no_argument, NULL, OPT_NAMESPACE_NOOP },
	{ "no-init", no_argument, NULL, OPT_NAMESPACE_NOOP },
	IMAGE_PULL_LONGOPTS,
	RESOURCE_LONGOPTS,
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* One option; 0, or -1 with err set. */
static int take_option(const char *name, int c, struct launch_options *o, struct error *err)
{
	switch (c) {
	case OPT_RUNTIME:
		o->runtime = optarg;
		break;
	case 'e':
		o->env.env_args[o->env.n_env_args++] = optarg;
		break;
	case OPT_ENV_FILE:
		o->env.env_files[o->env.n_env_files++] = optarg;
		break;
	case OPT_NO_EVAL:
		o->env.no_eval = true;
		break;
	case OPT_CONTAIN:
		o->contain = true;
		break;
	case OPT_NAMESPACE_NOOP: /* --oci, --pid, --ipc, --uts, --no-init: see compat_flags.c */
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
	case 'B':
		strv_add(&o->binds, xstrdup(optarg));
		break;
	case OPT_MOUNT:
		strv_add(&o->mounts, xstrdup(optarg));
		break;
	case 'H':
		o->home = optarg;
		break;
	case OPT_NO_HOME:
		o->no_home = true;
		break;
	case 'W':
		o->workdir = optarg;
		break;
	case 'S':
		strv_add(&o->scratch, xstrdup(optarg));
		break;
	case OPT_NO_MOUNT:
		return parse_no_mount(optarg, &o->no_mount, err);
	case OPT_NET:
		o->net = true;
		break;
	case OPT_NETWORK:
		if (strcmp(optarg, "none") != 0)
			return error_set(err, 0,
					 "%s: --network %s is not supported: only 'none' (a loopback "
					 "interface only) is",
					 name, optarg);
		o->network = optarg;
		break;
	case 'f':
		o->fakeroot = true;
		break;
	case OPT_NO_SETGROUPS:
		o->no_setgroups = true;
		break;
	case OPT_ADD_CAPS:
		strv_add(&o->add_caps, xstrdup(optarg));
		break;
	case OPT_DROP_CAPS:
		strv_add(&o->drop_caps, xstrdup(optarg));
		break;
	case OPT_KEEP_PRIVS:
		o->keep_privs = true;
		break;
	case OPT_NO_PRIVS:
		o->no_privs = true;
		break;
	case OPT_WRITABLE_TMPFS:
		o->writable_tmpfs = true;
		break;
	case 'o':
		strv_add(&o->overlays, xstrdup(optarg));
		break;
	case OPT_SECURITY:
		strv_add(&o->security, xstrdup(optarg));
		break;
	case OPT_DNS:
		o->dns = optarg;
		break;
	case OPT_NO_COMPAT:
		o->no_compat = true;
		break;
	case OPT_NO_UMASK:
		o->no_umask = true;
		break;
	case OPT_USERNS:
		o->userns = true;
		break;
	case OPT_DEVICE:
		strv_add(&o->devices.cdi, xstrdup(optarg));
		break;
	case OPT_CDI_DIRS:
		strv_add(&o->devices.cdi_dirs, xstrdup(optarg));
		break;
	case OPT_NV:
		o->devices.nv = true;
		break;
	case OPT_NVCCLI:
		o->devices.nvccli = true;
		break;
	case OPT_ROCM:
		o->devices.rocm = true;
		break;
	case OPT_NO_MPI:
		o->no_mpi = true;
		break;
	default: {
		int taken = resource_option(c, optarg, name, &o->limits, err);
		if (taken == 0)
			taken = image_pull_option(c, optarg, name, &o->pull, err);
		return taken < 0 ? -1 : !taken;
	}
	}
	return 0;
}

int launch_options_parse(enum launch_mode mode, int argc, char **argv, struct launch_options *o, struct error *err)
{
	const char *name = mode_names[mode];
	/* '+': stop at IMAGE so the command's own options stay its own. */
	opterr = 0;
	optind = 1;
	int c;
	o->env.env_args = xcalloc((size_t)argc, sizeof *o->env.env_args);
	o->env.env_files = xcalloc((size_t)argc, sizeof *o->env.env_files);
	while ((c = getopt_long(argc, argv, "+:he:B:H:W:S:fo:", longopts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usages[mode], stdout);
			return 1;
		}
		if (c == ':')
			return error_set(err, 0, "%s: option '%s' needs a value", name, argv[optind - 1]);
		int ret = take_option(name, c, o, err);
		if (ret < 0)
			return -1;
		if (ret > 0) {
			char opt[64];
			if (optopt)
				snprintf(opt, sizeof opt, "-%c", optopt);
			else
				snprintf(opt, sizeof opt, "%.*s", (int)strcspn(argv[optind - 1], "="),
					 argv[optind - 1]);
			return error_set(err, 0, "%s: unknown option '%s'", name, opt);
		}
	}
	if (o->network && !o->net)
		return error_set(err, 0, "%s: --network needs --net", name);
	if (o->keep_privs && o->no_privs)
		return error_set(err, 0, "%s: --keep-privs and --no-privs contradict each other", name);
	if (o->contain && o->no_compat)
		return error_set(err, 0,
				 "%s: --contain (or --containall) and --no-compat contradict each other: "
				 "ochre contains by default, --no-compat shares the host's home, /tmp and "
				 "environment",
				 name);
	if (o->home && o->no_home)
		return error_set(err, 0, "%s: --home and --no-home contradict each other", name);
	if (optind >= argc)
		return error_set(err, 0, "%s: missing image%s (see 'ochre %s --help')", name,
				 mode == LAUNCH_EXEC ? " and command" : "", name);
	o->image = argv[optind];
	o->env.image = o->image;
	o->command = argv + optind + 1;
	if (mode == LAUNCH_EXEC && !o->command[0])
		return error_set(err, 0, "exec: missing command to run in the container");
	if (mode == LAUNCH_SHELL && o->command[0])
		return error_set(err, 0, "shell: unexpected argument '%s' (use 'ochre exec IMAGE CMD...')",
				 o->command[0]);
	return 0;
}

void launch_options_free(struct launch_options *o)
{
	free(o->env.env_args);
	free(o->env.env_files);
	strv_free(o->binds.v);
	strv_free(o->mounts.v);
	strv_free(o->scratch.v);
	strv_free(o->add_caps.v);
	strv_free(o->drop_caps.v);
	strv_free(o->overlays.v);
	strv_free(o->security.v);
	resource_options_free(&o->limits);
	device_options_free(&o->devices);
	memset(o, 0, sizeof *o);
}
