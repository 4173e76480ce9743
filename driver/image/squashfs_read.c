/* Reading files inside a single-file image without mounting it
 * (single_file_fopen, single_file_lstat), with libsquashfs. Each layer is
 * read through a sqfs_file_t that sees only [offset, offset+size) of the
 * image's fd, so a crafted table pointer cannot reach past its layer.
 * Paths are walked one component at a time over the union of the layers,
 * top-down, the way overlayfs stacks them: a whiteout (a 0/0 character
 * device, as oci-tools writes SingularityCE's squashfs layers, or an AUFS
 * .wh.NAME file, as OCI tar layers carry them) hides NAME below it; an
 * opaque directory (xattr trusted.overlay.opaque=y, or a .wh..wh..opq
 * entry) hides everything below it. Symlinks are followed as if the image
 * root were "/": ".." stops at the root, absolute targets restart there. */
#define _GNU_SOURCE /* strchrnul */
#include "single_file.h"

#include "../util/fsutil.h"
#include "../util/xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqfs/compressor.h>
#include <sqfs/data_reader.h>
#include <sqfs/dir_reader.h>
#include <sqfs/error.h>
#include <sqfs/inode.h>
#include <sqfs/io.h>
#include <sqfs/super.h>
#include <sqfs/xattr.h>
#include <sqfs/xattr_reader.h>

#define FOPEN_MAX_SIZE (16u << 20) /* /etc/passwd-like files, not data */
#define MAX_SYMLINKS 40            /* as the kernel's path walk */
#define AUFS_WHITEOUT ".wh."
#define AUFS_OPAQUE ".wh..wh..opq"

/* ---- a bounded window of the image file --------------------------------- */

struct range_file {
	sqfs_file_t base;
	int fd;
	uint64_t offset, size;
};

static int range_read_at(sqfs_file_t *file, sqfs_u64 off, void *buf, size_t len)
{
	struct range_file *r = (struct range_file *)file;
	if (off > r->size || len > r->size - off)
		return SQFS_ERROR_OUT_OF_BOUNDS;
	return pread_full(r->fd, buf, len, r->offset + off) < 0 ? SQFS_ERROR_IO : 0;
}

static int range_write_at(sqfs_file_t *file, sqfs_u64 off, const void *buf, size_t len)
{
	(void)file, (void)off, (void)buf, (void)len;
	return SQFS_ERROR_UNSUPPORTED; /* the image is never written */
}

static sqfs_u64 range_get_size(const sqfs_file_t *file)
{
	return ((const struct range_file *)file)->size;
}

static int range_truncate(sqfs_file_t *file, sqfs_u64 size)
{
	(void)file, (void)size;
	return SQFS_ERROR_UNSUPPORTED;
}

static void range_destroy(sqfs_object_t *obj)
{
	free(obj);
}

static sqfs_object_t *range_copy(const sqfs_object_t *obj)
{
	struct range_file *c = xmalloc(sizeof(*c));
	memcpy(c, obj, sizeof(*c));
	return (sqfs_object_t *)c;
}

static sqfs_file_t *range_file_new(int fd, uint64_t offset, uint64_t size)
{
	struct range_file *r = xcalloc(1, sizeof(*r));
	r->base.base.destroy = range_destroy;
	r->base.base.copy = range_copy;
	r->base.read_at = range_read_at;
	r->base.write_at = range_write_at;
	r->base.get_size = range_get_size;
	r->base.truncate = range_truncate;
	r->fd = fd;
	r->offset = offset;
	r->size = size;
	return &r->base;
}

/* ---- one layer ---------------------------------------------------------- */

struct layer_fs {
	sqfs_file_t *file;
	sqfs_super_t super;
	sqfs_compressor_t *cmp;
	sqfs_dir_reader_t *dr;
	sqfs_xattr_reader_t *xr; /* NULL when the layer has no xattrs */
};

static void layer_close(struct layer_fs *l)
{
	if (l->xr)
		sqfs_destroy(l->xr);
	if (l->dr)
		sqfs_destroy(l->dr);
	if (l->cmp)
		sqfs_destroy(l->cmp);
	if (l->file)
		sqfs_destroy(l->file);
	memset(l, 0, sizeof(*l));
}

