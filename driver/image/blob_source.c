#define _GNU_SOURCE
#include "blob_source.h"

#include "../util/fsutil.h"
#include "../util/xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int blob_source_read(const struct blob_source *src, const char *name, char **data, size_t *len, struct error *err)
{
	if (src->index_json && strcmp(name, "index.json") == 0) {
		size_t n = strlen(src->index_json);
		*data = xmalloc(n + 1);
		memcpy(*data, src->index_json, n + 1);
		if (len)
			*len = n;
		return 0;
	}
	if (src->dir) {
		char *path = xasprintf("%s/%s", src->dir, name);
		int ret = read_file(path, 64 * 1024 * 1024, data, len, err);
		free(path);
		return ret;
	}
	for (size_t i = 0; i < src->n_members; i++) {
		if (strcmp(src->members[i].name, name) == 0) {
			*data = xmalloc(src->members[i].len + 1);
			memcpy(*data, src->members[i].data, src->members[i].len);
			(*data)[src->members[i].len] = '\0';
			if (len)
				*len = src->members[i].len;
			return 0;
		}
	}
	errno = ENOENT;
	return error_set(err, 0, "%s: no member '%s' (or larger than %d bytes)", src->label, name,
			 BLOB_SOURCE_SMALL_MAX);
}

void blob_source_free(struct blob_source *src)
{
	for (size_t i = 0; i < src->n_members; i++) {
		free(src->members[i].name);
		free(src->members[i].data);
	}
	free(src->members);
	src->members = NULL;
	src->n_members = 0;
}
