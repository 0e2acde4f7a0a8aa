/* SPDX-License-Identifier: MIT */
/*
 * ctl_sock.c - where the control socket of an `nfbox run` is (by --name)
 * and how to reach one: the addresses the relay (relay.c) listens on and
 * the clients (ctl.c) connect to.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "topology/ctl.h"

int ctl_name_path(const char *name, char *buf, size_t len)
{
	size_t nl = strlen(name);
	bool ok = nl > 0 && nl <= 32;
	for (size_t i = 0; i < nl; i++) {
		char ch = name[i];
		ok = ok && ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			    (i > 0 && ((ch >= '0' && ch <= '9') || ch == '-' || ch == '_')));
	}
	if (!ok)
		return -EINVAL;
	const char *d = getenv("NFBOX_RUN_DIR");
	char dflt[64];
	if (!d || !*d) {
		if (geteuid() == 0)
			d = "/run/nfbox/run";
		else {
			const char *x = getenv("XDG_RUNTIME_DIR");
			if (x && *x && strlen(x) < 40)
				snprintf(dflt, sizeof(dflt), "%s/nfbox", x);
			else
				snprintf(dflt, sizeof(dflt), "/tmp/nfbox-%u", (unsigned)geteuid());
			d = dflt;
		}
	}
	if (snprintf(buf, len, "%s/%s.sock", d, name) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

int ctl_sock_addr(const char *path, struct sockaddr_un *a)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(a->sun_path))
		return -ENAMETOOLONG;
	memcpy(a->sun_path, path, strlen(path) + 1);
	return 0;
}

int ctl_connect(const char *path)
{
	struct sockaddr_un a;
	int rc = ctl_sock_addr(path, &a);
	if (rc)
		return rc;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}
