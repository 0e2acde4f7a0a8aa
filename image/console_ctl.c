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

static const struct control_ops image_ctl_ops = {
	.out = ctl_out,
	.stats = ctl_stats,
	.bulk = ctl_bulk,
	.reload = ctl_reload,
	.nf = ctl_nf,
	.flows = ctl_flows,
};

void image_ctl_init(struct image_ctl *c, struct app *app)
{
	c->app = app;
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
