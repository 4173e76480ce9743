/* The pieces container.c decides with: bind specs, container paths,
 * capability sets, mount ordering, --dns and the config's new directives. */
#include "../../common/config.h"
#include "../../driver/container/binds.h"
#include "../../driver/container/capabilities.h"
#include "../../driver/container/devices.h"
#include "../../driver/container/etc_files.h"
#include "../../driver/container/mount_list.h"
#include "../../driver/container/mountpoints.h"
#include "../../driver/util/strv.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_paths(void)
{
	struct error err = { .msg = "" };
	char *p = container_path("-B", "//a/./b//c/", &err);
	CHECK_STR(p, "/a/b/c", "destination normalised");
	free(p);
	CHECK(container_path("-B", "rel/x", &err) == NULL && strstr(err.msg, "absolute"),
	      "relative destination refused");
	CHECK(container_path("-B", "/a/../etc", &err) == NULL && strstr(err.msg, ".."), "'..' refused");
}

static void test_binds(void)
{
	struct error err = { .msg = "" };
	struct bind_spec b;
	CHECK(bind_parse("--bind", "/etc:/mnt/e:ro", true, &b, &err) == 0 && strcmp(b.src, "/etc") == 0 &&
		      strcmp(b.dst, "/mnt/e") == 0 && b.ro,
	      "SRC:DST:ro");
	bind_spec_free(&b);
	CHECK(bind_parse("--bind", "/etc", true, &b, &err) == 0 && strcmp(b.dst, "/etc") == 0 && !b.ro,
	      "DST defaults to SRC, rw");
	bind_spec_free(&b);
	CHECK(bind_parse("--bind", "/no/such/dir", true, &b, &err) < 0 && strstr(err.msg, "does not exist"),
	      "missing source refused");
	CHECK(bind_parse("--bind", "/etc:/x:rx", true, &b, &err) < 0, "unknown option refused");
	CHECK(bind_parse("--home", "/etc:/x:ro", false, &b, &err) < 0, "-H takes no option");
	CHECK(bind_parse_mount("type=bind,source=/etc,destination=/x,ro", &b, &err) == 0 && b.ro &&
		      strcmp(b.dst, "/x") == 0,
	      "--mount type=bind,...,ro");
	bind_spec_free(&b);
	CHECK(bind_parse_mount("type=bind,src=/etc,dst=/x,readonly=false", &b, &err) == 0 && !b.ro,
	      "--mount short names");
	bind_spec_free(&b);
	CHECK(bind_parse_mount("type=tmpfs,destination=/x", &b, &err) < 0, "--mount other types refused");
	CHECK(bind_parse_mount("type=bind,source=/etc", &b, &err) < 0, "--mount needs a destination");
	CHECK(bind_parse_mount("type=bind,source=/etc,destination=x", &b, &err) < 0, "--mount relative dest");
}

static void test_caps(void)
{
	struct error err = { .msg = "" };
	struct cap_sets s;
	struct strv add = { 0 }, drop = { 0 };
	struct cap_request r = { .as_root = true, .add = &add, .drop = &drop, .limit = ~0ULL };
	CHECK(cap_sets_build(&r, &s, &err) == 0 && (s.effective & (1ULL << 0)) && !(s.effective & (1ULL << 21)),
	      "root: the default set, without CAP_SYS_ADMIN");
	r.keep_privs = true;
	CHECK(cap_sets_build(&r, &s, &err) == 0 && (s.effective & (1ULL << 21)), "--keep-privs: every capability");
	r.keep_privs = false;
	r.as_root = false;
	CHECK(cap_sets_build(&r, &s, &err) == 0 && s.effective == 0 && s.bounding != 0, "user: none effective");
	strv_add(&add, strdup("net_raw,CAP_SYS_ADMIN"));
	strv_add(&drop, strdup("sys_admin"));
	CHECK(cap_sets_build(&r, &s, &err) == 0 && s.effective == (1ULL << 13) && s.ambient == (1ULL << 13),
	      "user: --add-caps less --drop-caps, ambient too");
	r.no_privs = true;
	CHECK(cap_sets_build(&r, &s, &err) == 0 && !s.bounding && !s.effective && !s.permitted, "--no-privs: empty");
	r.no_privs = false;
	strv_add(&add, strdup("CAP_BOGUS"));
	CHECK(cap_sets_build(&r, &s, &err) < 0 && strstr(err.msg, "CAP_BOGUS"), "unknown capability refused");
	r.as_root = true;
	r.keep_privs = true;
	r.limit = ~(1ULL << 24);
	strv_free(add.v);
	strv_free(drop.v);
	add = drop = (struct strv){ 0 };
	CHECK(cap_sets_build(&r, &s, &err) == 0 && !(s.effective & (1ULL << 24)) && (s.effective & (1ULL << 21)),
	      "root's own bounding set limits what it hands on");
	strv_free(add.v);
	strv_free(drop.v);
}

