/* CDI specs (driver/devices/cdi.c): every version in JSON and YAML, each
 * refusal, directory priority and conflicts, resolution, host completion
 * and the trust check. Spec files are written to a temp dir. */
#define _GNU_SOURCE
#include "../../driver/devices/cdi.h"
#include "unit.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static char tmp[] = "/tmp/ochre-test-cdi.XXXXXX";

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s/%s", tmp, dir, name);
	FILE *f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		perror(path);
		exit(2);
	}
}

static int parse(const char *text, enum cdi_format fmt, struct cdi_spec *spec, struct error *err)
{
	return cdi_spec_parse(text, strlen(text), fmt, "t", spec, err);
}

static void accepted(const char *text, enum cdi_format fmt, const char *name)
{
	struct cdi_spec spec;
	struct error err = { 0 };
	int ret = parse(text, fmt, &spec, &err);
	CHECK(ret == 0, name);
	if (ret != 0)
		printf("#   error: %s\n", err.msg);
	cdi_spec_free(&spec);
}

static void refused(const char *text, enum cdi_format fmt, const char *expect, const char *name)
{
	struct cdi_spec spec;
	struct error err = { 0 };
	int ret = parse(text, fmt, &spec, &err);
	bool ok = ret == -1 && strstr(err.msg, expect) && strncmp(err.msg, "cdi spec 't': ", 14) == 0 &&
		  !strchr(err.msg, '\n');
	CHECK(ok, name);
	if (!ok)
		printf("#   got ret=%d err='%s', expected '%s'\n", ret, err.msg, expect);
	cdi_spec_free(&spec);
}

#define J(body) "{\"cdiVersion\":\"" body
#define DEV "\"devices\":[{\"name\":\"d\",\"containerEdits\":{\"env\":[\"A=1\"]}}]"

