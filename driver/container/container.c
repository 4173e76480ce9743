#define _GNU_SOURCE
#include "container.h"

#include "../../common/log.h"
#include "../util/xalloc.h"
#include "binds.h"
#include "etc_files.h"
#include "mountpoints.h"
#include "mpi.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HOST_TMP_DIRS 2

/* What the runtime mounts in every container (less what --no-mount drops).
 * /dev: a fresh tmpfs the runtime fills with the standard devices; with
 * --no-compat and 'mount dev = yes', the host's /dev, bound (SingularityCE
 * with crun does the same), with the host's permissions on every node. */
static void add_system_mounts(struct container *c, unsigned no_mount, bool host_dev)
{
	struct mount_list *m = &c->mounts;
	/* A new proc needs a pid namespace owned by the mounting user
	 * namespace; a rootless container without its own (--no-pid) gets
	 * the starter's proc by bind instead. */
	if (!(no_mount & NO_MOUNT_PROC)) {
		if (c->rootless && c->no_pid)
			mount_list_add(m, "/proc", "none", "/proc",
				       (const char *[]){ "rbind", "nosuid", "noexec", "nodev", NULL }, false);
		else
			mount_list_add(m, "/proc", "proc", "proc",
				       (const char *[]){ "nosuid", "noexec", "nodev", NULL }, false);
	}
	if (host_dev) {
		mount_list_bind_devices(m, "/dev", "/dev", false, false);
		devices_allow_host_path(c, "/dev");
	} else {
		mount_list_add(m, "/dev", "tmpfs", "tmpfs",
			       (const char *[]){ "nosuid", "strictatime", "mode=755", "size=65536k", NULL }, false);
	}
	/* gid=5 (tty) exists only when the host's group 5 is mapped, as root. */
	mount_list_add(
		m, "/dev/pts", "devpts", "devpts",
		c->rootless ? (const char *[]){ "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", NULL }
			    : (const char *[]){ "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620",
						"gid=5", NULL },
		false);
	mount_list_add(m, "/dev/shm", "tmpfs", "shm",
		       (const char *[]){ "nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL }, false);
	mount_list_add(m, "/dev/mqueue", "mqueue", "mqueue", (const char *[]){ "nosuid", "noexec", "nodev", NULL },
		       false);
	/* A new sysfs needs a network namespace owned by the mounting user
	 * namespace; without one a rootless container gets a read-only bind. */
	if (!(no_mount & NO_MOUNT_SYS)) {
		if (c->rootless && !c->net)
			mount_list_add(m, "/sys", "none", "/sys",
				       (const char *[]){ "rbind", "nosuid", "noexec", "nodev", "ro", NULL }, false);
		else
			mount_list_add(m, "/sys", "sysfs", "sysfs",
				       (const char *[]){ "nosuid", "noexec", "nodev", "ro", NULL }, false);
	}
}

static int check_dir(const char *flag, const char *path, char **real, struct error *err)
{
	struct stat st;
	*real = realpath(path, NULL);
	if (!*real || stat(*real, &st) < 0 || !S_ISDIR(st.st_mode)) {
		free(*real);
		*real = NULL;
		return error_set(err, 0, "%s: '%s' is not an existing directory", flag, path);
	}
	return 0;
}

/* /tmp and /var/tmp: private tmpfs (compat), the host's (--no-compat), or
 * WORKDIR/tmp and WORKDIR/var_tmp (-W; made by container_finish). */
static void add_tmp(struct container *c, const struct launch_options *o, const char *workdir)
{
	static const char *const dests[HOST_TMP_DIRS] = { "/tmp", "/var/tmp" };
	static const char *const in_workdir[HOST_TMP_DIRS] = { "tmp", "var_tmp" };
	if (o->no_mount & NO_MOUNT_TMP)
		return;
	for (size_t i = 0; i < HOST_TMP_DIRS; i++) {
		if (workdir) {
			char *src = xasprintf("%s/%s", workdir, in_workdir[i]);
			mount_list_bind(&c->mounts, src, dests[i], false, true);
			free(src);
		} else if (o->no_compat) {
			mount_list_bind(&c->mounts, dests[i], dests[i], false, false);
		} else {
			mount_list_add(&c->mounts, dests[i], "tmpfs", "tmpfs",
				       (const char *[]){ "nosuid", "nodev", "mode=1777", NULL }, false);
		}
	}
}

/* The home directory: -H SRC[:DST]; else a private tmpfs (compat; under
 * the workdir with -W) or the host's (--no-compat), at the caller's home
 * path (/root under --fakeroot). */
static void add_home(struct container *c, const struct launch_options *o, const struct bind_spec *home_bind,
		     const char *host_home)
{
	if (home_bind) {
		mount_list_bind(&c->mounts, home_bind->src, home_bind->dst, false, true);
		return;
	}
	if (o->no_home || (o->no_mount & NO_MOUNT_HOME) || strcmp(c->home, "/") == 0)
		return;
	struct stat st;
	if (c->workdir && !o->no_compat) {
		char *src = xasprintf("%s/home", c->workdir);
		mount_list_bind(&c->mounts, src, c->home, false, true);
		free(src);
	} else if (o->no_compat && stat(host_home, &st) == 0 && S_ISDIR(st.st_mode)) {
		mount_list_bind(&c->mounts, host_home, c->home, false, false);
	} else {
		char uid[48], gid[48];
		snprintf(uid, sizeof uid, "uid=%lu", (unsigned long)c->proc.uid);
		snprintf(gid, sizeof gid, "gid=%lu", (unsigned long)c->proc.gid);
		mount_list_add(&c->mounts, c->home, "tmpfs", "tmpfs",
			       (const char *[]){ "nosuid", "nodev", "mode=0700", uid, gid, NULL }, false);
	}
}

/* Is path inside (or equal to) a directory the container sees at the same
 * path as the host: a bind whose source and destination agree? */
static bool visible_as_on_host(const struct mount_list *m, const char *path)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct mount_entry *e = &m->v[i];
		size_t len = strlen(e->dest);
		if (strcmp(e->type, "none") == 0 && strcmp(e->source, e->dest) == 0 &&
		    strncmp(path, e->dest, len) == 0 && (path[len] == '\0' || path[len] == '/'))
			return true;
	}
	return false;
}