static void test_mount_order(void)
{
	struct mount_list l = { 0 };
	mount_list_bind(&l, "/h/b", "/a/b/c", false, true);
	mount_list_bind(&l, "/h/a", "/a", false, true);
	mount_list_add(&l, "/tmp", "tmpfs", "tmpfs", (const char *[]){ NULL }, false);
	mount_list_bind(&l, "/h/t", "/tmp", false, true);
	mount_list_sort(&l);
	CHECK(l.n == 3, "a later mount on the same destination replaces the earlier");
	CHECK_STR(l.v[0].dest, "/a", "parents first");
	CHECK_STR(l.v[1].dest, "/tmp", "stable among equals");
	CHECK_STR(l.v[1].type, "none", "the user's bind won over the default");
	CHECK_STR(l.v[2].dest, "/a/b/c", "children after");
	mount_list_free(&l);
}

static void test_dns_and_config(void)
{
	struct error err = { .msg = "" };
	CHECK(etc_dns_validate("1.1.1.1,2001:db8::1", &err) == 0, "--dns v4 and v6");
	CHECK(etc_dns_validate("1.1.1", &err) < 0, "--dns bad address refused");
	CHECK(etc_dns_validate("8.8.8.8,foo", &err) < 0, "--dns bad second address refused");

	struct ochre_config cfg;
	char e[256];
	char text[] = "bind path = /opt/a, /opt/b:/b\nbind path = /scratch\nuser bind control = no\n"
		      "limit container paths = /scratch\noverlay = fuse\nallow setuid = no\n";
	config_init(&cfg);
	CHECK(config_parse("t", text, strlen(text), &cfg, e, sizeof e) == 0, "list and yes/no directives parse");
	CHECK(cfg.bind_paths.n == 3 && strcmp(cfg.bind_paths.v[1], "/opt/b:/b") == 0, "bind path: repeatable, lists");
	CHECK(!cfg.user_bind_control && !cfg.allow_setuid && cfg.overlay == OVERLAY_FUSE, "values taken");
	config_free(&cfg);
	config_init(&cfg);
	CHECK(cfg.mpi_passthrough, "mpi passthrough: on by default");
	char mpi_off[] = "mpi passthrough = no\n";
	CHECK(config_parse("t", mpi_off, strlen(mpi_off), &cfg, e, sizeof e) == 0 && !cfg.mpi_passthrough,
	      "mpi passthrough = no taken");
	config_free(&cfg);
	char bad[] = "user bind control = maybe\n";
	config_init(&cfg);
	CHECK(config_parse("t", bad, strlen(bad), &cfg, e, sizeof e) < 0 && strstr(e, "line 1"), "bad yes/no refused");
	config_free(&cfg);
	char twice[] = "overlay = fuse\noverlay = kernel\n";
	config_init(&cfg);
	CHECK(config_parse("t", twice, strlen(twice), &cfg, e, sizeof e) < 0 && strstr(e, "line 2"),
	      "single-value directive set twice refused");
	config_free(&cfg);
}

