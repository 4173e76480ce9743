#define _GNU_SOURCE
#include "cmd_pull.h"

#include "../../common/log.h"
#include "../image/cache.h"
#include "../image/image_ref.h"
#include "../image/registry_ref.h"
#include "../launch/image.h"
#include "../util/helper.h"
#include "../util/xalloc.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char pull_usage[] =
	"Usage: ochre pull [--name FILE | --dir DIR] [--force] [--keep-layers] [OPTIONS] IMAGE\n"
	"       ochre pull --cache-only [OPTIONS] IMAGE\n"
	"\n"
	"Write IMAGE as one file, an OCI-SIF (as SingularityCE's OCI mode writes them):\n"
	"its layers verified, converted to squashfs and squashed into one, with the\n"
	"image's config. Run the file with 'ochre exec|run|shell FILE', from any node\n"
	"of a shared filesystem. The file appears only once complete and checked; the\n"
	"same image gives the same bytes, and pulling it again over its file leaves\n"
	"the file as it is. IMAGE: docker://[REGISTRY/]REPO[:TAG|@DIGEST],\n"
	"oci:DIR[:TAG], oci-archive:FILE[:TAG] or docker-archive:FILE[:REF]; or\n"
	"http(s)://HOST/PATH/FILE.sif, a SIF file downloaded as it is (TLS checked);\n"
	"or oras://REGISTRY/REPO:TAG|@DIGEST, a SIF file stored in a registry as an\n"
	"ORAS artifact (as 'singularity push' stores one), checked against its digest.\n"
	"\n"
	"The file's name, unless given, is SingularityCE's: NAME_TAG.sif in the\n"
	"current directory (docker://alpine:3.19 -> alpine_3.19.sif); a URL's is its\n"
	"last path component.\n"
	"\n"
	"docker:// follows Docker's naming: 'alpine' is docker.io/library/alpine:latest\n"
	"(Docker Hub); a first component with '.' or ':', or 'localhost', is a registry\n"
	"(e.g. docker://ghcr.io/org/tool:1.2, docker://localhost:5000/img@sha256:...).\n"
	"Downloaded layers are kept in your cache, so layers that images share\n"
	"download once.\n"
	"\n"
	"Credentials, first found wins: $OCHRE_DOCKER_USERNAME and\n"
	"$OCHRE_DOCKER_PASSWORD (or SINGULARITY_/APPTAINER_DOCKER_...); --authfile\n"
	"FILE; 'ochre registry login' ($XDG_CONFIG_HOME/ochre/auth.json, else\n"
	"~/.config/ochre/auth.json); $REGISTRY_AUTH_FILE;\n"
	"$XDG_RUNTIME_DIR/containers/auth.json; ~/.docker/config.json. Else anonymous.\n"
	"\n"
	"Options:\n"
	"  --name FILE          write the image to FILE\n"
	"  --dir DIR            write it into DIR, under the default name\n"
	"  --force              replace FILE if it exists\n"
	"  --keep-layers        one squashfs per image layer instead of one squashed\n"
	"  --cache-only         no file: verify and unpack IMAGE into your cache (as a\n"
	"                       launch does) and print its digest\n"
	"  --platform OS/ARCH[/VARIANT]  the image to pick from a multi-platform index\n"
	"                       (default: the host's, e.g. linux/amd64)\n"
	"  --authfile FILE      registry credentials from FILE (auth.json) only\n"
	"  --no-https           plain HTTP, no TLS (a local registry; the admin may\n"
	"                       also list registries as 'insecure registry' in ochre.conf)\n"
	"  --no-pull            with --cache-only, docker://: no network: succeed (and\n"
	"                       print the digest) only if the image is cached already\n"
	"  -h, --help           show this help\n";

enum {
	OPT_NAME = 0x2000,
	OPT_DIR,
	OPT_FORCE,
	OPT_KEEP_LAYERS,
	OPT_CACHE_ONLY,
};

struct pull_options {
	struct image_pull_options img;
	const char *name, *dir;
	bool force, keep_layers, cache_only;
};

/* NAME_TAG with what a file name cannot hold made '_'. */
static char *file_name(const char *name, const char *tag)
{
	char *s = xasprintf("%s_%s.sif", name, tag);
	for (char *p = s; *p; p++)
		if (*p == '/' || *p == ':' || *p == '@')
			*p = *p == ':' ? '.' : '_';
	return s;
}

/* The last component of an http(s):// URL's path, without query or
 * fragment; NULL when there is none. */
