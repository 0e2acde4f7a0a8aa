/* SPDX-License-Identifier: MIT */
/* server.c - lines, commands and reload transfers of the control protocol. */
#include "control/server.h"

#include "control/capture.h"

#define SAY_MAX 192
_Static_assert(sizeof("nfbox: nf failed: \n") - 1 + CONTROL_ANSWER_MAX <= SAY_MAX,
	       "an nf answer is cut");

static void say(struct control_server *s, const char *fmt, ...) SYS_PRINTF(2, 3);
static void say(struct control_server *s, const char *fmt, ...)
{
	char buf[SAY_MAX];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf)) { /* cut: keep the line a line */
		n = sizeof(buf) - 1;
		buf[n - 1] = '\n';
	}
	s->ops->out(s->ctx, buf, (size_t)n);
}

void control_server_init(struct control_server *s, const struct control_ops *ops, void *ctx)
{
	memset(s, 0, sizeof(*s));
	s->ops = ops;
	s->ctx = ctx;
}

static void reload_drop(struct control_server *s)
{
	if (s->xfer.on && s->ops->bulk)
		s->ops->bulk(s->ctx, false);
	sys_free(s->xfer.buf);
	memset(&s->xfer, 0, sizeof(s->xfer));
}

void control_server_fini(struct control_server *s)
{
	reload_drop(s);
}

/* First problem of a transfer: say it once, ignore the rest until "end". */
static void reload_spoil(struct control_server *s, const char *why)
{
	if (!s->xfer.bad)
		say(s, "nfbox: reload: %s\n", why);
	s->xfer.bad = true;
}

/* A number of at most 12 decimal or 8 hex digits at *p. */
static bool parse_num(const char **p, uint64_t *v, unsigned base)
{
	const char *c = *p;
	uint64_t x = 0;
	unsigned nd = 0;
	for (;; c++, nd++) {
		unsigned d;
		if (*c >= '0' && *c <= '9')
			d = (unsigned)(*c - '0');
		else if (base == 16 && *c >= 'a' && *c <= 'f')
			d = (unsigned)(*c - 'a' + 10);
		else if (base == 16 && *c >= 'A' && *c <= 'F')
			d = (unsigned)(*c - 'A' + 10);
		else
			break;
		if (nd >= (base == 16 ? 8u : 12u))
			return false;
		x = x * base + d;
	}
	if (!nd)
		return false;
	*p = c;
	*v = x;
	return true;
}

static void reload_begin(struct control_server *s, const char *args)
{
	uint64_t len, crc;
	const char *p = args;
	if (s->xfer.on)
		say(s, "nfbox: reload: the previous transfer (%lu of %lu bytes) is dropped\n",
		    (unsigned long)s->xfer.got, (unsigned long)s->xfer.len);
	reload_drop(s);
	if (!parse_num(&p, &len, 10) || *p++ != ' ' || !parse_num(&p, &crc, 16) || *p) {
		say(s, "nfbox: reload: want 'reload begin LEN CRC32'\n");
		return;
	}
	if (len == 0 || len > CONTROL_RELOAD_MAX) {
		say(s, "nfbox: reload: %lu bytes: want 1 to %u\n", (unsigned long)len,
		    CONTROL_RELOAD_MAX);
		return;
	}
	s->xfer.buf = sys_alloc((size_t)len, 16);
	if (!s->xfer.buf) {
		say(s, "nfbox: reload: no memory for %lu bytes\n", (unsigned long)len);
		return;
	}
	s->xfer.len = (size_t)len;
	s->xfer.crc_want = (uint32_t)crc;
	s->xfer.on = true;
	s->xfer.t0_ns = sys_now_ns();
	if (s->ops->bulk)
		s->ops->bulk(s->ctx, true);
	say(s, "nfbox: reload: receiving %lu bytes (data lines of up to %u bytes)\n",
	    (unsigned long)len, CONTROL_CHUNK_LONG);
}

static void reload_data(struct control_server *s, const char *b64)
{
	if (!s->xfer.on) {
		say(s, "nfbox: reload: data without 'reload begin'\n");
		return;
	}
	if (s->xfer.bad)
		return;
	if (s->line_long) {
		char m[64];
		snprintf(m, sizeof(m), "a data line longer than %u characters",
			 (unsigned)CONTROL_DATA_LINE_MAX);
		reload_spoil(s, m);
		return;
	}
	uint8_t *at = (uint8_t *)s->xfer.buf + s->xfer.got;
	int n = control_b64_decode(b64, strlen(b64), at, s->xfer.len - s->xfer.got);
	if (n < 0) {
		reload_spoil(s, s->xfer.got == s->xfer.len ? "more data than announced"
							   : "bad base64 in a data line");
		return;
	}
	s->xfer.crc = control_crc32(s->xfer.crc, at, (size_t)n);
	s->xfer.got += (size_t)n;
}

