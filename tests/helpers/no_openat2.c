/* no-openat2 CMD [ARGS...]: run CMD on a host whose kernel has no openat2.
 *
 * openat2 came with Linux 5.6; on older kernels the starter opens the
 * caller's paths with an O_NOFOLLOW walk instead (starter/safe_open.c,
 * open_walk), which this kernel would never exercise. A seccomp filter makes
 * openat2 fail with ENOSYS, as an older kernel does, for CMD and everything
 * it runs (the filter is inherited across fork and exec).
 *
 * A filter needs no_new_privs unless the caller has CAP_SYS_ADMIN, and we set
 * it always, so that root and users see the same: a setuid exec under it
 * gains nothing, which means this stands in for an old kernel only with the
 * unprivileged (rootless) starter, and a setuid-root starter cannot be tested
 * under it.
 *
 * Before running CMD we check that the filter works: openat2 of "/" must
 * fail with ENOSYS, and openat must still work. Exits 125 when the filter
 * cannot be set up, else execs CMD. Test code only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define OUR_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define OUR_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "no-openat2: add this architecture's AUDIT_ARCH"
#endif

static void die(const char *what)
{
	fprintf(stderr, "no-openat2: %s: %s\n", what, strerror(errno));
	exit(125);
}

/* openat2 of this architecture fails with ENOSYS; everything else runs. A
 * call of another architecture (x32, i386 on x86_64) goes through: ochre's
 * programs are all built for this one. */
static void install_filter(void)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, OUR_AUDIT_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_openat2, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof code / sizeof code[0], .filter = code };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die("prctl(PR_SET_NO_NEW_PRIVS)");
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		die("seccomp");
}

/* The filter is in place: openat2 fails as on an old kernel, openat works. */
static void check_filter(void)
{
	struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC };
	int fd = (int)syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof how);
	if (fd >= 0 || errno != ENOSYS) {
		fprintf(stderr, "no-openat2: openat2 still %s\n", fd >= 0 ? "works" : strerror(errno));
		exit(125);
	}
	fd = openat(AT_FDCWD, "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		die("openat after the filter");
	close(fd);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: no-openat2 CMD [ARGS...]\n");
		return 125;
	}
	install_filter();
	check_filter();
	execvp(argv[1], argv + 1);
	fprintf(stderr, "no-openat2: exec %s: %s\n", argv[1], strerror(errno));
	return 127;
}
