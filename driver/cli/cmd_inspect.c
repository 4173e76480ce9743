/* `ochre inspect IMAGE`: what an image is, without running it. Every kind
 * is described by one JSON object (the --json output, stable keys), and the
 * human form is printed from that same object, so the two never disagree.
 * Single-file images are opened in place (single_file_open validates the
 * header, descriptors and small blobs); the other kinds go through
 * image_prepare_opts, as a launch would, which imports into the cache when
 * the image is not there yet. Layer digests are hashed only with --verify. */
#define _GNU_SOURCE
#include "cmd_inspect.h"

#include "../image/blob_source.h"
#include "../image/cache.h"
#include "../image/image_ref.h"
#include "../image/image_select.h"
#include "../image/sif.h"
#include "../image/single_file.h"
#include "../launch/image.h"
#include "../util/sha256.h"
#include "../util/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char inspect_usage[] = "Usage: ochre inspect [OPTIONS] IMAGE\n"
				    "\n"
				    "Describe IMAGE without running it: its format, path or reference, digest,\n"
				    "layers (digest, media type, size, and offset inside a single file) and the\n"
				    "image config's Env, Entrypoint, Cmd, WorkingDir, User and Labels; for a\n"
				    "native SIF its partitions and whether it has a runscript.\n"
				    "\n"
				    "IMAGE: any image ochre runs: an OCI-SIF, a native SIF or a squashfs file\n"
				    "(read in place), a root filesystem directory, or oci:DIR[:TAG],\n"
				    "oci-archive:FILE[:TAG], docker-archive:FILE[:REF], an OCI layout directory,\n"
				    "docker://REF (imported into your cache first if it is not there, as a\n"
				    "launch would).\n"
				    "\n"
				    "Options:\n"
				    "  --json               one JSON object, for scripts\n"
				    "  --verify             check every layer's digest against its bytes (an\n"
				    "                       OCI-SIF's layers, an OCI layout's or the download\n"
				    "                       cache's blobs); exit 255 naming the first bad one\n"
				    "  --platform, --authfile, --no-https, --no-pull  as for 'ochre pull'\n"
				    "  -h, --help           show this help\n"
				    "\n"
				    "Without --verify nothing is hashed beyond what opening the image checks\n"
				    "(an OCI-SIF's index, manifest and config). docs/SIF-FORMAT.md describes\n"
				    "the single-file formats.\n";

enum { OPT_JSON = 0x2000, OPT_VERIFY };

struct inspect_opts {
	bool json;
	bool verify;
	struct image_pull_options pull;
};

/* ---- the image config --------------------------------------------------- */

/* The fields a launch uses, from an image config blob ({"config": {...}}),
 * each present in the result (null when the image does not set it). */
static json_object *config_summary(json_object *blob)
{
	static const char *const keys[] = { "Env", "Entrypoint", "Cmd", "WorkingDir", "User", "Labels" };
	json_object *out = json_object_new_object(), *cfg = NULL, *v;
	if (blob && !json_object_object_get_ex(blob, "config", &cfg))
		cfg = NULL;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		bool has = cfg && json_object_object_get_ex(cfg, keys[i], &v) && v;
		json_object_object_add(out, keys[i], has ? json_object_get(v) : NULL);
	}
	if (blob && json_object_object_get_ex(blob, "architecture", &v))
		json_object_object_add(out, "architecture", json_object_get(v));
	if (blob && json_object_object_get_ex(blob, "os", &v))
		json_object_object_add(out, "os", json_object_get(v));
	return out;
}

/* ---- layers ------------------------------------------------------------- */

static json_object *layer_object(const char *digest, const char *media_type, int64_t size, int64_t offset)
{
	json_object *l = json_object_new_object();
	json_object_object_add(l, "digest", digest ? json_object_new_string(digest) : NULL);
	json_object_object_add(l, "mediaType", media_type ? json_object_new_string(media_type) : NULL);
	json_object_object_add(l, "size", json_object_new_int64(size));
	if (offset >= 0)
		json_object_object_add(l, "offset", json_object_new_int64(offset));
	return l;
}

