/* Archives (oci-archive:, docker-archive:) as blob sources, with
 * libarchive: importer only. */
#ifndef OCHRE_ARCHIVE_SOURCE_H
#define OCHRE_ARCHIVE_SOURCE_H

#include "../../image/blob_source.h"
#include "../../util/error.h"

/* Scan an archive, keeping its small members (skipping large ones cheaply). */
int blob_source_scan_archive(const char *path, struct blob_source *src, struct error *err);

/* Unpack an archive of blobs (no links, no devices, nothing outside dir). */
int blob_source_unpack_archive(const char *path, const char *dir, struct error *err);

#endif
