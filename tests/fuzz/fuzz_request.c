/* libFuzzer target for the driver -> starter request parser (common/request.c).
 *
 * The input is the request exactly as the setuid starter would read it on
 * fd 3, so a crashing input can be replayed against the starter as is.
 *
 * Checks, beyond "no crash, no leak, no sanitizer report":
 *  - a refusal leaves a non-empty, NUL-terminated reason in err;
 *  - an accepted request keeps the documented limits and mode rules;
 *  - round trip: request_format() of an accepted request succeeds and
 *    request_parse() of that text gives an equal request, whose format is
 *    byte for byte the same (the format is canonical).
 * A broken check calls abort(), which libFuzzer reports as a crash.
 *
 * When struct starter_request gains a field, add it to check_equal() and
 * its rules to check_valid(); the byte-for-byte comparison of the two
 * formats already covers whatever request_format() writes. */
#include "../../common/log.h"
#include "../../common/path.h"
#include "../../common/request.h"
#include "fuzz_util.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                              \
	do {                                                                                                     \
		if (!(cond)) {                                                                                   \
			fprintf(stderr, "fuzz_request: check failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                                                 \
		}                                                                                                \
	} while (0)

/* The longest line request_format() adds that the input need not have:
 * parsing fills in the default log level, formatting writes it out. */
#define FORMAT_GROWTH (sizeof "log-level warning\n" - 1)

static bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool range_eq(const struct id_range *a, const struct id_range *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i].inside != b[i].inside || a[i].outside != b[i].outside || a[i].count != b[i].count)
			return false;
	return true;
}

static void check_equal(const struct starter_request *a, const struct starter_request *b)
{
	CHECK(a->mode == b->mode);
	CHECK(a->log_level == b->log_level);
	CHECK(str_eq(a->session, b->session));
	CHECK(a->n_lowers == b->n_lowers);
	for (size_t i = 0; i < a->n_lowers; i++)
		CHECK(str_eq(a->lowers[i], b->lowers[i]));
	CHECK(a->tmpfs_size == b->tmpfs_size);
	CHECK(str_eq(a->upper, b->upper));
	CHECK(a->overlay == b->overlay);
	CHECK(str_eq(a->fuse_overlayfs, b->fuse_overlayfs));
	CHECK(a->force_userns == b->force_userns);
	CHECK(a->caller_ids_self == b->caller_ids_self);
	CHECK(a->n_uid_ranges == b->n_uid_ranges);
	CHECK(range_eq(a->uid_ranges, b->uid_ranges, a->n_uid_ranges));
	CHECK(a->n_gid_ranges == b->n_gid_ranges);
	CHECK(range_eq(a->gid_ranges, b->gid_ranges, a->n_gid_ranges));
	CHECK(str_eq(a->newuidmap, b->newuidmap));
	CHECK(str_eq(a->newgidmap, b->newgidmap));
	CHECK(a->lifeline_fd == b->lifeline_fd);
	CHECK(a->sync_fd == b->sync_fd);
	CHECK(str_eq(a->payload, b->payload));
	CHECK(a->n_args == b->n_args);
	for (size_t i = 0; i <= a->n_args; i++)
		CHECK(str_eq(a->args[i], b->args[i]));
}

/* Inside id 0 only with caller-ids self, which then must have one. */
static void check_ranges(const struct id_range *r, size_t n, bool caller_ids_self)
{
	CHECK(n <= REQUEST_MAX_ID_RANGES);
	CHECK(caller_ids_self == (request_root_range(r, n) != NULL));
	for (size_t i = 0; i < n; i++) {
		CHECK(r[i].count >= 1);
		CHECK((unsigned long long)r[i].inside + r[i].count <= 0xffffffffULL);
		CHECK((unsigned long long)r[i].outside + r[i].count <= 0xffffffffULL);
	}
}

/* What request.h promises about an accepted request. */
static void check_valid(const struct starter_request *req)
{
	CHECK(req->mode == REQUEST_MODE_RUN || req->mode == REQUEST_MODE_ENTER);
	CHECK(req->log_level >= LOG_LEVEL_ERROR && req->log_level <= LOG_LEVEL_DEBUG);
	CHECK(req->payload && path_is_clean_absolute(req->payload));
	CHECK(req->n_args >= 1 && req->n_args <= REQUEST_MAX_ARGS);
	CHECK(req->args[req->n_args] == NULL);
	for (size_t i = 0; i < req->n_args; i++)
		CHECK(req->args[i] != NULL);
	CHECK(req->n_lowers <= REQUEST_MAX_LOWERS);
	for (size_t i = 0; i < req->n_lowers; i++)
		CHECK(req->lowers[i] && path_is_clean_absolute(req->lowers[i]));
	check_ranges(req->uid_ranges, req->n_uid_ranges, req->caller_ids_self);
	check_ranges(req->gid_ranges, req->n_gid_ranges, req->caller_ids_self);
	CHECK(!req->n_uid_ranges || req->newuidmap);
	CHECK(!req->n_gid_ranges || req->newgidmap);
	CHECK(!req->newuidmap || path_is_clean_absolute(req->newuidmap));
	CHECK(!req->newgidmap || path_is_clean_absolute(req->newgidmap));
	CHECK(req->lifeline_fd == -1 || req->lifeline_fd == REQUEST_LIFELINE_FD);
	CHECK(req->sync_fd == -1 || (req->sync_fd >= REQUEST_SYNC_FD_MIN && req->sync_fd <= REQUEST_SYNC_FD_MAX));
	CHECK(req->tmpfs_size <= REQUEST_MAX_TMPFS_SIZE);
	CHECK(!req->upper || path_is_clean_absolute(req->upper));
	CHECK(req->overlay == REQUEST_OVERLAY_AUTO || req->overlay == REQUEST_OVERLAY_KERNEL ||
	      req->overlay == REQUEST_OVERLAY_FUSE);
	CHECK(!req->fuse_overlayfs || path_is_clean_absolute(req->fuse_overlayfs));
	CHECK(req->overlay != REQUEST_OVERLAY_FUSE || req->fuse_overlayfs);
	if (req->mode == REQUEST_MODE_RUN) {
		CHECK(req->session && path_is_clean_absolute(req->session));
		CHECK(req->n_lowers >= 1);
		CHECK(req->tmpfs_size >= 1);
		CHECK(req->sync_fd == -1);
	} else {
		CHECK(!req->session && req->n_lowers == 0 && req->tmpfs_size == 0 && !req->upper);
		CHECK(req->overlay == REQUEST_OVERLAY_AUTO && !req->fuse_overlayfs);
		CHECK(req->n_uid_ranges == 0 && req->n_gid_ranges == 0);
		CHECK(!req->newuidmap && !req->newgidmap && req->lifeline_fd == -1);
	}
}

static void check_refusal(const char *err, size_t errlen)
{
	CHECK(memchr(err, '\0', errlen) != NULL);
	CHECK(err[0] != '\0');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Exactly len bytes plus the NUL the parser may rely on: ASan reports
	 * any read past it. */
	char *buf = malloc(size + 1);
	if (!buf)
		return 0;
	if (size)
		memcpy(buf, data, size);
	buf[size] = '\0';

	fuzz_note_longest_line(buf, size);

	struct starter_request req;
	char err[512];
	memset(err, 'x', sizeof err);
	if (request_parse(buf, size, &req, err, sizeof err) < 0) {
		check_refusal(err, sizeof err);
		free(buf);
		return 0;
	}
	check_valid(&req);

	/* Format into a roomy buffer: the check is that formatting a parsed
	 * request cannot fail, not the caller's buffer size. */
	size_t cap = 2 * REQUEST_MAX_BYTES;
	char *out = malloc(cap);
	char *out2 = malloc(cap);
	CHECK(out && out2);
	long n = request_format(&req, out, cap, err, sizeof err);
	if (n < 0)
		fprintf(stderr, "fuzz_request: request_format refused a parsed request: %s\n", err);
	CHECK(n > 0 && (size_t)n < cap);
	CHECK(out[n] == '\0');

	if ((size_t)n > REQUEST_MAX_BYTES) {
		/* Only the default log level written out may push a request that
		 * was at the size limit over it; anything more is a bug. */
		CHECK((size_t)n <= size + FORMAT_GROWTH);
	} else {
		char *copy = malloc((size_t)n + 1);
		CHECK(copy);
		memcpy(copy, out, (size_t)n + 1);
		struct starter_request again;
		int ret = request_parse(copy, (size_t)n, &again, err, sizeof err);
		if (ret < 0)
			fprintf(stderr, "fuzz_request: re-parse of the formatted request failed: %s\n", err);
		CHECK(ret == 0);
		check_equal(&req, &again);
		long n2 = request_format(&again, out2, cap, err, sizeof err);
		CHECK(n2 == n && memcmp(out, out2, (size_t)n) == 0);
		free(copy);
	}
	free(out2);
	free(out);
	free(buf);
	return 0;
}
