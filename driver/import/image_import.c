#define _GNU_SOURCE
#include "image_import.h"

#include "../../common/log.h"
#include "../image/blob_source.h"
#include "../image/image_ref.h"
#include "../image/image_select.h"
#include "../util/fsutil.h"
#include "../util/xalloc.h"
#include "registry/registry_oras.h"
#include "registry/registry_pull.h"
#include "unpack/archive_source.h"
#include "unpack/image_plan.h"
#include "unpack/layer_extract.h"
#include "unpack/progress.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int write_metadata(const char *staging, const struct image_ref *ref, const struct image_plan *plan,
			  unsigned long long size, struct error *err)
{
	json_object *meta = json_object_new_object();
	json_object_object_add(meta, "ref", json_object_new_string(ref->text));
	json_object_object_add(meta, "digest", json_object_new_string(plan->key));
	json_object_object_add(meta, "imported", json_object_new_int64((int64_t)time(NULL)));
	json_object_object_add(meta, "size", json_object_new_int64((int64_t)size));
	json_object_object_add(meta, "config", json_object_get(plan->config));
	const char *text =
		json_object_to_json_string_ext(meta, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	char *path = xasprintf("%s/image.json", staging);
	char *stamp = xasprintf("%s/last-use", staging);
	int ret = 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	size_t len = strlen(text);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len || close(fd) < 0)
		ret = error_set(err, errno, "write %s", path);
	int sfd = open(stamp, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (sfd >= 0)
		close(sfd);
	free(path);
	free(stamp);
	json_object_put(meta);
	return ret;
}

static int extract_layers(const char *rootfs, const struct image_ref *ref, const struct image_plan *plan,
			  unsigned long long *size, struct error *err)
{
	unsigned long long total = 0;
	for (size_t i = 0; i < plan->n_layers; i++)
		if (plan->layers[i].size > 0)
			total += (unsigned long long)plan->layers[i].size;
	struct progress prog;
	progress_start(&prog, ref->text, (unsigned)plan->n_layers, total);
	struct extract_options opts = { .as_root = getuid() == 0, .progress = progress_add, .progress_data = &prog };
	for (size_t i = 0; i < plan->n_layers; i++) {
		progress_layer(&prog, (unsigned)i + 1);
		log_debug("extract layer %zu/%zu %s", i + 1, plan->n_layers, plan->layers[i].digest);
		if (layer_extract(rootfs, &plan->layers[i], &opts, size, err) < 0) {
			progress_finish(&prog, false);
			return -1;
		}
	}
	progress_finish(&prog, true);
	return 0;
}

/* Build the entry in tmp/ and rename it into place. Called with the lock.
 * given: where the blobs are (a registry pull's store); NULL: ref's files. */
static int import(struct cache *c, const struct image_ref *ref, const struct blob_source *given, const char *entry,
		  const struct sif_pull_options *sif, char **key, struct error *err)
{
	char *staging = xasprintf("%s/build.XXXXXX", c->tmp);
	if (!mkdtemp(staging)) {
		int saved = errno;
		free(staging);
		return error_set(err, saved, "create a build dir in %s", c->tmp);
	}
	char *rootfs = xasprintf("%s/rootfs", staging);
	char *unpacked = xasprintf("%s/archive", staging);
	struct image_plan plan = { 0 };
	struct blob_source src = { .dir = ref->path, .label = ref->text };
	unsigned long long size = 0;
	int ret = -1;

	if (mkdir(rootfs, 0755) < 0) {
		error_set(err, errno, "create %s", rootfs);
		goto out;
	}
	if (given) {
		src = *given;
	} else if (ref->kind == IMAGE_OCI_ARCHIVE || ref->kind == IMAGE_DOCKER_ARCHIVE) {
		if (mkdir(unpacked, 0700) < 0) {
			error_set(err, errno, "create %s", unpacked);
			goto out;
		}
		log_debug("unpack %s into %s", ref->path, unpacked);
		if (blob_source_unpack_archive(ref->path, unpacked, err) < 0)
			goto out;
		src.dir = unpacked;
	}
	if (image_plan_load(ref, &src, &plan, err) < 0)
		goto out;
	size_t n_squashfs = 0;
	for (size_t i = 0; i < plan.n_layers; i++)
		n_squashfs += plan.layers[i].compression == LAYER_SQUASHFS;
	if (sif && n_squashfs && n_squashfs == plan.n_layers) {
		if (sif_pull_as_is(sif, &plan, ref->text, err) < 0)
			goto out;
		remove_tree_at(c->tmp_fd, strrchr(staging, '/') + 1);
		if (key)
			*key = xstrdup(plan.key);
		ret = 0;
		goto out;
	}
	if (n_squashfs && sif) {
		error_set(err, 0, "%s mixes squashfs and tar layers: not supported", ref->text);
		goto out;
	}
	if (extract_layers(rootfs, ref, &plan, &size, err) < 0)
		goto out;
	if (sif) {
		/* The file is the image: the tree was only the way to it. */
		if (sif_pull_write(sif, &plan, rootfs, staging, ref->text, err) < 0)
			goto out;
		remove_tree_at(c->tmp_fd, strrchr(staging, '/') + 1);
		if (key)
			*key = xstrdup(plan.key);
		ret = 0;
		goto out;
	}
	if (write_metadata(staging, ref, &plan, size, err) < 0)
		goto out;
	int staging_fd = openat(c->tmp_fd, strrchr(staging, '/') + 1, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (staging_fd >= 0) {
		remove_tree_at(staging_fd, "archive");
		close(staging_fd);
	}
	/* The archive's key came from its name; the verified plan has the
	 * truth. A mismatch means the file changed meanwhile: use the truth. */
	char *final = cache_entry_dir(c, plan.key);
	/* By the dirs opened at cache_open, not by their paths. */
	if (renameat(c->tmp_fd, strrchr(staging, '/') + 1, c->images_fd, strrchr(final, '/') + 1) < 0) {
		error_set(err, errno, "move the new image into %s", final);
		free(final);
		goto out;
	}
	if (entry && strcmp(final, entry) != 0)
		log_warn("%s changed while it was imported", ref->text);
	log_debug("imported %s as %s (%llu bytes)", ref->text, final, size);
	free(final);
	if (key)
		*key = xstrdup(plan.key);
	ret = 0;
out:
	if (ret < 0)
		remove_tree_at(c->tmp_fd, strrchr(staging, '/') + 1);
	image_plan_free(&plan);
	free(staging);
	free(rootfs);
	free(unpacked);
	return ret;
}

static int find_key(const struct image_ref *ref, char **key, struct error *err)
{
	struct blob_source src = { .dir = ref->path, .label = ref->text };
	if (ref->kind == IMAGE_OCI_ARCHIVE || ref->kind == IMAGE_DOCKER_ARCHIVE) {
		if (blob_source_scan_archive(ref->path, &src, err) < 0)
			return -1;
		src.dir = NULL;
		src.label = ref->text;
	}
	int ret = image_find_key(ref, &src, key, err);
	blob_source_free(&src);
	return ret;
}

/* With the lock held: build the entry for ref from the blobs in src (an OCI
 * layout's files) and return its key; registry_pull calls it back. */
static int image_import_build(struct cache *c, const struct image_ref *ref, const struct blob_source *src, void *data,
			      char **key, struct error *err)
{
	return import(c, ref, src, NULL, data, key, err);
}

/* `ochre pull` to a file: built afresh from the blobs, under the lock
 * (the build dir lives in the cache's tmp/). */
static int import_to_file(struct cache *c, const struct image_ref *ref, const struct sif_pull_options *sif, char **key,
			  struct error *err)
{
	if (cache_lock(c, err) < 0)
		return -1;
	cache_remove_stale_builds(c);
	int ret = import(c, ref, NULL, NULL, sif, key, err);
	cache_unlock(c);
	return ret;
}

/* oras://: a SIF file in a registry, fetched into the blob store and
 * copied out as it is, under the lock (which keeps `cache clean` off the
 * blob meanwhile). */
static int import_oras(struct cache *c, const char *image, const struct import_options *opts, struct error *err)
{
	if (!opts->sif)
		return error_set(err, 0, "%s holds a SIF file: 'ochre pull' it, then run the file", image);
	if (sif_pull_prepare(opts->sif, err) < 0 || cache_lock(c, err) < 0)
		return -1;
	char *blob = NULL;
	int ret = registry_oras_fetch(c, image, opts->insecure, opts->authfile, &blob, err);
	if (ret == 0)
		ret = sif_pull_copy_file(opts->sif, blob, image, err);
	cache_unlock(c);
	free(blob);
	return ret;
}

int image_import(struct cache *c, const char *image, const struct import_options *opts, char **key, struct error *err)
{
	if (registry_oras_is_ref(image)) {
		*key = NULL;
		if (import_oras(c, image, opts, err) < 0)
			return -1;
		*key = xstrdup("oras");
		return 0;
	}
	struct image_ref ref;
	if (image_ref_parse(image, &ref, err) < 0)
		return -1;
	ref.platform = opts->platform;
	int ret = -1;
	char *entry = NULL;
	*key = NULL;
	if (ref.kind == IMAGE_ROOTFS_DIR) {
		error_set(err, 0, "'%s' is a root filesystem directory, not an image", image);
		goto out;
	}
	if (opts->sif && sif_pull_prepare(opts->sif, err) < 0)
		goto out;
	if (ref.kind == IMAGE_DOCKER) {
		struct registry_pull_options pull = { .platform = opts->platform,
						      .authfile = opts->authfile,
						      .insecure = opts->insecure,
						      .build = image_import_build,
						      .build_data = (void *)opts->sif,
						      .always_build = opts->sif != NULL };
		ret = registry_pull(c, &ref, &pull, key, err);
		goto out;
	}
	if (opts->sif) {
		ret = import_to_file(c, &ref, opts->sif, key, err);
		goto out;
	}
	if (find_key(&ref, key, err) < 0)
		goto out;
	entry = cache_entry_dir(c, *key);
	struct stat st;
	if (stat(entry, &st) < 0) {
		/* One importer at a time; whoever waited finds it done. */
		if (cache_lock(c, err) < 0)
			goto out;
		if (stat(entry, &st) < 0) {
			cache_remove_stale_builds(c);
			if (import(c, &ref, NULL, entry, NULL, NULL, err) < 0)
				goto out;
		}
		cache_unlock(c);
	}
	if (ref.kind == IMAGE_OCI_ARCHIVE || ref.kind == IMAGE_DOCKER_ARCHIVE)
		cache_ref_record(c, ref.text, ref.path, *key);
	ret = 0;
out:
	cache_unlock(c);
	if (ret < 0) {
		free(*key);
		*key = NULL;
	}
	free(entry);
	image_ref_free(&ref);
	return ret;
}
