/* libFuzzer target for the cgroups TOML parser (driver/container/
 * cgroups_toml.c): --apply-cgroups FILE is the caller's own file, and the
 * parser runs in the driver before any privilege, but a crash there is
 * still a bug, and its strictness is the point. Checks, beyond "no crash,
 * no leak, no sanitizer report":
 *  - a refusal is one line starting "fuzz line " or "fuzz: ";
 *  - an accepted file gives an object of only memory, cpu, pids and
 *    blockIO sections, each an object, whose blkio weights are 10..1000
 *    and whose device entries have major and minor. */
#include "../../driver/container/cgroups_toml.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                                   \
	do {                                                                                                          \
		if (!(cond)) {                                                                                        \
			fprintf(stderr, "fuzz_cgroups_toml: check failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                                                      \
		}                                                                                                     \
	} while (0)

static void check_weight(json_object *o, const char *key)
{
	json_object *w;
	if (json_object_object_get_ex(o, key, &w)) {
		CHECK(json_object_is_type(w, json_type_int));
		CHECK(json_object_get_int64(w) >= 10 && json_object_get_int64(w) <= 1000);
	}
}

static void check_resources(json_object *res)
{
	CHECK(json_object_is_type(res, json_type_object));
	json_object_object_foreach(res, name, sec)
	{
		CHECK(strcmp(name, "memory") == 0 || strcmp(name, "cpu") == 0 || strcmp(name, "pids") == 0 ||
		      strcmp(name, "blockIO") == 0);
		CHECK(json_object_is_type(sec, json_type_object));
		if (strcmp(name, "blockIO") != 0)
			continue;
		check_weight(sec, "weight");
		check_weight(sec, "leafWeight");
		json_object_object_foreach(sec, key, val)
		{
			if (!json_object_is_type(val, json_type_array))
				continue;
			CHECK(strstr(key, "Device") != NULL);
			for (size_t i = 0; i < json_object_array_length(val); i++) {
				json_object *d = json_object_array_get_idx(val, i);
				CHECK(json_object_object_get_ex(d, "major", NULL));
				CHECK(json_object_object_get_ex(d, "minor", NULL));
				check_weight(d, "weight");
			}
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct error err;
	memset(err.msg, 'x', sizeof err.msg);
	json_object *res = cgroups_toml_parse("fuzz", (const char *)data, size, &err);
	if (!res) {
		CHECK(memchr(err.msg, '\0', sizeof err.msg) != NULL);
		CHECK(strncmp(err.msg, "fuzz line ", 10) == 0 || strncmp(err.msg, "fuzz: ", 6) == 0);
		CHECK(strchr(err.msg, '\n') == NULL);
		return 0;
	}
	check_resources(res);
	json_object_put(res);
	return 0;
}
