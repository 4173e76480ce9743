/* ochre-import: verify an image and unpack it into the cache, once.
 *
 * The driver runs this only when an image is not cached yet (or a docker://
 * tag must be checked at its registry), so that a cached launch never loads
 * libarchive, libcrypto and libcurl (each costs milliseconds of dynamic
 * loading). Like the driver it never holds privilege. Usage (driver-internal):
 *   ochre-import --log-level LEVEL --cache DIR [--platform P] [--authfile F]
 *                [--no-https] [--sif-out FILE [--force] [--keep-layers]] IMAGE
 *   ochre-import --log-level LEVEL --registry-login REGISTRY [--authfile F]
 *                [--no-https]          (reads "USER\nPASSWORD\n" on stdin)
 *   ochre-import --log-level LEVEL --push FILE [--authfile F] [--no-https] REF
 *   ochre-import --log-level LEVEL --registry-logout REGISTRY [--authfile F]
 * Credentials come from the environment, files or stdin, never from argv.
 * With --sif-out the image is written to FILE as an OCI-SIF (sif_pull.h)
 * rather than unpacked into the cache.
 * The reply is one line on stdout, in helper.h's format: "ok KEY" for an
 * import, "ok" for a login, "ok removed" or "ok none" for a logout, or
 * "error MESSAGE". */
#define _GNU_SOURCE
#include "../../common/log.h"
#include "../image/cache.h"
#include "../image/image_ref.h"
#include "../util/error.h"
#include "../util/helper.h"
#include "../util/xalloc.h"
#include "image_import.h"
#include "image_push.h"
#include "registry/registry_pull.h"
#include "sif/http_fetch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#define USAGE                                                                                            \
	"usage: ochre-import --log-level LEVEL (--cache DIR [--platform P] [--authfile F] [--no-https] " \
	"[--sif-out FILE [--force] [--keep-layers]] IMAGE | "                                            \
	"--push FILE [--authfile F] [--no-https] REF | "                                                 \
	"--registry-login|--registry-logout REGISTRY [--authfile F] [--no-https]) (run by ochre, not by hand)"

/* "USER\nPASSWORD\n" from stdin (a pipe from the driver). */
static int read_login(char **user, char **pass, struct error *err)
{
	char buf[8192];
	size_t len = 0;
	ssize_t n;
	while (len < sizeof buf - 1 && (n = read(0, buf + len, sizeof buf - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	char *nl = strchr(buf, '\n');
	char *nl2 = nl ? strchr(nl + 1, '\n') : NULL;
	int ret = 0;
	if (!nl || !nl2 || nl == buf) {
		ret = error_set(err, 0, "registry login: no username and password given");
	} else {
		*nl = *nl2 = '\0';
		*user = xstrdup(buf);
		*pass = xstrdup(nl + 1);
	}
	explicit_bzero(buf, sizeof buf);
	return ret;
}

static int run(int argc, char **argv, char **key, struct error *err)
{
	if (getauxval(AT_SECURE) || getuid() != geteuid() || getgid() != getegid())
		return error_set(err, 0,
				 "refusing to run with elevated privileges "
				 "(setuid, setgid or file capabilities)");
	if (argc < 4 || strcmp(argv[1], "--log-level") != 0)
		return error_set(err, 0, USAGE);
	int level = log_level_from_name(argv[2]);
	if (level < 0)
		return error_set(err, 0, "unknown log level '%s'", argv[2]);
	log_level_current = (enum log_level)level;

	const char *cache_dir = NULL, *login = NULL, *logout = NULL, *image = NULL, *push = NULL;
	struct import_options opts = { 0 };
	struct sif_pull_options sif = { 0 };
	for (int i = 3; i < argc; i++) {
		const char *a = argv[i];
		bool has_value = i + 1 < argc;
		if (strcmp(a, "--cache") == 0 && has_value && !cache_dir)
			cache_dir = argv[++i];
		else if (strcmp(a, "--registry-login") == 0 && has_value && !login)
			login = argv[++i];
		else if (strcmp(a, "--registry-logout") == 0 && has_value && !logout)
			logout = argv[++i];
		else if (strcmp(a, "--platform") == 0 && has_value && !opts.platform)
			opts.platform = argv[++i];
		else if (strcmp(a, "--authfile") == 0 && has_value && !opts.authfile)
			opts.authfile = argv[++i];
		else if (strcmp(a, "--no-https") == 0)
			opts.insecure = true;
		else if (strcmp(a, "--push") == 0 && has_value && !push)
			push = argv[++i];
		else if (strcmp(a, "--sif-out") == 0 && has_value && !sif.target)
			sif.target = argv[++i];
		else if (strcmp(a, "--force") == 0)
			sif.force = true;
		else if (strcmp(a, "--keep-layers") == 0)
			sif.keep_layers = true;
		else if (a[0] != '-' && i == argc - 1 && (cache_dir || push))
			image = a;
		else
			return error_set(err, 0, USAGE);
	}
	if ((cache_dir != NULL) + (login != NULL) + (logout != NULL) + (push != NULL) != 1 ||
	    ((cache_dir || push) && !image) || (opts.platform && !image_platform_is_valid(opts.platform)) ||
	    ((sif.force || sif.keep_layers) && !sif.target))
		return error_set(err, 0, USAGE);
	if (sif.target)
		opts.sif = &sif;

	if (push)
		return image_push(push, image, opts.insecure, opts.authfile, err);
	if (login) {
		char *user = NULL, *pass = NULL;
		int ret = read_login(&user, &pass, err);
		if (ret == 0)
			ret = registry_login(login, user, pass, opts.insecure, opts.authfile, err);
		if (pass)
			explicit_bzero(pass, strlen(pass));
		free(user);
		free(pass);
		return ret;
	}
	if (logout) {
		int found;
		if (registry_logout(logout, opts.authfile, &found, err) < 0)
			return -1;
		*key = xstrdup(found ? "removed" : "none");
		return 0;
	}
	if (sif.target && http_fetch_is_url(image))
		return http_fetch_sif(image, &sif, err);
	struct cache c;
	if (cache_open_at(cache_dir, &c, err) < 0)
		return -1;
	int ret = image_import(&c, image, &opts, key, err);
	cache_close(&c);
	return ret;
}

int main(int argc, char **argv)
{
	struct error err = { .msg = "" };
	char *key = NULL;
	if (run(argc, argv, &key, &err) < 0) {
		helper_reply_error(err.msg);
		return OCHRE_EXIT_FAILURE;
	}
	helper_reply_ok(key);
	free(key);
	return 0;
}
