#ifndef OCHRE_CMD_PULL_H
#define OCHRE_CMD_PULL_H

#include "../util/error.h"
#include "context.h"

/* `ochre pull [--name FILE | --dir DIR] [--force] [--keep-layers] IMAGE`:
 * write IMAGE as an OCI-SIF file; `ochre pull --cache-only IMAGE`: import
 * it into the cache, as launches do. */
int cmd_pull(struct ochre_context *ctx, int argc, char **argv, struct error *err);

/* `ochre push [--authfile F] [--no-https] FILE oras://...|docker://...`. */
int cmd_push(struct ochre_context *ctx, int argc, char **argv, struct error *err);

/* SingularityCE's default file name for a pulled image: NAME_TAG.sif
 * (docker://alpine:3.19 -> alpine_3.19.sif; a digest reference
 * NAME_sha256.HEX.sif; an oci:/archive reference the base name of its
 * path, without .tar/.tar.gz, and its tag, else "latest"). Caller frees. */
char *pull_default_name(const char *image);

#endif
