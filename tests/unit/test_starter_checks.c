/* The setuid starter's pure checks, from common/: 'limit container paths'
 * by whole components (path_within) and a request's id ranges against
 * /etc/subuid (subid_ranges_first_refused_in, policy.c's check_ranges). */
#define _GNU_SOURCE
#include "../../common/path.h"
#include "../../common/subid.h"
#include "unit.h"

#include <stdlib.h>

static void test_path_within(void)
{
	CHECK(path_within("/scratch", "/scratch"), "a path is within itself");
	CHECK(path_within("/scratch/a/b", "/scratch"), "a path below is within");
	CHECK(!path_within("/scratch2", "/scratch"), "a longer name is not within");
	CHECK(!path_within("/scratch2/a", "/scratch"), "nor below a longer name");
	CHECK(!path_within("/scr", "/scratch"), "a prefix of the prefix is not within");
	CHECK(!path_within("/", "/scratch"), "/ is not within /scratch");
	CHECK(path_within("/", "/"), "/ is within /");
	CHECK(path_within("/anything/at/all", "/"), "every path is within /");
	CHECK(!path_within("/data", "/data/images"), "a parent is not within its child");
}

static const char subuid[] = "alice:100000:65536\n1001:300000:10\n";
static const char passwd[] = "alice:x:1000:1000::/home/alice:/bin/sh\n";

/* The index of the first refused range, the subid text given. */
static size_t first_refused(unsigned long uid, unsigned long own_inside, const struct id_range *r, size_t n)
{
	FILE *s = fmemopen((void *)subuid, sizeof subuid - 1, "r");
	FILE *p = fmemopen((void *)passwd, sizeof passwd - 1, "r");
	if (!s || !p)
		abort();
	size_t bad = subid_ranges_first_refused_in(s, p, uid, own_inside, r, n);
	fclose(s);
	fclose(p);
	return bad;
}

static void test_ranges(void)
{
	const struct id_range fakeroot[] = { { 1, 100000, 65536 } };
	const struct id_range self[] = { { 0, 100000, 1 }, { 1, 100001, 999 }, { 1001, 101000, 64536 } };
	CHECK(first_refused(1000, 0, fakeroot, 1) == 1, "the caller's whole range above 0 is allowed");
	CHECK(first_refused(1000, 0, NULL, 0) == 0, "no ranges: none refused");
	CHECK(first_refused(1000, 1000, self, 3) == 3, "caller-ids self: ranges around the caller's own id");
	CHECK(first_refused(1001, 0, (struct id_range[]){ { 1, 300000, 10 } }, 1) == 1,
	      "an owner by number is matched");
	CHECK(first_refused(1000, 0, (struct id_range[]){ { 0, 100000, 10 } }, 1) == 0,
	      "a range over inside 0 is refused: 0 is the caller's");
	CHECK(first_refused(1000, 1000, (struct id_range[]){ { 1, 100000, 1000 } }, 1) == 0,
	      "caller-ids self: a range over the caller's own id is refused");
	CHECK(first_refused(1000, 0, (struct id_range[]){ { 1, 0, 1 } }, 1) == 0, "host root is refused");
	CHECK(first_refused(1000, 0, (struct id_range[]){ { 1, 100000, 65537 } }, 1) == 0,
	      "one id past the caller's range is refused");
	CHECK(first_refused(1000, 0, (struct id_range[]){ { 1, 99999, 2 } }, 1) == 0,
	      "one id before the caller's range is refused");
	CHECK(first_refused(1000, 0, (struct id_range[]){ { 1, 300000, 10 } }, 1) == 0,
	      "another user's range is refused");
	CHECK(first_refused(1000, 0, (struct id_range[]){ { 1, 100000, 10 }, { 11, 300000, 10 } }, 2) == 1,
	      "the second range is named when only it is refused");
}

int main(void)
{
	test_path_within();
	test_ranges();
	return unit_done();
}
