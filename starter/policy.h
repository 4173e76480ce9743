/* The administrator's policy, as the setuid starter enforces it. The
 * starter reads etc/ochre.conf itself (the driver is the caller's and
 * proves nothing), only after checking that the file and every directory
 * above it are root's and writable by nobody else. */
#ifndef OCHRE_STARTER_POLICY_H
#define OCHRE_STARTER_POLICY_H

#include "../common/config.h"
#include "../common/request.h"

#include <sys/stat.h>

/* Load the compiled-in config path, or die naming the offending path. */
void policy_load(struct ochre_config *cfg);

/* Open an absolute path whose every component is root-owned and not group
 * or other writable, without following symlinks; returns an O_PATH fd (or
 * O_RDONLY when read is true) and its stat, or dies naming what failed. */
int policy_open_trusted(const char *path, const char *what, int read, struct stat *st);

/* Checks on the request text, before any privileged act: allow setuid,
 * the payload and helpers, id ranges against /etc/subuid and /etc/subgid,
 * 'limit container paths', 'allow user overlay', the tmpfs size. */
void policy_check_request(const struct ochre_config *cfg, struct starter_request *req);

/* 'limit container owners': walks the image path as the caller, by fd
 * and without symlinks, and dies unless the image root is an allowed
 * owner's and neither group/other writable nor sticky, and every
 * directory below the 'limit container paths' prefix it is in (the
 * longest) down to it is root's or an allowed owner's and not group/other
 * writable. The image root's stat comes back in st: the lower opened
 * later must be that same directory (st_dev, st_ino). */
void policy_check_image_path(const struct ochre_config *cfg, const char *path, struct stat *st);

#endif
