#define _GNU_SOURCE
#include "http_fetch.h"

#include "../../../common/log.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

bool http_fetch_is_url(const char *image)
{
	return strncmp(image, "http://", 7) == 0 || strncmp(image, "https://", 8) == 0;
}

struct fetch {
	int fd;
	unsigned long long got;
	bool write_failed, shown;
};

static size_t write_cb(char *data, size_t size, size_t n, void *p)
{
	struct fetch *f = p;
	size_t len = size * n, done = 0;
	while (done < len) {
		ssize_t w = write(f->fd, data + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			f->write_failed = true;
			return 0;
		}
		done += (size_t)w;
	}
	f->got += len;
	return len;
}

static int progress_cb(void *p, curl_off_t total, curl_off_t now, curl_off_t up_total, curl_off_t up_now)
{
	(void)up_total;
	(void)up_now;
	struct fetch *f = p;
	if (now > 0) {
		f->shown = true;
		if (total > 0)
			fprintf(stderr, "\r\033[KDownloading: %.1f/%.1f MiB", (double)now / 1048576.0,
				(double)total / 1048576.0);
		else
			fprintf(stderr, "\r\033[KDownloading: %.1f MiB", (double)now / 1048576.0);
	}
	return 0;
}

static int download(const char *url, int fd, struct error *err)
{
	bool https = strncmp(url, "https://", 8) == 0;
	struct fetch f = { .fd = fd };
	char errbuf[CURL_ERROR_SIZE] = "";
	CURL *h = curl_easy_init();
	if (!h)
		return error_set(err, 0, "cannot start libcurl");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "ochre/" OCHRE_VERSION);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, https ? "https" : "http,https");
	/* An HTTPS download never continues over plain HTTP. */
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, https ? "https" : "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 8L);
	curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &f);
	bool show = isatty(2) && log_enabled(LOG_LEVEL_WARN) && !log_enabled(LOG_LEVEL_DEBUG);
	if (show) {
		curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, progress_cb);
		curl_easy_setopt(h, CURLOPT_XFERINFODATA, &f);
	}
	log_debug("GET %s", url);
	CURLcode rc = curl_easy_perform(h);
	long status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(h);
	if (f.shown)
		fputs(rc == CURLE_OK ? " done\n" : "\n", stderr);
	log_debug("GET %s: status %ld, %llu bytes", url, status, f.got);
	if (f.write_failed)
		return error_set(err, errno, "write the downloaded file");
	if (rc == CURLE_HTTP_RETURNED_ERROR)
		return error_set(err, 0, "%s: the server answered %ld", url, status);
	if (rc != CURLE_OK)
		return error_set(err, 0, "%s: %s", url, *errbuf ? errbuf : curl_easy_strerror(rc));
	return fsync(fd) < 0 ? error_set(err, errno, "write the downloaded file") : 0;
}

int http_fetch_sif(const char *url, const struct sif_pull_options *o, struct error *err)
{
	if (sif_pull_prepare(o, err) < 0)
		return -1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	struct sif_out out = { .fd = -1 };
	int ret = -1;
	if (sif_out_open(o, &out, err) == 0 && download(url, out.fd, err) == 0 &&
	    sif_out_check_sif(&out, url, err) == 0 && sif_out_publish(&out, o, err) == 0)
		ret = 0;
	sif_out_close(&out);
	return ret;
}
