/* The ld.so cache reader (driver/devices/ldcache.c), on caches this test
 * writes in each format and on the host's own, and --nv/--rocm discovery
 * (driver/devices/nvlib.c) in a fake root. */
#define _GNU_SOURCE
#include "../../driver/devices/ldcache.h"
#include "../../driver/devices/nvlib.h"
#include "unit.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static char tmp[] = "/tmp/ochre-test-nvlib.XXXXXX";

struct lib {
	const char *name, *path;
	int32_t flags;
};

static const struct lib libs[] = {
	{ "libcuda.so.1", "/usr/lib/x86_64-linux-gnu/libcuda.so.1", 0x0303 },
	{ "libcuda.so.1", "/usr/lib/i386-linux-gnu/libcuda.so.1", 0x0003 },
	{ "libcuda.so", "/usr/lib/x86_64-linux-gnu/libcuda.so", 0x0303 },
	{ "libnvidia-ml.so.1", "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1", 0x0303 },
	{ "libnvidia-ml.so.1", "/opt/other/libnvidia-ml.so.1", 0x0303 },
	{ "libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6", 0x0303 },
};
#define N_LIBS (sizeof libs / sizeof *libs)

struct buf {
	unsigned char data[8192];
	size_t len;
};

static void put(struct buf *b, const void *p, size_t n)
{
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static void put32(struct buf *b, uint32_t v)
{
	put(b, &v, 4);
}

static void pad_to(struct buf *b, size_t align)
{
	while (b->len % align)
		b->data[b->len++] = 0;
}

/* The strings, each name then path, from offset 0; offs[i][0..1]. */
static size_t strings_size(void)
{
	size_t n = 0;
	for (size_t i = 0; i < N_LIBS; i++)
		n += strlen(libs[i].name) + 1 + strlen(libs[i].path) + 1;
	return n;
}

static void put_strings(struct buf *b)
{
	for (size_t i = 0; i < N_LIBS; i++) {
		put(b, libs[i].name, strlen(libs[i].name) + 1);
		put(b, libs[i].path, strlen(libs[i].path) + 1);
	}
}

/* Entries pointing at strings that start base bytes after the offsets'
 * origin. */
static void put_entries(struct buf *b, size_t base, bool new_format)
{
	size_t off = base;
	for (size_t i = 0; i < N_LIBS; i++) {
		put32(b, (uint32_t)libs[i].flags);
		put32(b, (uint32_t)off);
		off += strlen(libs[i].name) + 1;
		put32(b, (uint32_t)off);
		off += strlen(libs[i].path) + 1;
		if (new_format) {
			put32(b, 0);
			uint64_t hwcap = 0;
			put(b, &hwcap, 8);
		}
	}
}

static void put_new_table(struct buf *b)
{
	size_t start = b->len;
	put(b, "glibc-ld.so.cache1.1", 20);
	put32(b, N_LIBS);
	put32(b, (uint32_t)strings_size());
	put32(b, 0); /* flags, padding */
	put32(b, 0); /* extension offset */
	put32(b, 0);
	put32(b, 0);
	put32(b, 0);
	/* offsets count from the table's start */
	put_entries(b, b->len - start + N_LIBS * 24, true);
}

static void make_new(struct buf *b)
{
	b->len = 0;
	put_new_table(b);
	put_strings(b);
}

static void make_old(struct buf *b)
{
	b->len = 0;
	put(b, "ld.so-1.7.0\0", 12);
	put32(b, N_LIBS);
	put_entries(b, 0, false);
	put_strings(b);
}

/* Old table, then the new one hidden at the start of the old one's strings. */
static void make_compat(struct buf *b)
{
	b->len = 0;
	put(b, "ld.so-1.7.0\0", 12);
	put32(b, N_LIBS);
	size_t old_strings = 16 + N_LIBS * 12;
	size_t new_at = (old_strings + 7) & ~(size_t)7;
	size_t new_size = 48 + N_LIBS * 24;
	put_entries(b, new_at - old_strings + new_size, false);
	pad_to(b, 8);
	put_new_table(b);
	put_strings(b);
}

static void check_parsed(const struct buf *b, const char *what)
{
	struct ldcache c;
	struct error err = { 0 };
	char name[200];
	int ret = ldcache_parse(b->data, b->len, &c, &err);
	snprintf(name, sizeof name, "%s: parsed, %zu entries", what, N_LIBS);
	CHECK(ret == 0 && c.n == N_LIBS, name);
	if (ret != 0)
		printf("#   %s\n", err.msg);
	bool same = c.n == N_LIBS;
	for (size_t i = 0; same && i < N_LIBS; i++)
		same = strcmp(c.entries[i].name, libs[i].name) == 0 && strcmp(c.entries[i].path, libs[i].path) == 0 &&
		       c.entries[i].flags == libs[i].flags;
	snprintf(name, sizeof name, "%s: every name, path and flags", what);
	CHECK(same, name);
	ldcache_free(&c);
}

static void test_ldcache_formats(void)
{
	struct buf b;
	struct ldcache c;
	struct error err = { 0 };
	make_new(&b);
	check_parsed(&b, "new format");
	make_old(&b);
	check_parsed(&b, "old format");
	make_compat(&b);
	check_parsed(&b, "old format with the new one inside");

	/* Truncations and bad offsets: an error, never a read past the end. */
	make_new(&b);
	size_t full = b.len;
	int refusals = 0;
	for (size_t len = 0; len < full; len++) {
		unsigned char *copy = malloc(len ? len : 1);
		memcpy(copy, b.data, len);
		if (ldcache_parse(copy, len, &c, &err) < 0)
			refusals++;
		ldcache_free(&c);
		free(copy);
	}
	CHECK(refusals == (int)full, "every truncation of a new-format cache is refused");
	make_new(&b);
	uint32_t huge = 0x7fffffff;
	memcpy(b.data + 48 + 4, &huge, 4); /* first entry's key */
	CHECK(ldcache_parse(b.data, b.len, &c, &err) == -1 && strstr(err.msg, "outside the file"),
	      "an entry pointing outside the file");
	memcpy(b.data + 20, &huge, 4); /* nlibs */
	CHECK(ldcache_parse(b.data, b.len, &c, &err) == -1 && strstr(err.msg, "do not fit"), "too many entries");
	CHECK(ldcache_parse("hello world, not a cache", 24, &c, &err) == -1 && strstr(err.msg, "unknown format"),
	      "not a cache");
	make_old(&b);
	b.data[b.len - 1] = 'x'; /* last string unterminated */
	CHECK(ldcache_parse(b.data, b.len, &c, &err) == -1, "an unterminated string");
}

static void test_host_ldcache(void)
{
	struct ldcache c;
	struct error err = { 0 };
	if (access(LDCACHE_DEFAULT_PATH, R_OK) != 0) {
		printf("# no %s here\n", LDCACHE_DEFAULT_PATH);
		return;
	}
	int ret = ldcache_load(LDCACHE_DEFAULT_PATH, &c, &err);
	CHECK(ret == 0 && c.n > 0, "the host's ld.so cache");
	bool found = false;
	for (size_t i = 0; i < c.n; i++)
		if (strcmp(c.entries[i].name, "libc.so.6") == 0 && c.entries[i].flags == LDCACHE_FLAGS_NATIVE &&
		    access(c.entries[i].path, R_OK) == 0) {
			found = true;
			printf("# libc.so.6 => %s (flags 0x%04x)\n", c.entries[i].path, (unsigned)c.entries[i].flags);
		}
	CHECK(found, "the host's cache has a native libc.so.6 that exists");
	ldcache_free(&c);
	CHECK(ldcache_load("/nonexistent/ld.so.cache", &c, &err) == -1 && strstr(err.msg, "No such file"),
	      "a missing cache");
}

static void write_text(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0 || chmod(path, mode) != 0) {
		perror(path);
		exit(2);
	}
}

