#define _GNU_SOURCE
#include "squashfs.h"

#include "../common/log.h"
#include "die.h"
#include "privilege.h"
#include "supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <unistd.h>

int squashfs_open_fuse(const char *image)
{
	int fd;
	WITH_ROOT_FS_IDS(fd = open("/dev/fuse", O_RDWR | O_CLOEXEC));
	if (fd < 0)
		die_errno("single-file image '%s' needs FUSE, and /dev/fuse cannot be opened here (without the setuid "
			  "starter, or with it and --overlay, /dev/fuse must be mode 0666)",
			  image);
	return fd;
}

/* A FUSE mount on fuse_fd, made with the new mount API and attached on
 * dir_fd. allow_other: the overlay above reads it with its mounter's
 * credentials and the container's processes with theirs, none of them the
 * mount's owner; default_permissions: the kernel checks modes, as on any
 * filesystem. */
static int mount_fuse(const struct squashfs_serve *s)
{
	char fd_text[16];
	snprintf(fd_text, sizeof fd_text, "%d", s->fuse_fd);
	log_debug("[starter] mount fuse.squashfuse on %s (ro,nosuid,nodev,fd=%s,rootmode=40000,user_id=0,"
		  "group_id=0,allow_other,default_permissions)",
		  s->where, fd_text);
	int fs = fsopen("fuse", FSOPEN_CLOEXEC), mnt = -1;
	if (fs < 0 || fsconfig(fs, FSCONFIG_SET_STRING, "source", "squashfuse", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "subtype", "squashfuse", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "fd", fd_text, 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "rootmode", "40000", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "user_id", "0", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "group_id", "0", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_FLAG, "allow_other", NULL, 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_FLAG, "default_permissions", NULL, 0) < 0 ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0 ||
	    (mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)) < 0)
		die_errno("mount FUSE for '%s' on %s", s->file, s->where);
	close(fs);
	if (move_mount(mnt, "", s->dir_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		die_errno("mount FUSE for '%s' on %s", s->file, s->where);
	return mnt;
}

int squashfs_mount(const struct squashfs_serve *s)
{
	int mnt;
	WITH_ROOT_FS_IDS(mnt = mount_fuse(s));
	char offset[32], file[32], dev[32];
	snprintf(offset, sizeof offset, "offset=%llu", s->offset);
	snprintf(file, sizeof file, "/dev/fd/%d", s->file_fd);
	snprintf(dev, sizeof dev, "/dev/fd/%d", s->fuse_fd);
	char *argv[] = { (char *)s->squashfuse, "-o", offset, file, dev, NULL };
	log_debug("[starter] serve %s on it%s: %s -o %s %s %s", s->file, s->server_as_caller ? " as the caller" : "",
		  s->squashfuse, offset, file, dev);
	/* squashfuse_ll checks the image, takes the mounted /dev/fuse over
	 * (libfuse's /dev/fd/N mount point) and goes to the background; its
	 * first process exits 0 then. */
	int keep[] = { s->file_fd, s->fuse_fd };
	struct helper h = { .path = s->squashfuse,
			    .argv = argv,
			    .keep = keep,
			    .n_keep = 2,
			    .quiet = true,
			    .drop_to_caller = s->server_as_caller };
	int rc = run_helper(&h);
	/* Only the server may hold the device now: should it die, the mount
	 * fails every access (ENOTCONN) instead of waiting for an answer. */
	close(s->fuse_fd);
	if (rc != 0)
		die("squashfuse_ll could not serve '%s' (offset %llu): not a squashfs image, or a damaged one "
		    "(exit %d; --debug shows its messages)",
		    s->file, s->offset, rc);
	/* Every request waits for the server's answer to FUSE's INIT. */
	struct statfs sfs;
	int ok;
	WITH_ROOT_FS_IDS(ok = fstatfs(mnt, &sfs));
	if (ok < 0)
		die_errno("squashfuse_ll does not serve '%s' (offset %llu)", s->file, s->offset);
	return mnt;
}
