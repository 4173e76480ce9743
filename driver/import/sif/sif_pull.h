/* `ochre pull` to a file: the image's layers become squashfs and the whole
 * an OCI-SIF (oci_sif.h), written under a temporary name beside the target
 * and renamed onto it only once complete and read back. Importer only. */
#ifndef OCHRE_SIF_PULL_H
#define OCHRE_SIF_PULL_H

#include "../../util/error.h"
#include "../unpack/image_plan.h"

#include <stdbool.h>

struct sif_pull_options {
	const char *target; /* the file to write */
	bool force;         /* replace a file already there */
	bool keep_layers;   /* one squashfs per layer, not one squashed */
};

/* Temporary files in the target's directory start with this: never a name
 * ochre's pull makes for an image (those end in .sif), and a dot file. */
#define SIF_PULL_TMP_PREFIX ".ochre-pull-tmp."

/* Refuse early what would fail at the end: a target that exists (without
 * --force), or a directory that is not there or not writable. Then remove
 * the temporary files that interrupted pulls of ours left there. */
int sif_pull_prepare(const struct sif_pull_options *o, struct error *err);

/* The file being written: a locked temporary in the target's directory
 * (unnamed where the filesystem allows), named as the target only by
 * sif_out_publish, once complete. */
struct sif_out {
	int fd;
	char *dir;
	char *named; /* the temporary's name; NULL: unnamed (O_TMPFILE) */
};
int sif_out_open(const struct sif_pull_options *o, struct sif_out *out, struct error *err);
/* Name it o->target (replacing a file there only with --force; a file
 * with the very same bytes is left as it is). */
int sif_out_publish(struct sif_out *out, const struct sif_pull_options *o, struct error *err);
/* What it holds is a SIF (magic and version), else an error naming what. */
int sif_out_check_sif(const struct sif_out *out, const char *what, struct error *err);
/* Close it; an unpublished temporary goes. */
void sif_out_close(struct sif_out *out);

/* With the image's plan verified and its layers extracted, in order and
 * with their whiteouts applied, into rootfs: make its squashfs in work (a
 * private scratch directory) and write the OCI-SIF. what: the image's name
 * for progress. */
int sif_pull_write(const struct sif_pull_options *o, const struct image_plan *plan, const char *rootfs,
		   const char *work, const char *what, struct error *err);

/* An image whose layers are all squashfs already (as `singularity push`
 * writes them): its blobs, config and manifest go into the OCI-SIF as they
 * are, each checked against its digest, without conversion. */
int sif_pull_as_is(const struct sif_pull_options *o, const struct image_plan *plan, const char *what,
		   struct error *err);

/* A SIF file as it is (an oras:// artifact's layer, verified): copied to
 * the target by the same temporary, check and rename. */
int sif_pull_copy_file(const struct sif_pull_options *o, const char *file, const char *what, struct error *err);

#endif
