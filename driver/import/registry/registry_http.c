#define _GNU_SOURCE
#include "registry_http.h"

#include "../../../common/log.h"
#include "../../util/fsutil.h"
#include "../../util/json_read.h"
#include "../../util/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef OCHRE_VERSION
#define OCHRE_VERSION "0.0.0-dev"
#endif
#define TOKEN_MAX (1024 * 1024)

void registry_http_global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

int registry_client_init(struct registry_client *cl, const char *registry, const char *api_host, const char *repo,
			 bool insecure, const char *authfile, struct error *err)
{
	memset(cl, 0, sizeof *cl);
	cl->registry = registry;
	cl->api_host = api_host;
	cl->repo = repo;
	cl->insecure = insecure;
	cl->base = xasprintf("%s://%s", insecure ? "http" : "https", api_host);
	if (registry_creds_find(registry, repo ? repo : "", authfile, &cl->creds, err) < 0) {
		registry_client_free(cl);
		return -1;
	}
	return 0;
}

static void free_secret(char **s)
{
	if (*s)
		explicit_bzero(*s, strlen(*s));
	free(*s);
	*s = NULL;
}

void registry_client_free(struct registry_client *cl)
{
	free(cl->base);
	free(cl->hint_path);
	free_secret(&cl->auth_header);
	registry_creds_free(&cl->creds);
	memset(cl, 0, sizeof *cl);
}

void http_response_free(struct http_response *r)
{
	free(r->body);
	free(r->content_type);
	free(r->digest);
	free(r->www_authenticate);
	free(r->retry_after);
	free(r->location);
	memset(r, 0, sizeof *r);
}

/* ---- one handle's settings ------------------------------------------------ */

void registry_easy_setup(const struct registry_client *cl, CURL *h, const char *url, struct curl_slist **headers,
			 char *errbuf)
{
	const char *protocols = cl->insecure ? "http,https" : "https";
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "ochre/" OCHRE_VERSION);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, protocols);
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, protocols);
	/* Blobs are often served from object storage via a redirect. curl
	 * (>= 7.58) does not send our Authorization header to another host. */
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 8L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
	/* A stalled transfer (a dropped network) fails instead of hanging. */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	errbuf[0] = '\0';
	if (cl->auth_header)
		*headers = curl_slist_append(*headers, cl->auth_header);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, *headers);
}

