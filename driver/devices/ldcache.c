#define _GNU_SOURCE
#include "ldcache.h"

#include "../util/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define OLD_MAGIC "ld.so-1.7.0"
#define NEW_MAGIC "glibc-ld.so.cache1.1"
#define OLD_HEADER_SIZE 16 /* magic[11], padding, uint32 nlibs */
#define OLD_ENTRY_SIZE 12  /* int32 flags, uint32 key, uint32 value */
#define NEW_HEADER_SIZE 48 /* magic+version[20], nlibs, len_strings, flags, pad, ext offset, unused */
#define NEW_ENTRY_SIZE 24  /* flags, key, value, osversion, uint64 hwcap */

static uint32_t u32_at(const unsigned char *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof v); /* the cache is in the host's byte order */
	return v;
}

/* The NUL-terminated string at offset off from base, inside [0, len). */
static const char *string_at(const unsigned char *data, size_t len, size_t base, uint32_t off)
{
	if (base > len || off >= len - base)
		return NULL;
	const char *s = (const char *)data + base + off;
	return memchr(s, '\0', len - base - off) ? s : NULL;
}

/* Read nlibs entries of entry_size bytes from entries_at; strings are at
 * offsets from strings_base. */
static int read_entries(const unsigned char *data, size_t len, size_t entries_at, size_t nlibs, size_t entry_size,
			size_t strings_base, struct ldcache *cache, struct error *err)
{
	if (entries_at > len || nlibs > (len - entries_at) / entry_size)
		return error_set(err, 0, "ld.so cache: %zu entries do not fit in %zu bytes", nlibs, len);
	cache->entries = xcalloc(nlibs ? nlibs : 1, sizeof *cache->entries);
	for (size_t i = 0; i < nlibs; i++) {
		const unsigned char *e = data + entries_at + i * entry_size;
		const char *name = string_at(data, len, strings_base, u32_at(e + 4));
		const char *path = string_at(data, len, strings_base, u32_at(e + 8));
		if (!name || !path) {
			ldcache_free(cache);
			return error_set(err, 0, "ld.so cache: entry %zu points outside the file", i);
		}
		cache->entries[cache->n++] = (struct ldcache_entry){ .name = xstrdup(name),
								     .path = xstrdup(path),
								     .flags = (int32_t)u32_at(e) };
	}
	return 0;
}

static bool new_header_at(const unsigned char *data, size_t len, size_t at)
{
	return at <= len && len - at >= NEW_HEADER_SIZE && memcmp(data + at, NEW_MAGIC, strlen(NEW_MAGIC)) == 0;
}

/* A new-format table at offset at: its string offsets count from at. */
static int parse_new(const unsigned char *data, size_t len, size_t at, struct ldcache *cache, struct error *err)
{
	size_t nlibs = u32_at(data + at + 20);
	return read_entries(data, len, at + NEW_HEADER_SIZE, nlibs, NEW_ENTRY_SIZE, at, cache, err);
}

int ldcache_parse(const void *bytes, size_t len, struct ldcache *cache, struct error *err)
{
	const unsigned char *data = bytes;
	memset(cache, 0, sizeof *cache);
	if (new_header_at(data, len, 0))
		return parse_new(data, len, 0, cache, err);
	if (len < OLD_HEADER_SIZE || memcmp(data, OLD_MAGIC, strlen(OLD_MAGIC)) != 0)
		return error_set(err, 0, "ld.so cache: unknown format");
	size_t nlibs = u32_at(data + 12);
	if (nlibs > (len - OLD_HEADER_SIZE) / OLD_ENTRY_SIZE)
		return error_set(err, 0, "ld.so cache: %zu entries do not fit in %zu bytes", nlibs, len);
	/* The old table's strings start right after its entries; a new table,
	 * when present, starts there too, aligned to 8 bytes. */
	size_t strings = OLD_HEADER_SIZE + nlibs * OLD_ENTRY_SIZE;
	size_t aligned = (strings + 7) & ~(size_t)7;
	if (new_header_at(data, len, aligned))
		return parse_new(data, len, aligned, cache, err);
	return read_entries(data, len, OLD_HEADER_SIZE, nlibs, OLD_ENTRY_SIZE, strings, cache, err);
}

int ldcache_load(const char *path, struct ldcache *cache, struct error *err)
{
	memset(cache, 0, sizeof *cache);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return error_set(err, errno, "ld.so cache '%s'", path);
	struct stat st;
	int ret = -1;
	if (fstat(fd, &st) < 0) {
		error_set(err, errno, "ld.so cache '%s'", path);
	} else if (!S_ISREG(st.st_mode) || st.st_size > LDCACHE_MAX_SIZE) {
		error_set(err, 0, "ld.so cache '%s': not a regular file of at most %u bytes", path, LDCACHE_MAX_SIZE);
	} else {
		size_t size = (size_t)st.st_size, got = 0;
		unsigned char *data = xmalloc(size ? size : 1);
		while (got < size) {
			ssize_t n = read(fd, data + got, size - got);
			if (n <= 0)
				break;
			got += (size_t)n;
		}
		if (got < size)
			error_set(err, 0, "ld.so cache '%s': short read", path);
		else
			ret = ldcache_parse(data, size, cache, err);
		free(data);
	}
	close(fd);
	return ret;
}

void ldcache_free(struct ldcache *cache)
{
	for (size_t i = 0; i < cache->n; i++) {
		free(cache->entries[i].name);
		free(cache->entries[i].path);
	}
	free(cache->entries);
	memset(cache, 0, sizeof *cache);
}