static char *url_file_name(const char *url)
{
	const char *path = strchr(strstr(url, "://") + 3, '/');
	if (!path)
		return NULL;
	size_t len = strcspn(path, "?#");
	const char *end = path + len, *base = end;
	while (base > path && base[-1] != '/')
		base--;
	if (base == end || (end - base == 1 && *base == '.') || (end - base == 2 && strncmp(base, "..", 2) == 0))
		return NULL;
	return xstrndup(base, (size_t)(end - base));
}

static bool is_oras(const char *image)
{
	return strncmp(image, "oras://", 7) == 0;
}

static bool is_url(const char *image)
{
	return strncmp(image, "http://", 7) == 0 || strncmp(image, "https://", 8) == 0;
}

char *pull_default_name(const char *image)
{
	struct error ignored;
	if (is_url(image))
		return url_file_name(image);
	if (registry_ref_is_docker(image) || is_oras(image)) {
		struct registry_ref r;
		char *as_docker = is_oras(image) ? xasprintf(REGISTRY_PREFIX "%s", image + 7) : xstrdup(image);
		int bad = registry_ref_parse(as_docker, &r, &ignored);
		free(as_docker);
		if (bad < 0)
			return NULL;
		const char *slash = strrchr(r.repo, '/');
		char *name = file_name(slash ? slash + 1 : r.repo, r.tag ? r.tag : r.digest);
		registry_ref_free(&r);
		return name;
	}
	struct image_ref ref;
	if (image_ref_parse(image, &ref, &ignored) < 0)
		return NULL;
	const char *base = strrchr(ref.path, '/');
	char *stem = xstrdup(base ? base + 1 : ref.path);
	static const char *const exts[] = { ".tar.gz", ".tgz", ".tar" };
	for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
		size_t n = strlen(stem), e = strlen(exts[i]);
		if (n > e && strcmp(stem + n - e, exts[i]) == 0) {
			stem[n - e] = '\0';
			break;
		}
	}
	char *name = file_name(stem, ref.tag ? ref.tag : "latest");
	free(stem);
	image_ref_free(&ref);
	return name;
}

/* ochre-import writes the file (helper.h): it alone links what converting
 * takes. Credentials never go on its command line. */
static int pull_to_file(struct ochre_context *ctx, const struct pull_options *o, const char *image, const char *target,
			struct error *err)
{
	struct cache c;
	if (cache_open(&ctx->cfg, &c, err) < 0)
		return -1;
	struct import_file file = { .path = target, .force = o->force, .keep_layers = o->keep_layers };
	char *reply = image_run_importer(ctx->importer_path, c.root, image, &o->img,
					 image_registry_is_insecure(&ctx->cfg, image, o->img.no_https), &file,
					 "pull of", err);
	cache_close(&c);
	if (!reply)
		return -1;
	log_debug("pulled %s (%s) into %s", image, reply, target);
	free(reply);
	return 0;
}

static int pull_cache_only(struct ochre_context *ctx, const struct pull_options *o, const char *image,
			   struct error *err)
{
	struct image img;
	if (image_prepare_opts(&ctx->cfg, ctx->importer_path, image, &o->img, &img, err) < 0)
		return -1;
	int ret = 0;
	if (!img.key)
		ret = error_set(err, 0, "pull: '%s' is a root filesystem directory, not an image", image);
	else
		printf("%s\n", img.key);
	image_free(&img);
	return ret;
}

