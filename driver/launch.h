/* Hand a prepared session to ochre-starter. */
#ifndef OCHRE_LAUNCH_H
#define OCHRE_LAUNCH_H

#include "../common/request.h"
#include "error.h"
#include "session.h"

/* Exec the starter with req on fd 3, after forking the session's cleanup
 * process (which removes the session dir once the starter and the container
 * are gone, however they end). The starter gets ochre's own argv, which it
 * ignores, so that ps still shows the user's command. Returns only on
 * failure; the session dir is then already removed. */
int launch_starter(const char *starter_path, char **argv, const struct session *s,
		   struct starter_request *req, struct error *err);

#endif