static json_object *single_file_layers(const struct single_file *f)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < f->n_layers; i++) {
		const struct squashfs_layer *l = &f->layers[i];
		json_object_array_add(a, layer_object(l->digest, l->media_type, (int64_t)l->size, (int64_t)l->offset));
	}
	return a;
}

/* A manifest's layer descriptors as they are listed there. */
static json_object *manifest_layers(json_object *manifest)
{
	json_object *layers, *a = json_object_new_array(), *v;
	if (!json_object_object_get_ex(manifest, "layers", &layers) || !json_object_is_type(layers, json_type_array))
		return a;
	for (size_t i = 0; i < json_object_array_length(layers); i++) {
		json_object *d = json_object_array_get_idx(layers, i);
		const char *digest = json_object_object_get_ex(d, "digest", &v) ? json_object_get_string(v) : NULL;
		const char *mt = json_object_object_get_ex(d, "mediaType", &v) ? json_object_get_string(v) : NULL;
		int64_t size = json_object_object_get_ex(d, "size", &v) ? json_object_get_int64(v) : 0;
		json_object_array_add(a, layer_object(digest, mt, size, -1));
	}
	return a;
}

/* ---- native SIF --------------------------------------------------------- */

static const char *fstype_name(int32_t t)
{
	static const char *const names[] = {
		NULL, "squashfs", "ext3", "immutable-object", "raw", "encrypted-squashfs"
	};
	return t >= SIF_FS_SQUASH && t <= SIF_FS_ENCRYPTED_SQUASHFS ? names[t] : "unknown";
}

static const char *parttype_name(int32_t t)
{
	static const char *const names[] = { NULL, "system", "primary-system", "data", "overlay" };
	return t >= SIF_PART_SYSTEM && t <= SIF_PART_OVERLAY ? names[t] : "unknown";
}

/* Go's name for a SIF arch code ("02" -> "amd64", arch.go), else the code. */
static const char *arch_name(const char *code)
{
	static const char *const names[] = { "unknown", "386",    "amd64",  "arm",      "arm64", "ppc64",   "ppc64le",
					     "mips",    "mipsle", "mips64", "mips64le", "s390x", "riscv64", "loong64" };
	char *end;
	long i = strtol(code, &end, 10);
	return *code && !*end && i >= 0 && i < (long)(sizeof names / sizeof names[0]) ? names[i] : code;
}

/* The file's partitions, from the descriptors single_file_open validated. */
static int sif_partitions(const struct single_file *f, json_object *out, struct error *err)
{
	struct sif_image s;
	if (sif_parse(f->fd, (uint64_t)f->st.st_size, f->path, &s, err) < 0)
		return -1;
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < s.n_objects; i++) {
		const struct sif_object *o = &s.objects[i];
		if (o->type != SIF_DATA_PARTITION)
			continue;
		json_object *p = json_object_new_object();
		json_object_object_add(p, "id", json_object_new_int64(o->id));
		json_object_object_add(p, "fstype", json_object_new_string(fstype_name(o->fstype)));
		json_object_object_add(p, "parttype", json_object_new_string(parttype_name(o->parttype)));
		json_object_object_add(p, "arch", json_object_new_string(arch_name(o->arch)));
		json_object_object_add(p, "offset", json_object_new_int64((int64_t)o->offset));
		json_object_object_add(p, "size", json_object_new_int64((int64_t)o->size));
		json_object_array_add(a, p);
	}
	sif_image_free(&s);
	json_object_object_add(out, "partitions", a);
	return 0;
}

/* ---- single-file images ------------------------------------------------- */

static const char *single_file_format(enum single_file_kind k)
{
	switch (k) {
	case SINGLE_FILE_OCI_SIF:
		return "OCI-SIF";
	case SINGLE_FILE_NATIVE_SIF:
		return "SIF";
	case SINGLE_FILE_SQUASHFS:
		return "squashfs";
	case SINGLE_FILE_NOT:
		break;
	default:
		break;
	}
	return "unknown";
}