static void test_versions(void)
{
	static const char *const versions[] = {
		"0.3.0", "0.4.0", "0.5.0", "0.6.0", "0.7.0", "0.8.0", "1.0.0", "1.1.0"
	};
	for (size_t i = 0; i < sizeof versions / sizeof *versions; i++) {
		char json[512], yaml[512], name[100];
		snprintf(json, sizeof json, "{\"cdiVersion\":\"%s\",\"kind\":\"v.com/c\"," DEV "}", versions[i]);
		snprintf(yaml, sizeof yaml,
			 "cdiVersion: \"%s\"\nkind: v.com/c\ndevices:\n- name: d\n  containerEdits:\n    env: [A=1]\n",
			 versions[i]);
		snprintf(name, sizeof name, "cdiVersion %s, JSON", versions[i]);
		accepted(json, CDI_FORMAT_JSON, name);
		snprintf(name, sizeof name, "cdiVersion %s, YAML", versions[i]);
		accepted(yaml, CDI_FORMAT_YAML, name);
	}
	accepted("{\"cdiVersion\":\"v0.6.0\",\"kind\":\"v.com/c\"," DEV "}", CDI_FORMAT_JSON, "a leading v");
	refused("{\"cdiVersion\":\"0.2.0\",\"kind\":\"v.com/c\"," DEV "}", CDI_FORMAT_JSON,
		"unsupported cdiVersion '0.2.0'", "0.2.0 is too old");
	refused("{\"cdiVersion\":\"1.2.0\",\"kind\":\"v.com/c\"," DEV "}", CDI_FORMAT_JSON,
		"unsupported cdiVersion '1.2.0'", "an unknown future version");
	refused("cdiVersion: 0.3\nkind: v.com/c\n", CDI_FORMAT_YAML, "'cdiVersion' must be a string",
		"a YAML number as version");

	/* Each field newer than the spec's version. */
	refused("{\"cdiVersion\":\"0.3.0\",\"kind\":\"v.com/c\",\"devices\":[{\"name\":\"d\",\"containerEdits\":"
		"{\"mounts\":[{\"hostPath\":\"/a\",\"containerPath\":\"/b\",\"type\":\"bind\"}]}}]}",
		CDI_FORMAT_JSON, "cdiVersion 0.3.0 is too old for mounts 'type' (needs 0.4.0)",
		"mount type needs 0.4.0");
	refused("{\"cdiVersion\":\"0.4.0\",\"kind\":\"v.com/c\",\"devices\":[{\"name\":\"d\",\"containerEdits\":"
		"{\"deviceNodes\":[{\"path\":\"/dev/x\",\"hostPath\":\"/dev/y\"}]}}]}",
		CDI_FORMAT_JSON, "needs 0.5.0", "hostPath needs 0.5.0");
	refused("{\"cdiVersion\":\"0.4.0\",\"kind\":\"v.com/c\",\"devices\":[{\"name\":\"0d\",\"containerEdits\":"
		"{\"env\":[\"A=1\"]}}]}",
		CDI_FORMAT_JSON, "a device name starting with a digit (needs 0.5.0)", "a leading digit needs 0.5.0");
	refused("{\"cdiVersion\":\"0.5.0\",\"kind\":\"v.com/c\",\"annotations\":{\"a\":\"b\"}," DEV "}",
		CDI_FORMAT_JSON, "annotations (needs 0.6.0)", "annotations need 0.6.0");
	refused("{\"cdiVersion\":\"0.5.0\",\"kind\":\"v.com/c.x\"," DEV "}", CDI_FORMAT_JSON, "needs 0.6.0",
		"a dot in the class needs 0.6.0");
	refused("{\"cdiVersion\":\"0.6.0\",\"kind\":\"v.com/c\",\"containerEdits\":{\"additionalGids\":[5]}," DEV "}",
		CDI_FORMAT_JSON, "additionalGids (needs 0.7.0)", "additionalGids need 0.7.0");
	refused("{\"cdiVersion\":\"0.6.0\",\"kind\":\"v.com/"
		"c\",\"containerEdits\":{\"intelRdt\":{\"closID\":\"x\"}}," DEV "}",
		CDI_FORMAT_JSON, "intelRdt (needs 0.7.0)", "intelRdt needs 0.7.0");
	refused("{\"cdiVersion\":\"1.0.0\",\"kind\":\"v.com/c\",\"containerEdits\":{\"netDevices\":"
		"[{\"hostInterfaceName\":\"eth1\",\"name\":\"net1\"}]}," DEV "}",
		CDI_FORMAT_JSON, "netDevices (needs 1.1.0)", "netDevices need 1.1.0");
	accepted("{\"cdiVersion\":\"1.1.0\",\"kind\":\"v.com/c\",\"containerEdits\":{\"netDevices\":"
		 "[{\"hostInterfaceName\":\"eth1\",\"name\":\"net1\"}],\"intelRdt\":{\"schemata\":[\"L3:0=f\"],"
		 "\"enableMonitoring\":true}}," DEV "}",
		 CDI_FORMAT_JSON, "1.1.0 features in a 1.1.0 spec");
}

