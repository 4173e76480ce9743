#define _GNU_SOURCE
#include "image_root.h"

#include "../util/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

FILE *image_root_fopen(const struct image_root *r, const char *rel)
{
	if (r->file)
		return single_file_fopen(r->file, rel);
	if (r->dir)
		return fopen_in_root(r->dir, rel);
	errno = ENOENT;
	return NULL;
}

bool image_root_has_dir(const struct image_root *r, const char *rel)
{
	if (r->file) {
		mode_t type;
		return single_file_lstat(r->file, rel, &type) == 0 && S_ISDIR(type);
	}
	if (!r->dir)
		return false;
	int root = open(r->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return false;
	struct stat st;
	bool dir = fstatat(root, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
	close(root);
	return dir;
}
