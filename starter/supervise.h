/* The starter's child processes. Signals and exit statuses: the starter
 * stands between ochre's caller and the runtime, so whatever the caller (a
 * shell, a batch system) sends to ochre must reach the container, and the
 * container's status must come back. And the one runner of helper
 * programs (newuidmap, newgidmap, fuse-overlayfs) and probes. */
#ifndef OCHRE_STARTER_SUPERVISE_H
#define OCHRE_STARTER_SUPERVISE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The only PATH the starter and the helpers it runs ever see. */
#define STARTER_SAFE_PATH "/usr/sbin:/usr/bin:/sbin:/bin"

/* Run child(arg) in a forked process (it exits or execs) and wait for that
 * process alone: its exit status, or 128+N when killed by signal N. */
int run_child(void (*child)(const void *arg), const void *arg);

/* A helper program, run at its absolute path with only
 * PATH=STARTER_SAFE_PATH in its environment; the fds in keep stay open
 * across the exec; quiet: its stdout and stderr go to /dev/null unless
 * --debug. */
struct helper {
	const char *path;
	char *const *argv;
	const int *keep;
	size_t n_keep;
	bool quiet;
	bool drop_to_caller; /* setuid: exec it with the caller's ids alone */
};

/* Run it and wait (as run_child); the caller logs its command line. */
int run_helper(const struct helper *h);

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
