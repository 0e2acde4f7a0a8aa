/* SPDX-License-Identifier: MIT */
/*
 * relay.c - the control socket of `nfbox run --control SOCK` (or
 * --name NAME): a unix stream socket whose clients type into the image's
 * serial console and read what it prints.
 *
 * One client at a time: while one is connected, the listening socket is not
 * polled, so the next waits in the backlog (its request already written)
 * and is served when the first hangs up.  That serialises `nfbox stats` and
 * `nfbox reload` against one image without locks.  A client sees the
 * console output from the moment it is accepted; the image's "end NONCE"
 * line (control/proto.h) tells it where its answer ends.
 *
 * Console output goes to the client without blocking `nfbox run`.  QEMU
 * writes the serial port byte by byte, so we relay many tiny pieces, and a
 * unix socket's send buffer counts each piece with its ~1 KiB overhead: a
 * few hundred pieces fill it while a client on a loaded machine has not
 * been scheduled yet.  So what the socket does not take waits in our own
 * buffer (RELAY_BUF_MAX) and goes out when the socket is writable; only a
 * client that lets that fill up too is dropped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "topology/ctl.h"
#include "topology/relay.h"

#define RELAY_BUF_MAX (1u << 20)

/* mkdir -p of the socket's directory, remembering the first one we made so
 * relay_close can take the empty ones away again. */
static int make_parents(struct relay *r)
{
	char d[sizeof(r->path)];
	snprintf(d, sizeof(d), "%s", r->path);
	char *slash = strrchr(d, '/');
	if (!slash || slash == d)
		return 0;
	*slash = '\0';
	for (char *s = d + 1;; s++) {
		bool last = *s == '\0';
		if (*s == '/' || last) {
			*s = '\0';
			if (mkdir(d, 0755) == 0) {
				if (!r->made_dir[0])
					snprintf(r->made_dir, sizeof(r->made_dir), "%s", d);
			} else if (errno != EEXIST)
				return -errno;
			if (last)
				break;
			*s = '/';
		}
	}
	return 0;
}

int relay_listen(struct relay *r, const char *path, char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	r->lfd = r->cfd = -1;
	struct sockaddr_un a;
	if (ctl_sock_addr(path, &a) < 0) {
		snprintf(err, errlen, "control socket path too long (at most %zu bytes): %s",
			 sizeof(a.sun_path) - 1, path);
		return -1;
	}
	snprintf(r->path, sizeof(r->path), "%s", path);
	int rc = make_parents(r);
	if (rc) {
		snprintf(err, errlen, "cannot make the directory of %s: %s", path, strerror(-rc));
		return -1;
	}
	/* Whoever may write the directory may replace our socket with theirs
	 * (and read what clients type into it, a reload's config too): it
	 * must be ours or root's, and not writable by others unless sticky
	 * (/tmp).  A directory someone else made at our /tmp/nfbox-UID is
	 * refused here. */
	struct stat st;
	char dir[sizeof(r->path)];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode) ||
	    (st.st_uid != geteuid() && st.st_uid != 0) ||
	    ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))) {
		snprintf(err, errlen, "%s: not a private directory (must belong to uid %u or root, "
			 "not writable by group or others)", dir, (unsigned)geteuid());
		return -1;
	}
	/* A socket nobody listens on is a leftover of a crash: take it.  Only
	 * then (ECONNREFUSED): a socket we may not connect to may be alive. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s exists and is not a socket", path);
			return -1;
		}
		int fd = ctl_connect(path);
		if (fd >= 0) {
			close(fd);
			snprintf(err, errlen, "%s is in use (another image has that name)", path);
			return -1;
		}
		if (fd != -ECONNREFUSED && fd != -ENOENT) {
			snprintf(err, errlen, "%s exists and cannot be checked: %s", path,
				 strerror(-fd));
			return -1;
		}
		unlink(path);
	}
	/* The mode before bind(): the socket file is created with it (Linux
	 * takes a socket's inode mode), so it is never open to others, not
	 * even between bind() and a chmod(). */
	r->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (r->lfd < 0 || fchmod(r->lfd, 0600) < 0 ||
	    bind(r->lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(r->lfd, 16) < 0 ||
	    chmod(path, 0600) < 0) { /* it types into the console: the owner only */
		snprintf(err, errlen, "cannot listen on %s: %s", path, strerror(errno));
		if (r->lfd >= 0)
			close(r->lfd);
		r->lfd = -1;
		return -1;
	}
	return 0;
}

