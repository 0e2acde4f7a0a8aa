/* SPDX-License-Identifier: MIT */
/*
 * console_ctl.c - the control channel on the image's serial console.
 *
 * The protocol (stats, end, quit, reload, nf, flows) is control/proto.h, its server
 * control/server.c; this file feeds the server from the UART and connects
 * its callbacks to the console, the counters and the function.  A halted
 * image is woken by serial input (UART interrupt) and reads it then; one
 * that keeps polling reads it on the main loop's 10 ms tick, more of it
 * while a reload is being received.
 */
#include "control/capture.h"
#include "dataplane/stats.h"
#include "image/image.h"
#include "nf/flows.h"

/* Console output of the control channel and of the counters. */
static void ctl_out(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	k_console_write(s, n);
}

/* Streamed through a small buffer: a firewall's 10,000 rule counters
 * (~1 MiB of text) reach the host whole (dataplane/stats.h). */
void image_print_stats(struct app *app)
{
	static char buf[4096];
	struct stats_writer w;
	stats_init_stream(&w, buf, sizeof(buf), STATS_TEXT, ctl_out, NULL);
	/* Which function: `nfbox reload` checks a config with its code. */
	stats_section(&w, "image");
	stats_str(&w, "function", app->nf->name);
	stats_section(&w, "idle");
	stats_u64(&w, "halts", image_idle.halts);
	stats_u64(&w, "wake_rx", image_idle.wake_rx);
	stats_u64(&w, "wake_timer", image_idle.wake_timer);
	stats_u64(&w, "wake_console", image_idle.wake_console);
	stats_u64(&w, "halted_ms", image_idle.halted_ns / 1000000);
	stats_u64(&w, "coalesced", image_idle.coalesced);
	stats_u64(&w, "coalesce_expired", image_idle.coalesce_expired);
	loop_stats(&app->loop, &w);
	stats_finish(&w);
	if (w.overflow)
		k_printf("(stats truncated)\n");
}


static void ctl_stats(void *ctx)
{
	image_print_stats(((struct image_ctl *)ctx)->app);
}

static void ctl_bulk(void *ctx, bool on)
{
	(void)ctx;
	k_console_rx_bulk(on);
}

static int ctl_reload(void *ctx, const char *name, const char *text, size_t len,
		      unsigned *n_errors)
{
	struct image_ctl *c = ctx;
	struct cfg_errors *errs = sys_alloc(sizeof(*errs), 16);
	if (!errs)
		return -SYS_ENOMEM;
	cfg_errors_init(errs);
	int rc = app_reload(c->app, name, text, len, errs);
	/* On success there are none, by the contract; shown if there are. */
	image_print_errors(errs);
	*n_errors = errs->count;
	sys_free(errs);
	return rc;
}

/* Between bursts, as a reload: the function's state is not in use. */
static int ctl_nf(void *ctx, const char *cmd, char *ans, size_t n)
{
	return app_control(((struct image_ctl *)ctx)->app, cmd, ans, n);
}

/* One round of `nfbox flows`, between bursts like a reload: the chunk
 * goes out on the console before the loop polls again (nf/flows.h). */
static void ctl_flows(void *ctx, uint64_t pos, unsigned max)
{
	struct app *app = ((struct image_ctl *)ctx)->app;
	nf_flows_round(app->nf, app->st, pos, max, sys_now_ns(), ctl_out, NULL);
}

/* ---- nfbox capture -------------------------------------------------------------
 * One capture at a time; its ring (CAPTURE_RING bytes) is allocated when
 * armed and freed when read to its end, so an image that never captures
 * spends no memory on it.  The loop copies into it between nothing else
 * (dataplane/capture.h); rounds drain it between bursts, as `flows` does.
 * A capture nobody has read for CAPTURE_IDLE_NS (the client went away) is
 * dropped by image_ctl_poll. */
#define CAPTURE_RING (256u << 10)
#define CAPTURE_IDLE_NS (10ull * 1000 * 1000 * 1000)

static void capture_drop(struct image_ctl *c)
{
	c->app->loop.cap = NULL;
	sys_free(c->cap.buf);
	memset(&c->cap, 0, sizeof(c->cap));
	c->cap_on = false;
}

