#define _GNU_SOURCE
#include "registry_blobs.h"

#include "../../../common/log.h"
#include "../../util/fsutil.h"
#include "../../util/xalloc.h"
#include "../unpack/digest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_PARALLEL 4
#define ERROR_BODY_MAX 4096

enum xfer_state { XFER_WAITING, XFER_RUNNING, XFER_DONE, XFER_HAVE };

struct xfer {
	const struct blob_want *want;
	enum xfer_state state;
	CURL *h;
	struct curl_slist *headers;
	struct http_response resp; /* headers; body only for an error answer */
	char errbuf[CURL_ERROR_SIZE];
	char *tmp;
	int fd;
	struct digest_ctx *dctx;
	long long got;
	bool too_large, write_failed, retried_auth;
};

char *registry_blob_path(const struct cache *c, const char *digest)
{
	return xasprintf("%s/blobs/%.6s/%s", c->root, digest, digest + 7);
}

/* ---- progress: one line per blob, redrawn in place --------------------- */

struct blob_progress {
	bool enabled;
	size_t lines; /* drawn so far (to move back up over) */
	long long last_ms;
};

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void progress_draw(struct blob_progress *p, const char *label, struct xfer *x, size_t n, bool force)
{
	if (!p->enabled || (!force && now_ms() - p->last_ms < 100))
		return;
	double mib = 1024.0 * 1024.0;
	if (p->lines)
		fprintf(stderr, "\033[%zuA", p->lines);
	else
		fprintf(stderr, "Pulling %s\n", label);
	for (size_t i = 0; i < n; i++) {
		const char *state = x[i].state == XFER_HAVE      ? "already here"
				    : x[i].state == XFER_WAITING ? "waiting"
				    : x[i].state == XFER_DONE    ? "done"
								 : "";
		fprintf(stderr, "\r\033[K  %-10s %.19s  ", x[i].want->what, x[i].want->digest);
		if (*state)
			fprintf(stderr, "%s\n", state);
		else
			fprintf(stderr, "%.1f/%.1f MiB\n", (double)x[i].got / mib, (double)x[i].want->size / mib);
	}
	fflush(stderr);
	p->lines = n;
	p->last_ms = now_ms();
}

/* ---- one transfer ------------------------------------------------------- */

static size_t xfer_write(char *data, size_t size, size_t n, void *p)
{
	struct xfer *x = p;
	size_t len = size * n;
	long status = 0;
	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) { /* keep a little of an error answer for its message */
		size_t room = x->resp.len < ERROR_BODY_MAX ? ERROR_BODY_MAX - x->resp.len : 0;
		size_t take = len < room ? len : room;
		x->resp.body = xrealloc(x->resp.body, x->resp.len + take + 1);
		memcpy(x->resp.body + x->resp.len, data, take);
		x->resp.len += take;
		x->resp.body[x->resp.len] = '\0';
		return len;
	}
	if (x->got + (long long)len > x->want->size) {
		x->too_large = true;
		return 0;
	}
	for (size_t off = 0; off < len;) {
		ssize_t w = write(x->fd, data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			x->write_failed = true;
			return 0;
		}
		off += (size_t)w;
	}
	digest_update(x->dctx, data, len);
	x->got += (long long)len;
	return len;
}

static void xfer_cleanup(struct xfer *x, bool remove_tmp)
{
	if (x->h)
		curl_easy_cleanup(x->h);
	x->h = NULL;
	curl_slist_free_all(x->headers);
	x->headers = NULL;
	if (x->fd >= 0)
		close(x->fd);
	x->fd = -1;
	if (x->dctx)
		digest_abort(x->dctx);
	x->dctx = NULL;
	if (x->tmp && remove_tmp)
		unlink(x->tmp);
	free(x->tmp);
	x->tmp = NULL;
	http_response_free(&x->resp);
}

static int xfer_start(const struct cache *c, struct registry_client *cl, CURLM *multi, struct xfer *x,
		      struct error *err)
{
	x->tmp = xasprintf("%s/blob.XXXXXX", c->tmp);
	x->fd = mkostemp(x->tmp, O_CLOEXEC);
	if (x->fd < 0)
		return error_set(err, errno, "create a download file in %s", c->tmp);
	x->dctx = digest_begin(x->want->digest, err);
	if (!x->dctx)
		return -1;
	x->h = curl_easy_init();
	if (!x->h)
		return error_set(err, 0, "cannot start libcurl");
	char *url = xasprintf("%s/v2/%s/blobs/%s", cl->base, cl->repo, x->want->digest);
	registry_easy_setup(cl, x->h, url, &x->headers, x->errbuf);
	curl_easy_setopt(x->h, CURLOPT_HEADERFUNCTION, registry_header_cb);
	curl_easy_setopt(x->h, CURLOPT_HEADERDATA, &x->resp);
	curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, xfer_write);
	curl_easy_setopt(x->h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->h, CURLOPT_PRIVATE, x);
	log_debug("registry: GET %s (%s, %lld bytes)", url, x->want->what, x->want->size);
	free(url);
	x->got = 0;
	x->state = XFER_RUNNING;
	if (curl_multi_add_handle(multi, x->h) != CURLM_OK)
		return error_set(err, 0, "cannot start a download");
	return 0;
}

