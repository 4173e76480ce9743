/* Signals and exit statuses: the starter stands between ochre's caller and
 * the runtime, so whatever the caller (a shell, a batch system) sends to
 * ochre must reach the container, and the container's status must come back. */
#ifndef OCHRE_STARTER_SUPERVISE_H
#define OCHRE_STARTER_SUPERVISE_H

#include <signal.h>
#include <sys/types.h>

/* Block the forwarded signals (until forward_signals_to) so none is lost
 * between creating a child and knowing its pid. */
void signals_block_forwarded(void);

/* Install handlers that pass each forwarded signal on to pid, then unblock. */
void forward_signals_to(pid_t pid);

/* Before exec: every disposition back to default, nothing blocked, so the
 * payload starts as if run directly (a trap on INT works even when ochre was
 * started as a background job with INT ignored). */
void signals_reset_for_exec(void);

/* Before exec of a runtime that becomes pid 1: block HUP, INT, QUIT and
 * TERM, so that one forwarded before the runtime has installed its own
 * handling stays pending instead of being dropped by the pid-1 rule. Both
 * runtimes take these over and clear them from the container's mask;
 * runc would leave others (USR1, USR2, WINCH) blocked in the container,
 * so those are not blocked here. */
void signals_block_until_runtime_ready(void);

/* Wait for pid, reaping any other child meanwhile; return its status as an
 * exit code: its exit status, or 128+N when killed by signal N. */
int wait_exit_code(pid_t pid);

/* Reap every remaining child (the driver's cleanup process), then return. */
void wait_all_children(void);

#endif
