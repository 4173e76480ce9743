#define _GNU_SOURCE
#include "layer_extract.h"

#include "../../../common/log.h"
#include "../../util/beneath.h"
#include "../../util/fsutil.h"
#include "../../util/xalloc.h"
#include "digest.h"
#include "pathset.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define READ_CHUNK (256 * 1024)
#define WHITEOUT ".wh."
#define OPAQUE ".wh..wh..opq"

int clean_entry_path(const char *in, char *out, size_t len)
{
	size_t o = 0;
	const char *p = in;
	while (*p) {
		while (*p == '/')
			p++;
		size_t n = strcspn(p, "/");
		if (n == 0)
			break;
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return -1;
		if (!(n == 1 && p[0] == '.')) {
			if (o + n + 2 > len)
				return -1;
			if (o)
				out[o++] = '/';
			memcpy(out + o, p, n);
			o += n;
		}
		p += n;
	}
	out[o] = '\0';
	return 0;
}

/* The blob streams through this reader: every byte libarchive sees is hashed
 * and counted, so verification costs no second pass over the data. */
struct blob_reader {
	int fd;
	struct digest_ctx *digest;
	unsigned long long total;
	const struct extract_options *opts;
	char *buf;
};

static la_ssize_t blob_read(struct archive *a, void *data, const void **out)
{
	struct blob_reader *r = data;
	ssize_t n;
	do
		n = read(r->fd, r->buf, READ_CHUNK);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		archive_set_error(a, errno, "read");
		return -1;
	}
	if (n > 0) {
		digest_update(r->digest, r->buf, (size_t)n);
		r->total += (unsigned long long)n;
		if (r->opts->progress)
			r->opts->progress(r->opts->progress_data, (unsigned long long)n);
	}
	*out = r->buf;
	return n;
}

/* A directory inside the rootfs, reached without following any symlink. */
static int open_dir_beneath(int rootfd, const char *rel)
{
	if (*rel == '\0')
		return fcntl(rootfd, F_DUPFD_CLOEXEC, 0);
	return openat_beneath(rootfd, rel, O_RDONLY | O_DIRECTORY, BENEATH_NO_SYMLINKS);
}

static void split_parent(const char *path, char *parent, size_t len, const char **base)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 0;
	snprintf(parent, len, "%.*s", (int)n, path);
	*base = slash ? slash + 1 : path;
}

/* ".wh.NAME": NAME, from a lower layer, is deleted. */
static int apply_whiteout(int rootfd, const char *parent, const char *name, const char *blob, struct error *err)
{
	int dfd = open_dir_beneath(rootfd, parent);
	if (dfd < 0 && errno == ENOENT)
		return 0;
	if (dfd < 0)
		return error_set(err, errno, "layer %s: whiteout in '%s'", blob, parent);
	int ret = remove_tree_at(dfd, name);
	int saved = errno;
	close(dfd);
	return ret < 0 ? error_set(err, saved, "layer %s: whiteout of '%s/%s'", blob, parent, name) : 0;
}

/* What this layer has written so far: the exact entries, and every directory
 * above one of them (which the layer may not have listed itself). */
struct layer_writes {
	struct pathset entries;
	struct pathset ancestors;
};

/* Inside dfd (the directory at path rel), remove what lower layers left:
 * keep exactly what this layer wrote, and descend into directories that
 * hold something it wrote. */
static int hide_lower_content(int dfd, const char *rel, const struct layer_writes *w, const char *blob,
			      struct error *err)
{
	DIR *d = fdopendir(fcntl(dfd, F_DUPFD_CLOEXEC, 0));
	if (!d)
		return error_set(err, errno, "layer %s: read directory '%s'", blob, rel);
	int ret = 0;
	struct dirent *e;
	while (ret == 0 && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char *child = *rel ? xasprintf("%s/%s", rel, e->d_name) : xstrdup(e->d_name);
		bool written = pathset_has(&w->entries, child), above = pathset_has(&w->ancestors, child);
		if (!written && !above) {
			if (remove_tree_at(dfd, e->d_name) < 0)
				ret = error_set(err, errno, "layer %s: opaque directory: remove %s", blob, child);
		} else if (e->d_type == DT_DIR) {
			int sub = openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0)
				ret = error_set(err, errno, "layer %s: open %s", blob, child);
			else {
				ret = hide_lower_content(sub, child, w, blob, err);
				close(sub);
			}
		}
		free(child);
	}
	closedir(d);
	return ret;
}

/* ".wh..wh..opq": the directory hides everything lower layers put in it, at
 * any depth, but not what this layer has already written there. */
