#define _GNU_SOURCE
#include "registry_ref.h"

#include "../util/xalloc.h"
#include "digest_name.h"
#include "image_select.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define REPO_MAX 255
#define TAG_MAX 128

bool registry_ref_is_docker(const char *arg)
{
	return strncmp(arg, REGISTRY_PREFIX, strlen(REGISTRY_PREFIX)) == 0;
}

bool registry_host_is_valid(const char *host)
{
	size_t n = strlen(host);
	if (n == 0 || n > 255)
		return false;
	const char *port = NULL;
	if (host[0] == '[') { /* [::1]:5000 */
		const char *close = strchr(host, ']');
		if (!close || close == host + 1 ||
		    strspn(host + 1, "0123456789abcdefABCDEF:.") != (size_t)(close - host - 1))
			return false;
		if (close[1] == '\0')
			return true;
		if (close[1] != ':')
			return false;
		port = close + 2;
	} else {
		size_t name = strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-");
		if (name == 0 || host[0] == '-' || host[0] == '.' || host[name - 1] == '.' || host[name - 1] == '-' ||
		    memmem(host, name, "..", 2))
			return false;
		if (host[name] == '\0')
			return true;
		if (host[name] != ':')
			return false;
		port = host + name + 1;
	}
	size_t digits = strspn(port, "0123456789");
	return digits > 0 && digits <= 5 && port[digits] == '\0' && atoi(port) > 0 && atoi(port) < 65536;
}

char *registry_record_name(const char *text, const char *platform)
{
	char host[64];
	if (!platform) {
		host_platform(host, sizeof host);
		platform = host;
	}
	return xasprintf("%s platform=%s", text, platform);
}

const char *registry_normalize_host(const char *host)
{
	if (strcmp(host, "docker.io") == 0 || strcmp(host, "index.docker.io") == 0 ||
	    strcmp(host, "registry-1.docker.io") == 0 || strcmp(host, "registry.hub.docker.com") == 0)
		return DOCKER_HUB;
	return host;
}

/* A path component: [a-z0-9]+ joined by '.', '_', '__' or runs of '-'. */
static bool component_is_valid(const char *s, size_t n)
{
	if (n == 0 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))
			continue;
		if (ch == '.' || ch == '-') {
			if (ch == '.' && !isalnum((unsigned char)s[i + 1]))
				return false;
			continue;
		}
		if (ch == '_') {
			if (s[i + 1] == '_')
				i++;
			if (!isalnum((unsigned char)s[i + 1]))
				return false;
			continue;
		}
		return false;
	}
	return true;
}

static bool repo_is_valid(const char *repo)
{
	if (strlen(repo) > REPO_MAX)
		return false;
	for (const char *p = repo;;) {
		size_t n = strcspn(p, "/");
		if (!component_is_valid(p, n))
			return false;
		if (p[n] == '\0')
			return true;
		p += n + 1;
	}
}

static bool tag_is_valid(const char *tag)
{
	size_t n = strlen(tag);
	return n > 0 && n <= TAG_MAX && (isalnum((unsigned char)tag[0]) || tag[0] == '_') &&
	       strspn(tag, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

int registry_ref_parse(const char *arg, struct registry_ref *ref, struct error *err)
{
	memset(ref, 0, sizeof *ref);
	const char *spec = registry_ref_is_docker(arg) ? arg + strlen(REGISTRY_PREFIX) : arg;
	char *s = xstrdup(spec);
	char *name = s;
	const char *why = NULL;

	char *at = strchr(name, '@');
	if (at) {
		*at = '\0';
		if (!digest_is_valid(at + 1)) {
			why = "the digest must be sha256:HEX (64 lower-case hex digits) or sha512:HEX";
			goto bad;
		}
		ref->digest = xstrdup(at + 1);
	}
	char *slash = strchr(name, '/');
	if (slash && (memchr(name, '.', (size_t)(slash - name)) || memchr(name, ':', (size_t)(slash - name)) ||
		      ((size_t)(slash - name) == strlen("localhost") && strncmp(name, "localhost", 9) == 0))) {
		*slash = '\0';
		if (!registry_host_is_valid(name)) {
			why = "bad registry host";
			goto bad;
		}
		ref->registry = xstrdup(registry_normalize_host(name));
		name = slash + 1;
	} else {
		ref->registry = xstrdup(DOCKER_HUB);
	}
	/* The tag follows the last ':' after the last '/'. */
	char *last = strrchr(name, '/');
	char *colon = strchr(last ? last : name, ':');
	if (colon) {
		*colon = '\0';
		if (!tag_is_valid(colon + 1)) {
			why = "a tag is up to 128 letters, digits, '_', '.' and '-'";
			goto bad;
		}
		ref->tag = xstrdup(colon + 1);
	}
	if (!ref->tag && !ref->digest)
		ref->tag = xstrdup("latest");
	bool hub = strcmp(ref->registry, DOCKER_HUB) == 0;
	ref->repo = hub && !strchr(name, '/') ? xasprintf("library/%s", name) : xstrdup(name);
	if (!repo_is_valid(ref->repo)) {
		why = "a repository name is lower-case letters, digits and '.', '_', '-' separators, "
		      "in components joined by '/'";
		goto bad;
	}
	ref->api_host = xstrdup(hub ? DOCKER_HUB_API : ref->registry);
	/* A digest names the content exactly; a tag beside it is only a hint. */
	if (ref->digest) {
		free(ref->tag);
		ref->tag = NULL;
		ref->text = xasprintf(REGISTRY_PREFIX "%s/%s@%s", ref->registry, ref->repo, ref->digest);
	} else {
		ref->text = xasprintf(REGISTRY_PREFIX "%s/%s:%s", ref->registry, ref->repo, ref->tag);
	}
	free(s);
	return 0;
bad:
	free(s);
	registry_ref_free(ref);
	return error_set(err, 0, "image '%s': bad docker:// reference: %s", arg, why);
}

void registry_ref_free(struct registry_ref *ref)
{
	free(ref->registry);
	free(ref->api_host);
	free(ref->repo);
	free(ref->tag);
	free(ref->digest);
	free(ref->text);
	memset(ref, 0, sizeof *ref);
}