/* mkdir -p TMP/rel */
static void mkdir_p(const char *rel)
{
	char cmd[600];
	snprintf(cmd, sizeof cmd, "mkdir -p '%s/%s'", tmp, rel);
	if (system(cmd) != 0)
		exit(2);
}

static const struct nvlib_file *find_target(const struct nvlib_file *f, size_t n, const char *target)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(f[i].target, target) == 0)
			return &f[i];
	return NULL;
}

static void test_nvlib(void)
{
	char path[1100], cache[512], list[512], bins[512], root[512];
	struct strv entries = { 0 };
	struct error err = { 0 };

	snprintf(list, sizeof list, "%s/nvliblist.conf", tmp);
	write_text(list,
		   "# comment\n\n  nvidia-smi  \nnvidia-debugdump\r\nlibcuda.so\nlibnvidia-ml.so\n"
		   "libmissing.so\n#libc.so\n",
		   0644);
	CHECK(nvlib_read_list(list, &entries, &err) == 0 && entries.n == 5, "list file: five entries");
	if (entries.n == 5) {
		CHECK_STR(entries.v[0], "nvidia-smi", "blanks trimmed");
		CHECK_STR(entries.v[1], "nvidia-debugdump", "CR trimmed");
	}
	strv_free(entries.v);

	struct buf b;
	make_new(&b);
	snprintf(cache, sizeof cache, "%s/ld.so.cache", tmp);
	FILE *f = fopen(cache, "w");
	fwrite(b.data, 1, b.len, f);
	fclose(f);
	mkdir_p("bin1");
	mkdir_p("bin2");
	snprintf(path, sizeof path, "%s/bin1/nvidia-smi", tmp);
	write_text(path, "#!/bin/sh\n", 0644); /* not executable: skipped */
	snprintf(path, sizeof path, "%s/bin2/nvidia-smi", tmp);
	write_text(path, "#!/bin/sh\n", 0755);
	snprintf(bins, sizeof bins, "%s/bin1:%s/bin2", tmp, tmp);
	snprintf(root, sizeof root, "%s/root", tmp);
	mkdir_p("root/dev/nvidia-caps");
	mkdir_p("root/dev/dri/by-path");
	mkdir_p("root/tmp/nvidia-mps");
	snprintf(path, sizeof path, "%s/root/dev/nvidia-not-a-device", tmp);
	write_text(path, "", 0644);

	struct nvlib_options opt = {
		.list_file = list, .ld_cache = cache, .bin_path = bins, .root = root, .lib_flags = 0x0303
	};
	struct nvlib_result r;
	CHECK(nvlib_find(NVLIB_NVIDIA, &opt, &r, &err) == 0, "nvlib_find");
	CHECK(r.n_libraries == 3, "libraries: libcuda.so.1, libcuda.so, libnvidia-ml.so.1");
	const struct nvlib_file *cuda = find_target(r.libraries, r.n_libraries, "libcuda.so.1");
	CHECK(cuda && strcmp(cuda->host_path, "/usr/lib/x86_64-linux-gnu/libcuda.so.1") == 0,
	      "the native libcuda, not the i386 one");
	const struct nvlib_file *ml = find_target(r.libraries, r.n_libraries, "libnvidia-ml.so.1");
	CHECK(ml && strcmp(ml->host_path, "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1") == 0,
	      "the first cache entry for a soname wins");
	CHECK(r.n_binaries == 1 && strstr(r.binaries[0].host_path, "/bin2/nvidia-smi") &&
		      strcmp(r.binaries[0].target, "nvidia-smi") == 0,
	      "the first executable tool on the path");
	CHECK(r.n_sockets == 1 && strcmp(r.sockets[0].target, "/tmp/nvidia-mps") == 0, "the MPS pipe dir");
	bool root_user = geteuid() == 0;
	if (root_user) {
		CHECK(r.n_devices == 0 && r.driver_found, "no device nodes yet; libraries make a driver");
	}
	nvlib_result_free(&r);

	if (root_user) {
		static const char *const nodes[] = { "dev/nvidia0",    "dev/nvidiactl",
						     "dev/nvidia-uvm", "dev/nvidia-caps/nvidia-cap1",
						     "dev/kfd",        "dev/dri/renderD128" };
		for (size_t i = 0; i < sizeof nodes / sizeof *nodes; i++) {
			snprintf(path, sizeof path, "%s/%s", root, nodes[i]);
			if (mknod(path, S_IFCHR | 0600, makedev(1, 3)) < 0)
				perror(path);
		}
		CHECK(nvlib_find(NVLIB_NVIDIA, &opt, &r, &err) == 0 && r.n_devices == 4, "NVIDIA device nodes");
		if (r.n_devices == 4) {
			CHECK_STR(r.devices[0].target, "/dev/nvidia-uvm", "sorted");
			CHECK_STR(r.devices[3].target, "/dev/nvidia-caps/nvidia-cap1", "caps");
			CHECK(strncmp(r.devices[0].host_path, root, strlen(root)) == 0, "host path in the root");
		}
		nvlib_result_free(&r);
		CHECK(nvlib_find(NVLIB_ROCM, &opt, &r, &err) == 0 && r.n_devices == 2 && r.n_sockets == 0,
		      "ROCm device nodes: kfd and dri");
		if (r.n_devices == 2) {
			CHECK_STR(r.devices[0].target, "/dev/kfd", "kfd");
			CHECK_STR(r.devices[1].target, "/dev/dri/renderD128", "dri, without the by-path dir");
		}
		nvlib_result_free(&r);
	} else {
		printf("# not root: device node cases not run\n");
	}

	/* No driver: an empty list, nothing in the root. */
	write_text(list, "libnothing.so\nno-such-tool\n", 0644);
	snprintf(root, sizeof root, "%s/emptyroot", tmp);
	CHECK(nvlib_find(NVLIB_NVIDIA, &opt, &r, &err) == 0 && !r.driver_found && r.n_binaries == 0,
	      "no driver found is no error");
	nvlib_result_free(&r);
	opt.list_file = "/nonexistent/nvliblist.conf";
	CHECK(nvlib_find(NVLIB_NVIDIA, &opt, &r, &err) == -1 && strstr(err.msg, "gpu library list"),
	      "a missing list file");
	opt.list_file = list;
	opt.ld_cache = "/nonexistent";
	CHECK(nvlib_find(NVLIB_NVIDIA, &opt, &r, &err) == -1 && strstr(err.msg, "ld.so cache"), "a missing cache");

	/* The shipped lists read, and on this host (no GPU here, likely) the
	 * search runs against the real cache. */
	opt = (struct nvlib_options){ .list_file = "etc/nvliblist.conf" };
	CHECK(nvlib_find(NVLIB_NVIDIA, &opt, &r, &err) == 0, "etc/nvliblist.conf against the host");
	printf("# host: %zu NVIDIA libraries, %zu tools, %zu device nodes, driver %s\n", r.n_libraries, r.n_binaries,
	       r.n_devices, r.driver_found ? "found" : "not found");
	nvlib_result_free(&r);
	opt.list_file = "etc/rocmliblist.conf";
	CHECK(nvlib_find(NVLIB_ROCM, &opt, &r, &err) == 0, "etc/rocmliblist.conf against the host");
	nvlib_result_free(&r);
}

int main(void)
{
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 2;
	}
	test_ldcache_formats();
	test_host_ldcache();
	test_nvlib();
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmp);
	return unit_done();
}
