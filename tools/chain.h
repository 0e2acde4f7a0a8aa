/* SPDX-License-Identifier: MIT */
/*
 * chain.h - what is left of the chain/OVS code in tools/ while it moves to
 * topology/ (one header per module there); its users include this for now.
 */
#ifndef NFB_TOOLS_CHAIN_H
#define NFB_TOOLS_CHAIN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "topology/chain.h"
#include "topology/hostsys.h"
#include "topology/openflow.h"
#include "topology/ovs.h"

/* ---- chain_relay.c: `nfbox run --control SOCK` (server side) ---- */
#include <poll.h>
struct relay {
	int lfd, cfd;        /* listening socket, the one client (-1: none) */
	char path[108];      /* sun_path */
	char made_dir[108];  /* the outermost directory we created, "" if none */
	char *obuf;          /* console output the client's socket did not take yet */
	size_t olen;
	bool in_eof;         /* the client shut down its sending side */
};
/* The socket of `nfbox run --name NAME`: $NFBOX_RUN_DIR/NAME.sock, default
 * /run/nfbox/run as root, else $XDG_RUNTIME_DIR/nfbox or /tmp/nfbox-UID.
 * -EINVAL for a bad name (a letter, then letters, digits, '-', '_'; <= 32). */
int ctl_name_path(const char *name, char *buf, size_t len);
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
/* Connect to a control socket: the fd, or -errno. */
int ctl_connect(const char *path);

/* ---- chain_ctl.c: the image's serial console as a control channel ---- */
/* Where a running image listens: the control socket of its `nfbox run`. */
struct ctl_target {
	char sock[108];
	char label[128];
	pid_t pid; /* the nfbox run process, 0 if unknown */
};
/* TARGET is CHAINFILE:NAME, a control socket path, the NAME given to
 * `nfbox run --name`, or the pid of an `nfbox run` with --name/--control.
 * -1 with a message on stderr. */
int ctl_resolve(const char *prog, const char *target, struct ctl_target *t);
/* Send `lines` (each ending in \n), then "LAST NONCE" (LAST is "end", or
 * "stats", which the image answers with its counters and then "end NONCE"),
 * and collect the console output up to the image's "end NONCE" line.
 * *out is malloc'd.  0, or -ETIMEDOUT, -EPIPE (image gone), -errno. */
int ctl_exchange(const struct ctl_target *t, const char *lines, const char *last, char **out,
		 unsigned timeout_ms);
/* "stats NONCE": the counters as lines "section.name value" (other console
 * lines dropped).  0 or -errno. */
int ctl_stats(const struct ctl_target *t, char **text, unsigned timeout_ms);
/* What a failed ctl_stats/ctl_exchange means for the user, in words. */
const char *ctl_strerror(int rc);
/* Type "quit" (no answer awaited).  0 or -errno. */
int ctl_quit(const char *sock);
/* Print "section.name value" lines as one JSON object. */
void ctl_stats_json(const char *text, FILE *to);
/* Value of "section.name" in stats text, or `dflt`. */
uint64_t ctl_stat(const char *text, const char *key, uint64_t dflt);
/* The value of "section.name" in stats text as a string into buf; -1 if absent. */
int ctl_stat_str(const char *text, const char *key, char *buf, size_t len);

#endif
