/* libFuzzer target for the single-file image reader (driver/image/sif.c,
 * single_file.c, squashfs_read.c): the input is a whole file, put in a
 * memfd and opened as `ochre inspect` and a launch open it. sif_parse sees
 * it directly; single_file_open tells its kind and validates it (SIF
 * header and descriptors, an OCI-SIF's index, manifest and config against
 * their digests, squashfs superblocks); an image that opens is then read
 * the way the driver reads one before launch (files through the layers
 * with libsquashfs) and its layers are hashed (inspect --verify). Checks,
 * beyond "no crash, no leak, no sanitizer report":
 *  - a refusal leaves a reason in err, and nothing open;
 *  - every object sif_parse accepts lies inside the file, clear of the
 *    header and descriptors, and no two overlap;
 *  - an opened image has a kind, at least one layer, and every layer lies
 *    inside the file. */
#define _GNU_SOURCE
#include "../../driver/image/sif.h"
#include "../../driver/image/single_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                          \
	do {                                                                                                 \
		if (!(cond)) {                                                                               \
			fprintf(stderr, "fuzz_sif: check failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                                             \
		}                                                                                            \
	} while (0)

static void parse(int fd, size_t size)
{
	struct sif_image img;
	struct error err;
	err.msg[0] = '\0';
	if (sif_parse(fd, size, "fuzz", &img, &err) < 0) {
		CHECK(err.msg[0] != '\0');
		sif_image_free(&img);
		return;
	}
	for (size_t i = 0; i < img.n_objects; i++) {
		const struct sif_object *o = &img.objects[i];
		CHECK(o->offset <= size && o->size <= size - o->offset);
		CHECK(o->size == 0 || o->offset >= SIF_HDR_LEN);
		for (size_t j = 0; j < i; j++) {
			const struct sif_object *p = &img.objects[j];
			if (o->size && p->size)
				CHECK(o->offset + o->size <= p->offset || p->offset + p->size <= o->offset);
		}
	}
	sif_image_free(&img);
}

static void read_inside(const struct single_file *f)
{
	static const char *const paths[] = { "/etc/passwd", "/etc/group", "/.singularity.d/runscript",
					     "/etc/up/etc/passwd", "/" };
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		FILE *fp = single_file_fopen(f, paths[i]);
		if (fp) {
			char buf[256];
			while (fread(buf, 1, sizeof buf, fp) > 0)
				;
			fclose(fp);
		}
		mode_t type;
		(void)single_file_lstat(f, paths[i], &type);
	}
}

static void open_file(int fd, size_t size)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	struct single_file f;
	struct error err;
	err.msg[0] = '\0';
	if (single_file_open(path, &f, &err) < 0) {
		CHECK(err.msg[0] != '\0');
		CHECK(f.fd == -1 && f.layers == NULL && f.config == NULL);
		return;
	}
	CHECK(f.kind != SINGLE_FILE_NOT && f.n_layers > 0);
	for (size_t i = 0; i < f.n_layers; i++)
		CHECK(f.layers[i].offset <= size && f.layers[i].size <= size - f.layers[i].offset);
	CHECK((f.kind == SINGLE_FILE_OCI_SIF) == (f.digest != NULL));
	read_inside(&f);
	err.msg[0] = '\0';
	if (single_file_verify_layers(&f, &err) < 0)
		CHECK(err.msg[0] != '\0');
	single_file_close(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz-sif", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	parse(fd, size);
	open_file(fd, size);
	close(fd);
	return 0;
}
