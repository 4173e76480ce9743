#define _GNU_SOURCE
#include "lowers.h"

#include "die.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define WALK_MAX_DEPTH 4096
#define CHECK_TRIES 8

/* Filesystems whose files are the kernel's answers rather than stored data. */
static const struct {
	unsigned long magic;
	const char *name;
} pseudo_filesystems[] = {
	{ PROC_SUPER_MAGIC, "proc" },
	{ SYSFS_MAGIC, "sysfs" },
	{ CGROUP_SUPER_MAGIC, "cgroup" },
	{ CGROUP2_SUPER_MAGIC, "cgroup2" },
	{ DEBUGFS_MAGIC, "debugfs" },
	{ TRACEFS_MAGIC, "tracefs" },
	{ SECURITYFS_MAGIC, "securityfs" },
	{ SELINUX_MAGIC, "selinuxfs" },
	{ SMACK_MAGIC, "smackfs" },
	{ BPF_FS_MAGIC, "bpf" },
	{ DEVPTS_SUPER_MAGIC, "devpts" },
	{ EFIVARFS_MAGIC, "efivarfs" },
	{ PSTOREFS_MAGIC, "pstore" },
	{ BINFMTFS_MAGIC, "binfmt_misc" },
	{ NSFS_MAGIC, "nsfs" },
	{ 0x62656570UL, "configfs" },
	{ 0x65735543UL, "fusectl" },
	{ 0x19800202UL, "mqueue" },
};

bool lowers_check_filesystem(int fd, const char *path)
{
	struct statfs sfs;
	struct statvfs vfs;
	if (fstatfs(fd, &sfs) < 0 || fstatvfs(fd, &vfs) < 0)
		die_errno("image rootfs '%s'", path);
	for (size_t i = 0; i < sizeof pseudo_filesystems / sizeof pseudo_filesystems[0]; i++)
		if ((unsigned long)sfs.f_type == pseudo_filesystems[i].magic)
			die("image rootfs '%s' is on %s, a pseudo filesystem; refusing", path,
			    pseudo_filesystems[i].name);
	return vfs.f_flag & ST_NOEXEC;
}

struct where {
	unsigned long long mnt_id;
	dev_t dev;
	ino_t ino;
};

static int where_of(int fd, struct where *w)
{
	struct statx stx;
	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID | STATX_INO, &stx) < 0 ||
	    !(stx.stx_mask & STATX_MNT_ID))
		return -1;
	w->mnt_id = stx.stx_mnt_id;
	w->dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
	w->ino = stx.stx_ino;
	return 0;
}

/* Is dir_fd the directory 'lower' or below it, within lower's mount? Walk
 * up with "..", comparing inodes: no name is looked up. */
static bool is_below(int dir_fd, const struct where *lower)
{
	int fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
	bool found = false;
	for (unsigned depth = 0; fd >= 0 && depth < WALK_MAX_DEPTH; depth++) {
		struct where w;
		if (where_of(fd, &w) < 0 || w.mnt_id != lower->mnt_id)
			break;
		if (w.dev == lower->dev && w.ino == lower->ino) {
			found = true;
			break;
		}
		int up = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		struct where u;
		bool top = up >= 0 && where_of(up, &u) == 0 && u.mnt_id == w.mnt_id && u.ino == w.ino;
		close(fd);
		fd = up;
		if (top)
			break;
	}
	if (fd >= 0)
		close(fd);
	return found;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *o = s;
	for (; *s; s++, o++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' &&
		    s[3] <= '7') {
			*o = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*o = *s;
		}
	}
	*o = '\0';
}

/* The mount table, as read from /proc/self/mountinfo. */
#define MOUNTS_MAX 4096
struct mount_entry {
	unsigned long long id, parent;
	char *point;
};
static struct mount_entry mounts[MOUNTS_MAX];
static size_t n_mounts;

static void read_mounts(void)
{
	for (size_t i = 0; i < n_mounts; i++)
		free(mounts[i].point);
	n_mounts = 0;
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		die_errno("read /proc/self/mountinfo");
	char line[8192], point[4096];
	struct mount_entry e;
	while (fgets(line, sizeof line, f)) {
		if (sscanf(line, "%llu %llu %*s %*s %4095s", &e.id, &e.parent, point) != 3)
			continue;
		if (n_mounts == MOUNTS_MAX)
			die("more than %d mounts; refusing", MOUNTS_MAX);
		unescape(point);
		e.point = strdup(point);
		if (!e.point)
			die("out of memory");
		mounts[n_mounts++] = e;
	}
	fclose(f);
}

static const struct mount_entry *mount_by_id(unsigned long long id)
{
	for (size_t i = 0; i < n_mounts; i++)
		if (mounts[i].id == id)
			return &mounts[i];
	return NULL;
}

/* Does the mount point of m, looked up by its path now, still hold m (or
 * mounts stacked on m at the same point)? Returns an O_PATH fd of the
 * directory holding the mount point, or -1 if a rename moved it. */
static int open_mount_point_dir(const struct mount_entry *m)
{
	char dir[4096];
	snprintf(dir, sizeof dir, "%s", m->point);
	char *slash = strrchr(dir, '/');
	if (!slash || slash[1] == '\0')
		return -1;
	const char *name = m->point + (slash - dir) + 1;
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	int fd = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct statx stx;
	if (fd < 0 || statx(fd, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_MNT_ID, &stx) < 0)
		goto moved;
	/* The top of a stack of mounts at that point: walk down to m. */
	for (const struct mount_entry *top = mount_by_id(stx.stx_mnt_id); top; top = mount_by_id(top->parent)) {
		if (top->id == m->id)
			return fd;
		if (strcmp(top->point, m->point) != 0)
			break;
	}
moved:
	if (fd >= 0)
		close(fd);
	return -1;
}

/* One pass over the mounts whose parent is the lower's mount (a deeper
 * mount lies inside one of those). 1: one is below the lower (its mount
 * point in *found); 0: none; -1: a mount point no longer holds its mount
 * (renamed while we looked): try again. */
static int find_submount(const struct where *lower, bool lower_is_root, const char **found)
{
	read_mounts();
	int result = 0;
	for (size_t i = 0; result == 0 && i < n_mounts; i++) {
		const struct mount_entry *m = &mounts[i];
		if (m->parent != lower->mnt_id || m->id == lower->mnt_id)
			continue;
		*found = m->point;
		if (lower_is_root) {
			result = 1;
			continue;
		}
		int fd = open_mount_point_dir(m);
		if (fd < 0)
			result = -1;
		else if (is_below(fd, lower))
			result = 1;
		if (fd >= 0)
			close(fd);
	}
	return result;
}

void lowers_check_no_submounts(int fd, const char *path)
{
	struct where lower;
	struct statx stx;
	if (where_of(fd, &lower) < 0 || statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) < 0)
		die_errno("image rootfs '%s'", path);
	bool lower_is_root =
		stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT && stx.stx_attributes & STATX_ATTR_MOUNT_ROOT;
	const char *found = NULL;
	for (int i = 0; i < CHECK_TRIES; i++) {
		int r = find_submount(&lower, lower_is_root, &found);
		if (r == 0)
			return;
		if (r > 0)
			die("'%s' has a mount below it (%s): overlay would show what that mount covers; refusing", path,
			    found);
	}
	die("the mounts below '%s' kept changing while they were checked; refusing", path);
}