/* --no-compat binds the current directory, unless it is a system directory
 * (binding the host's /usr over the image's would break the image). */
static char *add_cwd(struct container *c, const struct launch_options *o)
{
	static const char *const system_dirs[] = { "/bin",   "/boot",   "/dev", "/etc",  "/lib", "/lib32",
						   "/lib64", "/libx32", "/opt", "/proc", "/run", "/sbin",
						   "/srv",   "/sys",    "/usr", "/var" };
	char *cwd = getcwd(NULL, 0);
	if (!cwd)
		return NULL;
	if (visible_as_on_host(&c->mounts, cwd))
		return cwd;
	bool system = strcmp(cwd, "/") == 0;
	for (size_t i = 0; !system && i < sizeof system_dirs / sizeof system_dirs[0]; i++) {
		size_t len = strlen(system_dirs[i]);
		system = strncmp(cwd, system_dirs[i], len) == 0 && (cwd[len] == '\0' || cwd[len] == '/');
	}
	if (system || (o->no_mount & NO_MOUNT_CWD)) {
		free(cwd);
		return NULL;
	}
	mount_list_bind(&c->mounts, cwd, cwd, false, false);
	return cwd;
}

/* A bind of a device node, or of a directory of them under the host's /dev,
 * goes without nodev (see mount_list_bind_devices); a user's (not root's)
 * only where the admin's 'allow device path' list lets it. */
