/* The container's mounts, in the order the runtime makes them. */
#ifndef OCHRE_MOUNT_LIST_H
#define OCHRE_MOUNT_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct mount_entry {
	char *dest;
	char *type;
	char *source;
	char **options; /* NULL-terminated */
	bool user;      /* asked for by the user (-B, --mount, -H, ...) */
};

struct mount_list {
	struct mount_entry *v;
	size_t n, cap;
};

/* Append a mount; a later mount on the same destination replaces an
 * earlier one (a user's -B /tmp wins over the default tmpfs). */
void mount_list_add(struct mount_list *l, const char *dest, const char *type, const char *source,
		    const char *const *options, bool user);
/* Append a bind of source on dest ("rbind", nosuid, nodev, and ro if asked). */
void mount_list_bind(struct mount_list *l, const char *source, const char *dest, bool ro, bool user);

/* The same for a device node or a directory of them (binds.h:
 * bind_source_is_device): no nodev, so that the devices open (as far as
 * their owner and mode let the caller). */
void mount_list_bind_devices(struct mount_list *l, const char *source, const char *dest, bool ro, bool user);

/* The tmpfs mounts made for the container's user (home, scratch: their
 * uid= and gid= options): now owned by uid:gid instead. For a user taken
 * once the mounts are planned (the image's, see cmd_launch.c). */
void mount_list_tmpfs_owner(struct mount_list *l, unsigned long uid, unsigned long gid);

bool mount_list_has(const struct mount_list *l, const char *dest);

/* Order parents before children (by path depth, stably), so that a mount
 * inside another one's destination is made after it: nested binds work
 * whatever order they were given in. */
void mount_list_sort(struct mount_list *l);

void mount_list_free(struct mount_list *l);

#endif