static char *header_value(const char *line, size_t n, const char *name)
{
	size_t nl = strlen(name);
	if (n <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return NULL;
	const char *v = line + nl + 1, *end = line + n;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	return xstrndup(v, (size_t)(end - v));
}

size_t registry_header_cb(char *data, size_t size, size_t n, void *p)
{
	struct http_response *r = p;
	size_t len = size * n;
	char *v;
	/* A new status line (after a redirect or a 100): forget the last one's. */
	if (len > 5 && strncmp(data, "HTTP/", 5) == 0) {
		free(r->content_type);
		free(r->digest);
		free(r->www_authenticate);
		free(r->retry_after);
		free(r->location);
		r->content_type = r->digest = r->www_authenticate = r->retry_after = r->location = NULL;
	} else if ((v = header_value(data, len, "Content-Type"))) {
		v[strcspn(v, "; ")] = '\0';
		free(r->content_type);
		r->content_type = v;
	} else if ((v = header_value(data, len, "Docker-Content-Digest"))) {
		free(r->digest);
		r->digest = v;
	} else if ((v = header_value(data, len, "WWW-Authenticate"))) {
		free(r->www_authenticate);
		r->www_authenticate = v;
	} else if ((v = header_value(data, len, "Retry-After"))) {
		free(r->retry_after);
		r->retry_after = v;
	} else if ((v = header_value(data, len, "Location"))) {
		free(r->location);
		r->location = v;
	}
	return len;
}

static size_t body_cb(char *data, size_t size, size_t n, void *p)
{
	struct http_response *r = p;
	size_t len = size * n;
	if (r->len + len > REGISTRY_MANIFEST_MAX) {
		r->too_large = true;
		return 0;
	}
	r->body = xrealloc(r->body, xsize_add(xsize_add(r->len, len), 1));
	memcpy(r->body + r->len, data, len);
	r->len += len;
	r->body[r->len] = '\0';
	return len;
}

/* Failures that mean "no way to the registry now" (as opposed to a TLS
 * problem or an answer): a cached tag may still be used (registry_pull.c). */
static bool network_failure(CURLcode code)
{
	return code == CURLE_COULDNT_RESOLVE_HOST || code == CURLE_COULDNT_RESOLVE_PROXY ||
	       code == CURLE_COULDNT_CONNECT || code == CURLE_OPERATION_TIMEDOUT || code == CURLE_RECV_ERROR ||
	       code == CURLE_SEND_ERROR || code == CURLE_GOT_NOTHING;
}

/* A request body streamed from memory or a file range. */
struct body_reader {
	const struct http_body *b;
	unsigned long long done;
	bool failed;
};

static size_t body_read_cb(char *buf, size_t size, size_t n, void *p)
{
	struct body_reader *r = p;
	unsigned long long left = r->b->len - r->done;
	size_t want = size * n < left ? size * n : (size_t)left;
	if (want == 0)
		return 0;
	if (r->b->data) {
		memcpy(buf, r->b->data + r->done, want);
	} else {
		ssize_t got = pread(r->b->fd, buf, want, (off_t)(r->b->offset + r->done));
		if (got <= 0) {
			r->failed = true;
			return CURL_READFUNC_ABORT;
		}
		want = (size_t)got;
	}
	r->done += want;
	return want;
}

static void set_body(CURL *h, const char *method, struct body_reader *r, struct curl_slist **headers)
{
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, body_read_cb);
	curl_easy_setopt(h, CURLOPT_READDATA, r);
	curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)r->b->len);
	char *ct = xasprintf("Content-Type: %s", r->b->content_type ? r->b->content_type : "application/octet-stream");
	*headers = curl_slist_append(*headers, ct);
	*headers = curl_slist_append(*headers, "Expect:");
	free(ct);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, *headers);
}

/* One request, no handshake. */
static int perform_body(struct registry_client *cl, const char *method, const char *url, const char *accept,
			const struct http_body *body, const char *basic_user, const char *basic_pass,
			struct http_response *resp, struct error *err);

static int perform(struct registry_client *cl, const char *method, const char *url, const char *accept,
		   const char *basic_user, const char *basic_pass, struct http_response *resp, struct error *err)
{
	return perform_body(cl, method, url, accept, NULL, basic_user, basic_pass, resp, err);
}

static int perform_body(struct registry_client *cl, const char *method, const char *url, const char *accept,
			const struct http_body *body, const char *basic_user, const char *basic_pass,
			struct http_response *resp, struct error *err)
{
	memset(resp, 0, sizeof *resp);
	CURL *h = curl_easy_init();
	if (!h)
		return error_set(err, 0, "cannot start libcurl");
	char errbuf[CURL_ERROR_SIZE];
	struct curl_slist *headers = NULL;
	if (accept) {
		char *a = xasprintf("Accept: %s", accept);
		headers = curl_slist_append(headers, a);
		free(a);
	}
	struct registry_client plain = *cl;
	if (basic_user)
		plain.auth_header = NULL; /* the token request carries basic auth only */
	registry_easy_setup(&plain, h, url, &headers, errbuf);
	if (basic_user) {
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(h, CURLOPT_USERNAME, basic_user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, basic_pass);
	}
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	struct body_reader reader = { .b = body };
	if (body)
		set_body(h, method, &reader, &headers);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, registry_header_cb);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, resp);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, body_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
	log_debug("registry: %s %s", method, url);
	CURLcode code = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
	curl_easy_cleanup(h);
	curl_slist_free_all(headers);
	if (resp->too_large) {
		http_response_free(resp);
		return error_set(err, 0, "%s: the answer to %s is larger than %d bytes", cl->registry, url,
				 REGISTRY_MANIFEST_MAX);
	}
	if (reader.failed) {
		http_response_free(resp);
		return error_set(err, errno, "read what is to be uploaded");
	}
	if (code != CURLE_OK) {
		http_response_free(resp);
		cl->unreachable = network_failure(code);
		return registry_curl_error(cl, code, errbuf, err);
	}
	if (!resp->body)
		resp->body = xstrdup("");
	log_debug("registry: %s %s: HTTP %ld", method, url, resp->status);
	return 0;
}