static void test_refusals(void)
{
	refused("{\"cdiVersion\":\"0.6.0\",\"kind\":\"vendor.com\"," DEV "}", CDI_FORMAT_JSON,
		"invalid kind 'vendor.com'", "a kind without a class");
	refused("{\"cdiVersion\":\"0.6.0\",\"kind\":\"vendor.com/a/b\"," DEV "}", CDI_FORMAT_JSON, "invalid kind",
		"a kind with two slashes");
	refused("{\"cdiVersion\":\"0.6.0\",\"kind\":\"-v.com/c\"," DEV "}", CDI_FORMAT_JSON, "invalid vendor",
		"a vendor starting with '-'");
	refused("{\"cdiVersion\":\"0.6.0\",\"kind\":\"v.com/c_\"," DEV "}", CDI_FORMAT_JSON, "invalid class",
		"a class ending with '_'");
	refused("{\"cdiVersion\":\"0.6.0\",\"kind\":\"v.com/c\",\"devices\":[{\"name\":\"a b\",\"containerEdits\":"
		"{\"env\":[\"A=1\"]}}]}",
		CDI_FORMAT_JSON, "invalid device name 'a b'", "a device name with a space");
	refused("{\"cdiVersion\":\"0.6.0\",\"kind\":\"v.com/c\",\"foo\":1," DEV "}", CDI_FORMAT_JSON,
		"unknown key 'foo'", "an unknown top-level key");
	refused("{\"cdiVersion\":\"0.6.0\",\"kind\":\"v.com/c\",\"devices\":[{\"name\":\"d\",\"containerEdits\":"
		"{\"deviceNodes\":[{\"path\":\"/dev/x\",\"mode\":1}]}}]}",
		CDI_FORMAT_JSON, "devices[0].containerEdits.deviceNodes[0]: unknown key 'mode'",
		"an unknown key deep inside, with its place");
	refused("{\"cdiVersion\":\"0.6.0\",\"kind\":\"v.com/c\",\"devices\":[]}", CDI_FORMAT_JSON, "no devices",
		"no devices");
	refused("{\"cdiVersion\":\"0.6.0\",\"kind\":\"v.com/c\"}", CDI_FORMAT_JSON, "'devices' is required",
		"devices missing");
	refused("{\"kind\":\"v.com/c\"," DEV "}", CDI_FORMAT_JSON, "'cdiVersion' is required", "version missing");
	refused("{\"cdiVersion\":\"0.6.0\",\"kind\":\"v.com/c\",\"devices\":[{\"name\":\"d\"}]}", CDI_FORMAT_JSON,
		"device 'd' has no container edits", "a device without edits");
	refused("{\"cdiVersion\":\"0.6.0\",\"kind\":\"v.com/c\",\"devices\":[{\"name\":\"d\",\"containerEdits\":"
		"{\"env\":[\"A=1\"]}},{\"name\":\"d\",\"containerEdits\":{\"env\":[\"A=1\"]}}]}",
		CDI_FORMAT_JSON, "device 'd' is defined twice", "a device defined twice in a spec");
	refused("{\"cdiVersion\":\"0.6.0\",\"kind\":\"v.com/c\",\"devices\":[{\"name\":\"d\",\"containerEdits\":"
		"{\"deviceNodes\":[{\"path\":\"dev/x\"}]}}]}",
		CDI_FORMAT_JSON, "'path' must be an absolute path", "a relative device node path");
	refused("{\"cdiVersion\":\"0.6.0\",\"kind\":\"v.com/c\",\"devices\":[{\"name\":\"d\",\"containerEdits\":"
		"{\"deviceNodes\":[{\"path\":\"/dev/x\",\"hostPath\":\"x\"}]}}]}",
		CDI_FORMAT_JSON, "'hostPath' must be an absolute path", "a relative device node host path");
	refused("{\"cdiVersion\":\"0.6.0\",\"kind\":\"v.com/c\",\"devices\":[{\"name\":\"d\",\"containerEdits\":"
		"{\"deviceNodes\":[{\"path\":\"/dev/x\",\"type\":\"z\"}]}}]}",
		CDI_FORMAT_JSON, "invalid device type 'z'", "a bad device type");
	refused("{\"cdiVersion\":\"0.6.0\",\"kind\":\"v.com/c\",\"devices\":[{\"name\":\"d\",\"containerEdits\":"
		"{\"deviceNodes\":[{\"path\":\"/dev/x\",\"permissions\":\"rx\"}]}}]}",
		CDI_FORMAT_JSON, "invalid permissions 'rx'", "bad permissions");
	refused("{\"cdiVersion\":\"0.6.0\",\"kind\":\"v.com/c\",\"devices\":[{\"name\":\"d\",\"containerEdits\":"
		"{\"deviceNodes\":[{\"path\":\"/dev/x\",\"major\":-1}]}}]}",
		CDI_FORMAT_JSON, "'major' is out of range", "a negative major");
	refused("{\"cdiVersion\":\"0.6.0\",\"kind\":\"v.com/c\",\"devices\":[{\"name\":\"d\",\"containerEdits\":"
		"{\"deviceNodes\":[{\"path\":\"/dev/x\",\"uid\":\"0\"}]}}]}",
		CDI_FORMAT_JSON, "'uid' must be an integer", "a string uid");
	refused("{\"cdiVersion\":\"0.6.0\",\"kind\":\"v.com/c\",\"devices\":[{\"name\":\"d\",\"containerEdits\":"
		"{\"env\":[\"=x\"]}}]}",
		CDI_FORMAT_JSON, "invalid environment variable '=x'", "an env entry without a name");
	refused("{\"cdiVersion\":\"0.6.0\",\"kind\":\"v.com/c\",\"devices\":[{\"name\":\"d\",\"containerEdits\":"
		"{\"hooks\":[{\"hookName\":\"onStart\",\"path\":\"/bin/true\"}]}}]}",
		CDI_FORMAT_JSON, "invalid hookName 'onStart'", "an unknown hook name");
	refused("{\"cdiVersion\":\"0.6.0\",\"kind\":\"v.com/c\",\"devices\":[{\"name\":\"d\",\"containerEdits\":"
		"{\"hooks\":[{\"hookName\":\"poststart\",\"path\":\"true\"}]}}]}",
		CDI_FORMAT_JSON, "'path' must be an absolute path", "a relative hook path");
	refused("{\"cdiVersion\":\"0.6.0\",\"kind\":\"v.com/c\",\"devices\":[{\"name\":\"d\",\"containerEdits\":"
		"{\"hooks\":[{\"hookName\":\"poststart\",\"path\":\"/bin/true\",\"timeout\":0}]}}]}",
		CDI_FORMAT_JSON, "'timeout' is out of range", "a zero hook timeout");
	refused("{\"cdiVersion\":\"0.6.0\",\"kind\":\"v.com/c\",\"devices\":[{\"name\":\"d\",\"containerEdits\":"
		"{\"mounts\":[{\"hostPath\":\"/a\"}]}}]}",
		CDI_FORMAT_JSON, "'containerPath' is required", "a mount without a container path");
	refused("{\"cdiVersion\":\"1.1.0\",\"kind\":\"v.com/c\",\"devices\":[{\"name\":\"d\",\"containerEdits\":"
		"{\"netDevices\":[{\"hostInterfaceName\":\"a\",\"name\":\"x\"},{\"hostInterfaceName\":\"b\",\"name\":"
		"\"x\"}]}}]}",
		CDI_FORMAT_JSON, "net device name 'x' listed twice", "a net device name twice");
	refused("{\"cdiVersion\":\"0.7.0\",\"kind\":\"v.com/c\",\"containerEdits\":{\"additionalGids\":[-1]}," DEV "}",
		CDI_FORMAT_JSON, "additionalGids must be gids", "a negative gid");
	refused("{\"cdiVersion\":\"0.6.0\"", CDI_FORMAT_JSON, "invalid JSON", "truncated JSON");
	refused("{\"cdiVersion\":\"0.6.0\",\"kind\":\"v.com/c\"," DEV "} x", CDI_FORMAT_JSON, "invalid JSON",
		"trailing garbage after JSON");
	refused("[1]", CDI_FORMAT_JSON, "expected a mapping at the top", "a JSON list");
	refused("a: [1\n", CDI_FORMAT_YAML, "invalid YAML: line", "broken YAML");
	refused("", CDI_FORMAT_YAML, "empty document", "an empty YAML file");
	refused("a: &x 1\nb: *x\n", CDI_FORMAT_YAML, "aliases are not supported", "a YAML alias");
	refused("cdiVersion: 0.6.0\ncdiVersion: 0.6.0\n", CDI_FORMAT_YAML, "key 'cdiVersion' appears twice",
		"a YAML key twice");
	refused("a: 1\n---\nb: 2\n", CDI_FORMAT_YAML, "more than one YAML document", "two YAML documents");
	refused("cdiVersion: \"0.6.0\"\nkind: v.com/c\ndevices:\n- name: d\n  containerEdits:\n    deviceNodes:\n"
		"    - path: /dev/x\n      major: \"195\"\n",
		CDI_FORMAT_YAML, "'major' must be an integer", "a quoted YAML number is a string");
}

