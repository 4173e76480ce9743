/* common/subid.c: /etc/passwd and /etc/subuid lines split as getpwent and
 * shadow do (empty fields kept, exact field counts), from memory files. */
#define _GNU_SOURCE
#include "../../common/subid.h"
#include "unit.h"

#include <stdlib.h>

static FILE *mem(const char *text)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	if (!f)
		abort();
	return f;
}

/* uid's name in passwd text, or "" when none. */
static const char *name_of(const char *text, unsigned long uid)
{
	static char name[256];
	FILE *f = mem(text);
	if (!passwd_lookup_in(f, NULL, uid, name, sizeof name))
		name[0] = '\0';
	fclose(f);
	return name;
}

static bool owner_is(const char *text, const char *entry, unsigned long owner)
{
	FILE *f = mem(text);
	bool ok = passwd_owner_matches_in(f, entry, owner);
	fclose(f);
	return ok;
}

static bool range_ok(const char *subid, const char *passwd, unsigned long uid, unsigned long start, unsigned long count)
{
	FILE *s = mem(subid), *p = passwd ? mem(passwd) : NULL;
	bool ok = subid_range_allowed_in(s, p, uid, start, count);
	fclose(s);
	if (p)
		fclose(p);
	return ok;
}

static void test_ids(void)
{
	unsigned long id = 7;
	CHECK(subid_parse_id("0", &id) && id == 0, "0 is an id");
	CHECK(subid_parse_id("4294967295", &id) && id == 4294967295UL, "2^32-1 is an id");
	CHECK(!subid_parse_id("4294967296", &id), "2^32 is not");
	CHECK(!subid_parse_id("", &id), "empty is not an id");
	CHECK(!subid_parse_id("-1", &id), "a sign is not");
	CHECK(!subid_parse_id(" 1", &id), "a blank is not");
	CHECK(!subid_parse_id("1x", &id), "trailing text is not");
	CHECK(!subid_parse_id("0x10", &id), "hex is not");
}

static void test_passwd(void)
{
	const char *pw = "root:x:0:0:root:/root:/bin/sh\n"
			 "alice::1000:1000::/home/alice:/bin/sh\n"
			 "bob:x:1001:1001:Bob:/home/bob:/bin/sh\n";
	CHECK_STR(name_of(pw, 0), "root", "root by uid");
	CHECK_STR(name_of(pw, 1000), "alice", "an empty password field is a field");
	CHECK_STR(name_of(pw, 1001), "bob", "bob by uid");
	CHECK_STR(name_of(pw, 4242), "", "an unknown uid has no name");
	/* The audit's shape: an empty password field made the parser read the
	 * gid as the uid, so uid 1001 got the name 'victim'. */
	const char *attack = "victim::4242:1001::/:/bin/sh\nbob:x:1001:1001::/:/bin/sh\n";
	CHECK_STR(name_of(attack, 1001), "bob", "name::uid:gid: does not lend its gid as a uid");
	CHECK_STR(name_of(attack, 4242), "victim", "and its own uid is its uid");
	CHECK_STR(name_of(":x:5:5::/:/bin/sh\n", 5), "", "an empty name is no user");
	CHECK_STR(name_of("+nis:x:5:5::/:/bin/sh\n-nis:x:5:5::/:/bin/sh\n", 5), "", "NIS compat lines are skipped");
	CHECK_STR(name_of("a:x::5::/:/bin/sh\n", 5), "", "an empty uid is no uid");
	CHECK_STR(name_of("a:x:5:5\nb:x:5:5:::/bin/sh:extra\n", 5), "", "short and long lines are skipped");
	CHECK_STR(name_of("a:x:5:5:::\n", 5), "a", "empty gecos, dir and shell are fields");
	CHECK_STR(name_of("a:x:5:5::/:/bin/sh", 5), "a", "a last line without a newline");
	CHECK_STR(name_of("a:x: 5:5::/:/bin/sh\nb:x:+5:5::/:/bin/sh\n", 5), "", "uids with blanks or signs");
	CHECK_STR(name_of("a:x:5:g::/:/bin/sh\n", 5), "", "a gid that is no number");

	/* A long line is never read in pieces: a parser that reads 1024
	 * bytes at a time took the tail of a long gecos field for a line. */
	char *big = malloc(16384);
	snprintf(big, 16384, "a:x:9:9:%01015d%s", 0, "evil:x:5:5::/:/bin/sh\n");
	CHECK_STR(name_of(big, 5), "", "the tail of a long line is no line");
	/* One too long to be a real entry is skipped whole, the next is read. */
	snprintf(big, 16384, "a:x:9:9:%05000d::\nb:x:5:5::/:/bin/sh\n", 0);
	CHECK_STR(name_of(big, 9), "", "an overlong line is skipped");
	CHECK_STR(name_of(big, 5), "b", "and the line after it is read");
	snprintf(big, 16384, "a:x:9:9:%03000d::\n", 0);
	CHECK_STR(name_of(big, 9), "a", "a 3000-byte line is read");
	free(big);

	/* A NUL inside a line: the line is skipped, not cut short. */
	static const char nul[] = "a:x:5:5::/:/bin/sh\0junk\nb:x:5:5::/:/bin/sh\n";
	FILE *f = fmemopen((void *)nul, sizeof nul - 1, "r");
	char name[64] = "";
	CHECK(f && passwd_lookup_in(f, NULL, 5, name, sizeof name) && strcmp(name, "b") == 0,
	      "a line with a NUL is skipped");
	if (f)
		fclose(f);
}

