#define _GNU_SOURCE
#include "mountpoints.h"

#include "../../common/log.h"
#include "../util/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_LAYERS 17

/* Is dest inside (not equal to) another mount's destination? Then that
 * mount provides its parent, and the runtime makes the mount point in it. */
static bool under_other_mount(const struct mount_list *mounts, const char *dest)
{
	for (size_t i = 0; i < mounts->n; i++) {
		size_t len = strlen(mounts->v[i].dest);
		if (len > 1 && strncmp(dest, mounts->v[i].dest, len) == 0 && dest[len] == '/')
			return true;
	}
	return false;
}

/* Should the mount point be a directory? Binds of files need a file. */
static bool wants_dir(const struct mount_entry *m)
{
	struct stat st;
	if (strcmp(m->type, "none") != 0 && strcmp(m->type, "bind") != 0)
		return true;
	return stat(m->source, &st) < 0 || S_ISDIR(st.st_mode);
}

static void close_all(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* Walk dest's components through every layer at once, to the first one
 * no layer has; a symlink in any layer stops the walk: the runtime
 * resolves those itself (inside the rootfs), and a directory here would
 * shadow the link. Returns the offset in rel of the first missing
 * component, or -1 if there is none (or the walk stopped). */
static long first_missing(const char *const *layers, size_t n_layers, const struct single_file *file, const char *rel)
{
	/* A single-file image is the bottom layer; its lookups go by path. */
	bool in_file = file != NULL;
	int fds[MAX_LAYERS];
	size_t n = 0;
	for (; n < n_layers && n < MAX_LAYERS; n++)
		fds[n] = open(layers[n], O_PATH | O_DIRECTORY | O_CLOEXEC);
	long missing = -1;
	for (size_t off = 0, len; rel[off]; off += len + strspn(rel + off + len, "/")) {
		len = strcspn(rel + off, "/");
		char c[NAME_MAX + 1];
		if (len > NAME_MAX)
			break;
		memcpy(c, rel + off, len);
		c[len] = '\0';
		if (strcmp(c, ".") == 0 || strcmp(c, "..") == 0)
			break;
		bool found = false, link = false;
		for (size_t i = 0; i < n; i++) {
			struct stat st;
			if (fds[i] < 0)
				continue;
			if (fstatat(fds[i], c, &st, AT_SYMLINK_NOFOLLOW) < 0) {
				close(fds[i]);
				fds[i] = -1;
				continue;
			}
			link |= S_ISLNK(st.st_mode);
			found = true;
			int next = S_ISDIR(st.st_mode)
					   ? openat(fds[i], c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
					   : -1;
			close(fds[i]);
			fds[i] = next;
		}
		mode_t type;
		char *prefix = xstrndup(rel, off + len);
		if (in_file && single_file_lstat(file, prefix, &type) == 0) {
			link |= S_ISLNK(type);
			found = true;
			in_file = S_ISDIR(type);
		} else {
			in_file = false;
		}
		free(prefix);
		if (link)
			break;
		if (!found) {
			missing = (long)off;
			break;
		}
	}
	close_all(fds, n);
	return missing;
}

/* Create dest in the mount point layer if no layer has it: the directories
 * on the way (those the image has too, to hold the new ones; the layer is
 * the bottom one, so the image's own attributes show, not these), then the
 * mount point, a file for a bind of a file. */
static int make_one(int layer_fd, const char *const *layers, size_t n_layers, const struct single_file *file,
		    const struct mount_entry *m, bool *used, struct error *err)
{
	if (first_missing(layers, n_layers, file, m->dest + 1) < 0)
		return 0;
	char *rel = xstrdup(m->dest + 1);
	int ret = 0;
	for (char *p = rel; ret == 0;) {
		char *slash = strchr(p, '/');
		if (slash)
			*slash = '\0';
		if (!slash && !wants_dir(m)) {
			int fd = openat(layer_fd, rel, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
			if (fd < 0 && errno != EEXIST)
				ret = error_set(err, errno, "create mount point %s", m->dest);
			else if (fd >= 0)
				close(fd);
		} else if (mkdirat(layer_fd, rel, 0755) < 0 && errno != EEXIST) {
			ret = error_set(err, errno, "create mount point %s", m->dest);
		}
		if (!slash)
			break;
		*slash = '/';
		p = slash + 1;
	}
	*used = true;
	free(rel);
	return ret;
}

int mountpoints_make(const char *layer, const char *const *layers, size_t n_layers, const struct single_file *file,
		     const struct mount_list *mounts, bool *used, struct error *err)
{
	*used = false;
	int layer_fd = open(layer, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (layer_fd < 0)
		return error_set(err, errno, "open %s", layer);
	int ret = 0;
	for (size_t i = 0; i < mounts->n && ret == 0; i++)
		if (!under_other_mount(mounts, mounts->v[i].dest))
			ret = make_one(layer_fd, layers, n_layers, file, &mounts->v[i], used, err);
	close(layer_fd);
	if (*used)
		log_debug("mount points the image lacks are in %s", layer);
	return ret;
}