/* Length and CRC as announced?  Else the transfer is spoiled. */
static void reload_verify(struct control_server *s)
{
	char m[96];
	if (!s->xfer.bad && s->xfer.got != s->xfer.len) {
		snprintf(m, sizeof(m), "got %lu of %lu bytes", (unsigned long)s->xfer.got,
			 (unsigned long)s->xfer.len);
		reload_spoil(s, m);
	}
	if (!s->xfer.bad && s->xfer.crc != s->xfer.crc_want) {
		snprintf(m, sizeof(m), "CRC32 %08x, announced %08x", s->xfer.crc, s->xfer.crc_want);
		reload_spoil(s, m);
	}
}

static void reload_end(struct control_server *s)
{
	if (!s->xfer.on) {
		say(s, "nfbox: reload rejected (no transfer: 'reload begin' first); "
		       "the running config stays\n");
		return;
	}
	reload_verify(s);
	if (s->xfer.bad) {
		reload_drop(s);
		say(s, "nfbox: reload rejected (transfer failed); the running config stays\n");
		return;
	}
	uint64_t t1 = sys_now_ns();
	const char *name, *text;
	size_t text_len;
	unsigned n_errors = 0;
	control_blob_split(s->xfer.buf, s->xfer.len, "(reload)", &name, &text, &text_len);
	int rc = s->ops->reload(s->ctx, name, text, text_len, &n_errors);
	uint64_t t2 = sys_now_ns();
	if (rc < 0 && n_errors)
		say(s, "nfbox: reload rejected (%u error%s in %s); the running config stays\n",
		    n_errors, n_errors == 1 ? "" : "s", name);
	else if (rc < 0)
		say(s, "nfbox: reload rejected (%s); the running config stays\n",
		    rc == -SYS_ENOMEM ? "out of memory" : "the function refused it");
	else
		say(s, "nfbox: reload ok (%s, %lu bytes, received in %lu ms, configured in %lu us)\n",
		    name, (unsigned long)text_len,
		    (unsigned long)((t1 - s->xfer.t0_ns) / 1000000),
		    (unsigned long)((t2 - t1) / 1000));
	reload_drop(s); /* the config keeps no pointer into the text */
}

/* "nf FUNCTION ARGS...": the function's own command, one answer line.
 * The server knows no function: it only frames the answer, so a new
 * command of a function never touches this file. */
static void nf_command(struct control_server *s, const char *cmd)
{
	char ans[CONTROL_ANSWER_MAX];
	ans[0] = '\0';
	int rc = -SYS_ENOTSUP;
	if (!cmd[0] || cmd[0] == ' ') {
		snprintf(ans, sizeof(ans), "want 'nf FUNCTION ARGS...' (e.g. 'nf lb backend ADDR down')");
		rc = -SYS_EINVAL;
	} else if (s->ops->nf) {
		rc = s->ops->nf(s->ctx, cmd, ans, sizeof(ans));
	}
	if (rc == -SYS_ENOTSUP && !ans[0])
		snprintf(ans, sizeof(ans), "'%s' is not supported by this function", cmd);
	say(s, "nfbox: nf %s: %s\n", rc < 0 ? "failed" : "ok", ans);
}

/* "flows POS [MAX]": a round of the flow dump (nf/flows.h). */
static void flows_round(struct control_server *s, const char *args)
{
	uint64_t pos, max = 0;
	const char *p = args;
	bool ok = parse_num(&p, &pos, 10);
	if (ok && *p == ' ') {
		p++;
		ok = parse_num(&p, &max, 10) && max <= UINT32_MAX;
	}
	if (!ok || *p) {
		say(s, "flows none want 'flows POS [MAX]'\n");
		return;
	}
	if (!s->ops->flows) {
		say(s, "flows none this image keeps no flows\n");
		return;
	}
	s->ops->flows(s->ctx, pos, (unsigned)max);
}

/* "capture start PORT DIRS COUNT SNAPLEN", "capture read MAX", "capture
 * stop" (control/capture.h). */