static int add_bind_checked(struct container *c, const struct ochre_config *cfg, const char *flag,
			    const struct bind_spec *b, bool user, struct error *err)
{
	if (!bind_source_is_device(b->src)) {
		mount_list_bind(&c->mounts, b->src, b->dst, b->ro, user);
		return 0;
	}
	if (user && c->rootless && !device_path_listed(b->src, cfg->device_paths.v, cfg->device_paths.n))
		return error_set(err, 0,
				 "%s: '%s' is a device the administrator does not let users bind "
				 "(see 'allow device path' in the config)",
				 flag, b->src);
	mount_list_bind_devices(&c->mounts, b->src, b->dst, b->ro, user);
	devices_allow_host_path(c, b->src);
	return 0;
}

/* The admin's 'bind path' entries (--no-compat); a missing source is the
 * site's problem, not the user's: warn and go on. */
static void add_admin_binds(struct container *c, const struct ochre_config *cfg)
{
	for (size_t i = 0; i < cfg->bind_paths.n; i++) {
		struct bind_spec b;
		struct error err = { .msg = "" };
		if (bind_parse("config 'bind path'", cfg->bind_paths.v[i], false, &b, &err) < 0) {
			log_warn("%s", err.msg);
			continue;
		}
		add_bind_checked(c, cfg, "config 'bind path'", &b, false, &err);
		bind_spec_free(&b);
	}
}

static int add_user_binds(struct container *c, const struct launch_options *o, const struct ochre_config *cfg,
			  struct error *err)
{
	if ((o->binds.n || o->mounts.n) && !cfg->user_bind_control) {
		log_warn("ignoring -B/--bind and --mount: the administrator disabled user binds "
			 "('user bind control = no')");
		return 0;
	}
	for (size_t i = 0; i < o->binds.n; i++) {
		char *copy = xstrdup(o->binds.v[i]);
		int ret = 0;
		for (char *save = NULL, *item = strtok_r(copy, ",", &save); item && ret == 0;
		     item = strtok_r(NULL, ",", &save)) {
			struct bind_spec b;
			ret = bind_parse("--bind", item, true, &b, err);
			if (ret == 0)
				ret = add_bind_checked(c, cfg, "--bind", &b, true, err);
			bind_spec_free(&b);
		}
		free(copy);
		if (ret < 0)
			return -1;
	}
	for (size_t i = 0; i < o->mounts.n; i++) {
		struct bind_spec b;
		if (bind_parse_mount(o->mounts.v[i], &b, err) < 0)
			return -1;
		int ret = add_bind_checked(c, cfg, "--mount", &b, true, err);
		bind_spec_free(&b);
		if (ret < 0)
			return -1;
	}
	return 0;
}

/* -S DIR: an empty writable directory: a tmpfs, or WORKDIR/scratch/NAME. */
static int add_scratch(struct container *c, const struct launch_options *o, const char *workdir,
		       unsigned long long tmpfs_size, struct error *err)
{
	for (size_t i = 0; i < o->scratch.n; i++) {
		char *copy = xstrdup(o->scratch.v[i]);
		int ret = 0;
		for (char *save = NULL, *item = strtok_r(copy, ",", &save); item && ret == 0;
		     item = strtok_r(NULL, ",", &save)) {
			char *dest = container_path("--scratch", item, err);
			if (!dest || strcmp(dest, "/") == 0) {
				if (dest)
					error_set(err, 0, "--scratch: '/' cannot be a scratch directory");
				ret = -1;
			} else if (workdir) {
				char *src = xasprintf("%s/scratch/%s", workdir, strrchr(dest, '/') + 1);
				mount_list_bind(&c->mounts, src, dest, false, true);
				free(src);
			} else {
				char size[48], uid[48], gid[48];
				snprintf(size, sizeof size, "size=%llu", tmpfs_size);
				snprintf(uid, sizeof uid, "uid=%lu", (unsigned long)c->proc.uid);
				snprintf(gid, sizeof gid, "gid=%lu", (unsigned long)c->proc.gid);
				mount_list_add(&c->mounts, dest, "tmpfs", "tmpfs",
					       (const char *[]){ "nosuid", "nodev", "mode=0700", size, uid, gid, NULL },
					       true);
			}
			free(dest);
		}
		free(copy);
		if (ret < 0)
			return -1;
	}
	return 0;
}

