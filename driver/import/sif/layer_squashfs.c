#define _GNU_SOURCE
#include "layer_squashfs.h"

#include "../../../common/log.h"
#include "../unpack/layer_extract.h"
#include "../unpack/pathset.h"
#include "run_tool.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define WHITEOUT ".wh."
#define OPAQUE ".wh..wh..opq"
#define OPAQUE_XATTR "trusted.overlay.opaque"

static struct archive *open_blob(const struct layer_plan *layer, struct error *err)
{
	struct archive *a = archive_read_new();
	archive_read_support_format_tar(a);
	if (layer->compression == LAYER_GZIP)
		archive_read_support_filter_gzip(a);
	else if (layer->compression == LAYER_ZSTD)
		archive_read_support_filter_zstd(a);
	if (archive_read_open_filename(a, layer->path, 256 * 1024) != ARCHIVE_OK) {
		error_set(err, 0, "layer %s: %s", layer->digest, archive_error_string(a));
		archive_read_free(a);
		return NULL;
	}
	return a;
}

static void split(const char *path, char *parent, size_t len, const char **base)
{
	const char *slash = strrchr(path, '/');
	snprintf(parent, len, "%.*s", slash ? (int)(slash - path) : 0, path);
	*base = slash ? slash + 1 : path;
}

/* First pass: the directories this layer makes opaque, and the ones it
 * lists (an opaque one it does not list gets an entry of its own). */
static int scan(const struct layer_plan *layer, struct pathset *opaque, struct pathset *dirs, struct error *err)
{
	struct archive *a = open_blob(layer, err);
	if (!a)
		return -1;
	struct archive_entry *e;
	int r;
	char path[4096], parent[4096];
	const char *base;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		if (clean_entry_path(archive_entry_pathname(e), path, sizeof path) < 0)
			continue; /* the unpacker has refused such a layer already */
		split(path, parent, sizeof parent, &base);
		if (strcmp(base, OPAQUE) == 0)
			pathset_add(opaque, parent);
		else if (archive_entry_filetype(e) == AE_IFDIR)
			pathset_add(dirs, path);
	}
	int ret = r == ARCHIVE_EOF ? 0 : error_set(err, 0, "layer %s: %s", layer->digest, archive_error_string(a));
	archive_read_free(a);
	return ret;
}

struct filter {
	struct archive *in, *out;
	const struct layer_plan *layer;
	const struct pathset *opaque, *dirs;
	bool as_root;
};

static int put(struct filter *f, struct archive_entry *e, bool data, struct error *err)
{
	if (archive_write_header(f->out, e) < ARCHIVE_WARN)
		return error_set(err, 0, "layer %s: %s", f->layer->digest, archive_error_string(f->out));
	if (!data)
		return 0;
	char buf[65536];
	la_ssize_t n;
	while ((n = archive_read_data(f->in, buf, sizeof buf)) > 0)
		if (archive_write_data(f->out, buf, (size_t)n) < 0)
			return error_set(err, 0, "layer %s: %s", f->layer->digest, archive_error_string(f->out));
	if (n < 0)
		return error_set(err, 0, "layer %s: %s", f->layer->digest, archive_error_string(f->in));
	return 0;
}

/* An opaque directory the layer does not list: an entry for it, with the
 * xattr (tar2sqfs would make it implicitly, without one). */
static int put_opaque_dir(struct filter *f, const char *path, struct archive_entry *like, struct error *err)
{
	struct archive_entry *d = archive_entry_new();
	archive_entry_set_pathname(d, path);
	archive_entry_set_filetype(d, AE_IFDIR);
	archive_entry_set_perm(d, 0755);
	archive_entry_set_mtime(d, archive_entry_mtime(like), 0);
	archive_entry_xattr_add_entry(d, OPAQUE_XATTR, "y", 1);
	int ret = put(f, d, false, err);
	archive_entry_free(d);
	return ret;
}