static void test_full_yaml(void)
{
	const char *yaml =
		"cdiVersion: 0.7.0\n"
		"kind: example.com/gpu\n"
		"annotations: {owner: test}\n"
		"containerEdits:\n"
		"  env: [SPEC=1]\n"
		"  additionalGids: [0, 44]\n"
		"devices:\n"
		"- name: '0'\n"
		"  annotations: {a: b}\n"
		"  containerEdits:\n"
		"    env: [\"X=a=b\"]\n"
		"    deviceNodes:\n"
		"    - path: /dev/gpu0\n"
		"      hostPath: /dev/null\n"
		"      type: c\n"
		"      major: 1\n"
		"      minor: 3\n"
		"      fileMode: 0666\n"
		"      permissions: rw\n"
		"      uid: 1000\n"
		"      gid: 44\n"
		"    mounts:\n"
		"    - {hostPath: /usr/lib, containerPath: /usr/lib/gpu, type: bind, options: [ro, nosuid, rbind]}\n"
		"    hooks:\n"
		"    - hookName: createContainer\n"
		"      path: /usr/bin/hook\n"
		"      args: [hook, --flag]\n"
		"      env: [H=1]\n"
		"      timeout: 5\n"
		"    intelRdt: {closID: clos1, l3CacheSchema: 'L3:0=f'}\n";
	struct cdi_spec spec;
	struct error err = { 0 };
	CHECK(parse(yaml, CDI_FORMAT_YAML, &spec, &err) == 0, "a full 0.7.0 YAML spec");
	if (spec.n_devices != 1) {
		printf("#   %s\n", err.msg);
		return;
	}
	CHECK_STR(spec.vendor, "example.com", "vendor");
	CHECK_STR(spec.class, "gpu", "class");
	CHECK_STR(spec.devices[0].name, "0", "a quoted numeric device name");
	CHECK(spec.edits.n_gids == 1 && spec.edits.gids[0] == 44, "additionalGids without the 0");
	const struct cdi_edits *e = &spec.devices[0].edits;
	CHECK_STR(e->env.v[0], "X=a=b", "env value with '='");
	const struct cdi_device_node *n = &e->nodes[0];
	CHECK(n->type == 'c' && n->major == 1 && n->minor == 3 && n->has_file_mode && n->file_mode == 0666 &&
		      n->has_uid && n->uid == 1000 && n->gid == 44,
	      "device node numbers (YAML octal file mode)");
	CHECK_STR(n->host_path, "/dev/null", "device node host path");
	CHECK_STR(n->permissions, "rw", "permissions");
	CHECK(e->n_mounts == 1 && e->mounts[0].options.n == 3, "mount options");
	CHECK_STR(e->mounts[0].type, "bind", "mount type");
	CHECK(e->n_hooks == 1 && e->hooks[0].has_timeout && e->hooks[0].timeout == 5 && e->hooks[0].args.n == 2,
	      "hook");
	CHECK(e->intel_rdt && e->intel_rdt->clos_id && strcmp(e->intel_rdt->clos_id, "clos1") == 0, "intelRdt");
	cdi_spec_free(&spec);
}

