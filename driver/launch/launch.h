/* Hand a prepared session to ochre-starter. */
#ifndef OCHRE_LAUNCH_H
#define OCHRE_LAUNCH_H

#include "../../common/request.h"
#include "../util/error.h"
#include "session.h"

#include <sys/types.h>

/* The session's cleanup process, and then the session dir in base (s):
 * the process removes it once every holder of the lifeline's other end is gone
 * (ochre until it execs the starter; then the starter and the container),
 * however they end, kill -9 included, or once the starter shuts that end
 * down (see noreturn_cleanup in launch.c). On failure nothing is left. */
struct session_guard {
	int lifeline; /* the starter's end of the socket pair */
	pid_t cleaner;
};
int session_guard_start(char **argv, const char *base, struct session *s, struct session_guard *g, struct error *err);

/* Give up before the launch: the cleanup process removes the session. */
void session_guard_abandon(struct session_guard *g);

/* Exec the starter with req on fd 3 and the lifeline on fd 4. The starter
 * gets ochre's own argv, which it ignores, so that ps still shows the
 * user's command. Returns only on failure; the session dir is then already
 * removed. */
int launch_starter(const char *starter_path, char **argv, struct session_guard *g, struct starter_request *req,
		   struct error *err);

/* Mode enter: fork a child that execs the starter with req on fd 3 and,
 * when sync_fd >= 0, that fd as fd 5 (req->sync_fd is set to 5); sync_fd
 * is closed in the caller either way. Returns the child's pid, or -1. */
pid_t spawn_starter_enter(const char *starter_path, struct starter_request *req, int sync_fd, struct error *err);

#endif