static int describe_single_file(const char *arg, const struct inspect_opts *o, json_object *out, struct error *err)
{
	struct single_file f;
	if (single_file_open(arg, &f, err) < 0)
		return -1;
	int ret = 0;
	json_object_object_add(out, "format", json_object_new_string(single_file_format(f.kind)));
	json_object_object_add(out, "path", json_object_new_string(f.path));
	json_object_object_add(out, "size", json_object_new_int64((int64_t)f.st.st_size));
	json_object_object_add(out, "digest", f.digest ? json_object_new_string(f.digest) : NULL);
	json_object_object_add(out, "layers", single_file_layers(&f));
	json_object_object_add(out, "config", config_summary(f.config));
	if (f.kind == SINGLE_FILE_NATIVE_SIF) {
		ret = sif_partitions(&f, out, err);
		FILE *rs = single_file_fopen(&f, "/.singularity.d/runscript");
		json_object_object_add(out, "runscript", json_object_new_boolean(rs != NULL));
		if (rs)
			fclose(rs);
	}
	if (ret == 0 && o->verify) {
		ret = single_file_verify_layers(&f, err);
		/* Only an OCI-SIF's layers have digests to check. */
		json_object_object_add(out, "verified", json_object_new_boolean(f.kind == SINGLE_FILE_OCI_SIF));
	}
	single_file_close(&f);
	return ret;
}

/* ---- the images ochre imports ------------------------------------------- */

/* One blob file against its digest ("sha256:HEX"), streamed. */
static int verify_blob_file(const char *dir, const char *digest, struct error *err)
{
	if (!digest || strncmp(digest, "sha256:", 7) != 0 || strchr(digest + 7, '/'))
		return error_set(err, 0, "layer digest '%s' is not a sha256 digest", digest ? digest : "(none)");
	char *path = xasprintf("%s/blobs/sha256/%s", dir, digest + 7);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		int saved = errno;
		error_set(err, saved, "layer %s: %s", digest, path);
		free(path);
		return -1;
	}
	enum { CHUNK = 1 << 20 };
	char *buf = xmalloc(CHUNK), text[72];
	struct sha256 h;
	unsigned char sum[32];
	ssize_t n;
	sha256_init(&h);
	while ((n = read(fd, buf, CHUNK)) > 0)
		sha256_update(&h, buf, (size_t)n);
	int ret = 0;
	if (n < 0)
		ret = error_set(err, errno, "read %s", path);
	sha256_final(&h, sum);
	sha256_format(sum, text);
	if (ret == 0 && strcmp(text, digest) != 0)
		ret = error_set(err, 0, "layer %s does not match its digest (content is %s): %s", digest, text, path);
	close(fd);
	free(buf);
	free(path);
	return ret;
}

/* Where the manifest's blobs are still on disk: an OCI layout, or the
 * download cache of docker:// pulls (CACHE/blobs/sha256/HEX). NULL for
 * archives, whose blobs were read once at import and are not kept. */
static char *blob_dir(const struct ochre_config *cfg, const struct image_ref *ref)
{
	if (ref->kind == IMAGE_OCI_DIR)
		return xstrdup(ref->path);
	if (ref->kind != IMAGE_DOCKER)
		return NULL;
	struct cache c;
	struct error ignored;
	if (cache_open(cfg, &c, &ignored) < 0)
		return NULL;
	char *dir = xstrdup(c.root);
	cache_close(&c);
	return dir;
}

/* The manifest's layers, and with --verify their blobs, where the blobs
 * are still on disk; "layers" is null where they are not (archives). */
static int describe_layers(const struct ochre_config *cfg, const struct image_ref *ref, const char *key,
			   const struct inspect_opts *o, json_object *out, struct error *err)
{
	char *dir = blob_dir(cfg, ref), *text = NULL;
	size_t len;
	struct blob_source src = { .dir = dir, .label = ref->text };
	json_object *manifest = NULL, *layers = NULL;
	int ret = 0;
	if (dir && image_read_blob(&src, key, NULL, &text, &len, err) == 0)
		manifest = json_tokener_parse(text);
	else if (dir)
		ret = -1;
	if (manifest)
		layers = manifest_layers(manifest);
	else if (dir && ret == 0)
		ret = error_set(err, 0, "%s: manifest %s is not JSON", ref->text, key);
	for (size_t i = 0; ret == 0 && o->verify && layers && i < json_object_array_length(layers); i++) {
		json_object *d;
		json_object_object_get_ex(json_object_array_get_idx(layers, i), "digest", &d);
		ret = verify_blob_file(dir, json_object_get_string(d), err);
	}
	json_object_object_add(out, "layers", layers);
	if (o->verify)
		json_object_object_add(out, "verified", json_object_new_boolean(layers != NULL));
	json_object_put(manifest);
	free(text);
	free(dir);
	return ret;
}

