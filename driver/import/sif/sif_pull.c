#define _GNU_SOURCE
#include "sif_pull.h"

#include "../../../common/log.h"
#include "../../util/fsutil.h"
#include "../../util/json_read.h"
#include "../../util/xalloc.h"
#include "../unpack/digest.h"
#include "layer_squashfs.h"
#include "oci_sif.h"
#include "run_tool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

static char *dir_of(const char *path)
{
	char *copy = xstrdup(path);
	char *dir = xstrdup(dirname(copy));
	free(copy);
	return dir;
}

/* What interrupted pulls of ours left in dir: our temporary files that no
 * live pull holds locked (each pull flocks its file from its creation). */
static void remove_stale(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, SIF_PULL_TMP_PREFIX, strlen(SIF_PULL_TMP_PREFIX)) != 0)
			continue;
		int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		struct stat st;
		if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == getuid() &&
		    flock(fd, LOCK_EX | LOCK_NB) == 0) {
			log_debug("remove %s/%s, left by an interrupted pull", dir, e->d_name);
			unlinkat(dirfd(d), e->d_name, 0);
		}
		if (fd >= 0)
			close(fd);
	}
	closedir(d);
}

int sif_pull_prepare(const struct sif_pull_options *o, struct error *err)
{
	struct stat st;
	if (lstat(o->target, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return error_set(err, 0, "%s is a directory", o->target);
		if (!o->force)
			return error_set(err, 0, "%s already exists (--force replaces it)", o->target);
	}
	char *dir = dir_of(o->target);
	int ret = 0;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		ret = error_set(err, errno ? errno : ENOTDIR, "cannot write into %s", dir);
	else if (access(dir, W_OK | X_OK) < 0)
		ret = error_set(err, errno, "cannot write into %s", dir);
	else
		remove_stale(dir);
	free(dir);
	return ret;
}

static bool progress_shown(void)
{
	return isatty(2) && log_enabled(LOG_LEVEL_WARN) && !log_enabled(LOG_LEVEL_DEBUG);
}

static void say(const char *what, const char *step)
{
	if (progress_shown())
		fprintf(stderr, "%s: %s\n", what, step);
	log_debug("%s: %s", what, step);
}

struct write_progress {
	unsigned long long done, total;
	const char *file;
};

static void write_progress(void *data, unsigned long long bytes)
{
	struct write_progress *p = data;
	unsigned long long before = p->done >> 24;
	p->done += bytes;
	if (progress_shown() && (p->done >> 24 != before || p->done == p->total))
		fprintf(stderr, "\r\033[KWriting %s: %.1f/%.1f MiB", p->file, (double)p->done / 1048576.0,
			(double)p->total / 1048576.0);
}

/* One squashfs of the extracted tree, reproducible: mksquashfs sorts each
 * directory and, with the filesystem's own time fixed, writes the same
 * bytes for the same tree. The tree's root is ours (made by mkdir): its
 * time is fixed too. Without root, files cannot keep their owners on disk:
 * they become root's (-all-root) (streaming the tars with libsquashfs
 * would keep them: a follow-up). */
static int make_squashfs(const char *rootfs, const char *out, struct error *err)
{
	struct timespec zero[2] = { { 0, 0 }, { 0, 0 } };
	if (utimensat(AT_FDCWD, rootfs, zero, AT_SYMLINK_NOFOLLOW) < 0)
		return error_set(err, errno, "set the time of %s", rootfs);
	char *argv[] = { "mksquashfs", (char *)rootfs, (char *)out,    "-noappend",
			 "-no-xattrs", "-comp",        "gzip",         "-mkfs-time",
			 "0",          "-quiet",       "-no-progress", getuid() ? "-all-root" : NULL,
			 NULL };
	return run_tool(argv, err);
}

/* The image config as the OCI-SIF has it: the source's, with rootfs naming
 * the squashfs layer(s) (a squashfs layer's diff_id is its digest) and a
 * history entry saying where it came from, as SingularityCE adds one. */
static char *make_config(const struct image_plan *plan, char layer_digests[][DIGEST_MAX_STRING], size_t n)
{
	json_object *cfg = json_tokener_parse(json_object_to_json_string_ext(plan->config, JSON_FLAGS));
	json_object *rootfs = json_object_new_object(), *ids = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(ids, json_object_new_string(layer_digests[i]));
	json_object_object_add(rootfs, "type", json_object_new_string("layers"));
	json_object_object_add(rootfs, "diff_ids", ids);
	json_object_object_add(cfg, "rootfs", rootfs);
	json_object *history, *h = json_object_new_object();
	if (!json_object_object_get_ex(cfg, "history", &history) || !json_object_is_type(history, json_type_array)) {
		history = json_object_new_array();
		json_object_object_add(cfg, "history", history);
	}
	const char *hex = strchr(plan->key, ':');
	char *comment = xasprintf("oci-sif created from %s", hex ? hex + 1 : plan->key);
	json_object_object_add(h, "created_by", json_object_new_string("ochre pull"));
	json_object_object_add(h, "comment", json_object_new_string(comment));
	json_object_array_add(history, h);
	free(comment);
	char *text = xstrdup(json_object_to_json_string_ext(cfg, JSON_FLAGS));
	json_object_put(cfg);
	return text;
}

static char *make_manifest(const struct oci_sif_blob *layers, size_t n, const struct oci_sif_blob *config)
{
	json_object *m = json_object_new_object(), *c = json_object_new_object(), *ls = json_object_new_array();
	json_object_object_add(m, "schemaVersion", json_object_new_int(2));
	json_object_object_add(m, "mediaType", json_object_new_string(MT_OCI_MANIFEST));
	json_object_object_add(c, "mediaType", json_object_new_string(MT_OCI_CONFIG));
	json_object_object_add(c, "size", json_object_new_int64((int64_t)config->len));
	json_object_object_add(c, "digest", json_object_new_string(config->digest));
	json_object_object_add(m, "config", c);
	for (size_t i = 0; i < n; i++) {
		json_object *l = json_object_new_object();
		json_object_object_add(l, "mediaType", json_object_new_string(SIF_OCI_SQUASHFS_LAYER_MEDIA_TYPE));
		json_object_object_add(l, "size", json_object_new_int64((int64_t)layers[i].len));
		json_object_object_add(l, "digest", json_object_new_string(layers[i].digest));
		json_object_array_add(ls, l);
	}
	json_object_object_add(m, "layers", ls);
	char *text = xstrdup(json_object_to_json_string_ext(m, JSON_FLAGS));
	json_object_put(m);
	return text;
}

static char *make_index(const struct oci_sif_blob *manifest)
{
	return xasprintf("{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_INDEX
			 "\",\"manifests\":[{\"mediaType\":\"" MT_OCI_MANIFEST "\",\"size\":%zu,\"digest\":\"%s\"}]}",
			 manifest->len, manifest->digest);
}

static void json_blob(struct oci_sif_blob *b, enum sif_data_type type, char *text)
{
	memset(b, 0, sizeof *b);
	b->type = type;
	b->data = text;
	b->len = strlen(text);
	digest_sha256_buffer(text, b->len, b->digest, sizeof b->digest);
}

/* as_is: the image's own config and manifest, whose layers are squashfs
 * already: read back and checked against their digests. */
static int raw_json(const struct image_plan *plan, char **config, char **manifest, struct error *err)
{
	size_t len;
	char digest[DIGEST_MAX_STRING];
	if (read_file(plan->manifest_file, 4 * 1024 * 1024, manifest, &len, err) < 0)
		return -1;
	digest_sha256_buffer(*manifest, len, digest, sizeof digest);
	if (strcmp(digest, plan->key) != 0)
		return error_set(err, 0, "manifest %s changed while it was pulled", plan->key);
	json_object *m = json_tokener_parse(*manifest), *c;
	const char *cfg = m && json_object_object_get_ex(m, "config", &c) ? json_str_field(c, "digest") : NULL;
	int ret = 0;
	if (!cfg || read_file(plan->config_file, 4 * 1024 * 1024, config, &len, err) < 0)
		ret = cfg ? -1 : error_set(err, 0, "manifest %s has no config", plan->key);
	else {
		digest_sha256_buffer(*config, len, digest, sizeof digest);
		if (strcmp(digest, cfg) != 0)
			ret = error_set(err, 0, "config %s changed while it was pulled", cfg);
	}
	json_object_put(m);
	return ret;
}

/* The OCI-SIF into fd: the layer files, then config, manifest, index.
 * as_is: the layers are the image's (squashfs already), each checked
 * against its digest as it is copied, and so are its config and manifest;
 * else the layers are ochre's, and so are config and manifest. */
static int write_sif(int fd, const struct image_plan *plan, char *const *layer_files, size_t n, const char *target,
		     bool as_is, struct error *err)
{
	struct oci_sif_writer w;
	oci_sif_begin(&w, fd, n + 3);
	struct write_progress prog = { .file = target };
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (stat(layer_files[i], &st) == 0)
			prog.total += (unsigned long long)st.st_size;
	}
	w.progress = write_progress;
	w.progress_data = &prog;
	struct oci_sif_blob *layers = xcalloc(n, sizeof *layers), config, manifest, index;
	char(*digests)[DIGEST_MAX_STRING] = xcalloc(n ? n : 1, sizeof *digests);
	char *config_text = NULL, *manifest_text = NULL, *index_text = NULL;
	int ret = -1;
	for (size_t i = 0; i < n; i++) {
		layers[i] = (struct oci_sif_blob){ .type = SIF_DATA_OCI_BLOB, .path = layer_files[i] };
		if (oci_sif_add(&w, &layers[i], err) < 0)
			goto out;
		snprintf(digests[i], sizeof digests[i], "%s", layers[i].digest);
		if (as_is && strcmp(layers[i].digest, plan->layers[i].digest) != 0) {
			error_set(err, 0, "layer %s: content does not match its digest (got %s)",
				  plan->layers[i].digest, layers[i].digest);
			goto out;
		}
	}
	if (progress_shown() && prog.total)
		fputs(" done\n", stderr);
	if (as_is) {
		if (raw_json(plan, &config_text, &manifest_text, err) < 0)
			goto out;
	} else {
		config_text = make_config(plan, digests, n);
	}
	json_blob(&config, SIF_DATA_OCI_BLOB, config_text);
	if (!as_is)
		manifest_text = make_manifest(layers, n, &config);
	json_blob(&manifest, SIF_DATA_OCI_BLOB, manifest_text);
	index_text = make_index(&manifest);
	json_blob(&index, SIF_DATA_OCI_ROOT_INDEX, index_text);
	if (oci_sif_add(&w, &config, err) < 0 || oci_sif_add(&w, &manifest, err) < 0 ||
	    oci_sif_add(&w, &index, err) < 0 || oci_sif_finish(&w, err) < 0 || oci_sif_check(&w, err) < 0)
		goto out;
	log_debug("wrote OCI-SIF: manifest %s, %zu layer(s)", manifest.digest, n);
	ret = 0;
out:
	oci_sif_writer_free(&w);
	free(layers);
	free(digests);
	free(config_text);
	free(manifest_text);
	free(index_text);
	return ret;
}

