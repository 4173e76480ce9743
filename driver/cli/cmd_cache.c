#define _GNU_SOURCE
#include "cmd_cache.h"

#include "../../common/log.h"
#include "../image/cache.h"
#include "../launch/image.h"
#include "../util/fsutil.h"
#include "../util/xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char cache_usage[] = "Usage: ochre cache list\n"
				  "       ochre cache clean (--all | DIGEST...)\n"
				  "\n"
				  "Images are unpacked once into your cache, keyed by manifest digest.\n"
				  "  list    show each cached image: reference, digest, size, last use\n"
				  "  clean   remove the named images (a digest, or a unique prefix of one),\n"
				  "          or every image, and the layers downloaded from registries, with --all\n"
				  "          (and the SIF files fetched for launches of oras:// and http(s)://)\n";

struct entry {
	char *name; /* sha256-HEX */
	char *ref;
	char *digest;
	long long size;
	time_t last_use;
};

static void entries_free(struct entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(e[i].name);
		free(e[i].ref);
		free(e[i].digest);
	}
	free(e);
}

static int load_entries(const struct cache *c, struct entry **out, size_t *n_out)
{
	DIR *d = opendir(c->images);
	struct dirent *de;
	struct entry *v = NULL;
	size_t n = 0;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		v = xreallocarray(v, n + 1, sizeof *v);
		struct entry *e = &v[n++];
		memset(e, 0, sizeof *e);
		e->name = xstrdup(de->d_name);
		char *meta = xasprintf("%s/%s/image.json", c->images, de->d_name);
		char *stamp = xasprintf("%s/%s/last-use", c->images, de->d_name);
		char *text;
		struct error ignored;
		json_object *o = read_file(meta, 4 << 20, &text, NULL, &ignored) == 0 ? json_tokener_parse(text) : NULL;
		if (o) {
			free(text);
			json_object *f;
			if (json_object_object_get_ex(o, "ref", &f))
				e->ref = xstrdup(json_object_get_string(f));
			if (json_object_object_get_ex(o, "digest", &f))
				e->digest = xstrdup(json_object_get_string(f));
			if (json_object_object_get_ex(o, "size", &f))
				e->size = json_object_get_int64(f);
			json_object_put(o);
		}
		struct stat st;
		e->last_use = stat(stamp, &st) == 0 ? st.st_mtime : 0;
		free(meta);
		free(stamp);
	}
	if (d)
		closedir(d);
	*out = v;
	*n_out = n;
	return 0;
}

/* The single files fetched for launches of oras:// and http(s)://
 * references (CACHE/files, named by the reference's sha256). */
