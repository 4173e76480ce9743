/* The SIF container's own structure, validated before anything else reads
 * it: the global header and the descriptor array (sif_format.h), with every
 * used object's bytes inside the file, clear of the header, the array and
 * each other. What the objects hold (OCI blobs, partitions) is for
 * single_file.c. Unknown data types (SIF grows new ones: SBOM, OCI) are
 * bounds-checked like the rest and otherwise ignored: a reader that refused
 * them would refuse files SingularityCE runs. */
#ifndef OCHRE_SIF_H
#define OCHRE_SIF_H

#include "../util/error.h"
#include "sif_format.h"

#include <stddef.h>
#include <stdint.h>

#define SIF_MAX_DESCRIPTORS 4096 /* far above any image's; bounds the array read */

struct sif_object {
	int32_t type; /* enum sif_data_type, or unknown */
	uint32_t id;
	uint64_t offset;
	uint64_t size;
	/* DataPartition: */
	int32_t fstype;
	int32_t parttype;
	char arch[SIF_PART_ARCH_LEN + 1];
	/* DataOCIRootIndex, DataOCIBlob: "sha256:HEX" from Extra, or "" */
	char digest[SIF_OCI_DIGEST_LEN + 1];
};

struct sif_image {
	struct sif_object *objects; /* the used descriptors, in array order */
	size_t n_objects;
};

/* Parse and validate the SIF open at fd, file_size bytes long; name is
 * the file's name for errors ("NAME: not a SIF file: bad magic"). */
int sif_parse(int fd, uint64_t file_size, const char *name, struct sif_image *out, struct error *err);

/* Only the header's magic: whether the file starts like a SIF. */
int sif_has_magic(const unsigned char *head, size_t len);

void sif_image_free(struct sif_image *img);

#endif