static int ctl_capture_start(void *ctx, const char *port, unsigned dirs, uint64_t count,
			     uint32_t snaplen, char *ans, size_t n)
{
	struct image_ctl *c = ctx;
	struct app *app = c->app;
	if (c->cap_on) {
		snprintf(ans, n, "busy: another capture is running (dropped 10 s after its last read)");
		return -SYS_EBUSY;
	}
	int id = -1;
	for (uint16_t i = 0; i < app->n_ports; i++)
		if (strcmp(app->ports[i]->name, port) == 0)
			id = i;
	if (id < 0 && port[0] >= '0' && port[0] <= '9' && !port[1] && port[0] - '0' < app->n_ports)
		id = port[0] - '0';
	if (id < 0) {
		int k = snprintf(ans, n, "no port '%s' (ports:", port);
		for (uint16_t i = 0; i < app->n_ports && k > 0 && (size_t)k < n; i++)
			k += snprintf(ans + k, n - (size_t)k, " %s", app->ports[i]->name);
		if (k > 0 && (size_t)k < n)
			snprintf(ans + k, n - (size_t)k, "%s)", app->n_ports ? "" : " none");
		return -SYS_ENOENT;
	}
	void *buf = sys_alloc(CAPTURE_RING, 64);
	if (!buf) {
		snprintf(ans, n, "no memory for a %u KiB ring", CAPTURE_RING >> 10);
		return -SYS_ENOMEM;
	}
	cap_init(&c->cap, buf, CAPTURE_RING);
	if (cap_arm(&c->cap, (uint16_t)id, dirs, count, snaplen) < 0) {
		sys_free(buf);
		snprintf(ans, n, "bad capture arguments");
		return -SYS_EINVAL;
	}
	c->cap_on = true;
	c->cap_read_ns = sys_now_ns();
	app->loop.cap = &c->cap;
	snprintf(ans, n, "port %d %s ring %u snaplen %u", id, app->ports[id]->name, CAPTURE_RING,
		 (unsigned)c->cap.snaplen);
	return 0;
}

/* One round, between bursts: its lines go out before the loop polls
 * again, at most about `max` bytes of them. */
static void ctl_capture_read(void *ctx, unsigned max)
{
	struct image_ctl *c = ctx;
	if (!c->cap_on) {
		k_printf("capture none no capture is armed\n");
		return;
	}
	control_cap_round(&c->cap, c->app->nf, max, ctl_out, NULL);
	c->cap_read_ns = sys_now_ns();
	if (cap_done(&c->cap))
		capture_drop(c);
}

static void ctl_capture_stop(void *ctx)
{
	struct image_ctl *c = ctx;
	if (!c->cap_on) {
		k_printf("capture none no capture is armed\n");
		return;
	}
	cap_stop(&c->cap);
	k_printf("capture stopping %lu %lu\n", (unsigned long)c->cap.copied,
		 (unsigned long)c->cap.lost);
}

static const struct control_ops image_ctl_ops = {
	.out = ctl_out,
	.stats = ctl_stats,
	.bulk = ctl_bulk,
	.reload = ctl_reload,
	.nf = ctl_nf,
	.flows = ctl_flows,
	.capture_start = ctl_capture_start,
	.capture_read = ctl_capture_read,
	.capture_stop = ctl_capture_stop,
};

void image_ctl_init(struct image_ctl *c, struct app *app)
{
	c->app = app;
	c->cap_on = false;
	control_server_init(&c->srv, &image_ctl_ops, c);
}

/* Read console input.  Outside a transfer, on the loop's slow tick (10 ms):
 * up to 64 bytes, what is there.  During a transfer:
 *  - when packets flowed in the last tick, still on the slow tick, but up to
 *    4 KiB waiting for QEMU to refill the UART's FIFO (~14 bytes per round
 *    of its main loop, k_console_rx_bulk), at most 200 us per tick (2% of
 *    the core);
 *  - when the loop is idle, on every turn, what is there (no waiting): a
 *    packet waits at most one console read (one exit per byte) plus a turn.
 */
int image_ctl_poll(struct image_ctl *c, bool busy)
{
	const bool wait = control_server_receiving(&c->srv) && busy;
	if (c->cap_on && sys_now_ns() - c->cap_read_ns > CAPTURE_IDLE_NS) {
		k_printf("nfbox: capture: not read for %llu s, dropped (%lu frames copied)\n",
			 CAPTURE_IDLE_NS / 1000000000ull, (unsigned long)c->cap.copied);
		capture_drop(c);
	}
	const uint64_t budget_ns = 200 * 1000;
	uint64_t t0 = wait ? sys_now_ns() : 0;
	for (unsigned i = 0; i < (wait ? 4096u : 64u); i++) {
		int ch = k_console_getc();
		if (ch < 0) {
			if (!wait || sys_now_ns() - t0 > budget_ns)
				return 0;
			sys_pause();
			i--;
			continue;
		}
		if (control_server_putc(&c->srv, ch) == CONTROL_QUIT)
			return CONTROL_QUIT;
	}
	return 0;
}