/* ---- the auth handshake ------------------------------------------------- */

/* Parse `Scheme k="v", k2=v2` (RFC 7235); values may hold commas in quotes. */
char *registry_challenge_param(const char *ch, const char *name)
{
	const char *p = ch + strcspn(ch, " ");
	size_t nl = strlen(name);
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		const char *key = p;
		p += strcspn(p, "=, ");
		size_t kl = (size_t)(p - key);
		if (*p != '=')
			continue;
		p++;
		char *val;
		if (*p == '"') {
			const char *start = ++p;
			while (*p && *p != '"')
				p += (*p == '\\' && p[1]) ? 2 : 1;
			val = xstrndup(start, (size_t)(p - start));
			if (*p == '"')
				p++;
		} else {
			const char *start = p;
			p += strcspn(p, ", ");
			val = xstrndup(start, (size_t)(p - start));
		}
		if (kl == nl && strncasecmp(key, name, nl) == 0)
			return val;
		free(val);
	}
	return NULL;
}

static int fetch_token(struct registry_client *cl, const char *challenge, struct error *err)
{
	char *realm = registry_challenge_param(challenge, "realm");
	char *service = registry_challenge_param(challenge, "service");
	char *scope = registry_challenge_param(challenge, "scope");
	int ret = -1;
	if (!realm || !(strncmp(realm, "https://", 8) == 0 || (cl->insecure && strncmp(realm, "http://", 7) == 0))) {
		error_set(err, 0, "%s asks for a token from %s%s, which is not an https:// URL", cl->registry,
			  realm ? "" : "an unnamed place", realm ? realm : "");
		goto out;
	}
	/* A pull needs pull access to its repository, whatever an earlier
	 * challenge (a remembered one: registry_client_use_hint) named. */
	if (cl->repo) {
		free(scope);
		scope = xasprintf("repository:%s:%s", cl->repo, cl->push ? "pull,push" : "pull");
	}
	CURL *esc = curl_easy_init();
	char *es = service ? curl_easy_escape(esc, service, 0) : NULL;
	char *sc = scope ? curl_easy_escape(esc, scope, 0) : NULL;
	char *url = xasprintf("%s%s%s%s%s%s%s", realm, strchr(realm, '?') ? "&" : "?", es ? "service=" : "",
			      es ? es : "", es && sc ? "&" : "", sc ? "scope=" : "", sc ? sc : "");
	curl_free(es);
	curl_free(sc);
	curl_easy_cleanup(esc);
	struct http_response r;
	if (perform(cl, "GET", url, NULL, cl->creds.username, cl->creds.password, &r, err) < 0) {
		free(url);
		goto out;
	}
	free(url);
	if (r.status != 200) {
		registry_status_error(cl, "token", r.status, r.body, r.retry_after, err);
		http_response_free(&r);
		goto out;
	}
	json_object *o = json_tokener_parse(r.body);
	const char *token = json_str_field(o, "token");
	if (!token)
		token = json_str_field(o, "access_token");
	if (!token || !*token || strpbrk(token, "\r\n")) {
		error_set(err, 0, "%s: the token service at %s gave no usable token", cl->registry, realm);
	} else {
		free_secret(&cl->auth_header);
		cl->auth_header = xasprintf("Authorization: Bearer %s", token);
		ret = 0;
	}
	json_object_put(o);
	explicit_bzero(r.body, r.len);
	http_response_free(&r);
out:
	free(realm);
	free(service);
	free(scope);
	return ret;
}

