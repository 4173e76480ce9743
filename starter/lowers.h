/* Checks on the image layers (overlay lower dirs) the starter stacks. They
 * look at the very fds handed to overlay, never at the request's path
 * strings: the caller can rename their directories at any instant, so a
 * check by name would be about whatever holds that name by then. */
#ifndef OCHRE_STARTER_LOWERS_H
#define OCHRE_STARTER_LOWERS_H

#include <stdbool.h>

/* Refuse a lower on a pseudo filesystem (proc, sysfs, cgroupfs, debugfs,
 * ...): overlay reads its lowers with the mounter's credentials, and such
 * files answer by who opens them (PCI config space gives root 4096 bytes
 * and a user 64). Returns whether the lower's filesystem is mounted
 * noexec, which the overlay must then be too. */
bool lowers_check_filesystem(int fd, const char *path);

/* Refuse a lower with a mount anywhere below it: overlay's layers do not
 * include submounts, so a root-made overlay would show what a mount
 * covers. Found by mount ids and a ".." walk from each mount point, not by
 * path names (see lowers.c). */
void lowers_check_no_submounts(int fd, const char *path);

#endif
