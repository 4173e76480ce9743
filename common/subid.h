#ifndef OCHRE_SUBID_H
#define OCHRE_SUBID_H

#include <stdbool.h>
#include <sys/types.h>

/* The caller's first subordinate range in /etc/subuid or /etc/subgid
 * ("name:start:count" or "uid:start:count"). Returns true when found. */
bool subid_lookup(const char *file, const char *user_name, unsigned long id,
		  unsigned long *start, unsigned long *count);

/* Is [start, start+count) inside one of uid's ranges in FILE? uid's name
 * is looked up in /etc/passwd directly (no NSS: the setuid starter is
 * static and must not load modules). */
bool subid_range_allowed(const char *file, unsigned long uid, unsigned long start, unsigned long count);

#endif
