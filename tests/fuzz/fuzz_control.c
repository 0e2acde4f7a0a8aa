/* SPDX-License-Identifier: MIT */
/* libFuzzer: any bytes typed on an image's console, fed to the control
 * server (control/server.c): lines, nonces, reload transfers, captures
 * (a ring with frames in it, drained in rounds whose lines must decode
 * back).  A complete
 * transfer's config is parsed as the image would (config/), so a fuzzed
 * reload reaches the parser too.  Every answer must be whole lines. */
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "control/capture.h"
#include "control/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void f_out(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	if (n == 0 || s[n - 1] != '\n' || memchr(s, '\0', n))
		abort(); /* an answer is one or more whole lines of text */
}

static void f_stats(void *ctx)
{
	(void)ctx;
}

static int f_reload(void *ctx, const char *name, const char *text, size_t len, unsigned *n_errors)
{
	(void)ctx;
	static struct cfg_errors errs;
	cfg_errors_init(&errs);
	struct cfg *cfg = NULL;
	if (len > CONTROL_RELOAD_MAX || !name[0])
		abort();
	int rc = cfg_parse(name, text, len, NULL, NULL, &cfg, &errs);
	cfg_free(cfg);
	*n_errors = errs.count;
	return rc < 0 ? rc : 0;
}

/* ---- capture: a ring of frames; a round's pieces make whole lines that
 * decode to what was copied. */
static struct capture cap;
static uint8_t cap_buf[16384];
static bool cap_on;

static int f_capture_start(void *ctx, const char *port, unsigned dirs, uint64_t count,
			   uint32_t snaplen, char *ans, size_t n)
{
	(void)ctx;
	if (!dirs || (dirs & ~CAP_ALL) || !snaplen || snaplen > CAP_SNAPLEN_MAX || !port[0])
		abort(); /* the server passes only what it checked */
	if (cap_on) {
		snprintf(ans, n, "busy");
		return -SYS_EBUSY;
	}
	cap_init(&cap, cap_buf, sizeof(cap_buf));
	if (cap_arm(&cap, 0, dirs, count, snaplen) < 0)
		abort();
	static uint8_t frame[1600];
	for (unsigned i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(i * 13);
	struct pkt p = {.data = frame};
	for (unsigned i = 0; i < 12; i++) {
		p.len = (uint16_t)(1 + i * 133);
		cap_frame(&cap, &p, 0, dirs & -dirs, i % 5, i);
	}
	cap_on = true;
	snprintf(ans, n, "port 0 %s", port);
	return 0;
}

static char round_out[CONTROL_CAP_ROUND_MAX + 8192];
static size_t round_n;
static void round_piece(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	if (round_n + n > sizeof(round_out) || memchr(s, '\0', n))
		abort();
	memcpy(round_out + round_n, s, n);
	round_n += n;
}

static void f_capture_read(void *ctx, unsigned max)
{
	(void)ctx;
	if (!cap_on)
		return;
	round_n = 0;
	control_cap_round(&cap, NULL, max, round_piece, NULL);
	if (!round_n || round_out[round_n - 1] != '\n')
		abort();
	static uint8_t data[CAP_SNAPLEN_MAX];
	for (size_t i = 0; i < round_n;) {
		size_t e = i;
		while (round_out[e] != '\n')
			e++;
		struct control_cap_frame f;
		if (strncmp(round_out + i, "capture frame ", 14) == 0 &&
		    control_cap_parse(round_out + i, e - i, &f, data, sizeof(data)) != 1)
			abort();
		i = e + 1;
	}
	if (cap_done(&cap))
		cap_on = false;
}

static void f_capture_stop(void *ctx)
{
	(void)ctx;
	if (cap_on)
		cap_stop(&cap);
}

static const struct control_ops ops = {
	.out = f_out, .stats = f_stats, .reload = f_reload,
	.capture_start = f_capture_start, .capture_read = f_capture_read,
	.capture_stop = f_capture_stop,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct control_server s;
	control_server_init(&s, &ops, NULL);
	cap_on = false;
	for (size_t i = 0; i < size; i++)
		control_server_putc(&s, data[i]);
	control_server_fini(&s);
	return 0;
}
