/* `ochre pull http(s)://HOST/PATH/FILE.sif`: download a SIF file as it is
 * (libcurl, TLS verified against the system's CAs, redirects only to
 * HTTPS from HTTPS) into a temporary beside the target, check that it is a
 * SIF, then name it (sif_pull.h). Importer only. */
#ifndef OCHRE_HTTP_FETCH_H
#define OCHRE_HTTP_FETCH_H

#include "../../util/error.h"
#include "sif_pull.h"

#include <stdbool.h>

bool http_fetch_is_url(const char *image);

int http_fetch_sif(const char *url, const struct sif_pull_options *o, struct error *err);

#endif
