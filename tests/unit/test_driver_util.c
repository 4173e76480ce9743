/* driver/util: the error object, the overflow-checked allocation sizes and
 * the helper-process runner with its one-line reply. */
#define _GNU_SOURCE
#include "../../driver/util/error.h"
#include "../../driver/util/helper.h"
#include "../../driver/util/xalloc.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void test_error(void)
{
	struct error err = { .msg = "" };
	CHECK(error_set(&err, ENOENT, "open %s", "/x") == -1, "error_set returns -1");
	CHECK_STR(err.msg, "open /x: No such file or directory", "error_set appends strerror");
	CHECK(err.errnum == ENOENT, "error_set keeps errno");
	CHECK(error_wrap(&err, "while reading %s", "the config") == -1, "error_wrap returns -1");
	CHECK_STR(err.msg, "while reading the config: open /x: No such file or directory", "error_wrap prefixes");
	CHECK(err.errnum == ENOENT, "error_wrap keeps errno");
	error_set(&err, 0, "plain");
	CHECK(err.errnum == 0, "error_set without errno clears it");

	char big[3000];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	error_set(&err, 0, "%s", "tail");
	error_wrap(&err, "%s", big);
	CHECK(strlen(err.msg) == sizeof err.msg - 1, "error_wrap cuts a long context to the buffer");
}

/* Run fn in a child; its exit status, or 1000 + signal. */
static int child_status(void (*fn)(void))
{
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 2);
		fn();
		_exit(0);
	}
	int status;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1000 + WTERMSIG(status);
}

static void mul_overflow(void)
{
	(void)xsize_mul(SIZE_MAX / 2 + 1, 2);
}

static void add_overflow(void)
{
	(void)xsize_add(SIZE_MAX, 1);
}

static void array_overflow(void)
{
	free(xreallocarray(NULL, SIZE_MAX / 4, 8));
}

static void test_sizes(void)
{
	CHECK(xsize_add(2, 3) == 5 && xsize_mul(4, 5) == 20, "xsize_add and xsize_mul");
	CHECK(child_status(mul_overflow) == 255, "xsize_mul overflow: exit 255, not SIGABRT");
	CHECK(child_status(add_overflow) == 255, "xsize_add overflow: exit 255");
	CHECK(child_status(array_overflow) == 255, "xreallocarray overflow: exit 255");
	char *s = xstrndup("abcdef", 3);
	CHECK_STR(s, "abc", "xstrndup");
	free(s);
}

/* A helper script in dir: `sh -c BODY`. */
static char *helper_script(const char *dir, const char *name, const char *body)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	fprintf(f, "#!/bin/sh\n%s\n", body);
	fclose(f);
	chmod(path, 0755);
	return path;
}

static char *run_helper(const char *path, const char *input, struct error *err)
{
	char *argv[] = { (char *)path, NULL };
	struct helper_run run = { .argv = argv, .input = input, .what = "the test helper" };
	return helper_run(&run, err);
}

static void test_helper(void)
{
	char dir[] = "/tmp/ochre-unit-helper.XXXXXX";
	if (!mkdtemp(dir)) {
		CHECK(0, "mkdtemp");
		return;
	}
	struct error err = { .msg = "" };
	char *p = helper_script(dir, "value", "echo 'ok sha256:abc'");
	char *v = run_helper(p, NULL, &err);
	CHECK_STR(v, "sha256:abc", "helper: ok VALUE");
	free(v);
	free(p);

	p = helper_script(dir, "bare", "echo ok");
	v = run_helper(p, NULL, &err);
	CHECK_STR(v, "", "helper: a bare ok");
	free(v);
	free(p);

	p = helper_script(dir, "input", "read -r a; read -r b; echo \"ok $b-$a\"");
	v = run_helper(p, "one\ntwo\n", &err);
	CHECK_STR(v, "two-one", "helper: input on stdin");
	free(v);
	free(p);

	p = helper_script(dir, "error", "echo 'error no such image'; exit 255");
	v = run_helper(p, "ignored\n", &err);
	CHECK(!v, "helper: error fails");
	CHECK_STR(err.msg, "no such image", "helper: error MESSAGE as it is");
	free(p);

	p = helper_script(dir, "okfail", "echo 'ok key'; exit 1");
	v = run_helper(p, NULL, &err);
	CHECK(!v, "helper: ok with a non-zero exit fails");
	CHECK_STR(err.msg, "the test helper failed", "helper: described failure");
	free(p);

	p = helper_script(dir, "killed", "kill -9 $$");
	v = run_helper(p, NULL, &err);
	CHECK(!v, "helper: killed fails");
	CHECK_STR(err.msg, "the test helper was killed by signal 9", "helper: the signal named");
	free(p);

	p = xasprintf("%s/missing", dir);
	v = run_helper(p, NULL, &err);
	CHECK(!v && strstr(err.msg, "cannot run") != NULL, "helper: a missing program");
	free(p);

	char *cmd = xasprintf("rm -rf %s", dir);
	CHECK(system(cmd) == 0, "cleanup");
	free(cmd);
}

int main(void)
{
	test_error();
	test_sizes();
	test_helper();
	return unit_done();
}
