#define _GNU_SOURCE
#include "security.h"

#include "../../common/log.h"
#include "../util/xalloc.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Call int SYMBOL(void) from LIBRARY; false when either is missing. The
 * libraries are loaded only here so that no launch pays for them. */
static bool library_says_enabled(const char *library, const char *symbol)
{
	void *h = dlopen(library, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		log_debug("%s: %s", library, dlerror());
		return false;
	}
	int (*fn)(void) = (int (*)(void))dlsym(h, symbol);
	bool on = fn && fn() > 0;
	log_debug("%s: %s() says %s", library, symbol, on ? "enabled" : "disabled");
	dlclose(h);
	return on;
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

static int take(const char *arg, const char *source, struct security_opts *out, struct error *err)
{
	const char *colon = strchr(arg, ':');
	const char *value = colon ? colon + 1 : "";
	if (!colon || !*value || !printable(value))
		return error_set(err, 0, "%s '%s': expected selinux:LABEL or apparmor:PROFILE", source, arg);
	size_t type_len = (size_t)(colon - arg);
	if (type_len == 7 && strncmp(arg, "selinux", 7) == 0) {
		if (!library_says_enabled("libselinux.so.1", "is_selinux_enabled"))
			return error_set(err, 0, "%s '%s': SELinux is not enabled on this host", source, arg);
		free(out->selinux_label);
		out->selinux_label = xstrdup(value);
		return 0;
	}
	if (type_len == 8 && strncmp(arg, "apparmor", 8) == 0) {
		if (!library_says_enabled("libapparmor.so.1", "aa_is_enabled"))
			return error_set(err, 0, "%s '%s': AppArmor is not enabled on this host", source, arg);
		free(out->apparmor_profile);
		out->apparmor_profile = xstrdup(value);
		return 0;
	}
	return error_set(err, 0, "%s '%s': unknown type '%.*s' (known: selinux, apparmor)", source, arg, (int)type_len,
			 arg);
}

int security_resolve(const struct strv *args, const struct ochre_config *cfg, struct security_opts *out,
		     struct error *err)
{
	memset(out, 0, sizeof *out);
	/* The admin's defaults first; the user's values replace them. */
	for (size_t i = 0; i < cfg->security.n; i++)
		if (take(cfg->security.v[i], "config 'security'", out, err) < 0)
			goto fail;
	for (size_t i = 0; i < args->n; i++)
		if (take(args->v[i], "--security", out, err) < 0)
			goto fail;
	return 0;
fail:
	security_free(out);
	return -1;
}

void security_free(struct security_opts *s)
{
	free(s->selinux_label);
	free(s->apparmor_profile);
	memset(s, 0, sizeof *s);
}
