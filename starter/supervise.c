#define _GNU_SOURCE
#include "supervise.h"

#include "../common/log.h"
#include "die.h"
#include "privilege.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const int forwarded[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH };
#define N_FORWARDED (sizeof forwarded / sizeof forwarded[0])

static volatile pid_t forward_target = -1;

static void forward(int sig)
{
	int saved = errno;
	if (forward_target > 0)
		kill(forward_target, sig);
	errno = saved;
}

static void forwarded_set(sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < N_FORWARDED; i++)
		sigaddset(set, forwarded[i]);
}

void signals_block_forwarded(void)
{
	sigset_t set;
	forwarded_set(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

void forward_signals_to(pid_t pid)
{
	forward_target = pid;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = forward;
	sa.sa_flags = SA_RESTART;
	sigfillset(&sa.sa_mask);
	for (size_t i = 0; i < N_FORWARDED; i++)
		if (sigaction(forwarded[i], &sa, NULL) < 0)
			die_errno("sigaction");
	sigset_t set;
	forwarded_set(&set);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

void signals_reset_for_exec(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL); /* fails harmlessly for KILL, STOP, RT internals */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

void signals_block_until_runtime_ready(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

int wait_exit_code(pid_t pid)
{
	for (;;) {
		int status;
		pid_t r = waitpid(-1, &status, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			die_errno("wait for process %d", (int)pid);
		}
		if (r != pid)
			continue; /* an orphan reparented to us: reaped, nothing more */
		if (WIFEXITED(status))
			return WEXITSTATUS(status);
		if (WIFSIGNALED(status))
			return 128 + WTERMSIG(status);
	}
}

void wait_all_children(void)
{
	for (;;) {
		pid_t r = waitpid(-1, NULL, 0);
		if (r < 0 && errno != EINTR)
			return; /* ECHILD: none left */
	}
}

int run_child(void (*child)(const void *arg), const void *arg)
{
	pid_t pid = fork();
	if (pid < 0)
		die_errno("fork");
	if (pid == 0) {
		child(arg);
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die_errno("wait for process %d", (int)pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void exec_helper(const void *arg)
{
	const struct helper *h = arg;
	if (h->quiet && !log_enabled(LOG_LEVEL_DEBUG)) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
			_exit(127);
	}
	for (size_t i = 0; i < h->n_keep; i++)
		if (fcntl(h->keep[i], F_SETFD, 0) < 0)
			_exit(127);
	if (h->drop_to_caller)
		privilege_drop_for_good();
	char *envp[] = { "PATH=" STARTER_SAFE_PATH, NULL };
	execve(h->path, h->argv, envp);
	die_errno("exec %s", h->path);
}

int run_helper(const struct helper *h)
{
	return run_child(exec_helper, h);
}
