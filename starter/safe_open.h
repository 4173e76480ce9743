/* Opening caller-supplied paths without following symbolic links. */
#ifndef OCHRE_STARTER_SAFE_OPEN_H
#define OCHRE_STARTER_SAFE_OPEN_H

/* Open an absolute directory path as O_PATH, refusing a symlink in any
 * component (openat2 RESOLVE_NO_SYMLINKS, or an O_NOFOLLOW walk on kernels
 * without openat2). Returns the fd, or -1 with errno (ELOOP for a symlink). */
int open_dir_nofollow(const char *path);

/* Open one entry of a directory fd as an O_PATH directory, no symlink. */
int open_subdir_nofollow(int dirfd, const char *name);

/* Open an absolute path of a regular file for reading, as
 * open_dir_nofollow does directories (no symlink in any component, the
 * last included; never blocking on a FIFO). Returns the fd, or -1 with
 * errno (EINVAL: not a regular file). */
int open_file_nofollow(const char *path);

#endif
