/* ochre-import: verify an image and unpack it into the cache, once.
 *
 * The driver runs this only when an image is not cached yet, so that a
 * cached launch never loads libarchive and libcrypto (each costs
 * milliseconds of dynamic loading). Like the driver it never holds
 * privilege. Usage (driver-internal):
 *   ochre-import --log-level LEVEL --cache DIR IMAGE
 * The answer is one line on stdout: "ok KEY" or "error MESSAGE". */
#define _GNU_SOURCE
#include "../common/log.h"
#include "cache.h"
#include "error.h"
#include "image_import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

static int run(int argc, char **argv, char **key, struct error *err)
{
	if (getauxval(AT_SECURE) || getuid() != geteuid() || getgid() != getegid())
		return error_set(err, 0, "refusing to run with elevated privileges "
					 "(setuid, setgid or file capabilities)");
	if (argc != 6 || strcmp(argv[1], "--log-level") != 0 || strcmp(argv[3], "--cache") != 0)
		return error_set(err, 0, "usage: ochre-import --log-level LEVEL --cache DIR IMAGE "
					 "(run by ochre, not by hand)");
	int level = log_level_from_name(argv[2]);
	if (level < 0)
		return error_set(err, 0, "unknown log level '%s'", argv[2]);
	log_level_current = (enum log_level)level;

	struct cache c;
	if (cache_open_at(argv[4], &c, err) < 0)
		return -1;
	int ret = image_import(&c, argv[5], key, err);
	cache_close(&c);
	return ret;
}

int main(int argc, char **argv)
{
	struct error err = { .msg = "" };
	char *key = NULL;
	if (run(argc, argv, &key, &err) < 0) {
		printf("error %s\n", err.msg);
		return OCHRE_EXIT_FAILURE;
	}
	printf("ok %s\n", key);
	free(key);
	return 0;
}
