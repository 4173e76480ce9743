/* What `--nv` and `--rocm` bring into a container, found as SingularityCE
 * finds it: the driver's libraries and tools named in a list file
 * (etc/nvliblist.conf, etc/rocmliblist.conf), the libraries looked up in
 * the host's ld.so cache, the tools in the system's bin directories; the
 * GPU device nodes; the NVIDIA persistenced and MPS sockets. Nothing is
 * bound here: the caller binds what the result lists. */
#ifndef OCHRE_NVLIB_H
#define OCHRE_NVLIB_H

#include "../util/error.h"
#include "../util/strv.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where tools are looked for: the system's directories, never the
 * caller's PATH (which a setuid launch must not trust). */
#define NVLIB_SYSTEM_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

enum nvlib_vendor { NVLIB_NVIDIA, NVLIB_ROCM };

/* One thing to bind. For a library, target is the name the loader knows
 * it by (the soname, e.g. libcuda.so.1), to bind into a directory on the
 * container's LD_LIBRARY_PATH; for a tool, its file name, for a directory
 * on PATH; for a device node or socket, the absolute path in the
 * container (the host path without the options' root). */
struct nvlib_file {
	char *host_path;
	char *target;
};

struct nvlib_result {
	struct nvlib_file *libraries;
	size_t n_libraries;
	struct nvlib_file *binaries;
	size_t n_binaries;
	struct nvlib_file *devices; /* character device nodes */
	size_t n_devices;
	struct nvlib_file *sockets; /* NVIDIA: persistenced socket, MPS pipe dir */
	size_t n_sockets;
	/* false when no device node and none of the vendor's own runtime
	 * libraries (libcuda, libnvidia-ml; libhsa-runtime64, libhsakmt) were
	 * found: the host has no such driver, whatever generic libraries
	 * (libGL, libOpenCL, ...) it has (the caller warns and goes on, as
	 * SingularityCE). */
	bool driver_found;
};

struct nvlib_options {
	const char *list_file; /* required: the nvliblist.conf or rocmliblist.conf to read */
	const char *ld_cache;  /* NULL: /etc/ld.so.cache */
	const char *bin_path;  /* NULL: NVLIB_SYSTEM_PATH; ':'-separated */
	const char *root;      /* NULL: "/"; where /dev, /var/run and /tmp are (for tests) */
	int32_t lib_flags;     /* 0: LDCACHE_FLAGS_NATIVE (the ld cache flags to accept) */
};

/* The entries of a list file: one per line, '#' starts a comment line,
 * blanks around a name ignored. An entry containing ".so" is a library
 * (a name prefix matched against the ld cache's sonames, or an absolute
 * path); any other is a tool. */
int nvlib_read_list(const char *path, struct strv *entries, struct error *err);

/* Find everything for vendor. Errors: the list file or the ld cache
 * cannot be read. A missing driver is no error (driver_found). */
int nvlib_find(enum nvlib_vendor vendor, const struct nvlib_options *opt, struct nvlib_result *out, struct error *err);
void nvlib_result_free(struct nvlib_result *result);

#endif