static void test_names(void)
{
	CHECK(cdi_vendor_name_valid("nvidia.com") && cdi_vendor_name_valid("a"), "vendor names");
	CHECK(!cdi_vendor_name_valid("1abc") && !cdi_vendor_name_valid("a/b") && !cdi_vendor_name_valid(""),
	      "bad vendor names");
	CHECK(cdi_class_name_valid("gpu") && cdi_class_name_valid("foo-bar123.B_az"), "class names");
	CHECK(cdi_device_name_valid("0") && cdi_device_name_valid("mig-1:0") && !cdi_device_name_valid("a="),
	      "device names");
	CHECK(cdi_format_of_name("x.json") == CDI_FORMAT_JSON && cdi_format_of_name("x.yml") == CDI_FORMAT_YAML &&
		      cdi_format_of_name("x.yaml") == CDI_FORMAT_YAML && cdi_format_of_name("x.json~") == -1 &&
		      cdi_format_of_name(".json") == -1,
	      "spec file names");
}

#define SPEC_A(ver, kind, devs) "{\"cdiVersion\":\"" ver "\",\"kind\":\"" kind "\"," devs "}"

static void mkdirs(void)
{
	char path[512];
	static const char *const dirs[] = { "etc", "run", "empty", "bad" };
	for (size_t i = 0; i < 4; i++) {
		snprintf(path, sizeof path, "%s/%s", tmp, dirs[i]);
		if (mkdir(path, 0755) < 0) {
			perror(path);
			exit(2);
		}
	}
}

