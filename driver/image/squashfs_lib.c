/* libsquashfs, loaded when a launch first reads a single-file image
 * (squashfs_read.c), not at every start of ochre: linked, it and the four
 * compression libraries it pulls in cost every launch about 0.4 ms of
 * loading, for images that are mostly directories. Each function the
 * driver calls is defined here with the library's own prototype and
 * forwards to the real one, looked up once. The library is Debian's
 * libsquashfs1 (squashfs-tools-ng), a package dependency. */
#define _GNU_SOURCE
#include "../../common/log.h"

#include <dlfcn.h>
#include <sqfs/compressor.h>
#include <sqfs/data_reader.h>
#include <sqfs/dir_reader.h>
#include <sqfs/inode.h>
#include <sqfs/io.h>
#include <sqfs/super.h>
#include <sqfs/xattr_reader.h>
#include <stdio.h>
#include <stdlib.h>

#define SQUASHFS_LIBRARY "libsquashfs.so.1"

/* The library's function name, or exit: its absence is an install
 * error, and a launch cannot go on without it. */
static void *lazy_symbol(const char *name)
{
	static void *lib;
	if (!lib && !(lib = dlopen(SQUASHFS_LIBRARY, RTLD_NOW | RTLD_LOCAL))) {
		fprintf(stderr, "ochre: error: %s (Debian package libsquashfs1) cannot be loaded: %s\n",
			SQUASHFS_LIBRARY, dlerror());
		exit(255);
	}
	void *fn = dlsym(lib, name);
	if (!fn) {
		fprintf(stderr, "ochre: error: %s lacks %s\n", SQUASHFS_LIBRARY, name);
		exit(255);
	}
	return fn;
}

#define FORWARD(ret, name, params, args)                          \
	ret name params                                           \
	{                                                         \
		static ret(*real) params;                         \
		if (!real)                                        \
			real = (ret(*) params)lazy_symbol(#name); \
		return real args;                                 \
	}

FORWARD(int, sqfs_compressor_config_init,
	(sqfs_compressor_config_t * cfg, SQFS_COMPRESSOR id, size_t block_size, sqfs_u16 flags),
	(cfg, id, block_size, flags))
FORWARD(int, sqfs_compressor_create, (const sqfs_compressor_config_t *cfg, sqfs_compressor_t **out), (cfg, out))
FORWARD(sqfs_data_reader_t *, sqfs_data_reader_create,
	(sqfs_file_t * file, size_t block_size, sqfs_compressor_t *cmp, sqfs_u32 flags), (file, block_size, cmp, flags))
FORWARD(int, sqfs_data_reader_load_fragment_table, (sqfs_data_reader_t * data, const sqfs_super_t *super),
	(data, super))
FORWARD(sqfs_s32, sqfs_data_reader_read,
	(sqfs_data_reader_t * data, const sqfs_inode_generic_t *inode, sqfs_u64 offset, void *buffer, sqfs_u32 size),
	(data, inode, offset, buffer, size))
FORWARD(sqfs_dir_reader_t *, sqfs_dir_reader_create,
	(const sqfs_super_t *super, sqfs_compressor_t *cmp, sqfs_file_t *file, sqfs_u32 flags),
	(super, cmp, file, flags))
FORWARD(int, sqfs_dir_reader_get_root_inode, (sqfs_dir_reader_t * rd, sqfs_inode_generic_t **inode), (rd, inode))
FORWARD(int, sqfs_dir_reader_find_by_path,
	(sqfs_dir_reader_t * rd, const sqfs_inode_generic_t *start, const char *path, sqfs_inode_generic_t **out),
	(rd, start, path, out))
FORWARD(int, sqfs_inode_get_xattr_index, (const sqfs_inode_generic_t *inode, sqfs_u32 *out), (inode, out))
FORWARD(int, sqfs_inode_get_file_size, (const sqfs_inode_generic_t *inode, sqfs_u64 *size), (inode, size))
FORWARD(int, sqfs_super_read, (sqfs_super_t * super, sqfs_file_t *file), (super, file))
FORWARD(sqfs_xattr_reader_t *, sqfs_xattr_reader_create, (sqfs_u32 flags), (flags))
FORWARD(int, sqfs_xattr_reader_load,
	(sqfs_xattr_reader_t * xr, const sqfs_super_t *super, sqfs_file_t *file, sqfs_compressor_t *cmp),
	(xr, super, file, cmp))
FORWARD(int, sqfs_xattr_reader_get_desc, (sqfs_xattr_reader_t * xr, sqfs_u32 idx, sqfs_xattr_id_t *desc),
	(xr, idx, desc))
FORWARD(int, sqfs_xattr_reader_seek_kv, (sqfs_xattr_reader_t * xr, const sqfs_xattr_id_t *desc), (xr, desc))
FORWARD(int, sqfs_xattr_reader_read_key, (sqfs_xattr_reader_t * xr, sqfs_xattr_entry_t **key_out), (xr, key_out))
FORWARD(int, sqfs_xattr_reader_read_value,
	(sqfs_xattr_reader_t * xr, const sqfs_xattr_entry_t *key, sqfs_xattr_value_t **val_out), (xr, key, val_out))

void sqfs_free(void *ptr)
{
	static void (*real)(void *);
	if (!real)
		real = (void (*)(void *))lazy_symbol("sqfs_free");
	real(ptr);
}
