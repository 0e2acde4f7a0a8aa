/* SPDX-License-Identifier: MIT */
/*
 * relay.h - the control socket of `nfbox run --control SOCK` (or --name
 * NAME), server side: one client at a time types into the image's serial
 * console and reads what it prints (relay.c).  Prefix relay_.  The socket
 * addresses are ctl.h's; its clients are in ctl.c.
 */
#ifndef NFB_TOPOLOGY_RELAY_H
#define NFB_TOPOLOGY_RELAY_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

struct relay {
	int lfd, cfd;        /* listening socket, the one client (-1: none) */
	char path[108];      /* sun_path */
	char made_dir[108];  /* the outermost directory we created, "" if none */
	char *obuf;          /* console output the client's socket did not take yet */
	size_t olen;
	bool in_eof;         /* the client shut down its sending side */
};
/* Listen on path (its directory made if missing; a stale socket replaced,
 * a live one refused).  0, or -1 with a message in err. */
int relay_listen(struct relay *r, const char *path, char *err, size_t errlen);
/* What to poll: the client if one is connected, else the listening socket. */
void relay_pollfd(const struct relay *r, struct pollfd *pf);
/* After poll: accept a client, or pass its bytes on to console_fd. */
void relay_handle(struct relay *r, short revents, int console_fd);
/* Console output: to the client too (dropped if it does not keep up). */
void relay_output(struct relay *r, const void *buf, size_t n);
/* Close, remove the socket and the directories we made if empty. */
void relay_close(struct relay *r);

#endif
