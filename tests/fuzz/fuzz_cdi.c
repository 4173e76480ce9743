/* libFuzzer target for the CDI spec parser (driver/devices/cdi_parse.c and
 * cdi_yaml.c): the driver reads these files from /etc/cdi and /var/run/cdi,
 * which a vendor's tool writes, and in setuid mode they are read by the
 * caller's driver before any privilege is used.
 *
 * Each input is parsed twice, as JSON and as YAML. Checks, beyond "no
 * crash, no leak, no sanitizer report":
 *  - a refusal is one line starting "cdi spec 'fuzz': ";
 *  - an accepted spec has a valid vendor, class and device names, at least
 *    one device, each with some edits, absolute device node, mount and
 *    hook paths, and known device types;
 *  - cdi_edits_append of each device's edits into a copy and
 *    cdi_spec_free release everything (LeakSanitizer). */
#include "../../driver/devices/cdi.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                          \
	do {                                                                                                 \
		if (!(cond)) {                                                                               \
			fprintf(stderr, "fuzz_cdi: check failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                                             \
		}                                                                                            \
	} while (0)

static void check_edits(const struct cdi_edits *e)
{
	for (size_t i = 0; i < e->env.n; i++)
		CHECK(strchr(e->env.v[i], '=') && e->env.v[i][0] != '=');
	for (size_t i = 0; i < e->n_nodes; i++) {
		CHECK(e->nodes[i].path[0] == '/' && e->nodes[i].host_path[0] == '/');
		CHECK(e->nodes[i].type == 0 || strchr("bcup", e->nodes[i].type));
	}
	for (size_t i = 0; i < e->n_mounts; i++)
		CHECK(e->mounts[i].host_path[0] == '/' && e->mounts[i].container_path[0] == '/');
	for (size_t i = 0; i < e->n_hooks; i++)
		CHECK(e->hooks[i].path[0] == '/' && (!e->hooks[i].has_timeout || e->hooks[i].timeout > 0));
	for (size_t i = 0; i < e->n_gids; i++)
		CHECK(e->gids[i] != 0);
}

static void fuzz_one(const uint8_t *data, size_t size, enum cdi_format format)
{
	struct cdi_spec spec;
	struct error err;
	memset(err.msg, 'x', sizeof err.msg);
	if (cdi_spec_parse((const char *)data, size, format, "fuzz", &spec, &err) < 0) {
		CHECK(memchr(err.msg, '\0', sizeof err.msg) != NULL);
		if (strncmp(err.msg, "cdi spec 'fuzz': ", 17) != 0) {
			fprintf(stderr, "fuzz_cdi: refusal without the file: '%s'\n", err.msg);
			abort();
		}
		CHECK(spec.n_devices == 0 && spec.vendor == NULL);
		cdi_spec_free(&spec);
		return;
	}
	CHECK(cdi_vendor_name_valid(spec.vendor) && cdi_class_name_valid(spec.class));
	CHECK(spec.n_devices > 0 && spec.version != NULL);
	check_edits(&spec.edits);
	struct cdi_edits merged = { 0 };
	cdi_edits_append(&merged, &spec.edits);
	for (size_t i = 0; i < spec.n_devices; i++) {
		CHECK(cdi_device_name_valid(spec.devices[i].name));
		check_edits(&spec.devices[i].edits);
		cdi_edits_append(&merged, &spec.devices[i].edits);
	}
	check_edits(&merged);
	cdi_edits_free(&merged);
	cdi_spec_free(&spec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Exactly size bytes: ASan reports any read past them. */
	uint8_t *copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	fuzz_one(copy, size, CDI_FORMAT_JSON);
	fuzz_one(copy, size, CDI_FORMAT_YAML);
	free(copy);
	return 0;
}
