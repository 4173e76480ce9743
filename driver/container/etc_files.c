#define _GNU_SOURCE
#include "etc_files.h"

#include "../../common/log.h"
#include "../util/fsutil.h"
#include "../util/xalloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_GROUPS 1024

int etc_dns_validate(const char *dns, struct error *err)
{
	char *copy = xstrdup(dns);
	int ret = 0, n = 0;
	for (char *save = NULL, *ip = strtok_r(copy, ",", &save); ip && ret == 0; ip = strtok_r(NULL, ",", &save)) {
		unsigned char addr[16];
		n++;
		if (inet_pton(AF_INET, ip, addr) != 1 && inet_pton(AF_INET6, ip, addr) != 1)
			ret = error_set(err, 0, "--dns: '%s' is not an IP address", ip);
	}
	if (ret == 0 && n == 0)
		ret = error_set(err, 0, "--dns: no address given");
	free(copy);
	return ret;
}

/* Write text to SESSION/etc/NAME (0644) and bind it on /etc/NAME. */
static int put_file(const char *session, const char *name, const char *text, size_t len, struct mount_list *mounts,
		    struct error *err)
{
	char *path = xasprintf("%s/etc/%s", session, name);
	int ret = 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		ret = error_set(err, errno, "write %s", path);
	if (fd >= 0 && close(fd) < 0 && ret == 0)
		ret = error_set(err, errno, "write %s", path);
	if (ret == 0) {
		char *dest = xasprintf("/etc/%s", name);
		mount_list_bind(mounts, path, dest, false, false);
		free(dest);
	}
	free(path);
	return ret;
}

/* Field n (0-based) of a colon-separated line, as a fresh string. */
static char *field(const char *line, int n)
{
	const char *p = line;
	for (int i = 0; i < n && p; i++) {
		p = strchr(p, ':');
		if (p)
			p++;
	}
	if (!p)
		return xstrdup("");
	return xasprintf("%.*s", (int)strcspn(p, ":\n"), p);
}

/* The image's lines of etc/NAME, less those skip() rejects, into out. */
static void copy_image_lines(const struct image_root *root, const char *rel, FILE *out,
			     bool (*skip)(const char *line, const void *data), const void *data)
{
	FILE *in = image_root_fopen(root, rel);
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while (in && (n = getline(&line, &cap, in)) > 0) {
		if (skip(line, data))
			continue;
		fputs(line, out);
		if (line[n - 1] != '\n')
			fputc('\n', out);
	}
	free(line);
	if (in)
		fclose(in);
}

struct who {
	const char *name;
	uid_t uid;
};

static bool same_user(const char *line, const void *data)
{
	const struct who *w = data;
	char *name = field(line, 0), *uid = field(line, 2);
	bool same = strcmp(name, w->name) == 0 || (uid[0] && strtoul(uid, NULL, 10) == w->uid);
	free(name);
	free(uid);
	return same;
}

static int make_passwd(const char *session, const struct etc_request *r, const struct passwd *pw,
		       struct mount_list *mounts, struct error *err)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	struct who w = { .name = pw->pw_name, .uid = r->uid };
	copy_image_lines(&r->root, "etc/passwd", out, same_user, &w);
	/* The host's shell if the image has it, else /bin/sh. */
	const char *shell = pw->pw_shell && pw->pw_shell[0] == '/' ? pw->pw_shell : "/bin/sh";
	FILE *probe = image_root_fopen(&r->root, shell + 1);
	if (probe)
		fclose(probe);
	else
		shell = "/bin/sh";
	fprintf(out, "%s:x:%lu:%lu:%s:%s:%s\n", pw->pw_name, (unsigned long)r->uid, (unsigned long)r->gid,
		pw->pw_gecos ? pw->pw_gecos : "", r->home, shell);
	fclose(out);
	int ret = put_file(session, "passwd", text, len, mounts, err);
	free(text);
	return ret;
}

struct groups {
	gid_t ids[MAX_GROUPS];
	int n;
};

