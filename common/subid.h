#ifndef OCHRE_SUBID_H
#define OCHRE_SUBID_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The caller's first subordinate range in /etc/subuid or /etc/subgid
 * ("name:start:count" or "uid:start:count"). Returns true when found. */
bool subid_lookup(const char *file, const char *user_name, unsigned long id,
		  unsigned long *start, unsigned long *count);

/* /etc/passwd read directly (no NSS: the setuid starter is static and
 * must not load modules). With name: is there a line for name with this
 * uid? Without (NULL): uid's name into name_out[len]. */
bool passwd_file_lookup(const char *name, unsigned long uid, char *name_out, size_t len);

/* Is [start, start+count) inside one of uid's ranges in FILE? uid's name
 * is looked up in /etc/passwd directly (no NSS: the setuid starter is
 * static and must not load modules). */
bool subid_range_allowed(const char *file, unsigned long uid, unsigned long start, unsigned long count);

#endif
