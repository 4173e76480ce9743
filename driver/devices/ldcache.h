/* The host's dynamic linker cache, /etc/ld.so.cache, read directly (no
 * `ldconfig -p` to run): which file the loader would use for each library
 * name. Both formats glibc's ldconfig writes are read: the current
 * "glibc-ld.so.cache1.1" one, and the old "ld.so-1.7.0" one, alone or with
 * the new one hidden in its string table (glibc's sysdeps/generic/
 * dl-cache.h describes the layouts). */
#ifndef OCHRE_LDCACHE_H
#define OCHRE_LDCACHE_H

#include "../util/error.h"

#include <stddef.h>
#include <stdint.h>

#define LDCACHE_DEFAULT_PATH "/etc/ld.so.cache"
/* Larger caches are refused (a big host's is a few hundred KiB). */
#define LDCACHE_MAX_SIZE (64u << 20)

/* Entry flags (dl-cache.h): the low byte is the kind of library, the next
 * the architecture it is for. */
#define LDCACHE_FLAG_TYPE_MASK 0x00ff
#define LDCACHE_FLAG_ELF_LIBC6 0x0003
#define LDCACHE_FLAG_ARCH_MASK 0xff00
#define LDCACHE_FLAG_X8664_LIB64 0x0300
#define LDCACHE_FLAG_AARCH64_LIB64 0x0a00
#define LDCACHE_FLAG_POWERPC_LIB64 0x0500

/* The flags of a library this program's architecture loads. */
#if defined(__x86_64__) && !defined(__ILP32__)
#define LDCACHE_FLAGS_NATIVE (LDCACHE_FLAG_ELF_LIBC6 | LDCACHE_FLAG_X8664_LIB64)
#elif defined(__aarch64__) && !defined(__ILP32__)
#define LDCACHE_FLAGS_NATIVE (LDCACHE_FLAG_ELF_LIBC6 | LDCACHE_FLAG_AARCH64_LIB64)
#elif defined(__powerpc64__)
#define LDCACHE_FLAGS_NATIVE (LDCACHE_FLAG_ELF_LIBC6 | LDCACHE_FLAG_POWERPC_LIB64)
#else
#define LDCACHE_FLAGS_NATIVE LDCACHE_FLAG_ELF_LIBC6
#endif

struct ldcache_entry {
	char *name; /* the soname, e.g. libcuda.so.1 */
	char *path; /* e.g. /usr/lib/x86_64-linux-gnu/libcuda.so.1 */
	int32_t flags;
};

/* The entries in the cache's order (the loader's preference order). */
struct ldcache {
	struct ldcache_entry *entries;
	size_t n;
};

/* Parse a cache's bytes; every offset is checked against len. With both
 * formats present the new one is used, as the loader does. */
int ldcache_parse(const void *data, size_t len, struct ldcache *cache, struct error *err);
/* Read and parse the cache file at path (LDCACHE_DEFAULT_PATH normally). */
int ldcache_load(const char *path, struct ldcache *cache, struct error *err);
void ldcache_free(struct ldcache *cache);

#endif
