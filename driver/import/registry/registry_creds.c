#define _GNU_SOURCE
#include "registry_creds.h"

#include "../../../common/log.h"
#include "../../image/registry_ref.h"
#include "../../util/fsutil.h"
#include "../../util/json_read.h"
#include "../../util/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <libgen.h>
#include <openssl/evp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define AUTH_FILE_MAX (1024 * 1024)

void registry_creds_free(struct registry_creds *cr)
{
	if (cr->password)
		explicit_bzero(cr->password, strlen(cr->password));
	free(cr->username);
	free(cr->password);
	free(cr->source);
	cr->username = cr->password = cr->source = NULL;
}

static const char *home_dir(void)
{
	const char *home = getenv("HOME");
	if (home && home[0] == '/')
		return home;
	struct passwd *pw = getpwuid(getuid());
	return pw && pw->pw_dir[0] == '/' ? pw->pw_dir : NULL;
}

char *registry_creds_store_path(const char *authfile, struct error *err)
{
	if (authfile)
		return xstrdup(authfile);
	const char *xdg = getenv("XDG_CONFIG_HOME");
	if (xdg && xdg[0] == '/')
		return xasprintf("%s/ochre/auth.json", xdg);
	const char *home = home_dir();
	if (!home) {
		error_set(err, 0, "no place for credentials: set XDG_CONFIG_HOME or HOME");
		return NULL;
	}
	return xasprintf("%s/.config/ochre/auth.json", home);
}

/* How well an auths key names this registry and repository: -1 no match,
 * else the length of what it names (longer is more specific). */
static int key_match(const char *key, const char *registry, const char *repo)
{
	if (strncmp(key, "https://", 8) == 0)
		key += 8;
	else if (strncmp(key, "http://", 7) == 0)
		key += 7;
	char *k = xstrdup(key);
	size_t n = strlen(k);
	while (n > 0 && k[n - 1] == '/')
		k[--n] = '\0';
	char *path = strchr(k, '/');
	if (path)
		*path++ = '\0';
	/* Docker's own "https://index.docker.io/v1/" names all of Docker Hub. */
	if (path && (strcmp(path, "v1") == 0 || strcmp(path, "v2") == 0))
		path = NULL;
	int score = -1;
	if (strcmp(registry_normalize_host(k), registry) == 0) {
		size_t pl = path ? strlen(path) : 0;
		if (!path)
			score = 0;
		else if (strncmp(repo, path, pl) == 0 && (repo[pl] == '\0' || repo[pl] == '/'))
			score = (int)pl;
	}
	free(k);
	return score;
}

static int decode_auth(const char *b64, char **user, char **pass)
{
	size_t n = strlen(b64);
	if (n == 0 || n % 4 || n > 8192)
		return -1;
	unsigned char *out = xmalloc(n / 4 * 3 + 1);
	int len = EVP_DecodeBlock(out, (const unsigned char *)b64, (int)n);
	if (len < 0) {
		free(out);
		return -1;
	}
	/* EVP_DecodeBlock counts the '=' padding as zero bytes. */
	for (size_t i = n; i > 0 && b64[i - 1] == '='; i--)
		len--;
	out[len] = '\0';
	char *colon = memchr(out, ':', (size_t)len);
	int ret = -1;
	if (colon && strlen((char *)out) == (size_t)len) {
		*colon = '\0';
		*user = xstrdup((char *)out);
		*pass = xstrdup(colon + 1);
		ret = 0;
	}
	explicit_bzero(out, (size_t)len);
	free(out);
	return ret;
}

/* 1: found, 0: not in this file (or no such file), -1: unusable file. */
static int find_in_file(const char *path, const char *registry, const char *repo, struct registry_creds *cr,
			struct error *err)
{
	char *text;
	struct error ignored;
	if (read_file(path, AUTH_FILE_MAX, &text, NULL, &ignored) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return error_set(err, errno, "credentials file %s", path);
	}
	json_object *root = json_tokener_parse(text), *auths;
	explicit_bzero(text, strlen(text));
	free(text);
	if (!root || !json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		return error_set(err, 0, "credentials file %s is not a JSON object", path);
	}
	int ret = 0, best = -1;
	json_object *chosen = NULL;
	if (json_object_object_get_ex(root, "auths", &auths) && json_object_is_type(auths, json_type_object)) {
		json_object_object_foreach(auths, k, v)
		{
			int score = key_match(k, registry, repo);
			if (score > best && json_object_is_type(v, json_type_object)) {
				best = score;
				chosen = v;
			}
		}
	}
	if (chosen) {
		const char *auth = json_str_field(chosen, "auth");
		const char *user = json_str_field(chosen, "username"), *pass = json_str_field(chosen, "password");
		if (auth && decode_auth(auth, &cr->username, &cr->password) == 0) {
			ret = 1;
		} else if (!auth && user && pass) {
			cr->username = xstrdup(user);
			cr->password = xstrdup(pass);
			ret = 1;
		} else {
			ret = error_set(err, 0, "credentials file %s: the entry for %s is malformed", path, registry);
		}
		if (ret == 1)
			cr->source = xstrdup(path);
	}
	json_object_put(root);
	return ret;
}