static int apply_opaque(int rootfd, const char *parent, const struct layer_writes *w, const char *blob,
			struct error *err)
{
	int dfd = open_dir_beneath(rootfd, parent);
	if (dfd < 0 && errno == ENOENT)
		return 0;
	if (dfd < 0)
		return error_set(err, errno, "layer %s: opaque directory '%s'", blob, parent);
	int ret = hide_lower_content(dfd, parent, w, blob, err);
	close(dfd);
	return ret;
}

/* Record path as written by this layer, and its parents as holding it. */
static void remember(struct layer_writes *w, const char *path)
{
	char buf[4096];
	snprintf(buf, sizeof buf, "%s", path);
	for (char *slash = strchr(buf, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		pathset_add(&w->ancestors, buf);
		*slash = '/';
	}
	pathset_add(&w->entries, buf);
}

/* A hardlink must point at an entry already in the rootfs, inside it. */
static int check_hardlink(int rootfd, struct archive_entry *e, const char *blob, struct error *err)
{
	char target[4096];
	const char *raw = archive_entry_hardlink(e);
	if (clean_entry_path(raw, target, sizeof target) < 0 || !*target)
		return error_set(err, 0, "layer %s: hardlink '%s' -> '%s' leaves the image root; refusing", blob,
				 archive_entry_pathname(e), raw);
	int fd = openat_beneath(rootfd, target, O_PATH | O_NOFOLLOW, BENEATH_NO_SYMLINKS);
	if (fd < 0)
		return error_set(err, errno == ELOOP ? 0 : errno,
				 "layer %s: hardlink '%s' -> '%s': target %s; refusing", blob,
				 archive_entry_pathname(e), raw,
				 errno == ELOOP ? "is reached through a symlink" : "is not (yet) in the image");
	close(fd);
	archive_entry_set_hardlink(e, target);
	return 0;
}

struct extraction {
	struct archive *in, *out;
	int rootfd;
	const char *blob;
	const struct extract_options *opts;
	struct layer_writes writes;
	unsigned long long data_bytes;
};

static int extract_entry(struct extraction *x, struct archive_entry *e, struct error *err)
{
	char path[4096], parent[4096];
	const char *base;
	if (clean_entry_path(archive_entry_pathname(e), path, sizeof path) < 0)
		return error_set(err, 0, "layer %s: entry '%s' leaves the image root; refusing", x->blob,
				 archive_entry_pathname(e));
	if (*path == '\0')
		return 0; /* the root directory itself */
	split_parent(path, parent, sizeof parent, &base);

	if (strncmp(base, WHITEOUT, strlen(WHITEOUT)) == 0) {
		if (strcmp(base, OPAQUE) == 0)
			return apply_opaque(x->rootfd, parent, &x->writes, x->blob, err);
		if (strncmp(base, ".wh..wh.", 8) == 0)
			return 0; /* aufs bookkeeping (.wh..wh.plnk and such) */
		const char *victim = base + strlen(WHITEOUT);
		/* ".wh.", ".wh.." and ".wh..." would name the directory itself
		 * or its parent: nothing a layer may delete. */
		if (!*victim || strcmp(victim, ".") == 0 || strcmp(victim, "..") == 0)
			return error_set(err, 0, "layer %s: whiteout '%s' names no file; refusing", x->blob, path);
		return apply_whiteout(x->rootfd, parent, victim, x->blob, err);
	}

	mode_t type = archive_entry_filetype(e);
	if ((type == AE_IFCHR || type == AE_IFBLK) && !x->opts->as_root) {
		log_debug("layer %s: skipping device node %s (only root can create it)", x->blob, path);
		return 0;
	}
	if (archive_entry_hardlink(e) && check_hardlink(x->rootfd, e, x->blob, err) < 0)
		return -1;
	archive_entry_set_pathname(e, path);
	/* The caller must be able to enter, list and later delete every dir. */
	if (type == AE_IFDIR)
		archive_entry_set_perm(e, archive_entry_perm(e) | 0700);
	remember(&x->writes, path);

	int r = archive_write_header(x->out, e);
	if (r < ARCHIVE_WARN)
		return error_set(err, 0, "layer %s: entry '%s': %s; refusing", x->blob, path,
				 archive_error_string(x->out));
	if (r == ARCHIVE_WARN)
		log_debug("layer %s: entry '%s': %s", x->blob, path, archive_error_string(x->out));
	if (archive_entry_size(e) > 0 && !archive_entry_hardlink(e)) {
		const void *buf;
		size_t len;
		la_int64_t off;
		while ((r = archive_read_data_block(x->in, &buf, &len, &off)) == ARCHIVE_OK) {
			if (archive_write_data_block(x->out, buf, len, off) < 0)
				return error_set(err, 0, "layer %s: write '%s': %s", x->blob, path,
						 archive_error_string(x->out));
			x->data_bytes += len;
		}
		if (r != ARCHIVE_EOF)
			return error_set(err, 0, "layer %s: read '%s': %s", x->blob, path, archive_error_string(x->in));
	}
	if (archive_write_finish_entry(x->out) < ARCHIVE_WARN)
		return error_set(err, 0, "layer %s: entry '%s': %s", x->blob, path, archive_error_string(x->out));
	return 0;
}

static struct archive *open_layer(const struct layer_plan *layer, struct blob_reader *r)
{
	struct archive *a = archive_read_new();
	archive_read_support_format_tar(a);
	switch (layer->compression) {
	case LAYER_GZIP:
		archive_read_support_filter_gzip(a);
		break;
	case LAYER_ZSTD:
		archive_read_support_filter_zstd(a);
		break;
	case LAYER_TAR:
	case LAYER_SQUASHFS: /* refused by layer_extract before this */
	default:
		archive_read_support_filter_none(a);
		break;
	}
	if (archive_read_open(a, r, NULL, blob_read, NULL) != ARCHIVE_OK) {
		/* Reported by the first archive_read_next_header. */
	}
	return a;
}

static int verify_blob(struct blob_reader *r, const struct layer_plan *layer, struct error *err)
{
	/* Hash what libarchive did not need (tar padding, trailing bytes). */
	ssize_t n;
	while ((n = read(r->fd, r->buf, READ_CHUNK)) > 0) {
		digest_update(r->digest, r->buf, (size_t)n);
		r->total += (unsigned long long)n;
	}
	char actual[DIGEST_MAX_STRING];
	bool ok = digest_end_matches(r->digest, layer->digest, actual, sizeof actual);
	r->digest = NULL;
	if (layer->size >= 0 && r->total != (unsigned long long)layer->size)
		return error_set(err, 0, "layer %s: %llu bytes, but its descriptor says %lld", layer->digest, r->total,
				 layer->size);
	if (!ok)
		return error_set(err, 0, "layer %s: content does not match its digest (got %s)", layer->digest, actual);
	return 0;
}

int layer_extract(const char *rootfs, const struct layer_plan *layer, const struct extract_options *opts,
		  unsigned long long *written, struct error *err)
{
	if (layer->compression == LAYER_SQUASHFS)
		return error_set(
			err, 0,
			"layer %s is a squashfs, not a tar: 'ochre pull' writes such an image to a file as it is",
			layer->digest);
	struct blob_reader r = { .opts = opts };
	struct extraction x = { .blob = layer->digest, .opts = opts, .rootfd = -1 };
	int cwd = -1, ret = -1;
	pathset_init(&x.writes.entries);
	pathset_init(&x.writes.ancestors);

	r.fd = open(layer->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (r.fd < 0)
		return error_set(err, errno, "layer %s: blob missing", layer->digest);
	r.digest = digest_begin(layer->digest, err);
	if (!r.digest)
		goto out;
	r.buf = xmalloc(READ_CHUNK);

	/* archive_write_disk works relative to the working directory: enter
	 * the rootfs for this layer, with the secure flags as the first line
	 * of defence and our own checks (above) as the second. */
	x.rootfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (x.rootfd < 0 || cwd < 0 || fchdir(x.rootfd) < 0) {
		error_set(err, errno, "enter %s", rootfs);
		goto out;
	}
	x.in = open_layer(layer, &r);
	x.out = archive_write_disk_new();
	int flags = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_UNLINK |
		    ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
		    ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS;
	if (opts->as_root)
		flags |= ARCHIVE_EXTRACT_OWNER;
	archive_write_disk_set_options(x.out, flags);

	struct archive_entry *e;
	int rr;
	while ((rr = archive_read_next_header(x.in, &e)) == ARCHIVE_OK || rr == ARCHIVE_WARN)
		if (extract_entry(&x, e, err) < 0)
			goto out_close;
	if (rr != ARCHIVE_EOF) {
		error_set(err, 0, "layer %s: %s", layer->digest, archive_error_string(x.in));
		goto out_close;
	}
	/* Applies the deferred directory modes and times, still in the rootfs. */
	if (archive_write_close(x.out) != ARCHIVE_OK) {
		error_set(err, 0, "layer %s: %s", layer->digest, archive_error_string(x.out));
		goto out_close;
	}
	if (verify_blob(&r, layer, err) < 0)
		goto out_close;
	*written += x.data_bytes;
	ret = 0;
out_close:
	archive_write_free(x.out);
	archive_read_free(x.in);
	if (fchdir(cwd) < 0 && ret == 0)
		ret = error_set(err, errno, "return to the working directory");
out:
	if (cwd >= 0)
		close(cwd);
	if (x.rootfd >= 0)
		close(x.rootfd);
	digest_abort(r.digest);
	free(r.buf);
	close(r.fd);
	pathset_clear(&x.writes.entries);
	pathset_clear(&x.writes.ancestors);
	return ret;
}
