#define _GNU_SOURCE
#include "archive_source.h"

#include "../../../common/log.h"
#include "../../util/xalloc.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Member names in archives come as "./index.json" or "index.json". */
static const char *member_name(const char *name)
{
	while (name[0] == '.' && name[1] == '/')
		name += 2;
	while (name[0] == '/')
		name++;
	return name;
}

static struct archive *open_archive(const char *path, struct error *err)
{
	struct archive *a = archive_read_new();
	archive_read_support_format_tar(a);
	archive_read_support_filter_none(a);
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_zstd(a);
	if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
		error_set(err, 0, "%s: %s", path, archive_error_string(a));
		archive_read_free(a);
		return NULL;
	}
	return a;
}

int blob_source_scan_archive(const char *path, struct blob_source *src, struct error *err)
{
	memset(src, 0, sizeof *src);
	src->label = path;
	struct archive *a = open_archive(path, err);
	if (!a)
		return -1;
	size_t cap = 0;
	struct archive_entry *e;
	int r;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		la_int64_t size = archive_entry_size(e);
		if (archive_entry_filetype(e) != AE_IFREG || size > BLOB_SOURCE_SMALL_MAX)
			continue; /* archive_read_next_header skips the data (seeking) */
		if (src->n_members == cap) {
			cap = cap ? 2 * cap : 16;
			src->members = xreallocarray(src->members, cap, sizeof *src->members);
		}
		struct mem_member *m = &src->members[src->n_members];
		m->name = xstrdup(member_name(archive_entry_pathname(e)));
		m->data = xmalloc((size_t)size + 1);
		la_ssize_t got = archive_read_data(a, m->data, (size_t)size);
		if (got != size) {
			free(m->name);
			free(m->data);
			error_set(err, 0, "%s: truncated member", path);
			archive_read_free(a);
			return -1;
		}
		m->len = (size_t)size;
		src->n_members++;
	}
	if (r != ARCHIVE_EOF) {
		error_set(err, 0, "%s: %s", path, archive_error_string(a));
		archive_read_free(a);
		blob_source_free(src);
		return -1;
	}
	archive_read_free(a);
	return 0;
}

int blob_source_unpack_archive(const char *path, const char *dir, struct error *err)
{
	struct archive *a = open_archive(path, err);
	if (!a)
		return -1;
	struct archive *w = archive_write_disk_new();
	/* Only plain files and directories are expected in an image archive;
	 * the secure flags keep everything inside dir. */
	archive_write_disk_set_options(w, ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
						  ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int ret = 0;
	if (dirfd < 0 || cwd < 0 || fchdir(dirfd) < 0) {
		ret = error_set(err, errno, "enter %s", dir);
		goto out;
	}
	struct archive_entry *e;
	int r;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		mode_t type = archive_entry_filetype(e);
		if (type != AE_IFREG && type != AE_IFDIR) {
			log_debug("%s: skipping member %s (not a file or directory)", path, archive_entry_pathname(e));
			continue;
		}
		archive_entry_set_pathname(e, member_name(archive_entry_pathname(e)));
		archive_entry_set_perm(e, type == AE_IFDIR ? 0700 : 0600);
		if (*archive_entry_pathname(e) == '\0')
			continue;
		if (archive_write_header(w, e) != ARCHIVE_OK) {
			ret = error_set(err, 0, "%s: member %s: %s", path, archive_entry_pathname(e),
					archive_error_string(w));
			break;
		}
		const void *buf;
		size_t len;
		la_int64_t off;
		while ((r = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK)
			if (archive_write_data_block(w, buf, len, off) < 0)
				break;
		if (r != ARCHIVE_EOF || archive_write_finish_entry(w) != ARCHIVE_OK) {
			ret = error_set(err, 0, "%s: member %s: %s", path, archive_entry_pathname(e),
					archive_error_string(r != ARCHIVE_EOF ? a : w));
			break;
		}
	}
	if (ret == 0 && r != ARCHIVE_EOF)
		ret = error_set(err, 0, "%s: %s", path, archive_error_string(a));
	if (fchdir(cwd) < 0 && ret == 0)
		ret = error_set(err, errno, "return to the working directory");
out:
	if (dirfd >= 0)
		close(dirfd);
	if (cwd >= 0)
		close(cwd);
	archive_write_free(w);
	archive_read_free(a);
	return ret;
}
