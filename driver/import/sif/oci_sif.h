/* Writing an OCI-SIF as SingularityCE's OCI mode has it (the layout is in
 * image/sif_format.h, docs/SIF-FORMAT.md): a deterministic SIF whose
 * objects are the image's layers, its config and its manifest (each a
 * DataOCIBlob), then the root index (DataOCIRootIndex), with the spare
 * descriptors SingularityCE leaves for overlays and signatures. The same
 * blobs give the same bytes: fixed times, and a UUID derived from the root
 * index's digest. Importer only (libcrypto). */
#ifndef OCHRE_OCI_SIF_H
#define OCHRE_OCI_SIF_H

#include "../../image/digest_name.h"
#include "../../image/sif_format.h"
#include "../../util/error.h"

#include <stddef.h>
#include <stdint.h>

struct oci_sif_blob {
	enum sif_data_type type;        /* SIF_DATA_OCI_BLOB or SIF_DATA_OCI_ROOT_INDEX */
	const char *path;               /* the content is this file's... */
	const char *data;               /* ...or these bytes (path NULL) */
	size_t len;                     /* of data; for a file, set by the write */
	char digest[DIGEST_MAX_STRING]; /* "sha256:HEX": given for data; computed for a file */
};

/* The blobs go in one at a time, in file order: oci_sif_begin reserves
 * the descriptors for n blobs, oci_sif_add appends one blob's bytes (a
 * file's digest and length are computed as it is copied, so that layers
 * can come before the JSON that names them), oci_sif_finish writes the
 * header and the descriptors last: a file cut short has no valid header. */
struct oci_sif_writer {
	int fd;
	size_t n, capacity; /* blobs added; descriptor slots for blobs */
	uint64_t data_offset, end;
	struct {
		enum sif_data_type type;
		uint64_t offset, size;
		char digest[DIGEST_MAX_STRING];
	} * blobs;
	void (*progress)(void *data, unsigned long long bytes); /* as file data is copied */
	void *progress_data;
};

void oci_sif_begin(struct oci_sif_writer *w, int fd, size_t n_blobs);
int oci_sif_add(struct oci_sif_writer *w, struct oci_sif_blob *b, struct error *err);
int oci_sif_finish(struct oci_sif_writer *w, struct error *err);
void oci_sif_writer_free(struct oci_sif_writer *w);

/* Read back what was written at fd and check it: the header, every
 * descriptor against the blobs written, and the JSON blobs' digests. */
int oci_sif_check(const struct oci_sif_writer *w, struct error *err);

#endif