void relay_pollfd(const struct relay *r, struct pollfd *pf)
{
	pf->fd = r->cfd >= 0 ? r->cfd : r->lfd;
	/* A client that shut down its sending side still gets its answer;
	 * POLLHUP (reported unasked) tells when it has gone altogether. */
	pf->events = (r->cfd >= 0 && r->in_eof ? 0 : POLLIN) | (r->cfd >= 0 && r->olen ? POLLOUT : 0);
	pf->revents = 0;
}

static void drop_client(struct relay *r)
{
	if (r->cfd >= 0)
		close(r->cfd);
	r->cfd = -1;
	r->olen = 0;
	r->in_eof = false;
}

/* Send what is buffered; false if the client is gone. */
static bool flush_out(struct relay *r)
{
	size_t o = 0;
	while (o < r->olen) {
		ssize_t w = send(r->cfd, r->obuf + o, r->olen - o, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			break;
		if (w <= 0)
			return false;
		o += (size_t)w;
	}
	memmove(r->obuf, r->obuf + o, r->olen - o);
	r->olen -= o;
	return true;
}

void relay_handle(struct relay *r, short revents, int console_fd)
{
	if (!revents)
		return;
	if (r->cfd < 0) {
		int fd = accept4(r->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd >= 0)
			r->cfd = fd;
		return;
	}
	if ((revents & POLLOUT) && !flush_out(r)) {
		drop_client(r);
		return;
	}
	if (!(revents & (POLLIN | POLLHUP | POLLERR)))
		return;
	if (r->in_eof) { /* nothing more to read: POLLHUP or POLLERR */
		drop_client(r);
		return;
	}
	char buf[4096];
	ssize_t n = read(r->cfd, buf, sizeof(buf));
	if (n == 0 && !(revents & (POLLHUP | POLLERR))) {
		/* shutdown(SHUT_WR) after the request (socat, nc -N): the
		 * answer still goes out. */
		r->in_eof = true;
		return;
	}
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		drop_client(r);
		return;
	}
	/* The console pipe to QEMU: blocking, so a long reload transfer is
	 * passed on whole at the speed the image reads it. */
	for (ssize_t o = 0; o < n;) {
		ssize_t w = write(console_fd, buf + o, (size_t)(n - o));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		o += w;
	}
}

void relay_output(struct relay *r, const void *buf, size_t n)
{
	if (r->cfd < 0)
		return;
	if (r->olen + n > RELAY_BUF_MAX) {
		drop_client(r);
		return;
	}
	if (!r->obuf && !(r->obuf = malloc(RELAY_BUF_MAX))) {
		drop_client(r);
		return;
	}
	memcpy(r->obuf + r->olen, buf, n);
	r->olen += n;
	if (!flush_out(r))
		drop_client(r);
}

void relay_close(struct relay *r)
{
	drop_client(r);
	free(r->obuf);
	r->obuf = NULL;
	if (r->lfd >= 0) {
		close(r->lfd);
		unlink(r->path);
	}
	r->lfd = -1;
	/* The directories we made, if nothing else lives in them now. */
	if (r->made_dir[0]) {
		char d[sizeof(r->path)];
		snprintf(d, sizeof(d), "%s", r->path);
		for (char *s = strrchr(d, '/'); s && s > d; s = strrchr(d, '/')) {
			*s = '\0';
			if (rmdir(d) < 0 || strcmp(d, r->made_dir) == 0)
				break;
		}
	}
}
