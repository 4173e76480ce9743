#include "subid.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A line longer than this is no line we use: real entries are far shorter,
 * and skipping it whole (never reading its tail as a line of its own) keeps
 * a long gecos field from smuggling in an entry. */
#define LINE_MAX_BYTES 4096

bool subid_parse_id(const char *text, unsigned long *id)
{
	if (!*text || strspn(text, "0123456789") != strlen(text))
		return false;
	errno = 0;
	unsigned long v = strtoul(text, NULL, 10);
	if (errno || v > 0xffffffffUL)
		return false;
	*id = v;
	return true;
}

/* Split line at every sep into exactly n fields, empty ones kept (as
 * strsep does, and getpwent: "a::1" is three fields, the second empty).
 * Returns false for any other number of fields. */
static bool split_fields(char *line, char sep, char **fields, size_t n)
{
	size_t i = 0;
	char *p = line;
	for (; i < n; i++) {
		fields[i] = p;
		char *s = strchr(p, sep);
		if (!s)
			break;
		*s = '\0';
		p = s + 1;
	}
	return i == n - 1;
}

/* The next whole line of f, without its newline, in *buf; lines that are
 * overlong or hold a NUL are skipped. Returns false at the end. */
static bool next_line(FILE *f, char **buf, size_t *cap)
{
	ssize_t len;
	while ((len = getline(buf, cap, f)) >= 0) {
		if (len > 0 && (*buf)[len - 1] == '\n')
			(*buf)[--len] = '\0';
		if ((size_t)len <= LINE_MAX_BYTES && strlen(*buf) == (size_t)len)
			return true;
	}
	return false;
}

/* A passwd line as name, uid: name:passwd:uid:gid:gecos:dir:shell, exactly
 * seven fields. Names that are empty or NIS compat entries ('+', '-') are
 * not users: skipped. */
static bool passwd_entry(char *line, const char **name, unsigned long *uid)
{
	char *f[7];
	unsigned long gid;
	if (!split_fields(line, ':', f, 7) || !*f[0] || f[0][0] == '+' || f[0][0] == '-')
		return false;
	if (!subid_parse_id(f[2], uid) || !subid_parse_id(f[3], &gid))
		return false;
	*name = f[0];
	return true;
}

bool passwd_lookup_in(FILE *passwd, const char *name, unsigned long uid, char *name_out, size_t len)
{
	char *line = NULL;
	size_t cap = 0;
	bool found = false;
	while (!found && next_line(passwd, &line, &cap)) {
		const char *entry;
		unsigned long id;
		if (!passwd_entry(line, &entry, &id) || id != uid)
			continue;
		if (name && strcmp(entry, name) == 0)
			found = true;
		else if (!name && strlen(entry) < len)
			found = (strcpy(name_out, entry), true);
	}
	free(line);
	return found;
}

bool passwd_file_lookup(const char *name, unsigned long uid, char *name_out, size_t len)
{
	FILE *f = fopen("/etc/passwd", "re");
	if (!f)
		return false;
	bool found = passwd_lookup_in(f, name, uid, name_out, len);
	fclose(f);
	return found;
}

bool passwd_owner_matches_in(FILE *passwd, const char *entry, unsigned long owner)
{
	unsigned long id;
	if (subid_parse_id(entry, &id))
		return id == owner;
	return passwd_lookup_in(passwd, entry, owner, NULL, 0);
}

bool passwd_owner_matches(const char *entry, unsigned long owner)
{
	unsigned long id;
	if (subid_parse_id(entry, &id))
		return id == owner;
	return passwd_file_lookup(entry, owner, NULL, 0);
}

/* A subid line as owner, start, count: owner:start:count, exactly three
 * fields, numbers in decimal, count not 0, the range not past 2^32. */
static bool subid_entry(char *line, const char **owner, unsigned long *start, unsigned long *count)
{
	char *f[3];
	if (!split_fields(line, ':', f, 3) || !*f[0])
		return false;
	if (!subid_parse_id(f[1], start) || !subid_parse_id(f[2], count) || *count == 0)
		return false;
	*owner = f[0];
	return *count - 1 <= 0xffffffffUL - *start;
}

/* The next of FILE's lines whose owner is uid's number or name. */
static bool next_range_of(FILE *f, char **line, size_t *cap, const char *name, unsigned long uid, unsigned long *start,
			  unsigned long *count)
{
	char id_text[32];
	snprintf(id_text, sizeof id_text, "%lu", uid);
	while (next_line(f, line, cap)) {
		const char *owner;
		if (!subid_entry(*line, &owner, start, count))
			continue;
		if (strcmp(owner, id_text) == 0 || (name && strcmp(owner, name) == 0))
			return true;
	}
	return false;
}

bool subid_lookup_in(FILE *f, const char *user_name, unsigned long id, unsigned long *start, unsigned long *count)
{
	char *line = NULL;
	size_t cap = 0;
	bool found = next_range_of(f, &line, &cap, user_name, id, start, count);
	free(line);
	return found;
}

bool subid_lookup(const char *file, const char *user_name, unsigned long id, unsigned long *start, unsigned long *count)
{
	FILE *f = fopen(file, "re");
	if (!f)
		return false;
	bool found = subid_lookup_in(f, user_name, id, start, count);
	fclose(f);
	return found;
}

bool subid_range_allowed_in(FILE *subid, FILE *passwd, unsigned long uid, unsigned long start, unsigned long count)
{
	char name[256], *line = NULL;
	size_t cap = 0;
	bool named = passwd && passwd_lookup_in(passwd, NULL, uid, name, sizeof name), ok = false;
	unsigned long s, c;
	while (!ok && next_range_of(subid, &line, &cap, named ? name : NULL, uid, &s, &c))
		ok = start >= s && count <= c && start - s <= c - count;
	free(line);
	return ok;
}

/* A range must not map the id the caller's own takes inside. */
static bool covers(const struct id_range *r, unsigned long id)
{
	return r->inside <= id && id - r->inside < r->count;
}

size_t subid_ranges_first_refused_in(FILE *subid, FILE *passwd, unsigned long uid, unsigned long own_inside,
				     const struct id_range *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		rewind(subid);
		if (passwd)
			rewind(passwd);
		if (covers(&r[i], own_inside) || !subid_range_allowed_in(subid, passwd, uid, r[i].outside, r[i].count))
			return i;
	}
	return n;
}

size_t subid_ranges_first_refused(const char *file, unsigned long uid, unsigned long own_inside,
				  const struct id_range *r, size_t n)
{
	FILE *subid = n ? fopen(file, "re") : NULL;
	if (!subid)
		return 0;
	FILE *passwd = fopen("/etc/passwd", "re");
	size_t bad = subid_ranges_first_refused_in(subid, passwd, uid, own_inside, r, n);
	if (passwd)
		fclose(passwd);
	fclose(subid);
	return bad;
}