static int add_overlays(struct container *c, const struct launch_options *o, const struct ochre_config *cfg,
			struct error *err)
{
	if (o->overlays.n && !cfg->allow_user_overlay && c->rootless)
		return error_set(err, 0,
				 "--overlay: the administrator disabled user overlays "
				 "('allow user overlay = no')");
	for (size_t i = 0; i < o->overlays.n; i++) {
		char *spec = xstrdup(o->overlays.v[i]);
		size_t len = strlen(spec);
		bool ro = len > 3 && strcmp(spec + len - 3, ":ro") == 0;
		if (ro)
			spec[len - 3] = '\0';
		else if (len > 3 && strcmp(spec + len - 3, ":rw") == 0)
			spec[len - 3] = '\0';
		char *dir;
		int ret = check_dir("--overlay", spec, &dir, err);
		free(spec);
		if (ret < 0)
			return -1;
		if (ro) {
			if (c->n_ro_overlays == REQUEST_MAX_LOWERS - 2) {
				free(dir);
				return error_set(err, 0, "--overlay: at most %d read-only overlays",
						 REQUEST_MAX_LOWERS - 2);
			}
			/* A dir once used writable keeps its changes in upper/. */
			char *upper = xasprintf("%s/upper", dir);
			struct stat st;
			if (stat(upper, &st) == 0 && S_ISDIR(st.st_mode)) {
				free(dir);
				dir = upper;
			} else {
				free(upper);
			}
			c->ro_overlays[c->n_ro_overlays++] = dir;
			continue;
		}
		struct stat st;
		if (c->upper) {
			free(dir);
			return error_set(err, 0, "--overlay: only one writable overlay (add :ro to the others)");
		}
		if (stat(dir, &st) < 0 || st.st_uid != getuid()) {
			error_set(err, 0, "--overlay: '%s' is not yours: a writable overlay must be owned by you", dir);
			free(dir);
			return -1;
		}
		c->upper = dir;
	}
	return 0;
}

/* Where /dev is the host's (--no-compat), a bind onto a path the host's
 * /dev lacks would make the runtime create its mount point there, on the
 * host: refuse it before anything is made. */
static int check_host_dev_binds(const struct container *c, struct error *err)
{
	if (!c->host_dev)
		return 0;
	for (size_t i = 0; i < c->mounts.n; i++) {
		const struct mount_entry *e = &c->mounts.v[i];
		struct stat st;
		if (strcmp(e->type, "none") == 0 && strncmp(e->dest, "/dev/", 5) == 0 && lstat(e->dest, &st) < 0)
			return error_set(err, 0,
					 "'%s' is not on the host's /dev, which --no-compat binds "
					 "(the config's 'mount dev = yes'): bind it elsewhere, or leave out "
					 "--no-compat",
					 e->dest);
	}
	return 0;
}

/* The working directory: --pwd; the current directory where --no-compat
 * shows it; the image's WorkingDir; the home directory; "/". */
static void choose_cwd(struct container *c, const struct launch_options *o, char *host_cwd)
{
	char *image_wd = c->proc.cwd;
	bool home_mounted = mount_list_has(&c->mounts, c->home);
	/* The host's cwd when it is itself brought in (--home $PWD, -B $PWD,
	 * as workflow engines do): the user is there, not in the image's. */
	char *here = getcwd(NULL, 0);
	bool here_mounted = here && strcmp(here, "/") != 0 && mount_list_has(&c->mounts, here);
	if (o->cwd)
		c->proc.cwd = xstrdup(o->cwd);
	else if (host_cwd)
		c->proc.cwd = xstrdup(host_cwd);
	else if (here_mounted)
		c->proc.cwd = xstrdup(here);
	else if (image_wd)
		c->proc.cwd = xstrdup(image_wd);
	else
		c->proc.cwd = xstrdup(home_mounted ? c->home : "/");
	free(here);
	free(image_wd);
}

