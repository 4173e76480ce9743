/* The administrator's policy file, etc/ochre.conf.
 *
 * Syntax: one "directive = value" per line; '#' starts a comment; blank
 * lines are ignored. Directive names may contain spaces ("crun path").
 * An unknown directive, a repeated one or a bad value is an error that
 * names the file and line: a typo in policy must never be silently ignored.
 * The file itself documents every directive with its default. */
#ifndef OCHRE_CONFIG_H
#define OCHRE_CONFIG_H

#include <stddef.h>

#define CONFIG_MAX_BYTES (256 * 1024)
#define CONFIG_MAX_RUNTIMES 2

enum runtime_kind {
	RUNTIME_CRUN,
	RUNTIME_RUNC,
	RUNTIME_KIND_COUNT,
};

#define CONFIG_MAX_LIST 64 /* entries of a list directive */

enum overlay_mode {
	OVERLAY_AUTO,   /* kernel overlay, else fuse-overlayfs */
	OVERLAY_KERNEL, /* kernel overlay only */
	OVERLAY_FUSE,   /* fuse-overlayfs only */
};

/* 'allow setuid userns': who gets the user namespace a setuid starter
 * makes, where the host lets them make none of their own. */
enum setuid_userns_rule {
	SETUID_USERNS_SUBID_USERS, /* subid-users (default): an /etc/subuid and /etc/subgid entry */
	SETUID_USERNS_ANYONE,      /* yes */
	SETUID_USERNS_NOBODY,      /* no */
	SETUID_USERNS_GROUP,       /* group NAME: members of NAME */
};

/* 'mount dev': the /dev of a --no-compat container. */
enum mount_dev_mode {
	MOUNT_DEV_YES,     /* the host's /dev, bound (default, as SingularityCE) */
	MOUNT_DEV_MINIMAL, /* the runtime's minimal /dev (a tmpfs with null, zero, ...) */
};

/* A directive that may be given many times, or hold a comma list. */
struct config_list {
	char *v[CONFIG_MAX_LIST];
	size_t n;
};

struct ochre_config {
	enum runtime_kind runtimes[CONFIG_MAX_RUNTIMES]; /* search order */
	size_t n_runtimes;
	char *runtime_path[RUNTIME_KIND_COUNT]; /* NULL: search the system dirs */
	unsigned long long tmpfs_size;          /* bytes */
	char *session_dir;                      /* NULL: per-user default */
	char *cache_dir;                        /* NULL: per-user default */
	char *conmon_path;                      /* NULL: search the system dirs */
	char *fuse_overlayfs_path;              /* NULL: search the system dirs */
	char *fusermount_path;                  /* NULL: search the system dirs */
	char *squashfuse_path;                  /* squashfuse_ll; NULL: search the system dirs */
	int allow_sif;                          /* 1 (default) or 0: single-file images (SIF, squashfs) */
	enum overlay_mode overlay;
	int allow_setuid; /* 1 (default) or 0 */
	enum setuid_userns_rule setuid_userns;
	char *setuid_userns_group;              /* with SETUID_USERNS_GROUP */
	int allow_user_overlay;                 /* 1 (default) or 0: -o/--overlay */
	int user_bind_control;                  /* 1 (default) or 0: -B/--mount */
	int mpi_passthrough;                    /* 1 (default) or 0: Slurm/MPI launches (driver/container/mpi.h) */
	struct config_list bind_paths;          /* "SRC[:DST]", for --no-compat */
	struct config_list limit_paths;         /* clean absolute paths */
	struct config_list limit_owners;        /* user names or uids */
	struct config_list security;            /* "selinux:LABEL", "apparmor:PROFILE" */
	struct config_list insecure_registries; /* host[:port] reached over plain HTTP (docker://) */
	/* Resource limits (--memory, --cpus, ...) asked by users; root is not
	 * limited by these. 0: no cap. */
	int allow_user_limits;         /* 1 (default) or 0 */
	unsigned long long max_memory; /* bytes */
	unsigned long long max_pids;
	unsigned long long max_cpus_milli; /* 'max cpus' x 1000 */
	enum mount_dev_mode mount_dev;     /* with --no-compat */
	int allow_nv;                      /* 1 (default) or 0: --nv, --nvccli */
	int always_use_nv;                 /* 0 (default) or 1: --nv for every container */
	int always_use_rocm;               /* 0 (default) or 1: --rocm for every container */
	struct config_list device_paths;   /* 'allow device path': empty = any device */
};

const char *runtime_kind_name(enum runtime_kind kind);
int runtime_kind_from_name(const char *name); /* -1 when unknown */

void config_init(struct ochre_config *cfg);
void config_free(struct ochre_config *cfg);

/* Parse text[0..len) (modified in place; text[len] must be '\0') into cfg; name is used in messages.
 * Returns 0, or -1 with "config 'NAME' line N: ..." in err. */
int config_parse(const char *name, char *text, size_t len, struct ochre_config *cfg, char *err, size_t errlen);

/* Parse "64M", "1G", "4096" into bytes (K, M, G, T are powers of 1024). */
int config_parse_size(const char *s, unsigned long long *out);

#endif
