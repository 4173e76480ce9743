/* libFuzzer target for the administrator's config parser (common/config.c).
 *
 * The input is an ochre.conf file as is. Only the public API of
 * common/config.h is used, so a new directive is fuzzed without changes
 * here; add it to config.dict, give it a seed in corpus/config/, and add a
 * check of its field to check_valid() below.
 *
 * Checks, beyond "no crash, no leak, no sanitizer report":
 *  - config_parse: a refusal leaves "config 'NAME' line N: ..." in err; an
 *    accepted file gives a config whose every field has the form config.h
 *    documents (clean absolute paths, known runtimes listed once, list items
 *    of their directive's form, ...), and config_free() releases everything,
 *    after a refusal too (LeakSanitizer);
 *  - config_parse_size, on the whole input as a string: agrees with an
 *    independent reference implementation (no silent overflow). */
#include "../../common/config.h"
#include "../../common/path.h"
#include "fuzz_util.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                             \
	do {                                                                                                    \
		if (!(cond)) {                                                                                  \
			fprintf(stderr, "fuzz_config: check failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                                                \
		}                                                                                               \
	} while (0)

#define NAME "fuzz.conf"

/* config_parse_size as documented: decimal digits, then at most one of
 * K, M, G, T (either case, powers of 1024); nonzero; no overflow. */
static int ref_parse_size(const char *s, unsigned long long *out)
{
	unsigned long long v = 0;
	const char *p = s;
	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (~0ULL - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	unsigned shift = 0;
	switch (*p) {
	case 'k':
	case 'K':
		shift = 10;
		p++;
		break;
	case 'm':
	case 'M':
		shift = 20;
		p++;
		break;
	case 'g':
	case 'G':
		shift = 30;
		p++;
		break;
	case 't':
	case 'T':
		shift = 40;
		p++;
		break;
	default:
		break;
	}
	if (*p != '\0' || v == 0 || v > (~0ULL >> shift))
		return -1;
	*out = v << shift;
	return 0;
}

static void fuzz_size(const char *s)
{
	unsigned long long got = 0xdeadbeefULL, want = 0;
	int ret = config_parse_size(s, &got);
	int ref = ref_parse_size(s, &want);
	if (ret != ref || (ret == 0 && got != want)) {
		fprintf(stderr, "fuzz_config: config_parse_size('%s') = %d, %llu; expected %d, %llu\n", s, ret, got,
			ref, want);
		abort();
	}
	if (ret < 0)
		CHECK(got == 0xdeadbeefULL); /* a refusal leaves *out alone */
}

static void check_path(const char *p)
{
	CHECK(p == NULL || path_is_clean_absolute(p));
}

#ifdef CONFIG_MAX_LIST
/* A list item is one trimmed, non-empty, comma-free token that its
 * directive's documented form accepts (config.h). */
enum list_form { FORM_BIND, FORM_PATH, FORM_OWNER, FORM_SECURITY };

static void check_list(const struct config_list *l, enum list_form form)
{
	CHECK(l->n <= CONFIG_MAX_LIST);
	for (size_t i = 0; i < l->n; i++) {
		const char *v = l->v[i];
		CHECK(v != NULL && v[0] != '\0' && !strchr(v, ','));
		CHECK(!isspace((unsigned char)v[0]) && !isspace((unsigned char)v[strlen(v) - 1]));
		switch (form) {
		case FORM_BIND: { /* SRC[:DST], both clean absolute paths */
			const char *colon = strchr(v, ':');
			char *src = strndup(v, colon ? (size_t)(colon - v) : strlen(v));
			CHECK(src);
			if (!path_is_clean_absolute(src) || (colon && !path_is_clean_absolute(colon + 1))) {
				fprintf(stderr,
					"fuzz_config: accepted bind path item is not SRC[:DST] with clean "
					"absolute paths (%zu bytes): '%.200s%s'\n",
					strlen(v), v, strlen(v) > 200 ? "..." : "");
				abort();
			}
			free(src);
			break;
		}
		case FORM_PATH:
			CHECK(path_is_clean_absolute(v));
			break;
		case FORM_OWNER: /* a user name or uid */
			CHECK(v[0] != '-' && !strpbrk(v, " \t\r\n\v\f:/#="));
			break;
		case FORM_SECURITY:
			CHECK((strncmp(v, "selinux:", 8) == 0 && v[8]) || (strncmp(v, "apparmor:", 9) == 0 && v[9]));
			break;
		default:
			abort();
		}
	}
}
#endif

static void check_valid(const struct ochre_config *cfg)
{
	CHECK(cfg->n_runtimes >= 1 && cfg->n_runtimes <= CONFIG_MAX_RUNTIMES);
	for (size_t i = 0; i < cfg->n_runtimes; i++) {
		CHECK((int)cfg->runtimes[i] >= 0 && cfg->runtimes[i] < RUNTIME_KIND_COUNT);
		CHECK(runtime_kind_name(cfg->runtimes[i]) != NULL);
		CHECK(runtime_kind_from_name(runtime_kind_name(cfg->runtimes[i])) == (int)cfg->runtimes[i]);
		for (size_t j = 0; j < i; j++)
			CHECK(cfg->runtimes[i] != cfg->runtimes[j]);
	}
	for (int k = 0; k < RUNTIME_KIND_COUNT; k++)
		check_path(cfg->runtime_path[k]);
	CHECK(cfg->tmpfs_size != 0);
	check_path(cfg->session_dir);
	check_path(cfg->cache_dir);
	check_path(cfg->conmon_path);
#ifdef CONFIG_MAX_LIST
	/* The directives added with list support; drop or update these checks
	 * along with config.h. */
	check_path(cfg->fuse_overlayfs_path);
	check_path(cfg->fusermount_path);
	CHECK(cfg->overlay == OVERLAY_AUTO || cfg->overlay == OVERLAY_KERNEL || cfg->overlay == OVERLAY_FUSE);
	CHECK(cfg->allow_setuid == 0 || cfg->allow_setuid == 1);
	CHECK(cfg->allow_user_overlay == 0 || cfg->allow_user_overlay == 1);
	CHECK(cfg->user_bind_control == 0 || cfg->user_bind_control == 1);
	check_list(&cfg->bind_paths, FORM_BIND);
	check_list(&cfg->limit_paths, FORM_PATH);
	check_list(&cfg->limit_owners, FORM_OWNER);
	check_list(&cfg->security, FORM_SECURITY);
#endif
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Exactly len bytes plus the NUL config_parse requires: ASan reports
	 * any read past it. */
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	if (size)
		memcpy(text, data, size);
	text[size] = '\0';

	fuzz_note_longest_line(text, size);

	/* The whole input (up to a NUL) as a size string, before config_parse
	 * rewrites it. */
	fuzz_size(text);

	struct ochre_config cfg;
	char err[512];
	memset(err, 'x', sizeof err);
	config_init(&cfg);
	if (config_parse(NAME, text, size, &cfg, err, sizeof err) < 0) {
		CHECK(memchr(err, '\0', sizeof err) != NULL);
		if (strncmp(err, "config '" NAME "' line ", strlen("config '" NAME "' line ")) != 0) {
			fprintf(stderr, "fuzz_config: refusal without the file and line: '%s'\n", err);
			abort();
		}
	} else {
		check_valid(&cfg);
	}
	config_free(&cfg);
	free(text);
	return 0;
}