int registry_creds_find(const char *registry, const char *repo, const char *authfile, struct registry_creds *cr,
			struct error *err)
{
	memset(cr, 0, sizeof *cr);
	static const char *const env[][2] = {
		{ "OCHRE_DOCKER_USERNAME", "OCHRE_DOCKER_PASSWORD" },
		{ "SINGULARITY_DOCKER_USERNAME", "SINGULARITY_DOCKER_PASSWORD" },
		{ "APPTAINER_DOCKER_USERNAME", "APPTAINER_DOCKER_PASSWORD" },
	};
	for (size_t i = 0; i < sizeof env / sizeof env[0]; i++) {
		const char *u = getenv(env[i][0]), *p = getenv(env[i][1]);
		if (u && *u && p) {
			cr->username = xstrdup(u);
			cr->password = xstrdup(p);
			cr->source = xasprintf("$%s", env[i][0]);
			log_debug("registry %s: credentials from %s", registry, cr->source);
			return 0;
		}
	}

	char *files[6] = { NULL };
	size_t n = 0;
	if (authfile) {
		files[n++] = xstrdup(authfile);
	} else {
		struct error ignored;
		char *own = registry_creds_store_path(NULL, &ignored);
		if (own)
			files[n++] = own;
		const char *v = getenv("REGISTRY_AUTH_FILE");
		if (v && *v)
			files[n++] = xstrdup(v);
		v = getenv("XDG_RUNTIME_DIR");
		if (v && v[0] == '/')
			files[n++] = xasprintf("%s/containers/auth.json", v);
		const char *home = home_dir();
		if (home) {
			files[n++] = xasprintf("%s/.docker/config.json", home);
			/* Where `singularity|apptainer registry login` keep theirs. */
			files[n++] = xasprintf("%s/.singularity/docker-config.json", home);
			files[n++] = xasprintf("%s/.apptainer/docker-config.json", home);
		}
	}
	int ret = 0;
	for (size_t i = 0; i < n && ret == 0; i++)
		ret = find_in_file(files[i], registry, repo, cr, err);
	for (size_t i = 0; i < n; i++)
		free(files[i]);
	if (ret < 0)
		return -1;
	if (ret == 0 && authfile) {
		struct stat st;
		if (stat(authfile, &st) < 0)
			return error_set(err, errno, "--authfile %s", authfile);
	}
	log_debug("registry %s: %s%s", registry, ret ? "credentials from " : "no credentials: anonymous",
		  ret ? cr->source : "");
	return 0;
}

static char *encode_auth(const char *user, const char *pass)
{
	char *plain = xasprintf("%s:%s", user, pass);
	size_t n = strlen(plain);
	char *out = xmalloc((n + 2) / 3 * 4 + 1);
	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)plain, (int)n);
	explicit_bzero(plain, n);
	free(plain);
	return out;
}

int registry_creds_store(const char *path, const char *registry, const char *username, const char *password, int *found,
			 struct error *err)
{
	*found = 0;
	char *dir_copy = xstrdup(path);
	char *dir = dirname(dir_copy);
	int ret = make_private_dirs(dir, err);
	free(dir_copy);
	if (ret < 0)
		return -1;

	char *text = NULL;
	struct error ignored;
	json_object *root = NULL, *auths;
	if (read_file(path, AUTH_FILE_MAX, &text, NULL, &ignored) == 0) {
		root = json_tokener_parse(text);
		explicit_bzero(text, strlen(text));
		free(text);
		if (!root || !json_object_is_type(root, json_type_object)) {
			json_object_put(root);
			return error_set(err, 0, "credentials file %s is not a JSON object; not changing it", path);
		}
	} else if (errno != ENOENT) {
		return error_set(err, errno, "credentials file %s", path);
	} else {
		root = json_object_new_object();
	}
	if (!json_object_object_get_ex(root, "auths", &auths) || !json_object_is_type(auths, json_type_object)) {
		auths = json_object_new_object();
		json_object_object_add(root, "auths", auths);
	}
	/* Replace every spelling of this registry's key (docker.io has several). */
	char **doomed = xcalloc(json_object_object_length(auths) + 1, sizeof *doomed);
	size_t n = 0;
	json_object_object_foreach(auths, k, v)
	{
		(void)v;
		if (key_match(k, registry, "") == 0)
			doomed[n++] = xstrdup(k);
	}
	for (size_t i = 0; i < n; i++) {
		json_object_object_del(auths, doomed[i]);
		free(doomed[i]);
	}
	free(doomed);
	*found = n > 0;
	if (username) {
		char *auth = encode_auth(username, password);
		json_object *entry = json_object_new_object();
		json_object_object_add(entry, "auth", json_object_new_string(auth));
		explicit_bzero(auth, strlen(auth));
		free(auth);
		json_object_object_add(auths, registry, entry);
	}

	const char *out =
		json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	size_t len = strlen(out);
	ret = 0;
	if (fd < 0 || write(fd, out, len) != (ssize_t)len || write(fd, "\n", 1) != 1 || fsync(fd) < 0) {
		ret = error_set(err, errno, "write %s", tmp);
	}
	if (fd >= 0 && close(fd) < 0 && ret == 0)
		ret = error_set(err, errno, "write %s", tmp);
	if (ret == 0 && rename(tmp, path) < 0)
		ret = error_set(err, errno, "rename %s to %s", tmp, path);
	if (ret < 0)
		unlink(tmp);
	free(tmp);
	json_object_put(root);
	return ret;
}
