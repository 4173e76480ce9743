/* Resource limits: the cgroups TOML parser (every value kind, every
 * refusal), the flags' values and their precedence over the file, the
 * admin's caps, and what goes into config.json. */
#include "../../driver/container/cgroups_toml.h"
#include "../../driver/container/resources.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static json_object *toml(const char *text, struct error *err)
{
	return cgroups_toml_parse("t.toml", text, strlen(text), err);
}

static const char *json(json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

static void refused(const char *text, const char *expect, const char *name)
{
	struct error err = { 0 };
	json_object *o = toml(text, &err);
	CHECK(!o && strstr(err.msg, expect), name);
	if (o || !strstr(err.msg, expect))
		printf("#   got '%s', expected '%s'\n", o ? json(o) : err.msg, expect);
	json_object_put(o);
}

static void test_toml(void)
{
	struct error err;
	json_object *o =
		toml("# SingularityCE's examples\n"
		     "[memory]\n    limit = 524_288_000\n    swap = -1\n    disableOOMKiller = true\n"
		     "[cpu]\n    shares = 512\n    cpus = \"0-1\"  # a comment\n    mems = '0'\r\n"
		     "[pids]\nlimit = 64\n"
		     "[blockIO]\n    weight = 1000\n"
		     "    [[blockIO.weightDevice]]\n        major = 7\n        minor = 0\n        weight = 100\n"
		     "    [[blockIO.weightDevice]]\n        major = 7\n        minor = 1\n        leafWeight = 50\n"
		     "    [[blockIO.throttleReadBpsDevice]]\n        major = 7\n        minor = 0\n"
		     "        rate = 16777216\n",
		     &err);
	CHECK(o != NULL, "the documented subset parses");
	if (!o) {
		printf("#   %s\n", err.msg);
		return;
	}
	CHECK_STR(json(o),
		  "{\"memory\":{\"limit\":524288000,\"swap\":-1,\"disableOOMKiller\":true},"
		  "\"cpu\":{\"shares\":512,\"cpus\":\"0-1\",\"mems\":\"0\"},\"pids\":{\"limit\":64},"
		  "\"blockIO\":{\"weight\":1000,\"weightDevice\":[{\"major\":7,\"minor\":0,\"weight\":100},"
		  "{\"major\":7,\"minor\":1,\"leafWeight\":50}],"
		  "\"throttleReadBpsDevice\":[{\"major\":7,\"minor\":0,\"rate\":16777216}]}}",
		  "as linux.resources");
	json_object_put(o);
	o = toml("", &err);
	CHECK(o && json_object_object_length(o) == 0, "an empty file: no limits");
	json_object_put(o);

	refused("[memory]\nlimt = 1\n", "line 2: unknown key 'limt' in [memory]", "unknown key");
	refused("[devices]\n", "line 1: unknown table 'devices'", "unsupported table");
	refused("[unified]\n", "unknown table 'unified'", "cgroup v2 unified map");
	refused("limit = 1\n", "outside a table", "key before any table");
	refused("[memory]\nlimit = 1\nlimit = 2\n", "line 3: 'limit' set twice", "repeated key");
	refused("[memory]\n[memory]\n", "defined twice", "repeated table");
	refused("[memory]\nlimit = \"1G\"\n", "takes an integer, not a string", "string for an integer");
	refused("[cpu]\ncpus = 1\n", "takes a string", "integer for a string");
	refused("[memory]\ndisableOOMKiller = 1\n", "takes true or false", "integer for a boolean");
	refused("[cpu]\nshares = -5\n", "cannot be negative", "negative unsigned");
	refused("[memory]\nlimit = 1.5\n", "whole numbers", "float");
	refused("[memory]\nlimit = 0x10\n", "decimal", "hex");
	refused("[memory]\nlimit = 010\n", "leading zeros", "leading zero");
	refused("[memory]\nlimit = 1__0\n", "unexpected", "double underscore");
	refused("[memory]\nlimit = 9223372036854775808\n", "out of range", "overflow");
	refused("[memory]\nlimit = 1 2\n", "unexpected '2'", "trailing garbage");
	refused("[blockIO]\nweight = 5\n", "between 10 and 1000", "weight out of range");
	refused("[blockIO.weightDevice]\n", "array of tables", "[ ] for an array of tables");
	refused("[[memory]]\n", "a table", "[[ ]] for a table");
	refused("[[blockIO.weightDevice]]\nweight = 100\n", "needs major and minor", "device without numbers");
	refused("[cpu]\ncpus = \"0-1\n", "unterminated string", "unterminated string");
	refused("[cpu]\ncpus = \"\\u0030\"\n", "unsupported escape", "unicode escape");
	refused("[cpu]\ncpus = \"\"\"x\"\"\"\n", "multi-line", "multi-line string");
	refused("[cpu]\ncpus = [\"0\"]\n", "inline arrays", "inline array");
	refused("[memory]\nmemory.limit = 1\n", "dotted keys", "dotted key");
	refused("[memory\n", "bad table header", "unclosed header");
	struct error e2 = { 0 };
	CHECK(cgroups_toml_parse("t", "[memory]\0", 9, &e2) == NULL && strstr(e2.msg, "binary"), "a NUL byte");
}

static void test_sizes(void)
{
	CHECK(resources_parse_size("1024") == 1024, "plain bytes");
	CHECK(resources_parse_size("512m") == 512LL << 20, "512m");
	CHECK(resources_parse_size("512M") == 512LL << 20, "512M");
	CHECK(resources_parse_size("1.5g") == 3LL << 29, "1.5g");
	CHECK(resources_parse_size("2GiB") == 2LL << 30, "2GiB");
	CHECK(resources_parse_size("64kb") == 64LL << 10, "64kb");
	CHECK(resources_parse_size("10b") == 10, "10b");
	CHECK(resources_parse_size("0") < 0 && resources_parse_size("-1") < 0 && resources_parse_size("1x") < 0 &&
		      resources_parse_size("1e9") < 0 && resources_parse_size("") < 0 &&
		      resources_parse_size("M") < 0 && resources_parse_size("0x10") < 0,
	      "bad sizes refused");
}

static json_object *build(struct resource_options *o, struct error *err)
{
	return resources_build(o, err);
}

static void test_flags(void)
{
	struct error err = { 0 };
	struct resource_options o = { .cpus = "1.5",
				      .cpu_shares = "512",
				      .cpuset_cpus = "0",
				      .memory = "64M",
				      .memory_reservation = "32M",
				      .memory_swap = "-1",
				      .oom_kill_disable = true,
				      .pids_limit = "100",
				      .blkio_weight = "500" };
	json_object *r = build(&o, &err);
	CHECK(r != NULL, "every flag");
	if (r)
		CHECK_STR(json(r),
			  "{\"cpu\":{\"period\":100000,\"quota\":150000,\"shares\":512,\"cpus\":\"0\"},"
			  "\"memory\":{\"limit\":67108864,\"reservation\":33554432,\"swap\":-1,\"disableOOMKiller\":"
			  "true},"
			  "\"pids\":{\"limit\":100},\"blockIO\":{\"weight\":500}}",
			  "flags as linux.resources");
	json_object_put(r);

	/* The flags win over the file. */
	char path[] = "/tmp/ochre-test-cg-XXXXXX";
	int fd = mkstemp(path);
	const char *text = "[memory]\nlimit = 1000000\nreservation = 1000\n[pids]\nlimit = 5\n";
	CHECK(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text), "write a cgroups file");
	close(fd);
	struct resource_options f = { .cgroups_file = path, .memory = "2M" };
	r = build(&f, &err);
	CHECK(r && strcmp(json(r), "{\"memory\":{\"limit\":2097152,\"reservation\":1000},\"pids\":{\"limit\":5}}") == 0,
	      "--memory over the file's memory.limit, the rest kept");
	json_object_put(r);
	unlink(path);
	struct resource_options missing = { .cgroups_file = path };
	CHECK(!build(&missing, &err) && strstr(err.msg, "--apply-cgroups"), "a missing file");

	struct {
		struct resource_options o;
		const char *expect;
	} bad[] = {
		{ { .cpus = "0" }, "--cpus 0: a number of CPUs" },
		{ { .cpus = "abc" }, "--cpus abc" },
		{ { .cpus = "100000" }, "--cpus 100000" },
		{ { .cpu_shares = "-1" }, "--cpu-shares -1" },
		{ { .cpuset_cpus = "a-b" }, "--cpuset-cpus a-b" },
		{ { .memory = "lots" }, "--memory lots" },
		{ { .pids_limit = "-2" }, "--pids-limit -2" },
		{ { .pids_limit = "1x" }, "--pids-limit 1x" },
		{ { .blkio_weight = "5" }, "--blkio-weight 5: a weight from 10 to 1000" },
		{ { .memory = "64M", .memory_swap = "32M" }, "below --memory" },
		{ { .memory_swap = "32M" }, "--memory-swap needs --memory" },
		{ { .memory = "32M", .memory_reservation = "64M" }, "above --memory" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err.msg[0] = '\0';
		r = build(&bad[i].o, &err);
		CHECK(!r && strstr(err.msg, bad[i].expect), bad[i].expect);
		if (r || !strstr(err.msg, bad[i].expect))
			printf("#   got '%s'\n", r ? json(r) : err.msg);
		json_object_put(r);
	}
	struct resource_options dev = { 0 };
	strv_add(&dev.blkio_weight_device, strdup("/dev/null:100"));
	r = build(&dev, &err);
	CHECK(!r && strstr(err.msg, "not a block device"), "--blkio-weight-device on a character device");
	json_object_put(r);
	resource_options_free(&dev);
	struct resource_options zero = { .pids_limit = "0", .blkio_weight = "0" };
	r = build(&zero, &err);
	CHECK(r && json_object_object_length(r) == 0, "0 sets nothing, as in SingularityCE");
	json_object_put(r);
}

static void test_policy(void)
{
	struct ochre_config cfg;
	config_init(&cfg);
	struct error err;
	struct resource_options o = { .memory = "2G", .pids_limit = "-1", .cpus = "2" };
	json_object *r = resources_build(&o, &err);
	CHECK(resources_check_policy(r, &cfg, 1000, &err) == 0, "no caps: a user's limits pass");
	cfg.max_memory = 1ULL << 30;
	CHECK(resources_check_policy(r, &cfg, 0, &err) == 0, "caps do not bind root");
	CHECK(resources_check_policy(r, &cfg, 1000, &err) < 0 && strstr(err.msg, "'max memory'"), "max memory");
	cfg.max_memory = 0;
	cfg.max_pids = 100;
	CHECK(resources_check_policy(r, &cfg, 1000, &err) < 0 && strstr(err.msg, "'max pids'"),
	      "max pids: -1 (unlimited) is above it");
	cfg.max_pids = 0;
	cfg.max_cpus_milli = 1500;
	CHECK(resources_check_policy(r, &cfg, 1000, &err) < 0 && strstr(err.msg, "'max cpus' (1.50)"), "max cpus");
	cfg.max_cpus_milli = 2000;
	CHECK(resources_check_policy(r, &cfg, 1000, &err) == 0, "--cpus 2 within max cpus = 2");
	cfg.allow_user_limits = 0;
	CHECK(resources_check_policy(r, &cfg, 1000, &err) < 0 && strstr(err.msg, "'allow user limits = no'"),
	      "allow user limits = no");
	json_object_put(r);
	config_free(&cfg);
}

static void test_spec(void)
{
	struct error err;
	struct resource_options o = { .memory = "64M" };
	struct cgroup_plan plan;
	CHECK(cgroup_plan_make(resources_build(&o, &err), 0, &plan, &err) == 0, "root: a plan");
	cgroup_plan_set_id(&plan, "ochre-abc");
	CHECK_STR(plan.path, "/ochre/ochre-abc", "root: /ochre/ID");
	json_object *spec = json_tokener_parse("{\"mounts\":[{\"destination\":\"/sys\"}],"
					       "\"linux\":{\"namespaces\":[{\"type\":\"pid\"}]}}");
	cgroup_plan_apply(&plan, spec);
	CHECK_STR(json(spec),
		  "{\"mounts\":[{\"destination\":\"/sys\"},{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\","
		  "\"source\":\"cgroup\",\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"relatime\",\"ro\"]}],"
		  "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"cgroup\"}],"
		  "\"resources\":{\"memory\":{\"limit\":67108864}},\"cgroupsPath\":\"/ochre/ochre-abc\"}}",
		  "config.json: resources, cgroupsPath, a cgroup namespace and /sys/fs/cgroup");
	json_object_put(spec);
	spec = json_tokener_parse("{\"linux\":{\"namespaces\":[]}}");
	cgroup_plan_apply(&plan, spec);
	CHECK(!strstr(json(spec), "/sys"), "no /sys (--no-mount sys): no /sys/fs/cgroup either");
	json_object_put(spec);
	cgroup_plan_free(&plan);

	spec = json_tokener_parse("{\"linux\":{\"resources\":{\"memory\":{\"limit\":1,\"swap\":5},"
				  "\"devices\":[{\"allow\":false}]}}}");
	struct resource_options p = { .memory = "1M", .pids_limit = "9" };
	json_object *res = resources_build(&p, &err);
	resources_merge_into_spec(res, spec);
	CHECK_STR(json(spec),
		  "{\"linux\":{\"resources\":{\"memory\":{\"limit\":1048576,\"swap\":5},"
		  "\"devices\":[{\"allow\":false}],\"pids\":{\"limit\":9}}}}",
		  "oci create: the flags over the bundle's linux.resources");
	json_object_put(res);
	json_object_put(spec);
}

int main(void)
{
	test_toml();
	test_sizes();
	test_flags();
	test_policy();
	test_spec();
	return unit_done();
}