/* The mount point layer holds what the image lacks and only that (and
 * the directories on the way): every entry in it costs a mkdir at launch
 * and a copy in setuid mode. */
static void test_mountpoints(void)
{
	struct error err = { .msg = "" };
	char tmp[] = "/tmp/ochre-unit-mp.XXXXXX", path[256], out[4096];
	CHECK(mkdtemp(tmp) != NULL, "temp dir");
	const char *image_dirs[] = { "img", "img/proc", "img/etc", "img/var", "img/var/tmp", "layer" };
	for (size_t i = 0; i < sizeof image_dirs / sizeof image_dirs[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", tmp, image_dirs[i]);
		mkdir(path, 0755);
	}
	snprintf(path, sizeof path, "%s/img/lib", tmp);
	CHECK(symlink("usr/lib", path) == 0, "a symlink in the image");
	struct mount_list mounts = { 0 };
	const char *const proc_opts[] = { "nosuid", NULL };
	mount_list_add(&mounts, "/proc", "proc", "proc", proc_opts, false);
	mount_list_bind(&mounts, "/etc/hostname", "/etc/hostname", true, false); /* a file */
	mount_list_bind(&mounts, "/tmp", "/var/tmp", false, false);
	mount_list_bind(&mounts, "/tmp", "/scratch/a/b", false, true);
	mount_list_bind(&mounts, "/tmp", "/lib/x", false, true);
	char img[256], layer[256];
	snprintf(img, sizeof img, "%s/img", tmp);
	snprintf(layer, sizeof layer, "%s/layer", tmp);
	const char *layers[] = { img };
	bool used = false;
	CHECK(mountpoints_make(layer, layers, 1, NULL, &mounts, &used, &err) == 0 && used, "mount points made");
	char cmd[512];
	snprintf(cmd, sizeof cmd, "cd %s && find . -mindepth 1 -printf '%%p:%%y\\n' | LC_ALL=C sort | tr '\\n' ' '",
		 layer);
	FILE *f = popen(cmd, "r");
	size_t n = f ? fread(out, 1, sizeof out - 1, f) : 0;
	out[n] = '\0';
	if (f)
		pclose(f);
	CHECK_STR(out, "./etc/hostname:f ./etc:d ./scratch/a/b:d ./scratch/a:d ./scratch:d ",
		  "only what the image lacks, a file for a file, nothing under a symlink");
	mount_list_free(&mounts);
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
	CHECK(system(cmd) == 0, "clean up");
}

int main(void)
{
	test_paths();
	test_binds();
	test_caps();
	test_mount_order();
	test_dns_and_config();
	test_mountpoints();
	/* Device binds (binds.c). */
	CHECK(bind_source_is_device("/dev/null"), "a character device node is a device bind");
	CHECK(bind_source_is_device("/dev"), "the host's /dev is");
	CHECK(!bind_source_is_device("/dev/shm"), "/dev/shm (another filesystem) is not");
	CHECK(!bind_source_is_device("/etc"), "a directory outside /dev is not");
	CHECK(!bind_source_is_device("/etc/passwd"), "a file is not");
	char *listed[] = { "/dev/infiniband", "/dev/fuse" };
	CHECK(device_path_listed("/dev/anything", NULL, 0), "no list: any device");
	CHECK(device_path_listed("/dev/infiniband/uverbs0", listed, 2), "below a listed directory");
	CHECK(device_path_listed("/dev/fuse", listed, 2), "a listed node");
	CHECK(!device_path_listed("/dev/fuse2", listed, 2), "a name that only starts like one");
	CHECK(!device_path_listed("/dev/sda", listed, 2), "an unlisted node");
	char **env = NULL;
	env_put(&env, "A", "1");
	env_put(&env, "B", "2");
	env_put(&env, "A", "3");
	CHECK(env && strcmp(env[0], "A=3") == 0 && strcmp(env[1], "B=2") == 0 && !env[2], "env_put replaces by name");
	strv_free(env);
	return unit_done();
}
