/* docker:// reference parsing (Docker's naming rules), the refs record
 * name, platform syntax, and the 'insecure registry' config directive. */
#include "../../common/config.h"
#include "../../driver/image/image_ref.h"
#include "../../driver/image/registry_ref.h"
#include "../../driver/launch/image.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void parses(const char *arg, const char *registry, const char *api, const char *repo, const char *tag,
		   const char *digest, const char *text)
{
	struct registry_ref r;
	struct error err;
	char name[256];
	int ret = registry_ref_parse(arg, &r, &err);
	snprintf(name, sizeof name, "parse %s", arg);
	CHECK(ret == 0, name);
	if (ret < 0) {
		printf("#   %s\n", err.msg);
		return;
	}
	snprintf(name, sizeof name, "%s: registry", arg);
	CHECK_STR(r.registry, registry, name);
	snprintf(name, sizeof name, "%s: api host", arg);
	CHECK_STR(r.api_host, api, name);
	snprintf(name, sizeof name, "%s: repo", arg);
	CHECK_STR(r.repo, repo, name);
	snprintf(name, sizeof name, "%s: tag", arg);
	CHECK(tag ? r.tag && strcmp(r.tag, tag) == 0 : r.tag == NULL, name);
	snprintf(name, sizeof name, "%s: digest", arg);
	CHECK(digest ? r.digest && strcmp(r.digest, digest) == 0 : r.digest == NULL, name);
	snprintf(name, sizeof name, "%s: text", arg);
	CHECK_STR(r.text, text, name);
	registry_ref_free(&r);
}

static void refused(const char *arg, const char *expect)
{
	struct registry_ref r;
	struct error err = { .msg = "" };
	char name[256];
	snprintf(name, sizeof name, "refuse %s", arg);
	int ret = registry_ref_parse(arg, &r, &err);
	CHECK(ret == -1 && strstr(err.msg, expect), name);
	if (ret == 0)
		registry_ref_free(&r);
	else if (!strstr(err.msg, expect))
		printf("#   got '%s', expected '%s'\n", err.msg, expect);
}

#define D "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

int main(void)
{
	parses("docker://alpine", "docker.io", "registry-1.docker.io", "library/alpine", "latest", NULL,
	       "docker://docker.io/library/alpine:latest");
	parses("docker://alpine:3.19", "docker.io", "registry-1.docker.io", "library/alpine", "3.19", NULL,
	       "docker://docker.io/library/alpine:3.19");
	parses("docker://docker.io/alpine", "docker.io", "registry-1.docker.io", "library/alpine", "latest", NULL,
	       "docker://docker.io/library/alpine:latest");
	parses("docker://index.docker.io/user/app:v1", "docker.io", "registry-1.docker.io", "user/app", "v1", NULL,
	       "docker://docker.io/user/app:v1");
	parses("docker://user/app", "docker.io", "registry-1.docker.io", "user/app", "latest", NULL,
	       "docker://docker.io/user/app:latest");
	parses("docker://ghcr.io/org/sub/tool:1.2.3", "ghcr.io", "ghcr.io", "org/sub/tool", "1.2.3", NULL,
	       "docker://ghcr.io/org/sub/tool:1.2.3");
	parses("docker://localhost:5000/acc/busybox", "localhost:5000", "localhost:5000", "acc/busybox", "latest", NULL,
	       "docker://localhost:5000/acc/busybox:latest");
	parses("docker://localhost/busybox", "localhost", "localhost", "busybox", "latest", NULL,
	       "docker://localhost/busybox:latest");
	parses("docker://myhost:8080/a_b/c-d.e", "myhost:8080", "myhost:8080", "a_b/c-d.e", "latest", NULL,
	       "docker://myhost:8080/a_b/c-d.e:latest");
	parses("docker://localhost:5000/acc/busybox@" D, "localhost:5000", "localhost:5000", "acc/busybox", NULL, D,
	       "docker://localhost:5000/acc/busybox@" D);
	parses("docker://alpine:3@" D, "docker.io", "registry-1.docker.io", "library/alpine", NULL, D,
	       "docker://docker.io/library/alpine@" D);
	parses("docker://[::1]:5000/x", "[::1]:5000", "[::1]:5000", "x", "latest", NULL,
	       "docker://[::1]:5000/x:latest");

	refused("docker://", "bad docker:// reference");
	refused("docker://Alpine", "repository name");
	refused("docker://alpine:", "tag");
	refused("docker://alpine:-x", "tag");
	refused("docker://a//b", "repository name");
	refused("docker://alpine@sha256:abc", "digest");
	refused("docker://alpine@md5:0123", "digest");
	refused("docker://host:99999/x", "registry host");
	refused("docker://host:/x", "registry host");
	refused("docker://a..b/x", "registry host");
	refused("docker://a/b..c", "repository name");

	CHECK(registry_host_is_valid("localhost:5000") && registry_host_is_valid("ghcr.io") &&
		      !registry_host_is_valid("a/b") && !registry_host_is_valid("host:0") &&
		      !registry_host_is_valid(""),
	      "registry_host_is_valid");
	char *rec = registry_record_name("docker://docker.io/library/alpine:latest", "linux/arm64");
	CHECK_STR(rec, "docker://docker.io/library/alpine:latest platform=linux/arm64", "record name");
	free(rec);

	struct image_ref ir;
	struct error err;
	CHECK(image_ref_parse("docker://busybox", &ir, &err) == 0 && ir.kind == IMAGE_DOCKER && !ir.path &&
		      strcmp(ir.text, "docker://docker.io/library/busybox:latest") == 0,
	      "image_ref_parse docker://");
	image_ref_free(&ir);

	CHECK(image_platform_is_valid("linux/amd64") && image_platform_is_valid("linux/arm64/v8") &&
		      !image_platform_is_valid("linux") && !image_platform_is_valid("linux/") &&
		      !image_platform_is_valid("linux/arm/v7/x") && !image_platform_is_valid("Linux/amd64"),
	      "image_platform_is_valid");

	struct ochre_config cfg;
	char msg[512];
	char text[] = "insecure registry = localhost:5000\ninsecure registry = [::1]:80, reg.lan\n";
	config_init(&cfg);
	int ret = config_parse("t.conf", text, strlen(text), &cfg, msg, sizeof msg);
	CHECK(ret == 0 && cfg.insecure_registries.n == 3 &&
		      strcmp(cfg.insecure_registries.v[0], "localhost:5000") == 0 &&
		      strcmp(cfg.insecure_registries.v[1], "[::1]:80") == 0 &&
		      strcmp(cfg.insecure_registries.v[2], "reg.lan") == 0,
	      "config: insecure registry is a repeatable list");
	config_free(&cfg);
	char bad[] = "insecure registry = http://x/\n";
	config_init(&cfg);
	ret = config_parse("t.conf", bad, strlen(bad), &cfg, msg, sizeof msg);
	CHECK(ret == -1 && strstr(msg, "insecure registry"), "config: insecure registry refuses a URL");
	config_free(&cfg);
	return unit_done();
}