static void list_files(const struct cache *c)
{
	int fd = openat(c->root_fd, "files", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	for (struct dirent *de; (de = readdir(d));) {
		struct stat st;
		if (de->d_name[0] == '.' || fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		char size[32], when[32];
		snprintf(size, sizeof size, "%.1f MiB", (double)st.st_size / (1024.0 * 1024.0));
		struct tm tm;
		localtime_r(&st.st_atime, &tm);
		strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
		printf("%-50s %-19.19s %10s  %s\n", "(single file: oras://, http(s)://)", de->d_name, size, when);
	}
	closedir(d);
}

static int cache_list(const struct cache *c)
{
	struct entry *v;
	size_t n;
	load_entries(c, &v, &n);
	printf("%-50s %-19s %10s  %s\n", "REF", "DIGEST", "SIZE", "LAST USE");
	for (size_t i = 0; i < n; i++) {
		char when[32] = "-";
		if (v[i].last_use) {
			struct tm tm;
			localtime_r(&v[i].last_use, &tm);
			strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
		}
		char size[32];
		snprintf(size, sizeof size, "%.1f MiB", (double)v[i].size / (1024.0 * 1024.0));
		printf("%-50s %-19.19s %10s  %s\n", v[i].ref ? v[i].ref : "(damaged entry)",
		       v[i].digest ? v[i].digest : v[i].name, size, when);
	}
	entries_free(v, n);
	list_files(c);
	return 0;
}

/* A digest or a prefix: "sha256:abc", "sha256-abc" or just "abc". */
static bool name_matches(const char *name, const char *arg)
{
	char want[256];
	snprintf(want, sizeof want, "%s", arg);
	char *colon = strchr(want, ':');
	if (colon)
		*colon = '-';
	const char *hex = strchr(name, '-') ? strchr(name, '-') + 1 : name;
	return strncmp(name, want, strlen(want)) == 0 || strncmp(hex, want, strlen(want)) == 0;
}

static int remove_entry(const struct cache *c, const char *name, struct error *err)
{
	/* Move it out of images/ first: the entry disappears at once for new
	 * launches, then its files go. */
	char *from = xasprintf("%s/%s", c->images, name);
	char *to = xasprintf("clean.%s.%d", name, (int)getpid());
	int ret = 0;
	if (renameat(c->images_fd, name, c->tmp_fd, to) < 0)
		ret = error_set(err, errno, "remove %s", from);
	else if (remove_tree_at(c->tmp_fd, to) < 0)
		ret = error_set(err, errno, "remove %s/%s", c->tmp, to);
	else
		log_info("removed %s", name);
	free(from);
	free(to);
	return ret;
}

/* clean --all: the registry blob store (CACHE/blobs) and the records of
 * references go too; a later pull downloads again. */
static int remove_blobs(const struct cache *c, struct error *err)
{
	char *blobs = xasprintf("%s/blobs", c->root);
	char *to = xasprintf("clean.blobs.%d", (int)getpid());
	struct stat st;
	int ret = 0;
	if (fstatat(c->root_fd, "blobs", &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (renameat(c->root_fd, "blobs", c->tmp_fd, to) < 0 || remove_tree_at(c->tmp_fd, to) < 0)
			ret = error_set(err, errno, "remove %s", blobs);
		else
			log_info("removed the downloaded blobs");
	}
	free(blobs);
	free(to);
	return ret;
}

/* clean --all: one of the cache's own dirs, moved out of the way first. */
static int remove_dir(const struct cache *c, const char *name, const char *what, struct error *err)
{
	char *to = xasprintf("clean.%s.%d", name, (int)getpid());
	struct stat st;
	int ret = 0;
	if (fstatat(c->root_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (renameat(c->root_fd, name, c->tmp_fd, to) < 0 || remove_tree_at(c->tmp_fd, to) < 0)
			ret = error_set(err, errno, "remove %s/%s", c->root, name);
		else
			log_info("removed %s", what);
	}
	free(to);
	return ret;
}

static int cache_clean(struct cache *c, int argc, char **argv, struct error *err)
{
	bool all = argc == 1 && strcmp(argv[0], "--all") == 0;
	if (argc == 0)
		return error_set(err, 0, "cache clean: name images by digest, or say --all");
	for (int i = 0; i < argc && !all; i++)
		if (argv[i][0] == '-')
			return error_set(err, 0, "cache clean: unknown option '%s'", argv[i]);

	if (cache_lock(c, err) < 0)
		return -1;
	cache_remove_stale_builds(c);
	struct entry *v;
	size_t n;
	load_entries(c, &v, &n);
	int ret = 0;
	/* Check every name before removing anything. */
	int *chosen = xcalloc(n ? n : 1, sizeof *chosen);
	for (int a = 0; !all && a < argc && ret == 0; a++) {
		int hits = 0;
		for (size_t i = 0; i < n; i++)
			if (name_matches(v[i].name, argv[a])) {
				chosen[i] = 1;
				hits++;
			}
		if (hits == 0)
			ret = error_set(err, 0, "cache clean: no cached image matches '%s'", argv[a]);
		else if (hits > 1)
			ret = error_set(err, 0, "cache clean: '%s' matches %d images; give more digits", argv[a], hits);
	}
	for (size_t i = 0; i < n && ret == 0; i++)
		if (all || chosen[i])
			ret = remove_entry(c, v[i].name, err);
	if (all && ret == 0)
		ret = remove_blobs(c, err);
	if (all && ret == 0)
		ret = remove_dir(c, "files", "the downloaded single files", err);
	free(chosen);
	entries_free(v, n);
	cache_unlock(c);
	return ret;
}

int cmd_cache(struct ochre_context *ctx, int argc, char **argv, struct error *err)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		if (argc < 2)
			return error_set(err, 0, "cache: say 'list' or 'clean' (see 'ochre cache --help')");
		fputs(cache_usage, stdout);
		return 0;
	}
	bool list = strcmp(argv[1], "list") == 0;
	if (!list && strcmp(argv[1], "clean") != 0)
		return error_set(err, 0, "cache: unknown subcommand '%s' (list, clean)", argv[1]);
	if (list && argc > 2)
		return error_set(err, 0, "cache list: unexpected argument '%s'", argv[2]);
	struct cache c;
	if (cache_open(&ctx->cfg, &c, err) < 0)
		return -1;
	int ret = list ? cache_list(&c) : cache_clean(&c, argc - 2, argv + 2, err);
	cache_close(&c);
	return ret;
}
