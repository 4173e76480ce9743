#define _GNU_SOURCE
#include "capabilities.h"

#include "../../common/log.h"
#include "../util/xalloc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const names[] = {
	"CAP_CHOWN",
	"CAP_DAC_OVERRIDE",
	"CAP_DAC_READ_SEARCH",
	"CAP_FOWNER",
	"CAP_FSETID",
	"CAP_KILL",
	"CAP_SETGID",
	"CAP_SETUID",
	"CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST",
	"CAP_NET_ADMIN",
	"CAP_NET_RAW",
	"CAP_IPC_LOCK",
	"CAP_IPC_OWNER",
	"CAP_SYS_MODULE",
	"CAP_SYS_RAWIO",
	"CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE",
	"CAP_SYS_PACCT",
	"CAP_SYS_ADMIN",
	"CAP_SYS_BOOT",
	"CAP_SYS_NICE",
	"CAP_SYS_RESOURCE",
	"CAP_SYS_TIME",
	"CAP_SYS_TTY_CONFIG",
	"CAP_MKNOD",
	"CAP_LEASE",
	"CAP_AUDIT_WRITE",
	"CAP_AUDIT_CONTROL",
	"CAP_SETFCAP",
	"CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN",
	"CAP_SYSLOG",
	"CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND",
	"CAP_AUDIT_READ",
	"CAP_PERFMON",
	"CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};
#define N_NAMES (sizeof names / sizeof names[0])

/* The default set of docker, podman and SingularityCE's OCI mode. */
static const unsigned default_bits[] = { 0 /*CHOWN*/,
					 1 /*DAC_OVERRIDE*/,
					 3 /*FOWNER*/,
					 4 /*FSETID*/,
					 5 /*KILL*/,
					 6 /*SETGID*/,
					 7 /*SETUID*/,
					 8 /*SETPCAP*/,
					 10 /*NET_BIND_SERVICE*/,
					 18 /*SYS_CHROOT*/,
					 31 /*SETFCAP*/ };

/* What this kernel knows (a runtime refuses names past it). */
unsigned cap_count(void)
{
	static unsigned count;
	if (count)
		return count;
	count = N_NAMES;
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	unsigned last;
	if (f && fscanf(f, "%u", &last) == 1 && last + 1 < count)
		count = last + 1;
	if (f)
		fclose(f);
	return count;
}

const char *cap_name(unsigned bit)
{
	return bit < cap_count() ? names[bit] : NULL;
}

static uint64_t all_caps(void)
{
	unsigned n = cap_count();
	return n >= 64 ? ~0ULL : (1ULL << n) - 1;
}

/* "CAP_SYS_ADMIN,net_raw,all" → bits. */
static int parse_list(const char *flag, const char *list, uint64_t *bits, struct error *err)
{
	char *copy = xstrdup(list);
	int ret = 0;
	for (char *save = NULL, *n = strtok_r(copy, ",", &save); n && ret == 0; n = strtok_r(NULL, ",", &save)) {
		while (isspace((unsigned char)*n))
			n++;
		if (strcasecmp(n, "all") == 0) {
			*bits |= all_caps();
			continue;
		}
		const char *bare = strncasecmp(n, "CAP_", 4) == 0 ? n + 4 : n;
		unsigned i;
		for (i = 0; i < cap_count(); i++)
			if (strcasecmp(names[i] + 4, bare) == 0)
				break;
		if (i == cap_count())
			ret = error_set(err, 0, "%s: unknown capability '%s'", flag, n);
		else
			*bits |= 1ULL << i;
	}
	free(copy);
	return ret;
}

static int parse_lists(const char *flag, const struct strv *lists, uint64_t *bits, struct error *err)
{
	for (size_t i = 0; lists && i < lists->n; i++)
		if (parse_list(flag, lists->v[i], bits, err) < 0)
			return -1;
	return 0;
}

uint64_t cap_own_bounding_set(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	uint64_t set = all_caps();
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, "CapBnd:", 7) == 0)
			set = strtoull(line + 7, NULL, 16);
	if (f)
		fclose(f);
	return set;
}

int cap_sets_build(const struct cap_request *r, struct cap_sets *out, struct error *err)
{
	uint64_t add = 0, drop = 0, defaults = 0;
	if (parse_lists("--add-caps", r->add, &add, err) < 0 || parse_lists("--drop-caps", r->drop, &drop, err) < 0)
		return -1;
	for (size_t i = 0; i < sizeof default_bits / sizeof default_bits[0]; i++)
		defaults |= 1ULL << default_bits[i];
	defaults &= all_caps();
	memset(out, 0, sizeof *out);
	if (r->no_privs)
		return 0;
	uint64_t beyond = (add | defaults) & ~r->limit;
	for (unsigned i = 0; i < cap_count() && (add & beyond); i++)
		if (add & beyond & (1ULL << i))
			log_warn("--add-caps: %s is not yours to give (not in your bounding set); left out", names[i]);
	if (r->as_root) {
		uint64_t set = ((r->keep_privs ? all_caps() : defaults) | add) & ~drop & r->limit;
		out->bounding = out->effective = out->permitted = set;
		return 0;
	}
	if (r->keep_privs)
		log_warn("--keep-privs applies to root and --fakeroot only; ignored");
	out->bounding = (defaults | add) & ~drop & r->limit;
	out->effective = out->permitted = out->inheritable = out->ambient = add & ~drop & r->limit;
	return 0;
}
