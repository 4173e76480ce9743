/* Hand a prepared session to ochre-starter. */
#ifndef OCHRE_LAUNCH_H
#define OCHRE_LAUNCH_H

#include "../common/request.h"
#include "error.h"
#include "session.h"

#include <sys/types.h>

/* Exec the starter with req on fd 3, after forking the session's cleanup
 * process (which removes the session dir once the starter and the container
 * are gone, however they end). The starter gets ochre's own argv, which it
 * ignores, so that ps still shows the user's command. Returns only on
 * failure; the session dir is then already removed. */
int launch_starter(const char *starter_path, char **argv, const struct session *s,
		   struct starter_request *req, struct error *err);

/* Mode enter: fork a child that execs the starter with req on fd 3 and,
 * when sync_fd >= 0, that fd as fd 5 (req->sync_fd is set to 5); sync_fd
 * is closed in the caller either way. Returns the child's pid, or -1. */
pid_t spawn_starter_enter(const char *starter_path, struct starter_request *req, int sync_fd,
			  struct error *err);

#endif
