/* The admin config parser: defaults, every directive, every refusal. */
#include "../../common/config.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse(const char *text, struct ochre_config *cfg, char *err, size_t errlen)
{
	char *buf = strdup(text);
	config_init(cfg);
	int ret = config_parse("test.conf", buf, strlen(buf), cfg, err, errlen);
	free(buf);
	return ret;
}

static void refused(const char *text, const char *expect, const char *name)
{
	struct ochre_config cfg;
	char err[512] = "";
	int ret = parse(text, &cfg, err, sizeof err);
	CHECK(ret == -1 && strstr(err, expect) != NULL, name);
	if (ret != -1 || !strstr(err, expect))
		printf("#   got ret=%d err='%s', expected '%s'\n", ret, err, expect);
	config_free(&cfg);
}

int main(void)
{
	struct ochre_config cfg;
	char err[512];

	config_init(&cfg);
	CHECK(cfg.n_runtimes == 2 && cfg.runtimes[0] == RUNTIME_CRUN && cfg.runtimes[1] == RUNTIME_RUNC,
	      "default runtime order is crun, runc");
	CHECK(cfg.tmpfs_size == 64ULL << 20, "default tmpfs size is 64M");
	CHECK(cfg.session_dir == NULL && cfg.runtime_path[RUNTIME_CRUN] == NULL, "no default paths");

	CHECK(parse("# comment only\n\n   \n", &cfg, err, sizeof err) == 0, "comments and blank lines");
	config_free(&cfg);

	CHECK(parse("runtime = runc, crun\n"
		    "crun path = /opt/crun/bin/crun   # trailing comment\n"
		    "runc path=/usr/sbin/runc\n"
		    "tmpfs size = 1G\n"
		    "session dir = /var/tmp/ochre\n"
		    "cache dir = /scratch/ochre",
		    &cfg, err, sizeof err) == 0,
	      "every directive, last line without newline");
	CHECK(cfg.n_runtimes == 2 && cfg.runtimes[0] == RUNTIME_RUNC, "runtime order");
	CHECK_STR(cfg.runtime_path[RUNTIME_CRUN], "/opt/crun/bin/crun", "crun path, comment stripped");
	CHECK_STR(cfg.runtime_path[RUNTIME_RUNC], "/usr/sbin/runc", "runc path without spaces");
	CHECK(cfg.tmpfs_size == 1ULL << 30, "tmpfs size 1G");
	CHECK_STR(cfg.session_dir, "/var/tmp/ochre", "session dir");
	CHECK_STR(cfg.cache_dir, "/scratch/ochre", "cache dir");
	config_free(&cfg);

	CHECK(parse("runtime = runc\n", &cfg, err, sizeof err) == 0 && cfg.n_runtimes == 1, "a single runtime");
	config_free(&cfg);

	refused("\n\nfoo = bar\n", "config 'test.conf' line 3: unknown directive 'foo'",
		"an unknown directive, with its line number");
	refused("tmpfs size = 64M\ntmpfs size = 1G\n", "line 2: 'tmpfs size' is set twice", "a repeated directive");
	refused("runtime = crun, docker\n", "unknown runtime 'docker'", "an unknown runtime");
	refused("runtime = crun, crun\n", "listed twice", "a runtime listed twice");
	refused("runtime = ,\n", "at least one", "an empty runtime list");
	refused("crun path = crun\n", "clean absolute path", "a relative runtime path");
	refused("session dir = /tmp/../etc\n", "clean absolute path", "a '..' session dir");
	refused("tmpfs size = lots\n", "bad size", "a bad size");
	refused("tmpfs size = 0\n", "bad size", "a zero size");
	refused("tmpfs size = 64X\n", "bad size", "an unknown size suffix");
	refused("tmpfs size = 99999999999T\n", "bad size", "an overflowing size");
	refused("tmpfs size\n", "expected 'directive = value'", "a line without '='");
	refused("session dir = \n", "needs a value", "an empty value");

	/* allow setuid userns: subid-users by default. */
	config_init(&cfg);
	CHECK(cfg.setuid_userns == SETUID_USERNS_SUBID_USERS, "allow setuid userns defaults to subid-users");
	config_free(&cfg);
	static const struct {
		const char *text;
		enum setuid_userns_rule rule;
	} rules[] = {
		{ "allow setuid userns = yes\n", SETUID_USERNS_ANYONE },
		{ "allow setuid userns = no\n", SETUID_USERNS_NOBODY },
		{ "allow setuid userns = subid-users\n", SETUID_USERNS_SUBID_USERS },
	};
	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
		CHECK(parse(rules[i].text, &cfg, err, sizeof err) == 0 && cfg.setuid_userns == rules[i].rule,
		      rules[i].text);
		config_free(&cfg);
	}
	CHECK(parse("allow setuid userns = group  hpc.users\n", &cfg, err, sizeof err) == 0 &&
		      cfg.setuid_userns == SETUID_USERNS_GROUP,
	      "allow setuid userns = group NAME");
	CHECK_STR(cfg.setuid_userns_group, "hpc.users", "the group's name");
	config_free(&cfg);
	refused("allow setuid userns = maybe\n", "must be yes, no, subid-users or group NAME", "an unknown rule");
	refused("allow setuid userns = group\n", "must be yes, no, subid-users or group NAME", "group without a name");
	refused("allow setuid userns = group a:b\n", "bad group name 'a:b'", "a group name with a colon");
	refused("allow setuid userns = group a b\n", "bad group name 'a b'", "two group names");
	refused("allow setuid userns = groupies\n", "must be yes", "'group' glued to a name");
	refused("allow setuid userns = yes\nallow setuid userns = no\n", "is set twice", "the rule twice");

	unsigned long long v;
	CHECK(config_parse_size("4096", &v) == 0 && v == 4096, "size without suffix");
	CHECK(config_parse_size("2k", &v) == 0 && v == 2048, "size with lower-case suffix");
	CHECK(config_parse_size("-1", &v) == -1, "negative size refused");
	/* Resource limit policy. */
	config_init(&cfg);
	CHECK(cfg.allow_user_limits == 1 && cfg.max_memory == 0 && cfg.max_pids == 0 && cfg.max_cpus_milli == 0,
	      "limits: users may, no caps by default");
	config_free(&cfg);
	CHECK(parse("allow user limits = no\nmax memory = 64G\nmax pids = 4096\nmax cpus = 1.5\n", &cfg, err,
		    sizeof err) == 0 &&
		      cfg.allow_user_limits == 0 && cfg.max_memory == 64ULL << 30 && cfg.max_pids == 4096 &&
		      cfg.max_cpus_milli == 1500,
	      "limits: every directive");
	config_free(&cfg);
	CHECK(parse("max cpus = 8\n", &cfg, err, sizeof err) == 0 && cfg.max_cpus_milli == 8000, "max cpus 8");
	config_free(&cfg);
	refused("allow user limits = maybe\n", "must be yes or no", "allow user limits: a bool");
	refused("max memory = lots\n", "bad size 'lots' for 'max memory'", "max memory: a size");
	refused("max pids = 0\n", "positive whole number", "max pids 0");
	refused("max pids = -1\n", "positive whole number", "max pids -1");
	refused("max cpus = 0\n", "'max cpus' must be", "max cpus 0");
	refused("max cpus = 1.2345\n", "at most 3 decimals", "max cpus: 4 decimals");
	refused("max cpus = 1.\n", "'max cpus' must be", "max cpus '1.'");
	refused("max pids = 5\nmax pids = 6\n", "set twice", "max pids twice");
	/* Devices and GPUs (issue 21). */
	config_init(&cfg);
	CHECK(cfg.mount_dev == MOUNT_DEV_YES && cfg.allow_nv == 1 && cfg.always_use_nv == 0 &&
		      cfg.always_use_rocm == 0 && cfg.device_paths.n == 0,
	      "device defaults: mount dev = yes, allow nv = yes, no always use, any device path");
	config_free(&cfg);
	CHECK(parse("mount dev = minimal\nallow nv = no\nalways use nv = yes\nalways use rocm = yes\n"
		    "allow device path = /dev/fuse, /dev/infiniband\nallow device path = /dev/dri\n",
		    &cfg, err, sizeof err) == 0,
	      "device directives");
	CHECK(cfg.mount_dev == MOUNT_DEV_MINIMAL && cfg.allow_nv == 0 && cfg.always_use_nv == 1 &&
		      cfg.always_use_rocm == 1,
	      "mount dev, allow nv, always use nv/rocm");
	CHECK(cfg.device_paths.n == 3 && strcmp(cfg.device_paths.v[2], "/dev/dri") == 0,
	      "allow device path: a repeatable list");
	config_free(&cfg);
	CHECK(parse("mount dev = yes\n", &cfg, err, sizeof err) == 0 && cfg.mount_dev == MOUNT_DEV_YES,
	      "mount dev = yes");
	config_free(&cfg);
	refused("mount dev = no\n", "'mount dev' must be yes or minimal", "mount dev = no refused");
	refused("allow nv = maybe\n", "'allow nv' must be yes or no", "allow nv needs yes or no");
	refused("always use rocm = 1\n", "'always use rocm' must be yes or no", "always use rocm needs yes or no");
	refused("allow device path = dev/fuse\n", "bad value 'dev/fuse'", "allow device path: absolute only");
	refused("allow nv = yes\nallow nv = no\n", "is set twice", "allow nv twice");

	return unit_done();
}
