/* /etc/group read directly: the setuid starter is static and must not load
 * NSS modules, and it decides on this answer with privilege. */
#ifndef OCHRE_GROUP_FILE_H
#define OCHRE_GROUP_FILE_H

#include <stdbool.h>

/* The gid of group name in file ("name:password:gid:members", fields
 * split at every ':', as getgrent does: an empty field stays a field).
 * Returns false when no well-formed line names it. */
bool group_file_gid(const char *file, const char *name, unsigned long *gid);

#endif