/* The same bytes are there already (a second pull of the same image):
 * leave that file alone rather than replace it with its twin. */
static bool same_file(int fd, const char *target)
{
	int other = open(target, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (other < 0)
		return false;
	struct stat a, b;
	bool same = fstat(fd, &a) == 0 && fstat(other, &b) == 0 && S_ISREG(b.st_mode) && a.st_size == b.st_size;
	char x[65536], y[65536];
	for (off_t off = 0; same && off < a.st_size; off += (off_t)sizeof x) {
		ssize_t n = pread(fd, x, sizeof x, off), m = pread(other, y, sizeof y, off);
		same = n > 0 && n == m && memcmp(x, y, (size_t)n) == 0;
	}
	close(other);
	return same;
}

/* A locked file in dir for the new image: unnamed (O_TMPFILE) where the
 * filesystem allows, so that a killed pull leaves nothing at all; else a
 * named temporary, locked from the start so that remove_stale knows it. */
int sif_out_open(const struct sif_pull_options *o, struct sif_out *out, struct error *err)
{
	out->dir = dir_of(o->target);
	out->named = NULL;
	out->fd = open(out->dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0644);
	if (out->fd < 0) {
		out->named = xasprintf("%s/" SIF_PULL_TMP_PREFIX "XXXXXX", out->dir);
		out->fd = mkostemp(out->named, O_CLOEXEC);
		if (out->fd < 0) {
			int saved = errno;
			free(out->named);
			out->named = NULL;
			return error_set(err, saved, "create a temporary file in %s", out->dir);
		}
	}
	if (flock(out->fd, LOCK_EX) < 0 || fchmod(out->fd, 0644 & ~umask(umask(0))) < 0) {
		error_set(err, errno, "lock a temporary file in %s", out->dir);
		sif_out_close(out);
		return -1;
	}
	return 0;
}

void sif_out_close(struct sif_out *out)
{
	if (out->named)
		unlink(out->named);
	if (out->fd >= 0)
		close(out->fd);
	out->fd = -1;
	free(out->named);
	free(out->dir);
	out->named = out->dir = NULL;
}

/* Give the finished file its name: a named temporary by rename; an unnamed
 * one by linkat, under a temporary name first when it replaces a file. */
static int name_file(struct sif_out *out, const struct sif_pull_options *o, struct error *err)
{
	char proc[64];
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", out->fd);
	if (out->named) {
		unsigned flags = o->force ? 0 : RENAME_NOREPLACE;
		if (renameat2(AT_FDCWD, out->named, AT_FDCWD, o->target, flags) < 0)
			return error_set(err, errno, "rename %s to %s", out->named, o->target);
		free(out->named);
		out->named = NULL;
		return 0;
	}
	if (!o->force) {
		if (linkat(AT_FDCWD, proc, AT_FDCWD, o->target, AT_SYMLINK_FOLLOW) < 0)
			return error_set(err, errno, "create %s", o->target);
		return 0;
	}
	char *tmp = xasprintf("%s/" SIF_PULL_TMP_PREFIX "%d", out->dir, (int)getpid());
	unlink(tmp);
	int ret = 0;
	if (linkat(AT_FDCWD, proc, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) < 0)
		ret = error_set(err, errno, "create %s", tmp);
	else if (rename(tmp, o->target) < 0) {
		ret = error_set(err, errno, "rename %s to %s", tmp, o->target);
		unlink(tmp);
	}
	free(tmp);
	return ret;
}

int sif_out_publish(struct sif_out *out, const struct sif_pull_options *o, struct error *err)
{
	if (o->force && same_file(out->fd, o->target)) {
		log_debug("%s holds this image already: left as it is", o->target);
		return 0;
	}
	return name_file(out, o, err);
}

/* The squashfs layer files in work: one of the whole tree, or one per
 * layer (--keep-layers). */
static int make_layers(const struct sif_pull_options *o, const struct image_plan *plan, const char *rootfs,
		       const char *work, char ***files, size_t *n, struct error *err)
{
	*n = o->keep_layers ? plan->n_layers : 1;
	*files = xcalloc(*n + 1, sizeof **files);
	if (!o->keep_layers) {
		(*files)[0] = xasprintf("%s/layer.squashfs", work);
		return make_squashfs(rootfs, (*files)[0], err);
	}
	for (size_t i = 0; i < *n; i++) {
		(*files)[i] = xasprintf("%s/layer-%zu.squashfs", work, i + 1);
		log_debug("layer %zu/%zu %s to squashfs", i + 1, *n, plan->layers[i].digest);
		if (layer_to_squashfs(&plan->layers[i], getuid() == 0, (*files)[i], err) < 0)
			return -1;
	}
	return 0;
}

int sif_pull_write(const struct sif_pull_options *o, const struct image_plan *plan, const char *rootfs,
		   const char *work, const char *what, struct error *err)
{
	char **layers = NULL;
	size_t n = 0;
	struct sif_out out = { .fd = -1 };
	int ret = -1;
	say(what, "converting to squashfs");
	if (make_layers(o, plan, rootfs, work, &layers, &n, err) < 0 || sif_out_open(o, &out, err) < 0 ||
	    write_sif(out.fd, plan, layers, n, o->target, false, err) < 0 || sif_out_publish(&out, o, err) < 0)
		goto out;
	ret = 0;
out:
	sif_out_close(&out);
	for (size_t i = 0; layers && layers[i]; i++) {
		unlink(layers[i]);
		free(layers[i]);
	}
	free(layers);
	return ret;
}

int sif_pull_as_is(const struct sif_pull_options *o, const struct image_plan *plan, const char *what, struct error *err)
{
	if (!plan->manifest_file || !plan->n_layers)
		return error_set(err, 0, "%s: no squashfs layers to keep", what);
	char **layers = xcalloc(plan->n_layers, sizeof *layers);
	for (size_t i = 0; i < plan->n_layers; i++)
		layers[i] = plan->layers[i].path;
	struct sif_out out = { .fd = -1 };
	say(what, "squashfs layers, kept as they are");
	int ret = -1;
	if (sif_out_open(o, &out, err) == 0 &&
	    write_sif(out.fd, plan, layers, plan->n_layers, o->target, true, err) == 0 &&
	    sif_out_publish(&out, o, err) == 0)
		ret = 0;
	sif_out_close(&out);
	free(layers);
	return ret;
}

int sif_out_check_sif(const struct sif_out *out, const char *what, struct error *err)
{
	char h[SIF_HDR_LEN];
	if (pread(out->fd, h, sizeof h, 0) != (ssize_t)sizeof h ||
	    memcmp(h + SIF_HDR_MAGIC_OFF, SIF_MAGIC, sizeof SIF_MAGIC) != 0 ||
	    memcmp(h + SIF_HDR_VERSION_OFF, SIF_VERSION, sizeof SIF_VERSION) != 0)
		return error_set(err, 0, "%s is not a SIF file", what);
	return 0;
}

static int copy_into(int fd, const char *file, const char *target, struct error *err)
{
	int in = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (in < 0)
		return error_set(err, errno, "open %s", file);
	struct stat st;
	struct write_progress prog = { .file = target };
	if (fstat(in, &st) == 0)
		prog.total = (unsigned long long)st.st_size;
	static char buf[1024 * 1024];
	ssize_t n;
	int ret = 0;
	while ((n = read(in, buf, sizeof buf)) > 0) {
		if (write(fd, buf, (size_t)n) != n) {
			ret = error_set(err, errno, "write the image file");
			break;
		}
		write_progress(&prog, (unsigned long long)n);
	}
	if (n < 0)
		ret = error_set(err, errno, "read %s", file);
	if (progress_shown() && prog.total)
		fputs(ret == 0 ? " done\n" : "\n", stderr);
	close(in);
	return ret == 0 && fsync(fd) < 0 ? error_set(err, errno, "write the image file") : ret;
}

int sif_pull_copy_file(const struct sif_pull_options *o, const char *file, const char *what, struct error *err)
{
	struct sif_out out = { .fd = -1 };
	int ret = -1;
	if (sif_out_open(o, &out, err) == 0 && copy_into(out.fd, file, o->target, err) == 0 &&
	    sif_out_check_sif(&out, what, err) == 0 && sif_out_publish(&out, o, err) == 0)
		ret = 0;
	sif_out_close(&out);
	return ret;
}