static int layer_open(const struct single_file *f, const struct squashfs_layer *sl, struct layer_fs *l)
{
	sqfs_compressor_config_t cfg;
	memset(l, 0, sizeof(*l));
	l->file = range_file_new(f->fd, sl->offset, sl->size);
	if (sqfs_super_read(&l->super, l->file) != 0 ||
	    sqfs_compressor_config_init(&cfg, l->super.compression_id, l->super.block_size,
					SQFS_COMP_FLAG_UNCOMPRESS) != 0 ||
	    sqfs_compressor_create(&cfg, &l->cmp) != 0 ||
	    !(l->dr = sqfs_dir_reader_create(&l->super, l->cmp, l->file, 0))) {
		layer_close(l);
		errno = EIO;
		return -1;
	}
	if (!(l->super.flags & SQFS_FLAG_NO_XATTRS) && l->super.xattr_id_table_start != 0xffffffffffffffffULL) {
		l->xr = sqfs_xattr_reader_create(0);
		if (l->xr && sqfs_xattr_reader_load(l->xr, &l->super, l->file, l->cmp) != 0) {
			sqfs_destroy(l->xr);
			l->xr = NULL;
		}
	}
	return 0;
}

/* path: canonical, relative, "" for the root. NULL when absent. */
static sqfs_inode_generic_t *layer_find(struct layer_fs *l, const char *path)
{
	sqfs_inode_generic_t *inode = NULL;
	int r = *path ? sqfs_dir_reader_find_by_path(l->dr, NULL, path, &inode)
		      : sqfs_dir_reader_get_root_inode(l->dr, &inode);
	return r == 0 ? inode : NULL;
}

static bool inode_is_dir(const sqfs_inode_generic_t *i)
{
	return i->base.type == SQFS_INODE_DIR || i->base.type == SQFS_INODE_EXT_DIR;
}

static bool inode_is_whiteout(const sqfs_inode_generic_t *i)
{
	return (i->base.type == SQFS_INODE_CDEV && i->data.dev.devno == 0) ||
	       (i->base.type == SQFS_INODE_EXT_CDEV && i->data.dev_ext.devno == 0);
}

static char *join(const char *dir, const char *name)
{
	return *dir ? xasprintf("%s/%s", dir, name) : xstrdup(name);
}

static bool layer_has(struct layer_fs *l, const char *dir, const char *name)
{
	char *p = join(dir, name);
	sqfs_inode_generic_t *i = layer_find(l, p);
	free(p);
	sqfs_free(i);
	return i != NULL;
}

static bool aufs_whiteout(struct layer_fs *l, const char *dir, const char *name)
{
	char *wh = xasprintf(AUFS_WHITEOUT "%s", name);
	bool found = layer_has(l, dir, wh);
	free(wh);
	return found;
}

/* overlayfs' opaque xattr, trusted.* (root) or user.* (userxattr). */
static bool xattr_opaque(struct layer_fs *l, const sqfs_inode_generic_t *dir)
{
	sqfs_u32 idx;
	sqfs_xattr_id_t desc;
	bool opaque = false;
	if (!l->xr || sqfs_inode_get_xattr_index(dir, &idx) != 0 || idx == 0xffffffff ||
	    sqfs_xattr_reader_get_desc(l->xr, idx, &desc) != 0 || sqfs_xattr_reader_seek_kv(l->xr, &desc) != 0)
		return false;
	for (sqfs_u32 k = 0; k < desc.count && !opaque; k++) {
		sqfs_xattr_entry_t *key = NULL;
		sqfs_xattr_value_t *val = NULL;
		if (sqfs_xattr_reader_read_key(l->xr, &key) != 0)
			break;
		/* libsquashfs 1.x hands the key with its namespace prefix. */
		const char *name = (const char *)key->key;
		bool named = strcmp(name, "trusted.overlay.opaque") == 0 || strcmp(name, "user.overlay.opaque") == 0;
		if (sqfs_xattr_reader_read_value(l->xr, key, &val) == 0 && named)
			opaque = val->size == 1 && val->value[0] == 'y';
		sqfs_free(val);
		sqfs_free(key);
	}
	return opaque;
}

static bool layer_dir_opaque(struct layer_fs *l, const char *path, const sqfs_inode_generic_t *dir)
{
	return xattr_opaque(l, dir) || layer_has(l, path, AUFS_OPAQUE);
}

/* ---- the union ----------------------------------------------------------- */

struct walk {
	struct layer_fs *layers; /* bottom-most first */
	size_t n;
	char *cur;       /* the directory reached, canonical, "" for the root */
	size_t top, low; /* layers [low, top] hold it, as a directory */
};

