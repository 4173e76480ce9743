/* Talking to a registry over the OCI distribution API with libcurl:
 * requests with the authentication handshake (anonymous or credentialed
 * bearer tokens from the WWW-Authenticate realm, or basic auth), and HTTP
 * and network failures turned into one clear message. Importer only.
 *
 * Secrets (passwords, tokens) are never logged: --debug shows the method,
 * URL and status of each request, never a header. */
#ifndef OCHRE_REGISTRY_HTTP_H
#define OCHRE_REGISTRY_HTTP_H

#include "../../util/error.h"
#include "registry_creds.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

#define REGISTRY_MANIFEST_MAX (4 * 1024 * 1024)

struct registry_client {
	const char *registry; /* host[:port] as named ("docker.io") */
	const char *api_host; /* where requests go */
	const char *repo;
	char *base;    /* "https://HOST" or "http://HOST" */
	bool insecure; /* plain HTTP allowed (--no-https, allow-list) */
	struct registry_creds creds;
	char *auth_header; /* "Authorization: ..." once the handshake is done */
	bool bearer;       /* the registry asked for bearer tokens */
	bool unreachable;  /* the last failure was the network's (no route, refused, timed out) */
	char *hint_path;   /* where the registry's last auth challenge is remembered, or NULL */
	bool push;         /* tokens must allow push too (`ochre push`) */
};

struct http_response {
	long status;
	char *body; /* NUL-terminated */
	size_t len;
	char *content_type; /* of the final response, without parameters */
	char *digest;       /* Docker-Content-Digest */
	char *www_authenticate;
	char *retry_after;
	char *location; /* Location (an upload's next URL) */
	bool too_large;
};

/* What a request sends: bytes in memory, or len bytes of fd from offset
 * (re-read from the start when the request is repeated after a 401). */
struct http_body {
	const char *content_type;
	const char *data;
	int fd;
	unsigned long long offset, len;
};

void registry_http_global_init(void);

int registry_client_init(struct registry_client *cl, const char *registry, const char *api_host, const char *repo,
			 bool insecure, const char *authfile, struct error *err);
void registry_client_free(struct registry_client *cl);

/* METHOD ("GET", "HEAD") the API path ("/v2/REPO/manifests/latest"), with
 * the auth handshake on a 401. -1 only for a transport failure (err says
 * which); any HTTP status is returned in resp. */
int registry_request(struct registry_client *cl, const char *method, const char *path, const char *accept,
		     struct http_response *resp, struct error *err);
void http_response_free(struct http_response *resp);

/* The same, sending body (POST, PUT); path may also be a whole URL (an
 * upload's Location), which must then be on the registry's base. */
int registry_send(struct registry_client *cl, const char *method, const char *path, const struct http_body *body,
		  struct http_response *resp, struct error *err);

/* Remember the registry's auth challenge in `path` (no secret in it), and
 * from then on answer it before the first request: a registry that wants
 * bearer tokens then sees one request per manifest, not a 401 first. */
void registry_client_use_hint(struct registry_client *cl, const char *path);

/* The value of parameter `name` (case-insensitive) in a WWW-Authenticate
 * challenge `Scheme k="v", k2=v2`, or NULL; caller frees. Exposed for the
 * fuzz target (tests/fuzz/fuzz_www_authenticate.c). */
char *registry_challenge_param(const char *challenge, const char *name);

/* After a 401 on some request: (re)do the handshake for the challenge. */
int registry_authenticate(struct registry_client *cl, const char *www_authenticate, struct error *err);

/* An error message for a failed status ("what": e.g. "manifest latest"). */
int registry_status_error(const struct registry_client *cl, const char *what, long status, const char *body,
			  const char *retry_after, struct error *err);
/* An error message for a libcurl failure. */
int registry_curl_error(const struct registry_client *cl, CURLcode code, const char *detail, struct error *err);

/* Common settings of every handle: protocols, redirects, timeouts, the
 * auth header (headers is filled; caller frees with curl_slist_free_all). */
void registry_easy_setup(const struct registry_client *cl, CURL *h, const char *url, struct curl_slist **headers,
			 char *errbuf);

/* Header capture for the final response (after redirects). */
size_t registry_header_cb(char *data, size_t size, size_t n, void *resp);

#endif