int registry_authenticate(struct registry_client *cl, const char *challenge, struct error *err)
{
	if (strncasecmp(challenge, "Bearer ", 7) == 0) {
		cl->bearer = true;
		log_debug("registry %s: bearer token%s", cl->registry, cl->creds.username ? " (with credentials)" : "");
		return fetch_token(cl, challenge, err);
	}
	if (strncasecmp(challenge, "Basic", 5) == 0) {
		if (!cl->creds.username)
			return registry_status_error(cl, "login", 401, NULL, NULL, err);
		log_debug("registry %s: basic auth", cl->registry);
		char *plain = xasprintf("%s:%s", cl->creds.username, cl->creds.password);
		size_t n = strlen(plain);
		char *b64 = xmalloc((n + 2) / 3 * 4 + 1);
		/* base64 by hand: this file does not need libcrypto for it */
		static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
		size_t o = 0;
		for (size_t i = 0; i < n; i += 3) {
			unsigned v = (unsigned)(unsigned char)plain[i] << 16;
			if (i + 1 < n)
				v |= (unsigned)(unsigned char)plain[i + 1] << 8;
			if (i + 2 < n)
				v |= (unsigned char)plain[i + 2];
			b64[o++] = tbl[(v >> 18) & 63];
			b64[o++] = tbl[(v >> 12) & 63];
			b64[o++] = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
			b64[o++] = i + 2 < n ? tbl[v & 63] : '=';
		}
		b64[o] = '\0';
		free_secret(&cl->auth_header);
		cl->auth_header = xasprintf("Authorization: Basic %s", b64);
		free_secret(&b64);
		free_secret(&plain);
		return 0;
	}
	return error_set(err, 0, "%s asks for an unsupported kind of authentication", cl->registry);
}

void registry_client_use_hint(struct registry_client *cl, const char *path)
{
	free(cl->hint_path);
	cl->hint_path = xstrdup(path);
	char *text;
	struct error ignored;
	if (cl->auth_header || read_file(path, 4096, &text, NULL, &ignored) < 0)
		return;
	text[strcspn(text, "\n")] = '\0';
	/* A failure here is not one: the 401 path still works. */
	if (strncasecmp(text, "Bearer ", 7) == 0 || (strncasecmp(text, "Basic", 5) == 0 && cl->creds.username)) {
		log_debug("registry %s: authenticating first, as it asked last time", cl->registry);
		if (registry_authenticate(cl, text, &ignored) < 0) {
			free_secret(&cl->auth_header);
			log_debug("registry %s: not authenticated ahead (%s)", cl->registry, ignored.msg);
		}
	}
	free(text);
}

