/* SPDX-License-Identifier: MIT */
/*
 * ctl.h - the image's serial console as a control channel, host side.
 * Prefix ctl_.
 *
 * `nfbox run --control SOCK` (or --name NAME) relays a unix socket to the
 * image's console (relay.h).  ctl_sock.c says where those sockets are and
 * connects to one; ctl.c is the client of `nfbox stats`, `nfbox reload`,
 * `nfbox lb` and `nfbox chain`: it finds an image's socket from a TARGET,
 * sends request lines ending in a nonce and collects the answer up to the
 * image's "end NONCE" line.
 */
#ifndef NFB_TOPOLOGY_CTL_H
#define NFB_TOPOLOGY_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct sockaddr_un;

/* ---- ctl_sock.c: the control sockets ---- */
/* The socket of `nfbox run --name NAME`: $NFBOX_RUN_DIR/NAME.sock, default
 * /run/nfbox/run as root, else $XDG_RUNTIME_DIR/nfbox or /tmp/nfbox-UID.
 * -EINVAL for a bad name (a letter, then letters, digits, '-', '_'; <= 32). */
int ctl_name_path(const char *name, char *buf, size_t len);
/* A unix socket address for path; -ENAMETOOLONG if it does not fit. */
int ctl_sock_addr(const char *path, struct sockaddr_un *a);
/* Connect to a control socket: the fd, or -errno. */
int ctl_connect(const char *path);

/* ---- ctl.c: requests to a running image ---- */
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
 * and collect the console output up to the image's "end NONCE" line:
 * -ETIMEDOUT after timeout_ms without output (or 60 s more in all).
 * *out is malloc'd.  0, or -ETIMEDOUT, -EPIPE (image gone), -errno. */
int ctl_exchange(const struct ctl_target *t, const char *lines, const char *last, char **out,
		 unsigned timeout_ms);
/* "stats NONCE": the counters as lines "section.name value" (other console
 * lines dropped).  0 or -errno. */
int ctl_stats(const struct ctl_target *t, char **text, unsigned timeout_ms);
/* What a failed ctl_stats/ctl_exchange means for the user, in words. */
const char *ctl_strerror(int rc);
/* The same as one line on stderr: "PROG: LABEL: no answer from the image's
 * console in 3.0 s (is it wedged?)[; THEN]" for a timeout, else
 * ctl_strerror's words.  `then` (or NULL) says what it means for the
 * command ("the backend's state is unknown"). */
void ctl_perror(const char *prog, const struct ctl_target *t, int rc, unsigned timeout_ms,
		const char *then);
/* ---- ctl_flows.c: the flow table of a running image ---- */
/* Ask for the flow table in rounds of at most `chunk` flows ("flows POS
 * MAX", nf/flows.h), handing every line of each answer to line(ctx, l,
 * n) (other console output included: the callback picks its lines).
 * Stops after the round with "flows end" or "flows none", or when line()
 * returns true.  0; -EPROTO when a round ends without saying where the
 * next starts (an image that does not know "flows": *why says so);
 * or ctl_exchange's errors. */
int ctl_flows(const struct ctl_target *t, unsigned timeout_ms, unsigned chunk,
	      bool (*line)(void *ctx, const char *l, size_t n), void *ctx, const char **why);

/* ---- ctl_capture.c: frames of a running image (`nfbox capture`) ---- */
struct control_cap_frame;
struct ctl_capture_req {
	const char *port;  /* a port's name or index */
	const char *dirs;  /* "rx", "tx", "drop" or a comma list */
	uint64_t count;    /* frames (0: until *stop) */
	uint32_t snaplen;
	unsigned timeout_ms;
	volatile int *stop; /* set (by a signal handler): stop copying, drain, end */
};
struct ctl_capture_res {
	bool armed;        /* the image armed it */
	char msg[192];     /* its "capture armed ..." answer, or why not */
	uint64_t frames;   /* frame lines handed to frame() */
	uint64_t copied, lost; /* the image's count: copied, ring full */
	uint64_t bad;      /* frame lines that did not decode */
};
/* Arm a capture ("capture start ...", control/capture.h) and read its
 * rounds until "capture done", handing each frame to frame(ctx, ...)
 * (a non-zero return stops, returned).  0; -EPROTO when the image refuses
 * (res->msg says why) or its answers make no sense; ctl_exchange's
 * errors. */
int ctl_capture(const struct ctl_target *t, const struct ctl_capture_req *q,
		int (*frame)(void *ctx, const struct control_cap_frame *f, const uint8_t *data),
		void *ctx, struct ctl_capture_res *res);

/* Type "quit" (no answer awaited).  0 or -errno. */
int ctl_quit(const char *sock);
/* Print "section.name value" lines as one JSON object. */
void ctl_stats_json(const char *text, FILE *to);
/* Value of "section.name" in stats text, or `dflt`. */
uint64_t ctl_stat(const char *text, const char *key, uint64_t dflt);
/* The value of "section.name" in stats text as a string into buf; -1 if absent. */
int ctl_stat_str(const char *text, const char *key, char *buf, size_t len);

#endif
