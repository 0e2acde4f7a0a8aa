/* SPDX-License-Identifier: MIT */
/*
 * server.h - the image's side of the control protocol (proto.h).
 *
 * Fed one character at a time from the console, it assembles lines, runs
 * the commands and receives reload transfers; what the commands do to the
 * image goes through the callbacks, so the same code runs in the image
 * (image/console_ctl.c) and under a hosted unit test over an in-memory
 * console (tests/unit/test_control.c).
 *
 * A reload's blob lives in one sys_alloc'd buffer sized by LEN and freed
 * when the transfer ends, is aborted or restarted (a new "reload begin").
 * The CRC is computed as data arrives.  The first bad line spoils the
 * transfer: it is reported once, later data lines are dropped quietly and
 * "reload end" answers "rejected".  The config is handed to the reload
 * callback only complete and with the announced CRC.
 */
#ifndef NFB_CONTROL_SERVER_H
#define NFB_CONTROL_SERVER_H

#include "control/proto.h"

/* Room for the answer of an "nf" command, its NUL included: with its
 * "nfbox: nf failed: " it stays one console line of the server's. */
#define CONTROL_ANSWER_MAX 160

struct control_ops {
	/* Console output (the answers; every line ends in '\n'). */
	void (*out)(void *ctx, const char *s, size_t n);
	/* Print the counters (through out or the same console). */
	void (*stats)(void *ctx);
	/* A transfer starts (true) or ends (false): the console may batch its
	 * input meanwhile.  May be NULL. */
	void (*bulk)(void *ctx, bool on);
	/* Parse and apply a received config, all or nothing.  0, or a negative
	 * SYS_E* after printing why (*n_errors FILE:LINE:COL errors, 0 when it
	 * was something else, e.g. -SYS_ENOMEM).  The text is freed after. */
	int (*reload)(void *ctx, const char *name, const char *text, size_t len,
		      unsigned *n_errors);
	/* A command of the running function: `cmd` is the line after "nf "
	 * ("lb backend 10.0.1.2 down": the function's name, then its words).
	 * Writes a one-line answer (no '\n') into ans[n]; 0, or a negative
	 * SYS_E* with ans saying why (-SYS_ENOTSUP and ans empty: the function
	 * takes no commands).  May be NULL: no function takes commands.  The
	 * server answers "nfbox: nf ok: ANS" or "nfbox: nf failed: ANS". */
	int (*nf)(void *ctx, const char *cmd, char *ans, size_t n);
	/* "flows POS [MAX]": one round of the flow table from position pos,
	 * at most max flows (0: the default), printed through out
	 * (nf/flows.h says the lines).  May be NULL: the server answers
	 * "flows none ...". */
	void (*flows)(void *ctx, uint64_t pos, unsigned max);
	/* `nfbox capture` (control/capture.h).  "capture start PORT DIRS
	 * COUNT SNAPLEN": arm a capture of port PORT (its name or index),
	 * directions `dirs` (CAP_* mask), count frames (0: until stopped), at
	 * most snaplen bytes each; 0 with a one-line answer in ans[n] (no
	 * '\n': the port and what was armed), or a negative SYS_E* with ans
	 * saying why.  The server answers "capture armed ANS" or "capture
	 * none ANS".  "capture read MAX": one round of the ring, printed
	 * through out (control_cap_round, or "capture none WHY").  "capture
	 * stop": copy no more frames (what the ring holds stays readable);
	 * one line answers it.  All three may be NULL: "capture none this
	 * image cannot capture". */
	int (*capture_start)(void *ctx, const char *port, unsigned dirs, uint64_t count,
			     uint32_t snaplen, char *ans, size_t n);
	void (*capture_read)(void *ctx, unsigned max);
	void (*capture_stop)(void *ctx);
};

struct control_server {
	const struct control_ops *ops;
	void *ctx;
	char line[CONTROL_DATA_LINE_MAX + 1]; /* only data lines pass CONTROL_LINE_MAX */
	unsigned line_len;
	bool line_long; /* the line being read did not fit */
	struct {
		char *buf;
		size_t len, got;
		uint32_t crc_want, crc;
		bool on, bad;
		uint64_t t0_ns;
	} xfer;
};

#define CONTROL_QUIT 1

void control_server_init(struct control_server *s, const struct control_ops *ops, void *ctx);
/* One console character.  Returns CONTROL_QUIT when a "quit" line ended,
 * else 0. */
int control_server_putc(struct control_server *s, int ch);
/* A reload transfer is under way (the console is worth reading often). */
static inline bool control_server_receiving(const struct control_server *s)
{
	return s->xfer.on;
}
/* Drop a transfer in progress (its buffer is freed). */
void control_server_fini(struct control_server *s);

#endif