static int describe_image(const struct ochre_context *ctx, const char *arg, const struct inspect_opts *o,
			  json_object *out, struct error *err)
{
	struct image img;
	if (image_prepare_opts(&ctx->cfg, ctx->importer_path, arg, &o->pull, &img, err) < 0)
		return -1;
	struct image_ref ref = { 0 };
	int ret = image_ref_parse(arg, &ref, err);
	if (ret == 0 && !img.key) {
		json_object_object_add(out, "format", json_object_new_string("rootfs dir"));
		json_object_object_add(out, "path", json_object_new_string(ref.path));
		json_object_object_add(out, "digest", NULL);
		json_object_object_add(out, "layers", json_object_new_array());
		json_object_object_add(out, "config", config_summary(NULL));
		if (o->verify)
			json_object_object_add(out, "verified", json_object_new_boolean(false));
	} else if (ret == 0) {
		json_object_object_add(out, "format", json_object_new_string("OCI image"));
		json_object_object_add(out, "reference", json_object_new_string(ref.text));
		json_object_object_add(out, "digest", json_object_new_string(img.key));
		json_object_object_add(out, "config", config_summary(img.config));
		ret = describe_layers(&ctx->cfg, &ref, img.key, o, out, err);
	}
	image_ref_free(&ref);
	image_free(&img);
	return ret;
}

/* ---- output ------------------------------------------------------------- */

static const char *str_field(json_object *o, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) && v ? json_object_get_string(v) : NULL;
}

static int64_t int_field(json_object *o, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) && v ? json_object_get_int64(v) : -1;
}

/* Entrypoint and Cmd as JSON arrays, the way image configs write them;
 * "(none)" when the image does not set it. */
static void print_value(const char *label, json_object *v)
{
	if (!v)
		printf("%-12s (none)\n", label);
	else if (json_object_is_type(v, json_type_string))
		printf("%-12s %s\n", label, json_object_get_string(v));
	else
		printf("%-12s %s\n", label, json_object_to_json_string_ext(v, JSON_C_TO_STRING_NOSLASHESCAPE));
}

static void print_layers(json_object *layers)
{
	if (!layers) {
		printf("Layers:      (not kept: read once from the archive at import)\n");
		return;
	}
	size_t n = json_object_array_length(layers);
	printf("Layers:      %zu\n", n);
	for (size_t i = 0; i < n; i++) {
		json_object *l = json_object_array_get_idx(layers, i);
		const char *digest = str_field(l, "digest"), *mt = str_field(l, "mediaType");
		printf("  %zu: %s\n", i, digest ? digest : "(no digest)");
		if (mt)
			printf("     media type %s\n", mt);
		int64_t off = int_field(l, "offset");
		if (off >= 0)
			printf("     offset %" PRId64 ", size %" PRId64 "\n", off, int_field(l, "size"));
		else
			printf("     size %" PRId64 "\n", int_field(l, "size"));
	}
}

static void print_partitions(json_object *parts)
{
	size_t n = json_object_array_length(parts);
	printf("Partitions:  %zu\n", n);
	for (size_t i = 0; i < n; i++) {
		json_object *p = json_object_array_get_idx(parts, i);
		printf("  id %" PRId64 ": %s, %s, arch %s, offset %" PRId64 ", size %" PRId64 "\n", int_field(p, "id"),
		       str_field(p, "parttype"), str_field(p, "fstype"), str_field(p, "arch"), int_field(p, "offset"),
		       int_field(p, "size"));
	}
}

