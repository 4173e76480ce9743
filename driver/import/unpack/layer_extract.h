/* Extract one image layer into a rootfs being built, verifying the blob's
 * digest and size in the same pass. Applies OCI whiteouts; refuses entries
 * that would land outside the rootfs (".." components, writes through a
 * symlinked parent, hardlinks leaving the root or to missing targets). */
#ifndef OCHRE_LAYER_EXTRACT_H
#define OCHRE_LAYER_EXTRACT_H

#include "../../util/error.h"
#include "image_plan.h"

#include <stdbool.h>

struct extract_options {
	bool as_root; /* keep owners and device nodes (only root can) */
	/* Called as bytes of the blob are read, for progress display. */
	void (*progress)(void *data, unsigned long long bytes);
	void *progress_data;
};

/* rootfs: an existing directory; returns 0 and adds the bytes of regular
 * file data written to *written, or -1. On failure the rootfs is left half
 * built: the caller discards it. */
int layer_extract(const char *rootfs, const struct layer_plan *layer, const struct extract_options *opts,
		  unsigned long long *written, struct error *err);

/* Normalise a tar member path to a relative one: leading "/" and "./" go,
 * "." components go; -1 when a ".." component would climb. */
int clean_entry_path(const char *in, char *out, size_t len);

#endif
