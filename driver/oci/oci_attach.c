/* The attach client. conmon listens on a SOCK_SEQPACKET socket: what we
 * write goes to the container's stdin; each packet it sends starts with one
 * byte naming the stream (2 stdout, 3 stderr) followed by the data; our
 * shutdown(SHUT_WR) closes the container's stdin. */
#define _GNU_SOURCE
#include "oci_attach.h"

#include "../../common/log.h"
#include "../util/fsutil.h"
#include "../util/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#define DETACH_1 0x10 /* Ctrl-P */
#define DETACH_2 0x11 /* Ctrl-Q */
#define STREAM_STDOUT 2
#define STREAM_STDERR 3

static int connect_attach(const struct oci_container *c, struct error *err)
{
	/* With --full-attach conmon listens on BUNDLE/attach (bundle.d here);
	 * connect through the directory's fd, as the path may not fit sun_path. */
	char *dir = xasprintf("%s/bundle.d", c->dir);
	int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (dfd < 0)
		return error_set(err, errno, "attach '%s': no attach socket (is it running under conmon?)", c->id);
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	snprintf(addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/attach", dfd);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	int ret = fd < 0 ? -1 : connect(fd, (struct sockaddr *)&addr, sizeof addr);
	int saved = errno;
	close(dfd);
	if (ret < 0) {
		if (fd >= 0)
			close(fd);
		return error_set(err, saved, "attach '%s'", c->id);
	}
	return fd;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The container's exit status, from conmon's exit file (it may lag the
 * socket's close by a moment). */
static int exit_status(const struct oci_container *c, struct error *err)
{
	char *path = xasprintf("%s/exits/%s", c->dir, c->id);
	char *text = NULL;
	struct error ignored;
	for (int i = 0; i < 100 && read_file(path, 64, &text, NULL, &ignored) < 0; i++)
		usleep(50 * 1000);
	free(path);
	if (!text)
		return error_set(err, 0, "attach '%s': the container's exit status is unknown", c->id);
	int status = atoi(text);
	free(text);
	return status;
}

int oci_attach(const struct oci_container *c, struct error *err)
{
	int sock = connect_attach(c, err);
	if (sock < 0)
		return -1;
	/* On a terminal, raw mode: keys (Ctrl-C, Ctrl-P Ctrl-Q) reach us and
	 * the container rather than the line discipline. */
	struct termios saved_tio;
	bool raw = isatty(0) && tcgetattr(0, &saved_tio) == 0;
	if (raw) {
		struct termios tio = saved_tio;
		cfmakeraw(&tio);
		tcsetattr(0, TCSANOW, &tio);
	}

	static char buf[65536];
	bool stdin_open = true, prev_ctrl_p = false, detached = false;
	int ret = 0;
	for (;;) {
		struct pollfd p[2] = { { .fd = sock, .events = POLLIN },
				       { .fd = stdin_open ? 0 : -1, .events = POLLIN } };
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			ret = error_set(err, errno, "attach '%s': poll", c->id);
			break;
		}
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(0, buf, sizeof buf);
			if (n <= 0) {
				stdin_open = false;
				shutdown(sock, SHUT_WR); /* EOF on the container's stdin */
			} else {
				/* Forward everything before a Ctrl-P Ctrl-Q. */
				size_t upto = (size_t)n;
				for (size_t i = 0; i < (size_t)n; i++) {
					if (prev_ctrl_p && buf[i] == DETACH_2) {
						detached = true;
						upto = i ? i - 1 : 0;
						break;
					}
					prev_ctrl_p = buf[i] == DETACH_1;
				}
				if (upto && write_all(sock, buf, upto) < 0)
					stdin_open = false;
				if (detached)
					break;
			}
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = recv(sock, buf, sizeof buf, 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break; /* conmon closed: the container exited */
			int out = buf[0] == STREAM_STDERR ? 2 : 1;
			if (n > 1)
				write_all(out, buf + 1, (size_t)n - 1);
		}
	}
	if (raw)
		tcsetattr(0, TCSANOW, &saved_tio);
	close(sock);
	if (ret < 0)
		return -1;
	if (detached) {
		fprintf(stderr, "ochre: detached from container '%s' (it keeps running)\n", c->id);
		return 0;
	}
	return exit_status(c, err);
}
