/* An image ready to launch: a root filesystem and the image's config. A
 * reference to an OCI image is looked up in the cache and imported on first
 * use; a plain directory is used as it is. */
#ifndef OCHRE_IMAGE_H
#define OCHRE_IMAGE_H

#include "../../common/config.h"
#include "../image/single_file.h"
#include "../util/error.h"

#include <getopt.h>
#include <json-c/json.h>
#include <stdbool.h>

struct image {
	char *rootfs;             /* the overlay's lower dir; NULL for a single file */
	struct single_file *file; /* a single-file image (SIF, squashfs), run in place */
	json_object *config;      /* the image config blob, NULL for a rootfs dir */
	char *key;                /* cache key, NULL for a rootfs dir */
};

/* How to fetch an image that is not cached (docker://), and which one. */
struct image_pull_options {
	const char *platform; /* "os/arch[/variant]"; NULL: the host's */
	const char *authfile; /* credentials file; NULL: the usual places */
	bool no_https;        /* plain HTTP to the registry */
	bool no_pull;         /* docker://: only what is cached, no network */
};

/* The pull options on a command line (--platform, --authfile, --no-https,
 * --no-pull), the same for `ochre pull` and exec/run/shell: put
 * IMAGE_PULL_LONGOPTS in the getopt_long table and hand each option to
 * image_pull_option before the command's own. */
enum {
	IMAGE_PULL_OPT_PLATFORM = 0x1000, /* above any short option and the commands' own */
	IMAGE_PULL_OPT_AUTHFILE,
	IMAGE_PULL_OPT_NO_HTTPS,
	IMAGE_PULL_OPT_NO_PULL,
};
#define IMAGE_PULL_LONGOPTS                                                       \
	{ "platform", required_argument, NULL, IMAGE_PULL_OPT_PLATFORM },         \
		{ "authfile", required_argument, NULL, IMAGE_PULL_OPT_AUTHFILE }, \
		{ "no-https", no_argument, NULL, IMAGE_PULL_OPT_NO_HTTPS },       \
	{                                                                         \
		"no-pull", no_argument, NULL, IMAGE_PULL_OPT_NO_PULL              \
	}

/* getopt_long's c with its arg: 1 when it was a pull option, now in o; 0
 * when it was not; -1 with err ("CMD: --platform needs ..."). */
int image_pull_option(int c, const char *arg, const char *cmd, struct image_pull_options *o, struct error *err);

/* What ochre-import writes instead of a cache entry: a single file (an
 * OCI-SIF, or the SIF fetched). */
struct import_file {
	const char *path;
	bool force;       /* over an existing file */
	bool keep_layers; /* one squashfs per layer */
};

/* Run ochre-import on image with the pull options (plain HTTP when
 * no_https): fill the cache (file NULL; the reply is the cache key) or
 * write file. what names the work in messages ("pull of"). Its one-line
 * reply (helper.h), or NULL with err. */
char *image_run_importer(const char *importer, const char *cache_root, const char *image,
			 const struct image_pull_options *opts, bool no_https, const struct import_file *file,
			 const char *what, struct error *err);

/* importer: the ochre-import binary, run when the image is not cached. */
int image_prepare(const struct ochre_config *cfg, const char *importer, const char *arg, struct image *img,
		  struct error *err);
/* The same with pull options (opts may be NULL). */
int image_prepare_opts(const struct ochre_config *cfg, const char *importer, const char *arg,
		       const struct image_pull_options *opts, struct image *img, struct error *err);

/* Plain HTTP for the registry of a docker:// or oras:// reference:
 * no_https (--no-https), or the admin's 'insecure registry' list. */
bool image_registry_is_insecure(const struct ochre_config *cfg, const char *text, bool no_https);

void image_free(struct image *img);

#endif