static void test_owners(void)
{
	const char *pw = "root:x:0:0::/root:/bin/sh\n1234:x:1000:1000::/:/bin/sh\n"
			 "carol::2000:2000::/:/bin/sh\nmallory::3000:2000::/:/bin/sh\n";
	CHECK(owner_is(pw, "root", 0), "an owner by name");
	CHECK(owner_is(pw, "0", 0), "an owner by number");
	CHECK(!owner_is(pw, "root", 1000), "a name is not another uid");
	CHECK(owner_is(pw, "1234", 1234), "a numeric entry is a uid");
	CHECK(!owner_is(pw, "1234", 1000), "even where a user has that name");
	CHECK(owner_is(pw, "carol", 2000), "an empty password field");
	CHECK(!owner_is(pw, "mallory", 2000), "a gid is not read as a uid");
	CHECK(!owner_is(pw, "", 0), "an empty entry matches nothing");
	CHECK(!owner_is(pw, "nobody", 65534), "an unknown name matches nothing");
}

static void test_subid(void)
{
	const char *pw = "victim::4242:1001::/:/bin/sh\nbob:x:1001:1001::/:/bin/sh\n";
	const char *sub = "victim:300000:65536\nbob:200000:65536\n1002:400000:10\n";
	CHECK(range_ok(sub, pw, 1001, 200000, 65536), "bob's own range");
	CHECK(range_ok(sub, pw, 1001, 200010, 5), "inside bob's range");
	CHECK(!range_ok(sub, pw, 1001, 300000, 1), "the audit's attack: victim's range is not bob's");
	CHECK(range_ok(sub, pw, 4242, 300000, 1), "control: victim's range is victim's");
	CHECK(range_ok(sub, pw, 1002, 400000, 10), "a range owned by number");
	CHECK(range_ok(sub, NULL, 1002, 400000, 10), "by number without passwd");
	CHECK(!range_ok(sub, NULL, 1001, 200000, 1), "no name without passwd");
	CHECK(!range_ok(sub, pw, 1001, 199999, 2), "straddling the start");
	CHECK(!range_ok(sub, pw, 1001, 265535, 2), "straddling the end");
	CHECK(!range_ok("bob::200000:65536\n", pw, 1001, 200000, 1), "four fields are no line");
	CHECK(!range_ok("bob:200000\n", pw, 1001, 200000, 1), "two fields are no line");
	CHECK(!range_ok("bob:200000:65536:\n", pw, 1001, 200000, 1), "a trailing ':' is a fourth field");
	CHECK(!range_ok(":200000:65536\n", pw, 1001, 200000, 1), "an empty owner is nobody");
	CHECK(!range_ok("bob::65536\n", pw, 1001, 0, 1), "an empty start is no number");
	CHECK(!range_ok("bob:200000:0\n", pw, 1001, 200000, 0), "a count of 0 is no range");
	CHECK(!range_ok("bob:4294967295:2\n", pw, 1001, 4294967295UL, 1), "a range past 2^32");
	CHECK(!range_ok("bob:-1:2\nbob: 200000:5\n", pw, 1001, 200000, 1), "signs and blanks");
	CHECK(range_ok("junk\nbob:x\nbob:200000:5\n", pw, 1001, 200000, 1), "good line after bad ones");

	unsigned long start = 0, count = 0;
	FILE *f = mem("victim:300000:65536\nbob::200000:65536\n1001:500000:7\n");
	CHECK(subid_lookup_in(f, "bob", 1001, &start, &count) && start == 500000 && count == 7,
	      "lookup: the first well-formed line of the user's");
	fclose(f);
}

int main(void)
{
	test_ids();
	test_passwd();
	test_owners();
	test_subid();
	return unit_done();
}
