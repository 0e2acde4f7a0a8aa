/* SPDX-License-Identifier: MIT */
/*
 * main_loop.c - poll while there is work, halt as soon as there is none.
 *
 * Many images share few cores, so an image must never hold its core
 * while it has nothing to do.  A turn that finds every RX ring empty (after
 * at most `spin_ns` of turns without a frame: nfbox.idle_us, default
 * IDLE_SPIN_US_DEFAULT) re-enables the RX notifications, looks at the rings
 * once more and halts (port_arm_rx_all, then hlt), until the first of:
 *  - frames on any port (its used-buffer notification: MSI-X or IOAPIC);
 *  - serial input (the control channel: IRQ 4);
 *  - the function's next timer (loop_timers_due: the earliest flow expiry
 *    its tables hold), armed on the TSC-deadline timer only when it
 *    changes; with no timer pending, nothing is armed at all.
 * A wake with nothing to do halts again at once.  While frames flow the
 * loop never halts and interrupts stay off, so the console is polled on a
 * 10 ms tick then (one port read, an exit).
 *
 * RX coalescing (interrupt moderation, nfbox.coalesce_us): an image that
 * drains its rings faster than they fill -- the second image of a chain
 * sharing a core with the first -- would halt and be woken for every few
 * frames, and each wake costs more than the frames (an interrupt, a host
 * thread switch; under TCG also QEMU's main loop injecting it: measured
 * 36 us + the vCPU's own, for 100 frames).  So a halt after a busy spell
 * of at least COALESCE_MIN frames asks to be woken once as many frames are
 * waiting again (at most COALESCE_MAX; the driver cuts it to half its
 * posted buffers), and at the latest coalesce_ns after halting.  The batch
 * follows the load by itself: a spell is at least the batch it was woken
 * for, and a wait that ran out of time took only what came in coalesce_ns.
 * A sparse stream (frames one at a time) never waits: its spells are short.
 */
#include "image/image.h"

#define COALESCE_MIN PORT_BURST_MAX /* a spell shorter than one burst: no batching */
#define COALESCE_MAX 512u

struct image_idle image_idle;

/* Halt until `batch` frames on a port, console input or `due`
 * (NF_TIMER_NONE: no timer). */
static void halt_until(struct port *ports, int n, uint64_t now, uint64_t due, uint16_t batch,
		       bool *console)
{
	k_wakeup_at(due == NF_TIMER_NONE ? 0 : k_ns_to_tsc(due));
	/* Frames already waiting (a batch of them) mean no halt. */
	if (!port_arm_rx_all(ports, n, batch))
		k_wait_for_interrupt();
	port_disarm_rx_all(ports, n);
	*console = k_console_take_wake();
	uint64_t woke = sys_now_ns();
	bool timer = !*console && woke >= due;
	image_idle.halts++;
	image_idle.halted_ns += woke - now;
	if (*console)
		image_idle.wake_console++;
	else if (timer)
		image_idle.wake_timer++;
	else
		image_idle.wake_rx++;
	if (batch > 1) {
		image_idle.coalesced++;
		image_idle.coalesce_expired += timer;
	}
}

void image_main_loop(struct image_ctl *ctl, struct port *ports, int n,
		     const struct image_loop_opts *opt)
{
	const uint64_t spin_ns = opt->spin_ns;
	const uint64_t ctl_ns = 10 * 1000 * 1000;
	struct app *app = ctl->app;
	/* A port that cannot interrupt is looked at every 10 ms while halted. */
	const uint64_t max_halt_ns = port_all_interrupt(ports, n) ? UINT64_MAX : ctl_ns;
	uint64_t now = sys_now_ns(), last_ctl = now, last_pkt = now;
	bool console = false; /* serial input woke us: read it now */
	uint32_t spell = 0;   /* frames since the last halt */
	for (;;) {
		now = sys_now_ns();
		unsigned frames = app_poll(app, now);
		bool got = frames != 0;
		spell += frames;
		if (got)
			last_pkt = now;
		bool busy = now - last_pkt < ctl_ns;
		if (console || now - last_ctl >= ctl_ns ||
		    (control_server_receiving(&ctl->srv) && !busy)) {
			last_ctl = now;
			console = false;
			if (image_ctl_poll(ctl, busy) == CONTROL_QUIT)
				return;
		}
		if (got || now - last_pkt < spin_ns)
			continue;
		uint64_t due = loop_timers_due(&app->loop, now);
		if (due <= now)
			continue; /* timers left over (budget): run them first */
		if (due - now > max_halt_ns)
			due = now + max_halt_ns;
		uint16_t batch = 1;
		if (opt->coalesce_ns && spell >= COALESCE_MIN) {
			batch = (uint16_t)SYS_MIN(spell, COALESCE_MAX);
			if (due - now > opt->coalesce_ns)
				due = now + opt->coalesce_ns;
		}
		halt_until(ports, n, now, due, batch, &console);
		spell = 0;
	}
}