static int resolve(const struct cdi_registry *reg, const char *req, struct cdi_edits *out, struct error *err)
{
	memset(out, 0, sizeof *out);
	const char *reqs[] = { req };
	return cdi_resolve(reg, reqs, 1, out, err);
}

static void test_registry(void)
{
	mkdirs();
	/* etc: a JSON spec with spec-level edits, two devices */
	write_file("etc", "a.json",
		   SPEC_A("0.6.0", "test.com/dev",
			  "\"containerEdits\":{\"env\":[\"SPEC=etc\"]},"
			  "\"devices\":[{\"name\":\"null\",\"containerEdits\":{\"deviceNodes\":[{\"path\":\"/dev/"
			  "null\"}]}},"
			  "{\"name\":\"zero\",\"containerEdits\":{\"env\":[\"DEV=zero-etc\"]}}]"));
	/* run: overrides test.com/dev=zero, adds a YAML kind */
	write_file("run", "b.yaml",
		   "cdiVersion: 0.5.0\nkind: test.com/dev\ndevices:\n- name: zero\n  containerEdits:\n"
		   "    env: [DEV=zero-run]\n");
	write_file("run", "c.yml",
		   "cdiVersion: 0.3.0\nkind: other.org/net\ndevices:\n- name: tun\n  containerEdits:\n"
		   "    deviceNodes: [{path: /dev/net/tun}]\n");
	/* two specs in one dir defining the same device: a conflict */
	write_file("run", "d1.json",
		   SPEC_A("0.3.0", "conf.io/x",
			  "\"devices\":[{\"name\":\"dup\",\"containerEdits\":{\"env\":[\"A=1\"]}}]"));
	write_file("run", "d2.json",
		   SPEC_A("0.3.0", "conf.io/x",
			  "\"devices\":[{\"name\":\"dup\",\"containerEdits\":{\"env\":[\"A=2\"]}},"
			  "{\"name\":\"ok\",\"containerEdits\":{\"env\":[\"A=3\"]}}]"));
	/* a broken spec and a non-spec file */
	write_file("run", "e.json",
		   "{\"cdiVersion\":\"0.3.0\",\"kind\":\"broken.io/x\",\"devices\":[{\"name\":\"b\"}]}");
	write_file("run", "notes.txt", "not a spec");

	char etc[300], run[300], missing[300];
	snprintf(etc, sizeof etc, "%s/etc", tmp);
	snprintf(run, sizeof run, "%s/run", tmp);
	snprintf(missing, sizeof missing, "%s/missing", tmp);
	const char *dirs[] = { etc, run, missing };
	struct cdi_registry reg = { 0 };
	struct error err = { 0 };
	CHECK(cdi_registry_load(&reg, dirs, 3, false, &err) == 0, "load two dirs and a missing one");
	CHECK(reg.n_specs == 5, "five good specs loaded");
	CHECK(reg.problems.n == 2, "two problems: the conflict and the broken spec");
	char *avail = cdi_available_devices(&reg);
	CHECK_STR(avail, "conf.io/x=ok, other.org/net=tun, test.com/dev=null, test.com/dev=zero", "available devices");
	free(avail);

	struct cdi_edits out;
	CHECK(resolve(&reg, "test.com/dev=zero", &out, &err) == 0, "resolve one device");
	CHECK(out.env.n == 1, "the later dir's definition, whose spec has no edits of its own");
	if (out.env.n == 1) {
		CHECK_STR(out.env.v[0], "DEV=zero-run", "the later dir wins");
	}
	cdi_edits_free(&out);

	CHECK(resolve(&reg, "test.com/dev=null,test.com/dev=null", &out, &err) == 0, "a device twice");
	CHECK(out.n_nodes == 1 && out.env.n == 1, "counted once, spec edits once");
	cdi_edits_free(&out);

	const char *two[] = { "test.com/dev=null", "other.org/net=tun" };
	memset(&out, 0, sizeof out);
	CHECK(cdi_resolve(&reg, two, 2, &out, &err) == 0 && out.n_nodes == 2, "two requests");
	if (out.n_nodes == 2) {
		CHECK_STR(out.nodes[1].path, "/dev/net/tun", "request order");
		CHECK_STR(out.nodes[1].host_path, "/dev/net/tun", "host path defaults to path");
	}
	cdi_edits_free(&out);

	CHECK(resolve(&reg, "test.com/dev=all", &out, &err) == 0 && out.n_nodes == 1 && out.env.n == 2,
	      "=all: every device of the kind");
	cdi_edits_free(&out);

	CHECK(resolve(&reg, "test.com/dev=nope", &out, &err) == -1 &&
		      strstr(err.msg,
			     "unknown cdi device 'test.com/dev=nope' (available: conf.io/x=ok, other.org/net=tun"),
	      "an unknown device lists what is available");
	printf("#   %s\n", err.msg);
	CHECK(resolve(&reg, "conf.io/x=dup", &out, &err) == -1 && strstr(err.msg, "is defined in both"),
	      "a conflicting device is refused");
	CHECK(resolve(&reg, "conf.io/x=ok", &out, &err) == 0, "the other device of a conflicting spec is fine");
	cdi_edits_free(&out);
	CHECK(resolve(&reg, "broken.io/x=b", &out, &err) == -1 && strstr(err.msg, "has no container edits"),
	      "a device of a broken spec: the spec's error");
	printf("#   %s\n", err.msg);
	CHECK(resolve(&reg, "nodev", &out, &err) == -1 && strstr(err.msg, "invalid cdi device 'nodev'"),
	      "an unqualified request");
	CHECK(resolve(&reg, "test.com/dev=null,", &out, &err) == -1 && strstr(err.msg, "an empty item"),
	      "an empty list item");
	CHECK(resolve(&reg, "", &out, &err) == -1, "an empty request");
	cdi_registry_free(&reg);

	/* Host completion: /dev/null is char 1:3 everywhere. */
	memset(&reg, 0, sizeof reg);
	CHECK(cdi_registry_load(&reg, dirs, 1, false, &err) == 0, "load one dir");
	CHECK(resolve(&reg, "test.com/dev=null", &out, &err) == 0, "resolve /dev/null");
	CHECK(cdi_edits_fill_from_host(&out, &err) == 0 && out.nodes[0].type == 'c' && out.nodes[0].major == 1 &&
		      out.nodes[0].minor == 3 && out.nodes[0].has_file_mode,
	      "type, major, minor, mode from the host");
	cdi_edits_free(&out);
	cdi_registry_free(&reg);

	struct cdi_edits bad_node = { 0 };
	struct cdi_device_node n = { .path = strdup("/x"), .host_path = strdup("/etc/hostname") };
	bad_node.nodes = &n;
	bad_node.n_nodes = 1;
	CHECK(cdi_edits_fill_from_host(&bad_node, &err) == -1 && strstr(err.msg, "is not a device node"),
	      "a host path that is no device");
	n.type = 'b';
	free(n.host_path);
	n.host_path = strdup("/dev/null");
	CHECK(cdi_edits_fill_from_host(&bad_node, &err) == -1 && strstr(err.msg, "of type 'c' on the host, not 'b'"),
	      "a type the host disagrees with");
	free(n.path);
	free(n.host_path);
}

