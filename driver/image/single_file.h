/* Single-file images: an OCI-SIF, a native SIF or a bare squashfs, told
 * apart by their magic bytes, run in place (the starter has each squashfs
 * served by squashfuse_ll at its offset in the file), never unpacked.
 * single_file_open validates what a launch reads (header, descriptors,
 * bounds; an OCI-SIF's index, manifest and config against their digests);
 * layer digests are checked only by single_file_verify_layers (ochre
 * inspect --verify): hashing gigabytes at every launch would defeat the
 * point. docs/SIF-FORMAT.md records the format. */
#ifndef OCHRE_SINGLE_FILE_H
#define OCHRE_SINGLE_FILE_H

#include "../util/error.h"

#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

enum single_file_kind {
	SINGLE_FILE_NOT = 0, /* neither SIF nor squashfs */
	SINGLE_FILE_OCI_SIF,
	SINGLE_FILE_NATIVE_SIF,
	SINGLE_FILE_SQUASHFS,
};

struct squashfs_layer {
	uint64_t offset;  /* of the squashfs image inside the file */
	uint64_t size;    /* its length */
	char *digest;     /* OCI-SIF: "sha256:HEX" of the blob; NULL otherwise */
	char *media_type; /* OCI-SIF: the manifest's; NULL otherwise */
};

struct single_file {
	enum single_file_kind kind;
	char *path; /* absolute (realpath of what was given) */
	int fd;     /* O_RDONLY|O_CLOEXEC, open for the struct's life, never written */
	struct stat st;
	struct squashfs_layer *layers; /* bottom-most first, as a manifest lists them */
	size_t n_layers;
	json_object *config; /* OCI-SIF: the image config; NULL for the others */
	char *digest;        /* OCI-SIF: the manifest's digest; NULL for the others */
};

/* The kind of the file open at fd, from its first bytes (SIF magic, then an
 * OCI root index descriptor or not; squashfs magic): SINGLE_FILE_NOT when
 * it is neither. Reads with pread; the offset is untouched. */
enum single_file_kind single_file_sniff(int fd);

/* Open path, tell its kind, validate it and fill *f. -1 with err (one line
 * that names the file and what is wrong with it) for anything else. */
int single_file_open(const char *path, struct single_file *f, struct error *err);

/* Every layer's digest (OCI-SIF) against its bytes. */
int single_file_verify_layers(const struct single_file *f, struct error *err);

void single_file_close(struct single_file *f);

/* Files inside the image, read in-process with libsquashfs, for what the
 * driver reads from an image before launch (/etc/passwd, /etc/group, the
 * user's shell, /.singularity.d): rel is resolved inside the image's root
 * (symlinks followed but never above it), through the layers top-down with
 * OCI whiteouts as SingularityCE writes them. NULL with errno (ENOENT...). */
FILE *single_file_fopen(const struct single_file *f, const char *rel);

/* rel's type without following its last component, like lstat's st_mode &
 * S_IFMT (earlier components must be directories, not followed either):
 * 0 with *type set, -1 with errno (ENOENT, ENOTDIR). For the mount point
 * layer, which must know what the image lacks. */
int single_file_lstat(const struct single_file *f, const char *rel, mode_t *type);

#endif