static int host_umask(void)
{
	mode_t m = umask(022);
	umask(m);
	return (int)m;
}

int container_prepare(const struct launch_options *o, const struct ochre_config *cfg, enum launch_mode mode,
		      const struct image *img, const struct device_host *host, struct container *c, struct error *err)
{
	memset(c, 0, sizeof *c);
	c->rootless = getuid() != 0;
	c->fakeroot = o->fakeroot && c->rootless;
	c->no_pid = o->no_pid;
	c->net = o->net;
	c->hostname = o->hostname;
	c->keep_groups = o->no_setgroups;
	c->image_rootfs = img->rootfs;
	c->image_file = img->file;
	struct image_root root = { .dir = img->rootfs, .file = img->file };
	c->umask = o->no_compat && !o->no_umask ? host_umask() : 022;
	c->readonly_root = o->no_compat && !o->writable_tmpfs;

	struct passwd *pw = getpwuid(getuid());
	char *host_home = xstrdup(pw && pw->pw_dir && pw->pw_dir[0] == '/' ? pw->pw_dir : "/");
	char *host_cwd = NULL;
	struct bind_spec home_bind = { 0 };
	int ret = -1;
	if (o->dns && etc_dns_validate(o->dns, err) < 0)
		goto out;
	if (o->workdir && check_dir("--workdir", o->workdir, &c->workdir, err) < 0)
		goto out;
	/* -H SRC[:DST]: the home is DST. Else the caller's (root's for --fakeroot). */
	if (o->home && bind_parse("--home", o->home, false, &home_bind, err) < 0)
		goto out;
	c->home = xstrdup(o->home ? home_bind.dst : c->fakeroot ? "/root" : host_home);

	/* In a Slurm step or MPI launch: see mpi.h. */
	bool mpi = cfg->mpi_passthrough && !o->no_mpi && mpi_launch_detected();
	if (mpi)
		log_debug("in a Slurm step or MPI launch: passing its variables, PMIx directory and /dev/shm");
	struct env_options env = o->env;
	env.host_env = o->no_compat;
	env.mpi = mpi;
	if (process_from_image(img->config, mode, o->command, &root, &env, c->home, &c->proc, err) < 0)
		goto out;
	/* Identity before mounts: the home's tmpfs belongs to the container's user. */
	if (c->fakeroot)
		c->proc.uid = c->proc.gid = 0;

	c->host_dev = o->no_compat && cfg->mount_dev == MOUNT_DEV_YES;
	add_system_mounts(c, o->no_mount, c->host_dev);
	if (mpi)
		mpi_add_mounts(&c->mounts);
	add_tmp(c, o, c->workdir);
	add_home(c, o, o->home ? &home_bind : NULL, host_home);
	if (o->no_compat) {
		host_cwd = add_cwd(c, o);
		if (!(o->no_mount & NO_MOUNT_BIND_PATHS))
			add_admin_binds(c, cfg);
	}
	if (add_user_binds(c, o, cfg, err) < 0 || add_scratch(c, o, c->workdir, cfg->tmpfs_size, err) < 0 ||
	    add_overlays(c, o, cfg, err) < 0 || devices_prepare(c, &o->devices, cfg, host, err) < 0 ||
	    check_host_dev_binds(c, err) < 0)
		goto out;
	/* The starter stacks at most REQUEST_MAX_LOWERS, the mount point
	 * layer among them. */
	if (img->file && c->n_ro_overlays + img->file->n_layers > REQUEST_MAX_LOWERS - 1) {
		error_set(err, 0, "%s has %zu layers%s: ochre stacks at most %d", img->file->path, img->file->n_layers,
			  c->n_ro_overlays ? " besides the read-only overlays" : "", REQUEST_MAX_LOWERS - 1);
		goto out;
	}
	if (o->writable_tmpfs && c->upper)
		log_warn("--writable-tmpfs ignored: the writable --overlay takes the changes");
	if (c->upper)
		c->readonly_root = false;
	choose_cwd(c, o, host_cwd);

	struct cap_request cr = {
		.as_root = c->proc.uid == 0,
		.keep_privs = o->keep_privs,
		.no_privs = o->no_privs,
		.add = &o->add_caps,
		.drop = &o->drop_caps,
		.limit = c->rootless ? ~0ULL : cap_own_bounding_set(),
	};
	if (cap_sets_build(&cr, &c->caps, err) < 0 || security_resolve(&o->security, cfg, &c->security, err) < 0)
		goto out;
	c->dns = o->dns;
	ret = 0;
out:
	free(host_home);
	free(host_cwd);
	bind_spec_free(&home_bind);
	if (ret < 0)
		container_free(c);
	return ret;
}

