/* driver/util/beneath.c: the walk that stands in for openat2 on kernels
 * without it must answer as openat2 does, for every path of a tree full of
 * symlinks that try to leave it. */
#define _GNU_SOURCE
#include "../../driver/util/beneath.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static char top[64];

static void make_file(const char *rel, const char *text)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", top, rel);
	FILE *f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		exit(2);
}

static void make(void)
{
	const char *dirs[] = { "outside", "root", "root/etc", "root/usr", "root/usr/lib", "root/a", "root/a/b" };
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		char path[256];
		snprintf(path, sizeof path, "%s/%s", top, dirs[i]);
		if (mkdir(path, 0755) < 0)
			exit(2);
	}
	make_file("outside/passwd", "HOST\n");
	make_file("root/etc/real", "IMAGE\n");
	make_file("root/usr/lib/os-release", "LIB\n");
	const struct {
		const char *target, *link;
	} links[] = {
		{ "real", "root/etc/rel" },                  /* relative, inside */
		{ "/etc/real", "root/etc/abs" },             /* absolute: the image's */
		{ "../../outside/passwd", "root/etc/up" },   /* climbs out: clamped */
		{ "/../../outside/passwd", "root/etc/up2" }, /* the same, absolute */
		{ "/usr/lib/os-release", "root/etc/os-release" },
		{ "../usr", "root/a/usr" }, /* a directory link */
		{ "loop2", "root/a/loop1" },
		{ "loop1", "root/a/loop2" },
		{ "/nonexistent", "root/a/dangling" },
	};
	for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
		char path[256];
		snprintf(path, sizeof path, "%s/%s", top, links[i].link);
		if (symlink(links[i].target, path) < 0)
			exit(2);
	}
}

/* What openat2 says: the first line of the file, or "errno N". */
static void answer(int fd, char *buf, size_t len)
{
	if (fd < 0) {
		snprintf(buf, len, "errno %d", errno);
		return;
	}
	ssize_t n = read(fd, buf, len - 1);
	buf[n < 0 ? 0 : n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	close(fd);
}

static int kernel_open(int root, const char *rel, enum beneath_mode mode)
{
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC,
		.resolve = RESOLVE_NO_MAGICLINKS |
			   (mode == BENEATH_IN_ROOT ? RESOLVE_IN_ROOT : RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS),
	};
	return (int)syscall(SYS_openat2, root, rel, &how, sizeof how);
}

int main(void)
{
	snprintf(top, sizeof top, "/tmp/ochre-beneath.XXXXXX");
	if (!mkdtemp(top))
		return 2;
	make();
	char rootpath[128];
	snprintf(rootpath, sizeof rootpath, "%s/root", top);
	int root = open(rootpath, O_PATH | O_DIRECTORY | O_CLOEXEC);
	const char *paths[] = {
		"etc/real",
		"etc/rel",
		"etc/abs",
		"etc/up",
		"etc/up2",
		"etc/os-release",
		"a/usr/lib/os-release",
		"a/b/../../etc/real",
		"../outside/passwd",
		"a/../../outside/passwd",
		"a/loop1",
		"a/dangling",
		"etc/missing",
		"/etc/real",
		"etc//real",
		"./etc/./real",
	};
	const enum beneath_mode modes[] = { BENEATH_IN_ROOT, BENEATH_NO_SYMLINKS };
	for (size_t m = 0; m < 2; m++) {
		for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
			char want[128], got[128], name[256];
			answer(kernel_open(root, paths[i], modes[m]), want, sizeof want);
			answer(openat_beneath_walk(root, paths[i], O_RDONLY, modes[m]), got, sizeof got);
			snprintf(name, sizeof name, "%s %s: the walk answers as openat2 (%s)",
				 modes[m] == BENEATH_IN_ROOT ? "in-root" : "beneath", paths[i], want);
			CHECK_STR(got, want, name);
		}
	}
	char got[128];
	answer(openat_beneath_walk(root, "etc/up", O_RDONLY, BENEATH_IN_ROOT), got, sizeof got);
	CHECK(strcmp(got, "HOST") != 0, "in-root: a link climbing out never reads the host's file");
	close(root);
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf %s", top);
	if (system(cmd) != 0)
		return 2;
	return unit_done();
}