static int filter_entry(struct filter *f, struct archive_entry *e, struct error *err)
{
	char path[4096], parent[4096];
	const char *base;
	if (clean_entry_path(archive_entry_pathname(e), path, sizeof path) < 0)
		return error_set(err, 0, "layer %s: entry '%s' leaves the image root; refusing", f->layer->digest,
				 archive_entry_pathname(e));
	if (!*path)
		return 0; /* the root: tar2sqfs's defaults */
	split(path, parent, sizeof parent, &base);
	if (strcmp(base, OPAQUE) == 0)
		return *parent && !pathset_has(f->dirs, parent) ? put_opaque_dir(f, parent, e, err) : 0;
	if (strncmp(base, ".wh..wh.", 8) == 0)
		return 0; /* aufs bookkeeping */
	if (strncmp(base, WHITEOUT, strlen(WHITEOUT)) == 0) {
		const char *victim = base + strlen(WHITEOUT);
		if (!*victim || strcmp(victim, ".") == 0 || strcmp(victim, "..") == 0)
			return error_set(err, 0, "layer %s: whiteout '%s' names no file; refusing", f->layer->digest,
					 path);
		char target[8192];
		snprintf(target, sizeof target, "%s%s%s", parent, *parent ? "/" : "", victim);
		archive_entry_set_pathname(e, target);
		archive_entry_set_hardlink(e, NULL);
		archive_entry_set_filetype(e, AE_IFCHR);
		archive_entry_set_rdev(e, 0);
		archive_entry_set_size(e, 0);
		return put(f, e, false, err);
	}
	mode_t type = archive_entry_filetype(e);
	if ((type == AE_IFCHR || type == AE_IFBLK) && !f->as_root)
		return 0; /* as the unpacker: only root keeps device nodes */
	archive_entry_set_pathname(e, path);
	if (archive_entry_hardlink(e)) {
		char target[4096];
		if (clean_entry_path(archive_entry_hardlink(e), target, sizeof target) < 0 || !*target)
			return error_set(err, 0, "layer %s: hardlink '%s' leaves the image root; refusing",
					 f->layer->digest, path);
		archive_entry_set_hardlink(e, target);
	}
	if (type == AE_IFDIR && pathset_has(f->opaque, path))
		archive_entry_xattr_add_entry(e, OPAQUE_XATTR, "y", 1);
	return put(f, e, type == AE_IFREG && !archive_entry_hardlink(e), err);
}

/* Second pass: the filtered tar into fd. */
static int filter(const struct layer_plan *layer, bool as_root, const struct pathset *opaque,
		  const struct pathset *dirs, int fd, struct error *err)
{
	struct filter f = { .layer = layer, .opaque = opaque, .dirs = dirs, .as_root = as_root };
	f.in = open_blob(layer, err);
	if (!f.in)
		return -1;
	f.out = archive_write_new();
	archive_write_set_format_pax_restricted(f.out);
	archive_write_set_bytes_in_last_block(f.out, 1);
	int ret = -1;
	if (archive_write_open_fd(f.out, fd) != ARCHIVE_OK) {
		error_set(err, 0, "layer %s: %s", layer->digest, archive_error_string(f.out));
		goto out;
	}
	struct archive_entry *e;
	int r;
	while ((r = archive_read_next_header(f.in, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN)
		if (filter_entry(&f, e, err) < 0)
			goto out;
	if (r != ARCHIVE_EOF) {
		error_set(err, 0, "layer %s: %s", layer->digest, archive_error_string(f.in));
		goto out;
	}
	if (archive_write_close(f.out) != ARCHIVE_OK) {
		error_set(err, 0, "layer %s: %s", layer->digest, archive_error_string(f.out));
		goto out;
	}
	ret = 0;
out:
	archive_write_free(f.out);
	archive_read_free(f.in);
	return ret;
}

int layer_to_squashfs(const struct layer_plan *layer, bool as_root, const char *out, struct error *err)
{
	struct pathset opaque, dirs;
	pathset_init(&opaque);
	pathset_init(&dirs);
	int ret = scan(layer, &opaque, &dirs, err);
	if (ret == 0) {
		/* Times as the tar has them (tar2sqfs keeps them); implicit
		 * directories root's, 0755, time 0: reproducible. */
		char *argv[] = { "tar2sqfs",     "--quiet", "--force",    "--no-skip",
				 "--compressor", "gzip",    "--defaults", "uid=0,gid=0,mode=0755,mtime=0",
				 (char *)out,    NULL };
		int in;
		pid_t pid = run_tool_start(argv, &in, err);
		if (pid < 0) {
			ret = -1;
		} else {
			/* A tar2sqfs that fails early closes the pipe: no SIGPIPE. */
			void (*old)(int) = signal(SIGPIPE, SIG_IGN);
			struct error ferr = { .msg = "" };
			int fret = filter(layer, as_root, &opaque, &dirs, in, &ferr);
			close(in);
			signal(SIGPIPE, old);
			ret = run_tool_wait(pid, argv[0], err);
			if (fret < 0) {
				*err = ferr;
				ret = -1;
			}
		}
	}
	pathset_clear(&opaque);
	pathset_clear(&dirs);
	return ret;
}
