/* /etc/passwd, /etc/subuid and /etc/subgid, read directly (no NSS: the
 * setuid starter is static and must not load modules). Lines are split as
 * getpwent and shadow's subid parser do: at every ':', empty fields kept,
 * exactly seven fields (name:passwd:uid:gid:gecos:dir:shell) or three
 * (owner:start:count); a line of any other shape, with a number that is
 * not plain decimal, overlong or holding a NUL, matches nothing. The *_in
 * forms read a FILE given (for tests); the others the files named. */
#ifndef OCHRE_SUBID_H
#define OCHRE_SUBID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "request.h"

/* A uid, gid or subid number: decimal digits only (no sign, no blanks),
 * at most 2^32-1. */
bool subid_parse_id(const char *text, unsigned long *id);

/* The caller's first subordinate range in /etc/subuid or /etc/subgid
 * ("name:start:count" or "uid:start:count"). Returns true when found. */
bool subid_lookup(const char *file, const char *user_name, unsigned long id, unsigned long *start,
		  unsigned long *count);
bool subid_lookup_in(FILE *f, const char *user_name, unsigned long id, unsigned long *start, unsigned long *count);

/* With name: is there a passwd line for name with this uid? Without
 * (NULL): the first line's name for uid into name_out[len]. */
bool passwd_file_lookup(const char *name, unsigned long uid, char *name_out, size_t len);
bool passwd_lookup_in(FILE *passwd, const char *name, unsigned long uid, char *name_out, size_t len);

/* A 'limit container owners' entry: a uid (all digits) or a user name
 * whose passwd line has uid owner. */
bool passwd_owner_matches(const char *entry, unsigned long owner);
bool passwd_owner_matches_in(FILE *passwd, const char *entry, unsigned long owner);

/* Is [start, start+count) inside one of uid's ranges in FILE? The owner
 * field may be uid's number or its name in /etc/passwd (passwd may be
 * NULL: by number only). */
bool subid_range_allowed_in(FILE *subid, FILE *passwd, unsigned long uid, unsigned long start, unsigned long count);

/* A request's id ranges for uid: the index of the first one that is not
 * within uid's ranges in FILE or that covers own_inside (the id the
 * caller's own takes inside the namespace: 0, or their own number with
 * 'caller-ids self', which must stay free), or n when none is. */
size_t subid_ranges_first_refused(const char *file, unsigned long uid, unsigned long own_inside,
				  const struct id_range *r, size_t n);
size_t subid_ranges_first_refused_in(FILE *subid, FILE *passwd, unsigned long uid, unsigned long own_inside,
				     const struct id_range *r, size_t n);

#endif
