/* Where an image's JSON files and blobs are read from: an OCI layout or
 * docker-save directory on disk, or (to find a cached image's key without
 * unpacking an archive) the small members of an archive held in memory. */
#ifndef OCHRE_BLOB_SOURCE_H
#define OCHRE_BLOB_SOURCE_H

#include "../util/error.h"

#include <stddef.h>

/* Archive members up to this size are kept when scanning for metadata. */
#define BLOB_SOURCE_SMALL_MAX (1024 * 1024)

struct mem_member {
	char *name;
	char *data;
	size_t len;
};

struct blob_source {
	const char *dir;            /* a directory, or NULL */
	struct mem_member *members; /* else: small archive members */
	size_t n_members;
	const char *label;      /* for messages */
	const char *index_json; /* when set: the text of index.json, instead of dir's
				     * (a registry pull's blob store has no index of its own) */
};

/* Read NAME ("index.json", "blobs/sha256/HEX", "manifest.json") whole. */
int blob_source_read(const struct blob_source *src, const char *name, char **data, size_t *len, struct error *err);

/* Release the members an archive scan (archive_source.h) kept. */
void blob_source_free(struct blob_source *src);

#endif