/* Where name in w->cur is: its top-most layer and inode, or ENOENT. */
static int lookup(struct walk *w, const char *name, size_t *layer, sqfs_inode_generic_t **out)
{
	char *path = join(w->cur, name);
	int ret = -1;
	errno = ENOENT;
	for (size_t k = w->top + 1; k-- > w->low;) {
		struct layer_fs *l = &w->layers[k];
		sqfs_inode_generic_t *dir = layer_find(l, w->cur), *i;
		if (!dir || !inode_is_dir(dir)) {
			sqfs_free(dir);
			continue;
		}
		bool stop = aufs_whiteout(l, w->cur, name);
		if (!stop && (i = layer_find(l, path))) {
			if (!inode_is_whiteout(i)) {
				*layer = k, *out = i, ret = 0;
			} else
				sqfs_free(i);
			stop = true;
		}
		stop = stop || layer_dir_opaque(l, w->cur, dir);
		sqfs_free(dir);
		if (stop)
			break;
	}
	free(path);
	return ret;
}

/* Step into directory name, found top-most in layer top: the layers below
 * it still show through until one hides it (whiteout, non-directory) or
 * makes it opaque. */
static void enter(struct walk *w, const char *name, size_t top)
{
	char *path = join(w->cur, name);
	size_t low = w->low;
	for (size_t k = top + 1; k-- > w->low;) {
		struct layer_fs *l = &w->layers[k];
		sqfs_inode_generic_t *i = layer_find(l, path);
		if (k < top && (aufs_whiteout(l, w->cur, name) || (i && !inode_is_dir(i)))) {
			low = k + 1;
			sqfs_free(i);
			break;
		}
		bool opaque = i && layer_dir_opaque(l, path, i);
		sqfs_free(i);
		if (opaque) {
			low = k;
			break;
		}
	}
	free(w->cur);
	w->cur = path;
	w->top = top;
	w->low = low;
}

static void walk_reset(struct walk *w)
{
	free(w->cur);
	w->cur = xstrdup("");
	w->top = w->n - 1;
	w->low = 0;
}

static char *symlink_target(const sqfs_inode_generic_t *i)
{
	size_t n = i->base.type == SQFS_INODE_SLINK ? i->data.slink.target_size : i->data.slink_ext.target_size;
	return xstrndup((const char *)i->extra, n);
}

/* ".." from w->cur: re-walk the parent from the root (all directories). */
static int walk_up(struct walk *w)
{
	char *parent = xstrdup(w->cur), *slash = strrchr(parent, '/');
	if (slash)
		*slash = '\0';
	else
		*parent = '\0';
	walk_reset(w);
	int ret = 0;
	for (char *save = NULL, *c = strtok_r(parent, "/", &save); c && ret == 0; c = strtok_r(NULL, "/", &save)) {
		size_t layer;
		sqfs_inode_generic_t *i;
		ret = lookup(w, c, &layer, &i);
		if (ret == 0) {
			enter(w, c, layer);
			sqfs_free(i);
		}
	}
	free(parent);
	return ret;
}

/* Resolve rel. follow: follow every symlink (fopen), or none (lstat: a
 * symlink before the last component is ENOTDIR). */
static int resolve(struct walk *w, const char *rel, bool follow, size_t *layer, sqfs_inode_generic_t **out)
{
	char *rest = xstrdup(rel);
	int links = 0, ret = 0;
	sqfs_inode_generic_t *found = NULL;
	size_t found_layer = 0;
	walk_reset(w);
	while (ret == 0) {
		char *p = rest;
		while (*p == '/')
			p++;
		if (!*p)
			break;
		char *end = strchrnul(p, '/'), *name = xstrndup(p, (size_t)(end - p)), *tail = xstrdup(end);
		free(rest);
		rest = tail;
		bool last = strspn(rest, "/") == strlen(rest);
		sqfs_free(found);
		found = NULL;
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
			ret = strcmp(name, "..") == 0 ? walk_up(w) : 0;
			free(name);
			continue; /* if last, the directory itself: below */
		}
		ret = lookup(w, name, &found_layer, &found);
		if (ret == 0 && (found->base.type == SQFS_INODE_SLINK || found->base.type == SQFS_INODE_EXT_SLINK) &&
		    (follow || !last)) {
			if (!follow || ++links > MAX_SYMLINKS) {
				errno = follow ? ELOOP : ENOTDIR;
				ret = -1;
			} else {
				char *target = symlink_target(found);
				if (target[0] == '/')
					walk_reset(w);
				char *joined = xasprintf("%s/%s", target, rest);
				free(target);
				free(rest);
				rest = joined;
			}
			sqfs_free(found);
			found = NULL;
		} else if (ret == 0 && !last) {
			if (!inode_is_dir(found)) {
				errno = ENOTDIR;
				ret = -1;
			} else
				enter(w, name, found_layer);
		}
		free(name);
	}
	free(rest);
	if (ret == 0 && !found) { /* rel named the root itself */
		found_layer = w->top;
		found = layer_find(&w->layers[w->top], w->cur);
		ret = found ? 0 : (errno = ENOENT, -1);
	}
	if (ret < 0) {
		sqfs_free(found);
		return -1;
	}
	*layer = found_layer;
	*out = found;
	return 0;
}

