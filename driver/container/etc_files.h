/* The container's identity and name service files, made per launch in the
 * session dir and bound over the image's: /etc/passwd and /etc/group with
 * the caller's entry and groups (SingularityCE's OCI-mode default), and
 * /etc/resolv.conf and /etc/hosts from the host (or --dns). */
#ifndef OCHRE_ETC_FILES_H
#define OCHRE_ETC_FILES_H

#include "../image/image_root.h"
#include "../util/error.h"
#include "mount_list.h"

#include <stdbool.h>
#include <sys/types.h>

struct etc_request {
	struct image_root root; /* the image's, for its own passwd and group */
	uid_t uid;              /* the container process's */
	gid_t gid;
	const char *home;     /* the home directory in the container */
	bool identity;        /* write passwd and group (not for root) */
	const char *dns;      /* --dns "IP,IP", or NULL for the host's resolv.conf */
	const char *hostname; /* --hostname, or NULL */
};

/* Check a --dns list: IPv4 or IPv6 addresses, comma separated. */
int etc_dns_validate(const char *dns, struct error *err);

/* Write SESSION/etc/... and add their binds to mounts. */
int etc_files_make(const char *session, const struct etc_request *r, struct mount_list *mounts, struct error *err);

#endif