/* A finished transfer: 1 done, 0 restart it (new token), -1 error. */
static int xfer_finish(const struct cache *c, struct registry_client *cl, CURLM *multi, struct xfer *x, CURLcode code,
		       const char *label, struct error *err)
{
	long status = 0;
	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
	curl_multi_remove_handle(multi, x->h);
	const struct blob_want *w = x->want;
	int ret = -1;
	if (x->too_large) {
		error_set(err, 0, "%s: %s %s is larger than the %lld bytes its manifest says", label, w->what,
			  w->digest, w->size);
	} else if (x->write_failed) {
		error_set(err, errno, "%s: write %s", label, x->tmp);
	} else if (code != CURLE_OK) {
		registry_curl_error(cl, code, x->errbuf, err);
	} else if (status == 401 && x->resp.www_authenticate && !x->retried_auth) {
		/* The token expired during a long pull: get another, go again. */
		char *challenge = xstrdup(x->resp.www_authenticate);
		x->retried_auth = true;
		ret = registry_authenticate(cl, challenge, err) < 0 ? -1 : 0;
		free(challenge);
	} else if (status != 200) {
		char what[128];
		snprintf(what, sizeof what, "blob %s", w->digest);
		registry_status_error(cl, what, status, x->resp.body, x->resp.retry_after, err);
	} else if (x->got != w->size) {
		error_set(err, 0, "%s: %s %s: got %lld bytes, its manifest says %lld", label, w->what, w->digest,
			  x->got, w->size);
	} else {
		char actual[DIGEST_MAX_STRING];
		bool ok = digest_end_matches(x->dctx, w->digest, actual, sizeof actual);
		x->dctx = NULL;
		if (!ok) {
			error_set(err, 0, "%s: %s %s is corrupt: its content hashes to %s", label, w->what, w->digest,
				  actual);
		} else if (fdatasync(x->fd) < 0) {
			error_set(err, errno, "write %s", x->tmp);
		} else {
			char *final = registry_blob_path(c, w->digest);
			if (rename(x->tmp, final) < 0) {
				error_set(err, errno, "rename %s to %s", x->tmp, final);
			} else {
				ret = 1;
				log_debug("registry: %s %s verified and stored", w->what, w->digest);
			}
			free(final);
		}
	}
	xfer_cleanup(x, true);
	if (ret == 1)
		x->state = XFER_DONE;
	else if (ret == 0)
		x->state = XFER_WAITING;
	return ret;
}

int registry_fetch_blobs(const struct cache *c, struct registry_client *cl, const char *label,
			 const struct blob_want *want, size_t n, struct error *err)
{
	char *dir = xasprintf("%s/blobs/sha256", c->root);
	char *dir512 = xasprintf("%s/blobs/sha512", c->root);
	int ret = make_private_dirs(dir, err) < 0 || make_private_dirs(dir512, err) < 0 ? -1 : 0;
	free(dir);
	free(dir512);
	if (ret < 0)
		return -1;

	struct xfer *x = xcalloc(n ? n : 1, sizeof *x);
	size_t todo = 0;
	for (size_t i = 0; i < n; i++) {
		x[i].want = &want[i];
		x[i].fd = -1;
		char *path = registry_blob_path(c, want[i].digest);
		struct stat st;
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == want[i].size) {
			x[i].state = XFER_HAVE;
			x[i].got = want[i].size;
		} else {
			todo++;
		}
		free(path);
	}
	struct blob_progress prog = { .enabled = todo > 0 && isatty(2) && log_enabled(LOG_LEVEL_WARN) &&
						 !log_enabled(LOG_LEVEL_DEBUG) };
	CURLM *multi = curl_multi_init();
	size_t running = 0, done = 0;
	ret = 0;
	while (ret == 0 && done < todo) {
		for (size_t i = 0; i < n && running < MAX_PARALLEL && ret == 0; i++)
			if (x[i].state == XFER_WAITING) {
				ret = xfer_start(c, cl, multi, &x[i], err);
				running++;
			}
		if (ret < 0)
			break;
		int still;
		CURLMcode mc = curl_multi_perform(multi, &still);
		if (mc == CURLM_OK)
			mc = curl_multi_poll(multi, NULL, 0, 200, NULL);
		if (mc != CURLM_OK) {
			ret = error_set(err, 0, "%s: %s", label, curl_multi_strerror(mc));
			break;
		}
		CURLMsg *m;
		int left;
		while (ret == 0 && (m = curl_multi_info_read(multi, &left))) {
			if (m->msg != CURLMSG_DONE)
				continue;
			struct xfer *t;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&t);
			running--;
			int r = xfer_finish(c, cl, multi, t, m->data.result, label, err);
			if (r < 0)
				ret = -1;
			else if (r == 1)
				done++;
		}
		progress_draw(&prog, label, x, n, false);
	}
	if (ret == 0)
		progress_draw(&prog, label, x, n, true);
	for (size_t i = 0; i < n; i++) {
		if (x[i].h)
			curl_multi_remove_handle(multi, x[i].h);
		xfer_cleanup(&x[i], true);
	}
	curl_multi_cleanup(multi);
	free(x);
	return ret;
}
