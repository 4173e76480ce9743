#define _GNU_SOURCE
#include "session.h"

#include "../../common/log.h"
#include "../util/fsutil.h"
#include "../util/xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Why st, the session base, cannot be ours (NULL: it can): a base in
 * /tmp could have been planted by someone else. */
static const char *foreign_reason(const struct stat *st)
{
	if (S_ISLNK(st->st_mode))
		return "a symbolic link";
	if (!S_ISDIR(st->st_mode))
		return "not a directory";
	if (st->st_uid != getuid())
		return "not owned by you";
	return NULL;
}

/* A fallback of ours beside squatted: squatted-XXXXXX, a directory owned
 * by the caller, mode 0700 (nobody else can make one: they cannot give a
 * directory to us). The smallest name wins, so that every call finds the
 * same one, as `ochre oci` must to find its state again. NULL: none. */
static char *find_fallback(const char *squatted)
{
	const char *name = strrchr(squatted, '/') + 1;
	char *parent = xasprintf("%.*s", (int)(name - squatted), squatted), *best = NULL;
	char *prefix = xasprintf("%s-", name);
	DIR *d = opendir(parent);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		struct stat st;
		if (strncmp(e->d_name, prefix, strlen(prefix)) != 0 || strlen(e->d_name) != strlen(prefix) + 6 ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || foreign_reason(&st) ||
		    (st.st_mode & 077) || (best && strcmp(e->d_name, best) >= 0))
			continue;
		free(best);
		best = xstrdup(e->d_name);
	}
	if (d)
		closedir(d);
	char *found = best ? xasprintf("%s%s", parent, best) : NULL;
	free(best);
	free(prefix);
	free(parent);
	return found;
}

/* Another user holds the predictable base: go on in a fallback of our own
 * rather than be locked out, and say how to get the usual one back. */
static char *fallback_base(const char *squatted, const char *why, struct error *err)
{
	char *base = find_fallback(squatted);
	if (!base) {
		base = xasprintf("%s-XXXXXX", squatted);
		if (!mkdtemp(base)) {
			error_set(err, errno, "session base '%s' is %s, and no fallback could be made", squatted, why);
			free(base);
			return NULL;
		}
	}
	log_warn("session base '%s' is %s: using '%s' instead (have '%s' removed, or set XDG_RUNTIME_DIR "
		 "to a private directory of yours)",
		 squatted, why, base, squatted);
	return base;
}

/* Create dir if missing, then insist it is a real directory, ours, and
 * private; one that another user holds gives way to a fallback. */
static char *private_base(const char *dir, struct error *err)
{
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		error_set(err, errno, "create session base '%s'", dir);
		return NULL;
	}
	struct stat st;
	if (lstat(dir, &st) < 0) {
		error_set(err, errno, "session base '%s'", dir);
		return NULL;
	}
	const char *why = foreign_reason(&st);
	if (why)
		return fallback_base(dir, why, err);
	/* Ours: a loose mode is the caller's to fix. */
	if (st.st_mode & 077) {
		error_set(err, 0, "session base '%s' must not be accessible to others (chmod 700)", dir);
		return NULL;
	}
	return xstrdup(dir);
}

static int is_own_dir(const char *path)
{
	struct stat st;
	return path && path[0] == '/' && stat(path, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == getuid();
}

char *user_runtime_dir(struct error *err)
{
	uid_t uid = getuid();
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	char *base;
	if (is_own_dir(xdg)) {
		base = xasprintf("%s/ochre", xdg);
	} else if (uid == 0) {
		base = xstrdup("/run/ochre");
	} else {
		char *run_user = xasprintf("/run/user/%u", (unsigned)uid);
		if (is_own_dir(run_user))
			base = xasprintf("%s/ochre", run_user);
		else
			base = xasprintf("/tmp/ochre-%u", (unsigned)uid);
		free(run_user);
	}
	char *safe = private_base(base, err);
	free(base);
	return safe;
}

/* Admin's `session dir` (a per-uid subdir in it), else user_runtime_dir(). */
char *session_base(const struct ochre_config *cfg, struct error *err)
{
	if (!cfg->session_dir)
		return user_runtime_dir(err);
	char *base = xasprintf("%s/%u", cfg->session_dir, (unsigned)getuid());
	char *safe = private_base(base, err);
	free(base);
	return safe;
}

/* Fill s for the session dir at path. */
static void session_adopt(const char *path, struct session *s)
{
	memset(s, 0, sizeof *s);
	s->path = xstrdup(path);
	s->id = xasprintf("ochre-%s", strrchr(s->path, '/') + 1);
	s->rootfs = xasprintf("%s/rootfs", s->path);
	s->state = xasprintf("%s/state", s->path);
}

int session_make(const char *path, struct session *s, struct error *err)
{
	memset(s, 0, sizeof *s);
	if (mkdir(path, 0700) < 0)
		return error_set(err, errno, "create session dir '%s'", path);
	session_adopt(path, s);
	char *overlay = xasprintf("%s/overlay", s->path);
	int ret = 0;
	if (mkdir(s->rootfs, 0755) < 0 || mkdir(overlay, 0700) < 0) {
		ret = error_set(err, errno, "populate session dir '%s'", s->path);
		session_remove_path(s->path);
		session_free(s);
	}
	free(overlay);
	return ret;
}

int session_remove_path(const char *path)
{
	return remove_tree(path);
}

/* A retired session's name: .removing-NAME beside it. Session names
 * are PID-SUFFIX (launch.c) and never start with a dot, nor does oci/. */
#define RETIRED_PREFIX ".removing-"
/* A retired dir unchanged this long has lost its cleanup process (the
 * removal changes its mtime as it goes). */
#define RETIRED_STALE_SECONDS 60

char *session_retire(const char *path)
{
	const char *name = strrchr(path, '/') + 1;
	char *retired = xasprintf("%.*s%s%s", (int)(name - path), path, RETIRED_PREFIX, name);
	if (rename(path, retired) == 0) {
		/* Its mtime says since when it is retired (see the sweep). */
		utimensat(AT_FDCWD, retired, NULL, AT_SYMLINK_NOFOLLOW);
		return retired;
	}
	free(retired);
	return errno == ENOENT ? NULL : xstrdup(path);
}

void session_sweep_retired(const char *path)
{
	char *base = xasprintf("%.*s", (int)(strrchr(path, '/') - path), path);
	DIR *d = opendir(base);
	free(base);
	if (!d)
		return;
	time_t now = time(NULL);
	struct dirent *e;
	while ((e = readdir(d))) {
		struct stat st;
		if (strncmp(e->d_name, RETIRED_PREFIX, strlen(RETIRED_PREFIX)) != 0 ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode) ||
		    st.st_mtime > now - RETIRED_STALE_SECONDS)
			continue;
		if (remove_tree_at(dirfd(d), e->d_name) == 0)
			log_debug("removed a stale retired session dir %s", e->d_name);
	}
	closedir(d);
}

void session_free(struct session *s)
{
	free(s->path);
	free(s->id);
	free(s->rootfs);
	free(s->state);
	memset(s, 0, sizeof *s);
}
