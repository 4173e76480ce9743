#define _GNU_SOURCE
#include "image.h"

#include "../../common/log.h"
#include "../image/blob_source.h"
#include "../image/cache.h"
#include "../image/image_ref.h"
#include "../image/image_select.h"
#include "../image/registry_ref.h"
#include "../util/fsutil.h"
#include "../util/helper.h"
#include "../util/sha256.h"
#include "../util/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define IMAGE_JSON_MAX (4 * 1024 * 1024)

/* A cached entry: read its config and stamp its last use. No layer is
 * read and no digest computed. */
static int use_cached(const char *entry, struct image *img, struct error *err)
{
	char *meta_path = xasprintf("%s/image.json", entry);
	char *text;
	int ret = read_file(meta_path, IMAGE_JSON_MAX, &text, NULL, err);
	free(meta_path);
	if (ret < 0)
		return -1;
	json_object *meta = json_tokener_parse(text), *config;
	free(text);
	if (!meta || !json_object_object_get_ex(meta, "config", &config)) {
		json_object_put(meta);
		return error_set(err, 0, "cache entry %s is damaged; remove it with 'ochre cache clean'", entry);
	}
	img->config = json_object_get(config);
	json_object_put(meta);
	img->rootfs = xasprintf("%s/rootfs", entry);
	char *stamp = xasprintf("%s/last-use", entry);
	utimensat(AT_FDCWD, stamp, NULL, 0);
	free(stamp);
	return 0;
}

/* The cache key when it can be had cheaply: from an OCI layout's JSON, or
 * from the record of an unchanged archive. NULL: ask the importer. */
static char *cheap_key(const struct cache *c, const struct image_ref *ref, bool no_pull, struct error *err, int *failed)
{
	*failed = 0;
	if (ref->kind == IMAGE_DOCKER) {
		if (!no_pull && !strchr(ref->text, '@'))
			return NULL;
		/* A digest names fixed content: its record is always good. A
		 * tag may have moved: ask the registry (the importer), unless
		 * the caller said --no-pull (image_prepare_opts). */
		char *name = registry_record_name(ref->text, ref->platform);
		char *key = cache_ref_lookup(c, name, NULL);
		free(name);
		return key;
	}
	if (ref->kind != IMAGE_OCI_DIR)
		return cache_ref_lookup(c, ref->text, ref->path);
	struct blob_source src = { .dir = ref->path, .label = ref->text };
	char *key = NULL;
	if (image_find_key(ref, &src, &key, err) < 0)
		*failed = 1;
	return key;
}

char *image_run_importer(const char *importer, const char *cache_root, const char *image,
			 const struct image_pull_options *opts, bool no_https, const struct import_file *file,
			 const char *what, struct error *err)
{
	/* Credentials never go on this command line (anyone can read it in
	 * /proc): the importer finds them in the environment or in files. */
	char *argv[20] = { (char *)importer, "--log-level", (char *)log_level_name(log_level_current), "--cache",
			   (char *)cache_root };
	size_t na = 5;
	if (opts->platform) {
		argv[na++] = "--platform";
		argv[na++] = (char *)opts->platform;
	}
	if (opts->authfile) {
		argv[na++] = "--authfile";
		argv[na++] = (char *)opts->authfile;
	}
	if (no_https)
		argv[na++] = "--no-https";
	if (file) {
		argv[na++] = "--sif-out";
		argv[na++] = (char *)file->path;
		if (file->force)
			argv[na++] = "--force";
		if (file->keep_layers)
			argv[na++] = "--keep-layers";
	}
	argv[na++] = (char *)image;
	argv[na] = NULL;
	char *text = xasprintf("%s %s", what, image);
	struct helper_run run = { .argv = argv, .what = text };
	char *reply = helper_run(&run, err);
	/* Filling the cache, the reply is the cache key: there must be one. */
	if (!file && reply && !*reply) {
		error_set(err, 0, "%s failed", text);
		free(reply);
		reply = NULL;
	}
	free(text);
	return reply;
}

bool image_registry_is_insecure(const struct ochre_config *cfg, const char *text, bool no_https)
{
	if (no_https)
		return true;
	struct registry_ref r;
	struct error ignored;
	/* oras:// names a registry as docker:// does. */
	char *as_docker = strncmp(text, "oras://", 7) == 0 ? xasprintf("docker://%s", text + 7) : xstrdup(text);
	int bad = !registry_ref_is_docker(as_docker) || registry_ref_parse(as_docker, &r, &ignored) < 0;
	free(as_docker);
	if (bad)
		return false;
	bool found = false;
	for (size_t i = 0; i < cfg->insecure_registries.n && !found; i++)
		found = strcmp(registry_normalize_host(cfg->insecure_registries.v[i]), r.registry) == 0;
	registry_ref_free(&r);
	return found;
}

int image_pull_option(int c, const char *arg, const char *cmd, struct image_pull_options *o, struct error *err)
{
	switch (c) {
	case IMAGE_PULL_OPT_PLATFORM:
		if (!image_platform_is_valid(arg))
			return error_set(err, 0, "%s: --platform needs OS/ARCH[/VARIANT], e.g. linux/arm64, not '%s'",
					 cmd, arg);
		o->platform = arg;
		return 1;
	case IMAGE_PULL_OPT_AUTHFILE:
		o->authfile = arg;
		return 1;
	case IMAGE_PULL_OPT_NO_HTTPS:
		o->no_https = true;
		return 1;
	case IMAGE_PULL_OPT_NO_PULL:
		o->no_pull = true;
		return 1;
	default:
		return 0;
	}
}

/* A path to a single-file image (by its magic bytes, whatever its name,
 * colons included): 1 with img filled, 0 when arg is something else, -1
 * with err. */
