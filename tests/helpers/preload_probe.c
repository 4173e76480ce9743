/* preload-probe.so: a library for LD_PRELOAD that reports every program that
 * loads it (test_attack_environment, tests/e2e/test_attacks_requests.sh).
 *
 * Its constructor writes "PRELOAD-RAN" to stderr and records the loading
 * program (/proc/self/exe) in DIR/drop/preload-ran.PID, where DIR/X/ is the
 * directory the library was loaded from (the test copies it to
 * TESTTMP/fakebin/ and makes TESTTMP/drop/ world-writable). The record's
 * place comes from the library's own path, not from the environment, so that
 * a program that got LD_PRELOAD but not the rest of the caller's environment
 * is recorded too. Test code only.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

__attribute__((constructor)) static void preload_hit(void)
{
	static const char ran[] = "PRELOAD-RAN\n";
	char lib[4096], record[4096], exe[256];
	Dl_info info;
	if (dladdr((void *)preload_hit, &info) && info.dli_fname) {
		snprintf(lib, sizeof lib, "%s", info.dli_fname);
		/* DIR/X/preload-probe.so -> DIR */
		char *dir = dirname(dirname(lib));
		snprintf(record, sizeof record, "%s/drop/preload-ran.%d", dir, (int)getpid());
		ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
		exe[n > 0 ? n : 0] = '\0';
		int fd = open(record, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
		if (fd >= 0) {
			dprintf(fd, "%s\n", exe);
			close(fd);
		}
	}
	if (write(2, ran, strlen(ran)) < 0)
		return;
}