static void print_config(json_object *cfg)
{
	json_object *v, *env, *labels;
	static const char *const keys[] = { "Entrypoint", "Cmd", "WorkingDir", "User" };
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		json_object_object_get_ex(cfg, keys[i], &v);
		char label[16];
		snprintf(label, sizeof label, "%s:", keys[i]);
		print_value(label, v);
	}
	if (json_object_object_get_ex(cfg, "Env", &env) && json_object_is_type(env, json_type_array)) {
		printf("Env:\n");
		for (size_t i = 0; i < json_object_array_length(env); i++)
			printf("  %s\n", json_object_get_string(json_object_array_get_idx(env, i)));
	} else {
		printf("Env:         (none)\n");
	}
	if (json_object_object_get_ex(cfg, "Labels", &labels) && json_object_is_type(labels, json_type_object)) {
		printf("Labels:\n");
		json_object_object_foreach(labels, k, lv) printf("  %s=%s\n", k, json_object_get_string(lv));
	} else {
		printf("Labels:      (none)\n");
	}
}

static void print_human(json_object *out)
{
	json_object *v;
	printf("Format:      %s\n", str_field(out, "format"));
	if (str_field(out, "path"))
		printf("Path:        %s\n", str_field(out, "path"));
	if (str_field(out, "reference"))
		printf("Reference:   %s\n", str_field(out, "reference"));
	if (int_field(out, "size") >= 0)
		printf("Size:        %" PRId64 " bytes\n", int_field(out, "size"));
	printf("Digest:      %s\n", str_field(out, "digest") ? str_field(out, "digest") : "(none)");
	json_object_object_get_ex(out, "layers", &v);
	print_layers(v);
	if (json_object_object_get_ex(out, "partitions", &v))
		print_partitions(v);
	if (json_object_object_get_ex(out, "runscript", &v))
		printf("Runscript:   %s\n", json_object_get_boolean(v) ? "/.singularity.d/runscript" : "(none)");
	if (json_object_object_get_ex(out, "config", &v))
		print_config(v);
	if (json_object_object_get_ex(out, "verified", &v))
		printf("Verified:    %s\n",
		       json_object_get_boolean(v)
			       ? "every layer matches its digest"
			       : "nothing to verify (no layer digests here; archives are checked at import)");
}

/* ---- the command -------------------------------------------------------- */

static int parse_args(int argc, char **argv, struct inspect_opts *o, bool *help, struct error *err)
{
	static const struct option longopts[] = {
		IMAGE_PULL_LONGOPTS,
		{ "json", no_argument, NULL, OPT_JSON },
		{ "verify", no_argument, NULL, OPT_VERIFY },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	opterr = 0;
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		int taken = image_pull_option(c, optarg, "inspect", &o->pull, err);
		if (taken < 0)
			return -1;
		if (taken)
			continue;
		switch (c) {
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_VERIFY:
			o->verify = true;
			break;
		case 'h':
			*help = true;
			return 0;
		case ':':
			return error_set(err, 0, "inspect: option '%s' needs a value", argv[optind - 1]);
		default:
			return error_set(err, 0, "inspect: unknown option '%.*s'", (int)strcspn(argv[optind - 1], "="),
					 argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return error_set(err, 0, "inspect: give exactly one image (see 'ochre inspect --help')");
	return 0;
}

/* A regular file that starts like a SIF or a squashfs is read in place;
 * anything else is an image reference or a directory. */
static bool is_single_file(const char *arg)
{
	int fd = open(arg, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	bool yes = fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	if (fd >= 0)
		close(fd);
	return yes;
}

int cmd_inspect(struct ochre_context *ctx, int argc, char **argv, struct error *err)
{
	struct inspect_opts o = { 0 };
	bool help = false;
	if (parse_args(argc, argv, &o, &help, err) < 0)
		return -1;
	if (help) {
		fputs(inspect_usage, stdout);
		return 0;
	}
	const char *arg = argv[optind];
	json_object *out = json_object_new_object();
	int ret =
		is_single_file(arg) ? describe_single_file(arg, &o, out, err) : describe_image(ctx, arg, &o, out, err);
	if (ret == 0 && o.json)
		printf("%s\n", json_object_to_json_string_ext(out, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
									   JSON_C_TO_STRING_NOSLASHESCAPE));
	else if (ret == 0)
		print_human(out);
	json_object_put(out);
	return ret;
}
