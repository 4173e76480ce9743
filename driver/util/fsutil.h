/* Small filesystem helpers for the driver. */
#ifndef OCHRE_FSUTIL_H
#define OCHRE_FSUTIL_H

#include "error.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Remove dirfd/name and everything below it, never following symlinks.
 * Directories without owner rwx are made accessible first (as extracted
 * image trees may have). A missing entry is not an error. 0 or -1/errno. */
int remove_tree_at(int dirfd, const char *name);

/* Remove path the same way. */
int remove_tree(const char *path);

/* Read a whole regular file of at most max bytes into a NUL-terminated
 * buffer (caller frees). */
int read_file(const char *path, size_t max, char **out, size_t *len, struct error *err);

/* mkdir -p, new dirs 0700; what exists is not checked. */
int make_dirs(const char *path, struct error *err);

/* mkdir -p for a private (0700) directory owned by the caller. */
int make_private_dirs(const char *path, struct error *err);

/* Open REL of an image's root filesystem for reading as if ROOTFS were
 * "/": symlinks resolve inside it, so a symlinked etc/passwd cannot make
 * us read a host file. NULL when missing. */
FILE *fopen_in_root(const char *rootfs, const char *rel);

/* FNV-1a, 64 bits: a short, stable name for a path (not a secure hash). */
unsigned long long fnv1a64(const char *s);

/* All of len bytes at off, or -1 with errno (EIO for a short read: the
 * file ends before them). EINTR is retried. */
int pread_full(int fd, void *buf, size_t len, uint64_t off);

/* All of len bytes at off, or -1 with errno (EIO if nothing is written). */
int pwrite_full(int fd, const void *buf, size_t len, uint64_t off);

#endif
