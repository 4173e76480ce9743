#define _GNU_SOURCE
#include "cmd_registry.h"

#include "../../common/log.h"
#include "../image/registry_ref.h"
#include "../util/helper.h"
#include "../util/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define SECRET_MAX 4096

static const char registry_usage[] =
	"Usage: ochre registry login [--username USER] [--password-stdin] [--authfile FILE]\n"
	"                            [--no-https] REGISTRY\n"
	"       ochre registry logout [--authfile FILE] REGISTRY\n"
	"\n"
	"login checks USER's password with REGISTRY (host[:port], e.g. ghcr.io,\n"
	"localhost:5000, docker.io) and stores both for later docker:// pulls, in\n"
	"$XDG_CONFIG_HOME/ochre/auth.json (else ~/.config/ochre/auth.json), mode 0600,\n"
	"in the containers auth.json format; or in FILE with --authfile. Without\n"
	"--username and --password-stdin it asks on the terminal. logout forgets them.\n"
	"\n"
	"Options:\n"
	"  --username USER      the user name (default: ask)\n"
	"  --password-stdin     read the password from stdin (one line)\n"
	"  --authfile FILE      store in (remove from) FILE instead\n"
	"  --no-https           plain HTTP, no TLS (a local registry)\n"
	"  -h, --help           show this help\n";

/* A line from the terminal; echo off for a password. */
static char *ask(const char *prompt, bool secret, struct error *err)
{
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		error_set(err, 0, "registry login: no terminal to ask on: give --username and --password-stdin");
		return NULL;
	}
	struct termios old, quiet;
	bool restore = false;
	if (secret && tcgetattr(fd, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		restore = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
	}
	dprintf(fd, "%s", prompt);
	char buf[SECRET_MAX];
	size_t len = 0;
	char ch;
	while (len < sizeof buf - 1 && read(fd, &ch, 1) == 1 && ch != '\n')
		buf[len++] = ch;
	buf[len] = '\0';
	if (restore) {
		tcsetattr(fd, TCSAFLUSH, &old);
		dprintf(fd, "\n");
	}
	close(fd);
	char *out = xstrdup(buf);
	explicit_bzero(buf, sizeof buf);
	return out;
}

static char *read_stdin_secret(struct error *err)
{
	char buf[SECRET_MAX];
	size_t len = 0;
	ssize_t n;
	while (len < sizeof buf - 1 &&
	       ((n = read(0, buf + len, sizeof buf - 1 - len)) > 0 || (n < 0 && errno == EINTR)))
		if (n > 0)
			len += (size_t)n;
	buf[len] = '\0';
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	char *out = NULL;
	if (len == 0)
		error_set(err, 0, "registry login: no password on stdin");
	else if (strchr(buf, '\n'))
		error_set(err, 0, "registry login: the password on stdin must be one line");
	else
		out = xstrdup(buf);
	explicit_bzero(buf, sizeof buf);
	return out;
}

int cmd_registry(struct ochre_context *ctx, int argc, char **argv, struct error *err)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		if (argc < 2)
			return error_set(err, 0, "registry: say 'login' or 'logout' (see 'ochre registry --help')");
		fputs(registry_usage, stdout);
		return 0;
	}
	bool login = strcmp(argv[1], "login") == 0;
	if (!login && strcmp(argv[1], "logout") != 0)
		return error_set(err, 0, "registry: unknown subcommand '%s' (login, logout)", argv[1]);
	const char *what = login ? "registry login" : "registry logout";
	enum { OPT_USERNAME = 256, OPT_PASSWORD_STDIN, OPT_AUTHFILE, OPT_NO_HTTPS };
	static const struct option longopts[] = {
		{ "username", required_argument, NULL, OPT_USERNAME },
		{ "password-stdin", no_argument, NULL, OPT_PASSWORD_STDIN },
		{ "authfile", required_argument, NULL, OPT_AUTHFILE },
		{ "no-https", no_argument, NULL, OPT_NO_HTTPS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *username = NULL, *authfile = NULL;
	bool password_stdin = false, no_https = false;
	opterr = 0;
	optind = 1;
	int c;
	while ((c = getopt_long(argc - 1, argv + 1, "+:h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_USERNAME:
			username = optarg;
			break;
		case OPT_PASSWORD_STDIN:
			password_stdin = true;
			break;
		case OPT_AUTHFILE:
			authfile = optarg;
			break;
		case OPT_NO_HTTPS:
			no_https = true;
			break;
		case 'h':
			fputs(registry_usage, stdout);
			return 0;
		case ':':
			return error_set(err, 0, "%s: option '%s' needs a value", what, argv[optind]);
		default:
			return error_set(err, 0, "%s: unknown option '%.*s'", what, (int)strcspn(argv[optind], "="),
					 argv[optind]);
		}
	}
	if (!login && (username || password_stdin || no_https))
		return error_set(err, 0, "registry logout: only --authfile is an option");
	if (argc - 1 - optind != 1)
		return error_set(err, 0, "%s: name exactly one registry (see 'ochre registry --help')", what);
	const char *registry = argv[1 + optind];
	if (strncmp(registry, "https://", 8) == 0)
		registry += 8;
	if (!registry_host_is_valid(registry))
		return error_set(err, 0, "%s: '%s' is not a registry host[:port]", what, registry);
	for (size_t i = 0; i < ctx->cfg.insecure_registries.n; i++)
		if (strcmp(registry_normalize_host(ctx->cfg.insecure_registries.v[i]),
			   registry_normalize_host(registry)) == 0)
			no_https = true;

	char *args[12] = { ctx->importer_path, "--log-level", (char *)log_level_name(log_level_current),
			   login ? "--registry-login" : "--registry-logout", (char *)registry };
	size_t n = 5;
	if (authfile) {
		args[n++] = "--authfile";
		args[n++] = (char *)authfile;
	}
	if (no_https)
		args[n++] = "--no-https";
	args[n] = NULL;

	char *input = NULL, *user = NULL, *pass = NULL;
	if (login) {
		user = username ? xstrdup(username) : ask("Username: ", false, err);
		if (user && (!*user || strpbrk(user, ":\n"))) {
			error_set(err, 0, "registry login: a user name is not empty and has no ':'");
			free(user);
			user = NULL;
		}
		if (user)
			pass = password_stdin ? read_stdin_secret(err) : ask("Password: ", true, err);
		if (!user || !pass) {
			free(user);
			return -1;
		}
		input = xasprintf("%s\n%s\n", user, pass);
		explicit_bzero(pass, strlen(pass));
		free(pass);
	}
	struct helper_run run = { .argv = args, .input = input, .what = ctx->importer_path };
	char *answer = helper_run(&run, err);
	if (input) {
		explicit_bzero(input, strlen(input));
		free(input);
	}
	int ret = answer ? 0 : -1;
	if (answer && login)
		printf("Logged in to %s as %s\n", registry_normalize_host(registry), user);
	else if (answer && strcmp(answer, "none") == 0)
		printf("No credentials were stored for %s\n", registry_normalize_host(registry));
	else if (answer)
		printf("Removed the credentials for %s\n", registry_normalize_host(registry));
	free(answer);
	free(user);
	return ret;
}
