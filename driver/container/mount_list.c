#define _GNU_SOURCE
#include "mount_list.h"

#include "../util/strv.h"
#include "../util/xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif

static void entry_free(struct mount_entry *e)
{
	free(e->dest);
	free(e->type);
	free(e->source);
	strv_free(e->options);
}

void mount_list_add(struct mount_list *l, const char *dest, const char *type, const char *source,
		    const char *const *options, bool user)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].dest, dest) == 0) {
			entry_free(&l->v[i]);
			memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof l->v[0]);
			l->n--;
			break;
		}
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->v = xreallocarray(l->v, l->cap, sizeof l->v[0]);
	}
	struct strv opts = { 0 };
	for (size_t i = 0; options[i]; i++)
		strv_add(&opts, xstrdup(options[i]));
	if (!opts.v)
		opts.v = xcalloc(1, sizeof *opts.v);
	l->v[l->n++] = (struct mount_entry){
		.dest = xstrdup(dest),
		.type = xstrdup(type),
		.source = xstrdup(source),
		.options = opts.v,
		.user = user,
	};
}

/* Can the runtime set mount flags recursively (mount_setattr, Linux 5.12)?
 * Asked once, with arguments it refuses: only ENOSYS means no. */
static bool kernel_sets_recursive_flags(void)
{
	static int known = -1;
	if (known < 0) {
		long r = syscall(SYS_mount_setattr, -1, "", 0, NULL, (size_t)0);
		known = !(r < 0 && (errno == ENOSYS || errno == EPERM));
	}
	return known;
}

/* A bind's flags are asked for twice: "nosuid"/"nodev", which the runtime
 * applies by remounting the bind, and "rnosuid"/"rnodev", which it
 * applies with mount_setattr(AT_RECURSIVE) afterwards. The second is no
 * luxury: where crun makes the container's user namespace itself (user
 * namespace mode), it clones a bind with open_tree() before entering it
 * and never remounts a writable one, so "nodev" alone is lost (crun 1.8);
 * and "rbind" brings the source's submounts along, which a remount leaves
 * as they were. Directories only: crun opens the target of a recursive
 * flag with O_DIRECTORY and fails on a file. A source that does not exist
 * yet is a directory made later (-W's). */
static bool wants_recursive_flags(const char *source)
{
	struct stat st;
	if (stat(source, &st) < 0)
		return errno == ENOENT && kernel_sets_recursive_flags();
	return S_ISDIR(st.st_mode) && kernel_sets_recursive_flags();
}

static void add_bind(struct mount_list *l, const char *source, const char *dest, bool ro, bool user, bool devices)
{
	const char *opts[8];
	size_t n = 0;
	bool recursive = wants_recursive_flags(source);
	opts[n++] = "rbind";
	opts[n++] = "nosuid";
	if (!devices)
		opts[n++] = "nodev";
	if (ro)
		opts[n++] = "ro";
	if (recursive)
		opts[n++] = "rnosuid";
	if (recursive && !devices)
		opts[n++] = "rnodev";
	opts[n] = NULL;
	mount_list_add(l, dest, "none", source, opts, user);
}

void mount_list_bind(struct mount_list *l, const char *source, const char *dest, bool ro, bool user)
{
	add_bind(l, source, dest, ro, user, false);
}

void mount_list_bind_devices(struct mount_list *l, const char *source, const char *dest, bool ro, bool user)
{
	add_bind(l, source, dest, ro, user, true);
}

bool mount_list_has(const struct mount_list *l, const char *dest)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].dest, dest) == 0)
			return true;
	return false;
}

static size_t depth(const char *path)
{
	size_t d = 0;
	for (const char *p = path; *p; p++)
		if (*p == '/' && p[1] && p[1] != '/')
			d++;
	return d;
}

void mount_list_sort(struct mount_list *l)
{
	/* Insertion sort: stable, and the lists are short. */
	for (size_t i = 1; i < l->n; i++) {
		struct mount_entry e = l->v[i];
		size_t d = depth(e.dest), j = i;
		while (j > 0 && depth(l->v[j - 1].dest) > d) {
			l->v[j] = l->v[j - 1];
			j--;
		}
		l->v[j] = e;
	}
}

void mount_list_free(struct mount_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		entry_free(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

void mount_list_tmpfs_owner(struct mount_list *l, unsigned long uid, unsigned long gid)
{
	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->v[i].type, "tmpfs") != 0)
			continue;
		for (char **o = l->v[i].options; *o; o++) {
			if (strncmp(*o, "uid=", 4) == 0) {
				free(*o);
				*o = xasprintf("uid=%lu", uid);
			} else if (strncmp(*o, "gid=", 4) == 0) {
				free(*o);
				*o = xasprintf("gid=%lu", gid);
			}
		}
	}
}