static int open_single_file(const struct ochre_config *cfg, const char *arg, struct image *img, struct error *err)
{
	struct stat st;
	if (stat(arg, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	int fd = open(arg, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return 0;
	enum single_file_kind kind = single_file_sniff(fd);
	close(fd);
	if (kind == SINGLE_FILE_NOT)
		return 0;
	if (!cfg->allow_sif)
		return error_set(err, 0,
				 "%s: single-file images (SIF, squashfs) are disabled by the administrator "
				 "('allow sif = no')",
				 arg);
	img->file = xcalloc(1, sizeof *img->file);
	if (single_file_open(arg, img->file, err) < 0) {
		free(img->file);
		img->file = NULL;
		return -1;
	}
	if (img->file->config)
		img->config = json_object_get(img->file->config);
	log_debug("image %s: a single-file image, %zu squashfs layer(s), run in place", img->file->path,
		  img->file->n_layers);
	return 1;
}

/* A SIF fetched whole: oras:// (an ORAS artifact) or http(s)://. */
static bool fetched_as_file(const char *arg)
{
	return strncmp(arg, "oras://", 7) == 0 || strncmp(arg, "http://", 7) == 0 || strncmp(arg, "https://", 8) == 0;
}

/* Fetched once into CACHE/files/, named by the reference's sha256 (the
 * importer verifies what it fetches: an ORAS layer by its digest), then
 * run in place as any single-file image. `ochre cache clean` removes them;
 * `ochre pull --force` to a file fetches anew. */
static int fetch_single_file(const struct ochre_config *cfg, const char *importer, const char *arg,
			     const struct image_pull_options *opts, struct image *img, struct error *err)
{
	struct cache c;
	if (cache_open(cfg, &c, err) < 0)
		return -1;
	char digest[72];
	sha256_digest_string(arg, strlen(arg), digest);
	char *dir = xasprintf("%s/files", c.root);
	char *path = xasprintf("%s/%s.sif", dir, digest + 7);
	int ret = -1;
	struct stat st;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		error_set(err, errno, "create %s", dir);
		goto out;
	}
	if (lstat(path, &st) < 0) {
		if (opts->no_pull) {
			error_set(err, 0, "%s is not in the cache, and --no-pull forbids downloading it", arg);
			goto out;
		}
		/* A whole file is fetched: no platform to choose. */
		struct image_pull_options fetch = { .authfile = opts->authfile };
		struct import_file to = { .path = path };
		char *reply = image_run_importer(importer, c.root, arg, &fetch,
						 image_registry_is_insecure(cfg, arg, opts->no_https), &to,
						 "download of", err);
		if (!reply)
			goto out;
		free(reply);
	}
	log_debug("image %s: cached as %s", arg, path);
	ret = open_single_file(cfg, path, img, err) == 1 ? 0 : -1;
	if (ret < 0 && !err->msg[0])
		error_set(err, 0, "%s: what was fetched (%s) is no SIF", arg, path);
out:
	cache_close(&c);
	free(dir);
	free(path);
	return ret;
}

int image_prepare(const struct ochre_config *cfg, const char *importer, const char *arg, struct image *img,
		  struct error *err)
{
	return image_prepare_opts(cfg, importer, arg, NULL, img, err);
}

int image_prepare_opts(const struct ochre_config *cfg, const char *importer, const char *arg,
		       const struct image_pull_options *opts, struct image *img, struct error *err)
{
	static const struct image_pull_options none = { 0 };
	if (!opts)
		opts = &none;
	memset(img, 0, sizeof *img);
	int file = open_single_file(cfg, arg, img, err);
	if (file != 0)
		return file < 0 ? -1 : 0;
	if (fetched_as_file(arg))
		return fetch_single_file(cfg, importer, arg, opts, img, err);
	struct image_ref ref;
	if (image_ref_parse(arg, &ref, err) < 0)
		return -1;
	ref.platform = opts->platform;
	if (ref.kind == IMAGE_ROOTFS_DIR) {
		img->rootfs = ref.path;
		ref.path = NULL;
		image_ref_free(&ref);
		return 0;
	}

	struct cache c;
	char *entry = NULL;
	int ret = -1, failed;
	if (cache_open(cfg, &c, err) < 0)
		goto out_ref;
	img->key = cheap_key(&c, &ref, opts->no_pull, err, &failed);
	if (failed)
		goto out;
	struct stat st;
	if (img->key) {
		entry = cache_entry_dir(&c, img->key);
		log_debug("image %s: key %s, cache entry %s", ref.text, img->key, entry);
	}
	if (!entry || stat(entry, &st) < 0) {
		free(img->key);
		img->key = NULL;
		if (ref.kind == IMAGE_DOCKER && opts->no_pull) {
			error_set(err, 0, "%s%s%s is not in the cache, and --no-pull forbids downloading it", ref.text,
				  opts->platform ? " for platform " : "", opts->platform ? opts->platform : "");
			goto out;
		}
		img->key = image_run_importer(importer, c.root, ref.text, opts,
					      ref.kind == IMAGE_DOCKER &&
						      image_registry_is_insecure(cfg, ref.text, opts->no_https),
					      NULL, "image import of", err);
		if (!img->key)
			goto out;
		free(entry);
		entry = cache_entry_dir(&c, img->key);
	}
	ret = use_cached(entry, img, err);
out:
	cache_close(&c);
out_ref:
	free(entry);
	image_ref_free(&ref);
	if (ret < 0)
		image_free(img);
	return ret;
}

void image_free(struct image *img)
{
	free(img->rootfs);
	if (img->file)
		single_file_close(img->file);
	free(img->file);
	free(img->key);
	json_object_put(img->config);
	memset(img, 0, sizeof *img);
}
