/* /etc/group read directly (common/group_file.c), as the setuid starter
 * reads it for 'allow setuid userns = group NAME'. */
#include "../../common/group_file.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char path[] = "/tmp/ochre-unit-group.XXXXXX";

static void write_file(const char *text, size_t len)
{
	FILE *f = fopen(path, "w");
	if (!f || fwrite(text, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(2);
	}
}

static bool lookup(const char *name, unsigned long *gid)
{
	return group_file_gid(path, name, gid);
}

int main(void)
{
	int fd = mkstemp(path);
	if (fd < 0)
		return 2;
	close(fd);
	static const char text[] = "root:x:0:\n"
				   "hpc::1200:alice,bob\n"
				   "::1300:\n"
				   "short:x:1400\n"
				   "extra:x:1500::\n"
				   "badgid:x:-1:\n"
				   "hexgid:x:0x10:\n"
				   "emptygid:x::\n"
				   "last:x:1600:carol";
	write_file(text, sizeof text - 1);
	unsigned long gid = 99;
	CHECK(lookup("root", &gid) && gid == 0, "root's gid");
	CHECK(lookup("hpc", &gid) && gid == 1200, "an empty password field stays a field");
	CHECK(lookup("last", &gid) && gid == 1600, "the last line without a newline");
	CHECK(!lookup("", &gid), "an empty name matches nothing");
	CHECK(!lookup("short", &gid), "a line with three fields");
	CHECK(!lookup("extra", &gid), "a line with five fields");
	CHECK(!lookup("badgid", &gid) && !lookup("hexgid", &gid) && !lookup("emptygid", &gid),
	      "a gid that is not plain decimal");
	CHECK(!lookup("hp", &gid) && !lookup("hpcx", &gid), "names match whole");
	CHECK(!lookup("alice", &gid), "a member is no group");

	static const char nul[] = "evil:x:0:\0\nhpc:x:1200:\n";
	write_file(nul, sizeof nul - 1);
	CHECK(!lookup("evil", &gid), "a line with a NUL byte is skipped");
	CHECK(lookup("hpc", &gid) && gid == 1200, "the line after it is read");

	/* A long members list is one line, not several. */
	size_t big = 20000;
	char *longline = malloc(big + 64);
	int n = snprintf(longline, 64, "big:x:1700:");
	for (size_t i = (size_t)n; i < big; i++)
		longline[i] = 'a';
	snprintf(longline + big, 64, ":x:0:\nnext:x:1800:\n");
	write_file(longline, strlen(longline));
	CHECK(!lookup("big", &gid), "a line with a colon in a long members list: five fields");
	CHECK(!lookup("aaaa", &gid), "no part of a long line is read as a line of its own");
	CHECK(lookup("next", &gid) && gid == 1800, "the line after a long one");
	free(longline);

	CHECK(!group_file_gid("/nonexistent/group", "root", &gid), "a missing file");
	unlink(path);
	return unit_done();
}
