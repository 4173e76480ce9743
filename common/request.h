/* The driver -> starter request: a small, strict, versioned text format.
 *
 * The driver writes it into a memfd (which, unlike a pipe, cannot fill up
 * and block the driver) and hands it over as fd 3, which the starter reads
 * to the end before it does anything else. One "KEY VALUE" per line; the first line is the magic
 * and version, the last line is "end" (so a truncated request is refused).
 * Unknown keys, repeated single keys, missing required keys, NUL bytes,
 * over-long lines and values that are not what their key demands are all
 * errors: the starter validates the whole request before its first act.
 *
 *   OCHRE-STARTER-REQUEST 1
 *   mode run                             (optional, default run; or "enter")
 *   log-level debug                      (optional, default warning)
 *   session /run/user/1000/ochre/s-Ab12  (clean absolute path, caller-owned, 0700)
 *   lower /home/u/rootfs                 (1..16 lower or lower-squashfs in all,
 *                                         the first is top-most)
 *   lower-squashfs 4096 1048576 /home/u/img.sif
 *                                        (a squashfs image at OFFSET, SIZE bytes
 *                                         long, in a file: served by squashfuse,
 *                                         see the starter's squashfs.c)
 *   squashfuse /usr/bin/squashfuse_ll    (required with lower-squashfs)
 *   tmpfs-size 67108864                  (bytes, for the overlay's upper tmpfs)
 *   upper /home/u/overlay                (optional: a persistent writable overlay
 *                                         dir, caller-owned, holding upper/ and
 *                                         work/; replaces the tmpfs upper)
 *   uid-range 1 100000 65536             (optional, 0..4: subordinate ids for
 *   gid-range 1 100000 65536              the rootless outer user namespace)
 *   newuidmap /usr/bin/newuidmap         (required with uid-range)
 *   newgidmap /usr/bin/newgidmap         (required with gid-range)
 *   mountpoints SESSION/mountpoints       (optional: the driver's layer of mount
 *                                         points, stacked bottom-most; only empty
 *                                         dirs and files, checked by the starter)
 *   overlay auto                         (optional: auto, kernel or fuse; auto
 *                                         falls back to fuse-overlayfs when the
 *                                         kernel refuses, rootless only)
 *   fuse-overlayfs /usr/bin/fuse-overlayfs (required with overlay fuse)
 *   userns yes                           (optional: a setuid starter drops its
 *                                         privilege at once, user-namespace mode)
 *   caller-ids self                      (optional, setuid mode: the caller's
 *                                         uid and gid keep their numbers in the
 *                                         user namespace, and a uid-range and a
 *                                         gid-range give its root, which runs the
 *                                         payload; default "root": the caller is
 *                                         root there)
 *   lifeline-fd 4                        (optional: the driver's cleanup socket)
 *   payload /usr/bin/crun                (clean absolute path)
 *   payload-exec readonly                (optional, either mode: exec the
 *                                         payload from a read-only clone of its
 *                                         mount, see the starter's exec_payload;
 *                                         default "path")
 *   sync-fd 5                            (optional, enter mode: kept open for
 *                                         the payload, named in _OCI_SYNCPIPE)
 *   arg crun                             (1..64: the payload's argv)
 *   end
 *
 * Mode "run" builds and supervises a container (the keys above, session,
 * lower and tmpfs-size required). Mode "enter" only enters a mount
 * namespace (and, for a non-root caller, a user namespace mapping the
 * caller to itself), hides a hybrid cgroup2 mount and execs the payload:
 * for runtimes and conmon acting on a bundle the caller prepared. It takes
 * no session, lower, tmpfs-size, id ranges or lifeline.
 */
#ifndef OCHRE_REQUEST_H
#define OCHRE_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#define REQUEST_MAGIC "OCHRE-STARTER-REQUEST"
#define REQUEST_VERSION 1
#define REQUEST_FD 3
#define REQUEST_LIFELINE_FD 4
#define REQUEST_MAX_BYTES (64 * 1024)
#define REQUEST_MAX_LINE 4096
#define REQUEST_MAX_LOWERS 16
#define REQUEST_MAX_ARGS 64
#define REQUEST_MAX_ID_RANGES 4
#define REQUEST_MAX_TMPFS_SIZE (1ULL << 40)
#define REQUEST_SYNC_FD_MIN 5
#define REQUEST_SYNC_FD_MAX 1023

struct id_range {
	unsigned long inside;  /* first id inside the outer user namespace */
	unsigned long outside; /* first id on the host */
	unsigned long count;
};

enum request_overlay {
	REQUEST_OVERLAY_AUTO,
	REQUEST_OVERLAY_KERNEL,
	REQUEST_OVERLAY_FUSE,
};

enum request_mode {
	REQUEST_MODE_RUN,
	REQUEST_MODE_ENTER,
};

/* Where a lower is a squashfs image inside a file (size 0: a directory). */
struct request_squashfs {
	unsigned long long offset;
	unsigned long long size;
};

struct starter_request {
	enum request_mode mode;
	int log_level;
	const char *session;
	const char *lowers[REQUEST_MAX_LOWERS];
	struct request_squashfs lower_squashfs[REQUEST_MAX_LOWERS]; /* by the index in lowers */
	size_t n_lowers;
	const char *squashfuse; /* squashfuse_ll, with a lower-squashfs */
	unsigned long long tmpfs_size;
	const char *upper;       /* NULL: a tmpfs upper */
	const char *mountpoints; /* SESSION/mountpoints, or NULL */
	enum request_overlay overlay;
	const char *fuse_overlayfs;
	bool force_userns;
	bool caller_ids_self; /* caller-ids self */
	struct id_range uid_ranges[REQUEST_MAX_ID_RANGES];
	size_t n_uid_ranges;
	struct id_range gid_ranges[REQUEST_MAX_ID_RANGES];
	size_t n_gid_ranges;
	const char *newuidmap;
	const char *newgidmap;
	int lifeline_fd; /* -1 when absent */
	int sync_fd;     /* -1 when absent */
	const char *payload;
	bool payload_exec_readonly;             /* payload-exec readonly */
	const char *args[REQUEST_MAX_ARGS + 1]; /* NULL-terminated */
	size_t n_args;
};

/* The range that maps id 0 of the user namespace, or NULL. */
const struct id_range *request_root_range(const struct id_range *r, size_t n);

/* Set every field to its "absent" value. */
void request_init(struct starter_request *req);

/* Serialise; returns the length written, or -1 (with err filled) when a value
 * cannot be represented (contains a newline, too long) or buf is too small. */
long request_format(const struct starter_request *req, char *buf, size_t cap, char *err, size_t errlen);

/* Parse and validate buf[0..len) in place; pointers in req point into buf.
 * Returns 0, or -1 with a one-line reason in err. */
int request_parse(char *buf, size_t len, struct starter_request *req, char *err, size_t errlen);

#endif
