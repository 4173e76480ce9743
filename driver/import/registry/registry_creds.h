/* Registry credentials: where they are found, and `ochre registry login`'s
 * store. Importer only (base64 through libcrypto).
 *
 * Search order, first hit wins:
 *   1. OCHRE_DOCKER_USERNAME / OCHRE_DOCKER_PASSWORD, then the SINGULARITY_
 *      and APPTAINER_ spellings (both variables of a pair must be set);
 *   2. --authfile FILE, when given (then no other file is read);
 *   3. ochre's own store: $XDG_CONFIG_HOME/ochre/auth.json, else
 *      ~/.config/ochre/auth.json (0600, written by `ochre registry login`);
 *   4. containers' and Docker's files: $REGISTRY_AUTH_FILE,
 *      $XDG_RUNTIME_DIR/containers/auth.json, ~/.docker/config.json.
 * Every file has the containers auth.json shape:
 *   {"auths": {"host[:port][/repo-prefix]": {"auth": "base64(user:password)"}}}
 * A key may carry a scheme ("https://index.docker.io/v1/"); the longest key
 * that matches the registry (and repository prefix) wins. */
#ifndef OCHRE_REGISTRY_CREDS_H
#define OCHRE_REGISTRY_CREDS_H

#include "../../util/error.h"

struct registry_creds {
	char *username; /* NULL: anonymous */
	char *password;
	char *source; /* where they came from, for messages (never the secret) */
};

int registry_creds_find(const char *registry, const char *repo, const char *authfile, struct registry_creds *cr,
			struct error *err);
void registry_creds_free(struct registry_creds *cr);

/* ochre's own auth.json path (caller frees), or authfile when given. */
char *registry_creds_store_path(const char *authfile, struct error *err);
/* Add or replace (username NULL: remove; *found says whether it was there). */
int registry_creds_store(const char *path, const char *registry, const char *username, const char *password, int *found,
			 struct error *err);

#endif
