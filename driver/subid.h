#ifndef OCHRE_SUBID_H
#define OCHRE_SUBID_H

#include <stdbool.h>
#include <sys/types.h>

/* The caller's first subordinate range in /etc/subuid or /etc/subgid
 * ("name:start:count" or "uid:start:count"). Returns true when found. */
bool subid_lookup(const char *file, const char *user_name, unsigned long id,
		  unsigned long *start, unsigned long *count);

#endif