static int parse(int argc, char **argv, struct pull_options *o, bool *help, struct error *err)
{
	static const struct option longopts[] = {
		IMAGE_PULL_LONGOPTS,
		{ "name", required_argument, NULL, OPT_NAME },
		{ "dir", required_argument, NULL, OPT_DIR },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "keep-layers", no_argument, NULL, OPT_KEEP_LAYERS },
		{ "cache-only", no_argument, NULL, OPT_CACHE_ONLY },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	opterr = 0;
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		int taken = image_pull_option(c, optarg, "pull", &o->img, err);
		if (taken < 0)
			return -1;
		if (taken)
			continue;
		switch (c) {
		case OPT_NAME:
			o->name = optarg;
			break;
		case OPT_DIR:
			o->dir = optarg;
			break;
		case OPT_FORCE:
			o->force = true;
			break;
		case OPT_KEEP_LAYERS:
			o->keep_layers = true;
			break;
		case OPT_CACHE_ONLY:
			o->cache_only = true;
			break;
		case 'h':
			*help = true;
			return 0;
		case ':':
			return error_set(err, 0, "pull: option '%s' needs a value", argv[optind - 1]);
		default:
			return error_set(err, 0, "pull: unknown option '%.*s'", (int)strcspn(argv[optind - 1], "="),
					 argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return error_set(err, 0, "pull: give exactly one image (see 'ochre pull --help')");
	if (o->name && o->dir)
		return error_set(err, 0, "pull: --name and --dir exclude each other");
	if (o->cache_only && (o->name || o->dir || o->force || o->keep_layers))
		return error_set(err, 0, "pull: --cache-only writes no file: no --name, --dir, --force, --keep-layers");
	if (o->img.no_pull && !o->cache_only)
		return error_set(err, 0, "pull: --no-pull goes with --cache-only");
	if (o->name && !*o->name)
		return error_set(err, 0, "pull: --name needs a file name");
	return 0;
}

int cmd_pull(struct ochre_context *ctx, int argc, char **argv, struct error *err)
{
	struct pull_options o = { 0 };
	bool help = false;
	if (parse(argc, argv, &o, &help, err) < 0)
		return -1;
	if (help) {
		fputs(pull_usage, stdout);
		return 0;
	}
	const char *image = argv[optind];
	if (o.cache_only)
		return pull_cache_only(ctx, &o, image, err);
	struct stat st;
	if (stat(image, &st) == 0 && S_ISDIR(st.st_mode) && !strchr(image, ':'))
		return error_set(err, 0, "pull: '%s' is a root filesystem directory, not an image", image);
	char *target = NULL;
	if (o.name) {
		target = xstrdup(o.name);
	} else {
		char *name = pull_default_name(image);
		if (!name) {
			struct image_ref ref;
			if (is_oras(image))
				return error_set(err, 0, "bad oras:// reference '%s'", image);
			if (!is_url(image) && image_ref_parse(image, &ref, err) < 0)
				return -1;
			if (!is_url(image))
				image_ref_free(&ref);
			return error_set(err, 0, "pull: no file name for '%s': give --name", image);
		}
		target = o.dir ? xasprintf("%s/%s", o.dir, name) : name;
		if (o.dir)
			free(name);
	}
	int ret = pull_to_file(ctx, &o, image, target, err);
	free(target);
	return ret;
}

static const char push_usage[] = "Usage: ochre push [--authfile FILE] [--no-https] FILE REF\n"
				 "\n"
				 "Upload FILE to a registry. REF oras://REGISTRY/REPO:TAG: FILE, any SIF, as an\n"
				 "ORAS artifact (one layer application/vnd.sylabs.sif.layer.v1.sif), as\n"
				 "'singularity push' stores one; 'ochre pull oras://...' fetches it back.\n"
				 "REF docker://REGISTRY/REPO:TAG: FILE, an OCI-SIF, as an OCI image: its\n"
				 "manifest, config and squashfs layers as they are (SingularityCE and\n"
				 "'ochre pull' take them without conversion). Credentials as for pulls\n"
				 "(see 'ochre pull --help'); the registry must grant push access.\n"
				 "\n"
				 "Options:\n"
				 "  --authfile FILE      registry credentials from FILE (auth.json) only\n"
				 "  --no-https           plain HTTP, no TLS (a local registry)\n"
				 "  -h, --help           show this help\n";

int cmd_push(struct ochre_context *ctx, int argc, char **argv, struct error *err)
{
	static const struct option longopts[] = {
		{ "authfile", required_argument, NULL, 'a' },
		{ "no-https", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *authfile = NULL;
	bool no_https = false;
	opterr = 0;
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			authfile = optarg;
			break;
		case 'n':
			no_https = true;
			break;
		case 'h':
			fputs(push_usage, stdout);
			return 0;
		case ':':
			return error_set(err, 0, "push: option '%s' needs a value", argv[optind - 1]);
		default:
			return error_set(err, 0, "push: unknown option '%.*s'", (int)strcspn(argv[optind - 1], "="),
					 argv[optind - 1]);
		}
	}
	if (argc - optind != 2)
		return error_set(err, 0, "push: give a file and a reference (see 'ochre push --help')");
	const char *file = argv[optind], *ref = argv[optind + 1];
	if (!is_oras(ref) && strncmp(ref, REGISTRY_PREFIX, strlen(REGISTRY_PREFIX)) != 0)
		return error_set(err, 0, "push: %s is neither oras:// nor docker://", ref);
	char *argv2[12] = { ctx->importer_path, "--log-level", (char *)log_level_name(log_level_current), "--push",
			    (char *)file };
	size_t na = 5;
	if (authfile) {
		argv2[na++] = "--authfile";
		argv2[na++] = (char *)authfile;
	}
	if (image_registry_is_insecure(&ctx->cfg, ref, no_https))
		argv2[na++] = "--no-https";
	argv2[na++] = (char *)ref;
	argv2[na] = NULL;
	char *what = xasprintf("push of %s", file);
	struct helper_run run = { .argv = argv2, .what = what };
	char *reply = helper_run(&run, err);
	free(what);
	int ret = reply ? 0 : -1;
	free(reply);
	return ret;
}