static int walk_open(const struct single_file *f, struct walk *w)
{
	memset(w, 0, sizeof(*w));
	if (f->n_layers == 0) {
		errno = ENOENT;
		return -1;
	}
	w->layers = xcalloc(f->n_layers, sizeof(*w->layers));
	w->n = f->n_layers;
	for (size_t k = 0; k < f->n_layers; k++)
		if (layer_open(f, &f->layers[k], &w->layers[k]) < 0) {
			for (size_t j = 0; j < k; j++)
				layer_close(&w->layers[j]);
			free(w->layers);
			errno = EIO;
			return -1;
		}
	return 0;
}

static void walk_close(struct walk *w)
{
	for (size_t k = 0; k < w->n; k++)
		layer_close(&w->layers[k]);
	free(w->layers);
	free(w->cur);
}

static mode_t inode_type(const sqfs_inode_generic_t *i)
{
	switch (i->base.type) {
	case SQFS_INODE_DIR:
	case SQFS_INODE_EXT_DIR:
		return S_IFDIR;
	case SQFS_INODE_FILE:
	case SQFS_INODE_EXT_FILE:
		return S_IFREG;
	case SQFS_INODE_SLINK:
	case SQFS_INODE_EXT_SLINK:
		return S_IFLNK;
	case SQFS_INODE_BDEV:
	case SQFS_INODE_EXT_BDEV:
		return S_IFBLK;
	case SQFS_INODE_CDEV:
	case SQFS_INODE_EXT_CDEV:
		return S_IFCHR;
	case SQFS_INODE_FIFO:
	case SQFS_INODE_EXT_FIFO:
		return S_IFIFO;
	case SQFS_INODE_SOCKET:
	case SQFS_INODE_EXT_SOCKET:
		return S_IFSOCK;
	default:
		return 0;
	}
}

int single_file_lstat(const struct single_file *f, const char *rel, mode_t *type)
{
	struct walk w;
	size_t layer;
	sqfs_inode_generic_t *i;
	if (walk_open(f, &w) < 0)
		return -1;
	int ret = resolve(&w, rel, false, &layer, &i);
	if (ret == 0) {
		*type = inode_type(i);
		sqfs_free(i);
	}
	int saved = errno;
	walk_close(&w);
	errno = saved;
	return ret;
}

/* The file's bytes into a FILE of its own (fmemopen owns the buffer). */
static FILE *read_whole(struct layer_fs *l, const sqfs_inode_generic_t *i)
{
	sqfs_u64 size = 0;
	sqfs_inode_get_file_size(i, &size);
	if (size > FOPEN_MAX_SIZE) {
		errno = EFBIG;
		return NULL;
	}
	sqfs_data_reader_t *data = sqfs_data_reader_create(l->file, l->super.block_size, l->cmp, 0);
	char *buf = xmalloc((size_t)size + 1);
	FILE *fp = NULL;
	if (data && sqfs_data_reader_load_fragment_table(data, &l->super) == 0 &&
	    sqfs_data_reader_read(data, i, 0, buf, (sqfs_u32)size) == (sqfs_s32)size &&
	    (fp = fmemopen(NULL, (size_t)size + 1, "w+"))) {
		if (fwrite(buf, 1, (size_t)size, fp) != size || fseek(fp, 0, SEEK_SET) != 0) {
			fclose(fp);
			fp = NULL;
		}
	}
	if (!fp && errno != ENOMEM)
		errno = EIO;
	free(buf);
	if (data)
		sqfs_destroy(data);
	return fp;
}

FILE *single_file_fopen(const struct single_file *f, const char *rel)
{
	struct walk w;
	size_t layer;
	sqfs_inode_generic_t *i;
	FILE *fp = NULL;
	if (walk_open(f, &w) < 0)
		return NULL;
	if (resolve(&w, rel, true, &layer, &i) == 0) {
		mode_t t = inode_type(i);
		if (t == S_IFREG)
			fp = read_whole(&w.layers[layer], i);
		else
			errno = t == S_IFDIR ? EISDIR : EINVAL;
		sqfs_free(i);
	}
	int saved = errno;
	walk_close(&w);
	errno = saved;
	return fp;
}