static void remember_challenge(const struct registry_client *cl, const char *challenge)
{
	if (!cl->hint_path)
		return;
	char *tmp = xasprintf("%s.%d", cl->hint_path, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	size_t len = strlen(challenge);
	if (fd >= 0 && write(fd, challenge, len) == (ssize_t)len && close(fd) == 0)
		rename(tmp, cl->hint_path);
	else if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
}

int registry_request(struct registry_client *cl, const char *method, const char *path, const char *accept,
		     struct http_response *resp, struct error *err)
{
	char *url = xasprintf("%s%s", cl->base, path);
	int ret = perform(cl, method, url, accept, NULL, NULL, resp, err);
	if (ret == 0 && resp->status == 401 && resp->www_authenticate) {
		char *challenge = xstrdup(resp->www_authenticate);
		http_response_free(resp);
		ret = registry_authenticate(cl, challenge, err);
		if (ret == 0)
			remember_challenge(cl, challenge);
		free(challenge);
		if (ret == 0)
			ret = perform(cl, method, url, accept, NULL, NULL, resp, err);
	}
	free(url);
	return ret;
}

int registry_send(struct registry_client *cl, const char *method, const char *path, const struct http_body *body,
		  struct http_response *resp, struct error *err)
{
	char *url;
	if (strncmp(path, "http://", 7) == 0 || strncmp(path, "https://", 8) == 0) {
		/* An upload URL from a Location header: never to another host
		 * (it would get our Authorization header). */
		size_t n = strlen(cl->base);
		if (strncmp(path, cl->base, n) != 0 || (path[n] != '/' && path[n] != '\0'))
			return error_set(err, 0, "%s sent an upload location on another host: %s", cl->registry, path);
		url = xstrdup(path);
	} else {
		url = xasprintf("%s%s", cl->base, path);
	}
	int ret = perform_body(cl, method, url, NULL, body, NULL, NULL, resp, err);
	if (ret == 0 && resp->status == 401 && resp->www_authenticate) {
		char *challenge = xstrdup(resp->www_authenticate);
		http_response_free(resp);
		ret = registry_authenticate(cl, challenge, err);
		free(challenge);
		if (ret == 0)
			ret = perform_body(cl, method, url, NULL, body, NULL, NULL, resp, err);
	}
	free(url);
	return ret;
}

/* ---- messages ----------------------------------------------------------- */

/* The first error code of a distribution API error body, if any. */
static const char *api_error_code(const char *body, char *out, size_t len)
{
	json_object *o = body ? json_tokener_parse(body) : NULL;
	json_object *errors = json_array_field(o, "errors");
	const char *code = errors && json_object_array_length(errors) > 0
				   ? json_str_field(json_object_array_get_idx(errors, 0), "code")
				   : NULL;
	snprintf(out, len, "%s", code ? code : "");
	json_object_put(o);
	return out;
}

int registry_status_error(const struct registry_client *cl, const char *what, long status, const char *body,
			  const char *retry_after, struct error *err)
{
	char code[64];
	api_error_code(body, code, sizeof code);
	const char *repo = cl->repo ? cl->repo : "";
	switch (status) {
	case 401:
		if (cl->creds.username)
			return error_set(err, 0, "%s: unauthorized: wrong username or password for %s (from %s)",
					 cl->registry, cl->registry, cl->creds.source);
		return error_set(err, 0,
				 "%s: unauthorized: %s%s%s needs a login (ochre registry login %s), or "
				 "does not exist",
				 cl->registry, cl->registry, *repo ? "/" : "", repo, cl->registry);
	case 403:
		return error_set(err, 0, "%s: access to %s denied%s", cl->registry, *repo ? repo : "the registry",
				 cl->creds.username ? " for this user" : " (try 'ochre registry login')");
	case 404:
		if (strcmp(code, "NAME_UNKNOWN") == 0)
			return error_set(err, 0, "%s: no repository '%s'", cl->registry, repo);
		if (strcmp(code, "MANIFEST_UNKNOWN") == 0)
			return error_set(err, 0, "%s/%s: no %s", cl->registry, repo, what);
		if (strncmp(what, "manifest ", 9) == 0)
			return error_set(err, 0, "%s/%s: no %s (unknown tag or repository)", cl->registry, repo, what);
		return error_set(err, 0, "%s: %s not found (HTTP 404)", cl->registry, what);
	case 429:
		return error_set(err, 0, "%s: rate limited (HTTP 429 Too Many Requests)%s%s%s", cl->registry,
				 retry_after ? "; retry after " : "; try again later", retry_after ? retry_after : "",
				 retry_after && strspn(retry_after, "0123456789") == strlen(retry_after) ? " seconds"
													 : "");
	default:
		if (status >= 500)
			return error_set(err, 0, "%s: server error (HTTP %ld) for %s; try again later", cl->registry,
					 status, what);
		return error_set(err, 0, "%s: unexpected answer HTTP %ld for %s%s%s", cl->registry, status, what,
				 *code ? ": " : "", code);
	}
}

int registry_curl_error(const struct registry_client *cl, CURLcode code, const char *detail, struct error *err)
{
	const char *d = detail && *detail ? detail : curl_easy_strerror(code);
	switch ((int)code) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return error_set(err, 0, "%s: cannot resolve the host name (network down, or no such registry?): %s",
				 cl->registry, d);
	case CURLE_COULDNT_CONNECT:
		return error_set(err, 0, "%s: cannot connect (network down, or registry not running?): %s",
				 cl->registry, d);
	case CURLE_OPERATION_TIMEDOUT:
		return error_set(err, 0, "%s: timed out (network down?): %s", cl->registry, d);
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
		return error_set(err, 0, "%s: TLS certificate not trusted: %s", cl->registry, d);
	case CURLE_SSL_CONNECT_ERROR:
		return error_set(err, 0, "%s: TLS handshake failed (for a plain-HTTP registry, use --no-https): %s",
				 cl->registry, d);
	case CURLE_UNSUPPORTED_PROTOCOL:
		return error_set(err, 0, "%s: refused to follow a redirect to a plain-HTTP or unknown URL: %s",
				 cl->registry, d);
	case CURLE_TOO_MANY_REDIRECTS:
		return error_set(err, 0, "%s: too many redirects", cl->registry);
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
		return error_set(err, 0, "%s: the connection broke off: %s", cl->registry, d);
	default:
		return error_set(err, 0, "%s: %s", cl->registry, d);
	}
}