static void test_trust(void)
{
	struct error err = { 0 };
	CHECK(cdi_path_trusted("/etc", &err) == 0, "/etc is trusted");
	char dir[300];
	snprintf(dir, sizeof dir, "%s/etc", tmp);
	int ret = cdi_path_trusted(dir, &err);
	CHECK(ret == -1 && strstr(err.msg, "writable by group or others"), "a dir under /tmp is not trusted");
	printf("#   %s\n", err.msg);
	CHECK(cdi_path_trusted("relative", &err) == -1, "a relative path is not trusted");

	/* In trusted mode such dirs are skipped, with the reason noted. */
	const char *dirs[] = { dir };
	struct cdi_registry reg = { 0 };
	CHECK(cdi_registry_load(&reg, dirs, 1, true, &err) == 0 && reg.n_specs == 0 && reg.problems.n == 1 &&
		      strstr(reg.problems.v[0], "not trusted"),
	      "an untrusted dir is skipped in trusted mode");
	cdi_registry_free(&reg);

	if (geteuid() == 0 && cdi_path_trusted("/run", &err) == 0) {
		/* A root-owned 0755 dir in /run: trusted; in it a 0666 spec file
		 * (skipped) and a 0644 one (loaded). */
		char base[] = "/run/ochre-test-cdi.XXXXXX";
		if (mkdtemp(base) && chmod(base, 0755) == 0) {
			char wfile[400], gfile[400];
			snprintf(wfile, sizeof wfile, "%s/w.json", base);
			snprintf(gfile, sizeof gfile, "%s/g.json", base);
			FILE *f = fopen(wfile, "w"), *g = fopen(gfile, "w");
			if (f && g) {
				fputs(SPEC_A("0.3.0", "t.io/x",
					     "\"devices\":[{\"name\":\"w\",\"containerEdits\":{\"env\":[\"A=1\"]}}]"),
				      f);
				fputs(SPEC_A("0.3.0", "t.io/x",
					     "\"devices\":[{\"name\":\"g\",\"containerEdits\":{\"env\":[\"A=1\"]}}]"),
				      g);
			}
			if (f)
				fclose(f);
			if (g)
				fclose(g);
			chmod(wfile, 0666);
			chmod(gfile, 0644);
			CHECK(cdi_path_trusted(base, &err) == 0, "a root 0755 dir in /run is trusted");
			const char *d2[] = { base };
			memset(&reg, 0, sizeof reg);
			CHECK(cdi_registry_load(&reg, d2, 1, true, &err) == 0 && reg.n_specs == 1 &&
				      reg.problems.n == 1 && strstr(reg.problems.v[0], "w.json': not trusted: ") &&
				      strstr(reg.problems.v[0], "writable by group or others"),
			      "trusted mode: a group/other-writable spec file is skipped");
			cdi_registry_free(&reg);
			unlink(wfile);
			unlink(gfile);
			rmdir(base);
		}
	} else {
		printf("# not root: the trusted-dir case is not run\n");
	}
}

int main(void)
{
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 2;
	}
	chmod(tmp, 0777); /* group/other-writable on purpose (test_trust) */
	test_versions();
	test_refusals();
	test_full_yaml();
	test_names();
	test_registry();
	test_trust();
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmp);
	return unit_done();
}
