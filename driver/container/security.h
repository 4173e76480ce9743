/* --security TYPE:VALUE: an SELinux label or AppArmor profile for the
 * container's process, accepted only where the host enables that module
 * (asked of libselinux / libapparmor, loaded only when needed). */
#ifndef OCHRE_SECURITY_H
#define OCHRE_SECURITY_H

#include "../../common/config.h"
#include "../util/error.h"
#include "../util/strv.h"

struct security_opts {
	char *selinux_label;    /* process.selinuxLabel, or NULL */
	char *apparmor_profile; /* process.apparmorProfile, or NULL */
};

/* From the user's --security values, else the config's defaults. */
int security_resolve(const struct strv *args, const struct ochre_config *cfg, struct security_opts *out,
		     struct error *err);
void security_free(struct security_opts *s);

#endif