static bool group_listed(const char *line, const void *data)
{
	const struct groups *g = data;
	char *gid = field(line, 2);
	bool listed = false;
	for (int i = 0; gid[0] && i < g->n; i++)
		listed |= strtoul(gid, NULL, 10) == g->ids[i];
	free(gid);
	return listed;
}

/* The image's groups, but the caller's own groups as the host names them,
 * each listing the caller as a member. */
static int make_group(const char *session, const struct etc_request *r, const char *user, struct mount_list *mounts,
		      struct error *err)
{
	struct groups g;
	g.ids[0] = r->gid;
	int n = getgroups(MAX_GROUPS - 1, g.ids + 1);
	g.n = 1 + (n > 0 ? n : 0);
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	copy_image_lines(&r->root, "etc/group", out, group_listed, &g);
	for (int i = 0; i < g.n; i++) {
		bool dup = false;
		for (int j = 0; j < i; j++)
			dup |= g.ids[j] == g.ids[i];
		if (dup)
			continue;
		struct group *gr = getgrgid(g.ids[i]);
		char fallback[32];
		snprintf(fallback, sizeof fallback, "group%lu", (unsigned long)g.ids[i]);
		fprintf(out, "%s:x:%lu:%s\n", gr ? gr->gr_name : fallback, (unsigned long)g.ids[i], user);
	}
	fclose(out);
	int ret = put_file(session, "group", text, len, mounts, err);
	free(text);
	return ret;
}

static int make_resolv_conf(const char *session, const struct etc_request *r, struct mount_list *mounts,
			    struct error *err)
{
	char *host = NULL;
	struct error ignored = { .msg = "" };
	read_file("/etc/resolv.conf", 1 << 20, &host, NULL, &ignored);
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	if (r->dns) {
		char *copy = xstrdup(r->dns);
		for (char *save = NULL, *ip = strtok_r(copy, ",", &save); ip; ip = strtok_r(NULL, ",", &save))
			fprintf(out, "nameserver %s\n", ip);
		free(copy);
	}
	/* The host's lines: all of them, or all but its nameservers. */
	for (char *save = NULL, *line = host ? strtok_r(host, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save))
		if (!r->dns || strncmp(line, "nameserver", 10) != 0)
			fprintf(out, "%s\n", line);
	fclose(out);
	free(host);
	int ret = put_file(session, "resolv.conf", text, len, mounts, err);
	free(text);
	return ret;
}

static int make_hosts(const char *session, const struct etc_request *r, struct mount_list *mounts, struct error *err)
{
	char *host = NULL;
	struct error ignored = { .msg = "" };
	size_t host_len = 0;
	read_file("/etc/hosts", 1 << 20, &host, &host_len, &ignored);
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	if (host)
		fprintf(out, "%s%s", host, host_len && host[host_len - 1] != '\n' ? "\n" : "");
	else
		fputs("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n", out);
	if (r->hostname)
		fprintf(out, "127.0.1.1\t%s\n", r->hostname);
	fclose(out);
	free(host);
	int ret = put_file(session, "hosts", text, len, mounts, err);
	free(text);
	return ret;
}

int etc_files_make(const char *session, const struct etc_request *r, struct mount_list *mounts, struct error *err)
{
	char *dir = xasprintf("%s/etc", session);
	int ret = mkdir(dir, 0755);
	free(dir);
	if (ret < 0)
		return error_set(err, errno, "create %s/etc", session);
	if (r->identity) {
		struct passwd *pw = getpwuid(getuid());
		if (!pw)
			return error_set(err, 0, "uid %lu has no passwd entry on this host", (unsigned long)getuid());
		char *name = xstrdup(pw->pw_name);
		ret = make_passwd(session, r, pw, mounts, err);
		if (ret == 0)
			ret = make_group(session, r, name, mounts, err);
		free(name);
		if (ret < 0)
			return -1;
	}
	if (make_resolv_conf(session, r, mounts, err) < 0 || make_hosts(session, r, mounts, err) < 0)
		return -1;
	return 0;
}