/* -W: the directories the workdir's binds need. */
static int make_workdir_dirs(const char *workdir, const struct mount_list *m, struct error *err)
{
	size_t len = strlen(workdir);
	char *scratch = xasprintf("%s/scratch", workdir);
	mkdir(scratch, 0700);
	free(scratch);
	for (size_t i = 0; i < m->n; i++) {
		const char *src = m->v[i].source;
		if (strncmp(src, workdir, len) == 0 && src[len] == '/' && mkdir(src, 0700) < 0 && errno != EEXIST)
			return error_set(err, errno, "--workdir: create %s", src);
	}
	return 0;
}

int container_finish(struct container *c, const struct session *s, struct error *err)
{
	if (c->workdir && make_workdir_dirs(c->workdir, &c->mounts, err) < 0)
		return -1;
	struct etc_request er = {
		.root = { .dir = c->image_rootfs, .file = c->image_file },
		.uid = c->proc.uid,
		.gid = c->proc.gid,
		.home = c->home,
		/* As the image's User, the image's own passwd says who that is. */
		.identity = c->proc.uid != 0 && !c->image_user,
		.dns = c->dns,
		.hostname = c->hostname,
	};
	if (etc_files_make(s->path, &er, &c->mounts, err) < 0)
		return -1;
	mount_list_sort(&c->mounts);

	char *layer = xasprintf("%s/mountpoints", s->path);
	const char *layers[REQUEST_MAX_LOWERS];
	size_t n = container_lowers(c, layers, REQUEST_MAX_LOWERS);
	bool used = false;
	if (mkdir(layer, 0755) < 0 || mountpoints_make(layer, layers, n, c->image_file, &c->mounts, &used, err) < 0) {
		if (!err->msg[0])
			error_set(err, errno, "create %s", layer);
		free(layer);
		return -1;
	}
	if (used)
		c->mountpoint_layer = layer;
	else
		free(layer);
	return 0;
}

size_t container_lowers(const struct container *c, const char **lowers, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < c->n_ro_overlays && n < max; i++)
		lowers[n++] = c->ro_overlays[i];
	if (n < max && c->image_rootfs)
		lowers[n++] = c->image_rootfs;
	return n;
}

void container_request_lowers(const struct container *c, struct starter_request *req)
{
	req->n_lowers = container_lowers(c, req->lowers, REQUEST_MAX_LOWERS);
	const struct single_file *f = c->image_file;
	for (size_t i = f ? f->n_layers : 0; i > 0 && req->n_lowers < REQUEST_MAX_LOWERS; i--) {
		req->lower_squashfs[req->n_lowers] =
			(struct request_squashfs){ .offset = f->layers[i - 1].offset, .size = f->layers[i - 1].size };
		req->lowers[req->n_lowers++] = f->path;
	}
}

void container_free(struct container *c)
{
	process_free(&c->proc);
	mount_list_free(&c->mounts);
	security_free(&c->security);
	free(c->home);
	free(c->upper);
	free(c->workdir);
	for (size_t i = 0; i < REQUEST_MAX_LOWERS; i++)
		free(c->ro_overlays[i]);
	free(c->mountpoint_layer);
	cdi_edits_free(&c->device_edits);
	free(c->dev_allow);
	memset(c, 0, sizeof *c);
}