static void capture_cmd(struct control_server *s, const char *args)
{
	if (!s->ops->capture_start || !s->ops->capture_read || !s->ops->capture_stop) {
		say(s, "capture none this image cannot capture\n");
		return;
	}
	const char *p = args;
	uint64_t count, snaplen, max;
	if (strncmp(p, "start ", 6) == 0) {
		p += 6;
		const char *port = p, *sp = strchr(p, ' ');
		if (!sp || sp == p || sp - p >= (long)CONTROL_ANSWER_MAX / 4) {
			say(s, "capture none want 'capture start PORT DIRS COUNT SNAPLEN'\n");
			return;
		}
		char name[CONTROL_ANSWER_MAX / 4];
		memcpy(name, port, (size_t)(sp - port));
		name[sp - port] = '\0';
		const char *dirs = sp + 1, *sp2 = strchr(dirs, ' ');
		unsigned mask = sp2 ? cap_dirs_parse(dirs, (size_t)(sp2 - dirs)) : 0;
		p = sp2 ? sp2 + 1 : dirs;
		if (!mask || !parse_num(&p, &count, 10) || *p++ != ' ' || !parse_num(&p, &snaplen, 10) ||
		    *p || !snaplen || snaplen > CAP_SNAPLEN_MAX) {
			say(s, "capture none want 'capture start PORT rx|tx|drop[,...] COUNT SNAPLEN' "
			       "(SNAPLEN 1 to %u)\n", CAP_SNAPLEN_MAX);
			return;
		}
		char ans[CONTROL_ANSWER_MAX];
		ans[0] = '\0';
		int rc = s->ops->capture_start(s->ctx, name, mask, count, (uint32_t)snaplen, ans,
					       sizeof(ans));
		say(s, "capture %s %s\n", rc < 0 ? "none" : "armed", ans);
	} else if (strncmp(p, "read ", 5) == 0) {
		p += 5;
		if (!parse_num(&p, &max, 10) || *p || max > CONTROL_CAP_ROUND_MAX) {
			say(s, "capture none want 'capture read MAX' (MAX 0 to %u)\n", CONTROL_CAP_ROUND_MAX);
			return;
		}
		s->ops->capture_read(s->ctx, (unsigned)max);
	} else if (strcmp(p, "stop") == 0) {
		s->ops->capture_stop(s->ctx);
	} else {
		say(s, "capture none want 'capture start|read|stop ...'\n");
	}
}

/* One complete line.  Returns CONTROL_QUIT on "quit". */
static int run_line(struct control_server *s, const char *l)
{
	if (strcmp(l, "quit") == 0)
		return CONTROL_QUIT;
	if (strcmp(l, "stats") == 0 || strncmp(l, "stats ", 6) == 0) {
		s->ops->stats(s->ctx);
		if (l[5])
			say(s, "end %s\n", l + 6);
	} else if (strncmp(l, "end ", 4) == 0 && l[4]) {
		say(s, "end %s\n", l + 4);
	} else if (strncmp(l, "reload data ", 12) == 0) {
		reload_data(s, l + 12);
	} else if (strncmp(l, "reload begin ", 13) == 0) {
		reload_begin(s, l + 13);
	} else if (strcmp(l, "reload end") == 0) {
		reload_end(s);
	} else if (strcmp(l, "reload abort") == 0) {
		say(s, "nfbox: reload: %s\n", s->xfer.on ? "transfer aborted" : "no transfer to abort");
		reload_drop(s);
	} else if (strncmp(l, "flows ", 6) == 0) {
		flows_round(s, l + 6);
	} else if (strncmp(l, "capture ", 8) == 0) {
		capture_cmd(s, l + 8);
	} else if (strcmp(l, "nf") == 0 || strncmp(l, "nf ", 3) == 0) {
		nf_command(s, l + (l[2] ? 3 : 2));
	} else if (l[0]) {
		say(s, "nfbox: unknown command '%s' (stats [NONCE], end NONCE, quit, "
		       "reload begin|data|end|abort, nf FUNCTION ARGS, flows POS [MAX], "
		       "capture start|read|stop)\n", l);
	}
	return 0;
}

int control_server_putc(struct control_server *s, int ch)
{
	if (ch != '\r' && ch != '\n') {
		if (s->line_len < CONTROL_DATA_LINE_MAX)
			s->line[s->line_len++] = (char)ch;
		else
			s->line_long = true;
		return 0;
	}
	s->line[s->line_len] = '\0';
	/* Only a data line may pass CONTROL_LINE_MAX. */
	if (s->line_len > CONTROL_LINE_MAX && strncmp(s->line, "reload data ", 12) != 0)
		s->line_long = true;
	s->line_len = 0;
	/* An overflowed line is not run as its first 63 characters ("stats
	 * ..." would answer "end" with a cut nonce); a data line's overflow
	 * spoils its transfer (reload_data). */
	int r = 0;
	if (s->line_long && strncmp(s->line, "reload data ", 12) != 0)
		say(s, "nfbox: a control line longer than %u characters is ignored\n",
		    CONTROL_LINE_MAX);
	else
		r = run_line(s, s->line);
	s->line_long = false;
	return r;
}
