/* SPDX-License-Identifier: MIT */
/*
 * main_loop.c - poll while there is work, halt as soon as there is none.
 *
 * Many images share few cores, so an image must never hold its core
 * while it has nothing to do.  A turn that finds every RX ring empty (after
 * at most `spin_ns` of turns without a frame: nfbox.idle_us, default
 * IDLE_SPIN_US_DEFAULT) re-enables the RX notifications, looks at the rings
 * once more and halts (port_arm_rx_all, then hlt), until the first of:
 *  - a frame on any port (its used-buffer notification: MSI-X or IOAPIC);
 *  - serial input (the control channel: IRQ 4);
 *  - the function's next timer (loop_timers_due: the earliest flow expiry
 *    its tables hold), armed on the TSC-deadline timer only when it
 *    changes; with no timer pending, nothing is armed at all.
 * A wake with nothing to do halts again at once.  While frames flow the
 * loop never halts and interrupts stay off, so the console is polled on a
 * 10 ms tick then (one port read, an exit).
 */
#include "image/image.h"

struct image_idle image_idle;

/* Halt until a frame, console input or `due` (NF_TIMER_NONE: no timer). */
static void halt_until(struct port *ports, int n, uint64_t now, uint64_t due, bool *console)
{
	k_wakeup_at(due == NF_TIMER_NONE ? 0 : k_ns_to_tsc(due));
	/* Any frame already waiting means no halt. */
	if (!port_arm_rx_all(ports, n))
		k_wait_for_interrupt();
	port_disarm_rx_all(ports, n);
	*console = k_console_take_wake();
	uint64_t woke = sys_now_ns();
	image_idle.halts++;
	image_idle.halted_ns += woke - now;
	if (*console)
		image_idle.wake_console++;
	else if (woke >= due)
		image_idle.wake_timer++;
	else
		image_idle.wake_rx++;
}

void image_main_loop(struct image_ctl *ctl, struct port *ports, int n, uint64_t spin_ns)
{
	const uint64_t ctl_ns = 10 * 1000 * 1000;
	struct app *app = ctl->app;
	/* A port that cannot interrupt is looked at every 10 ms while halted. */
	const uint64_t max_halt_ns = port_all_interrupt(ports, n) ? UINT64_MAX : ctl_ns;
	uint64_t now = sys_now_ns(), last_ctl = now, last_pkt = now;
	bool console = false; /* serial input woke us: read it now */
	for (;;) {
		now = sys_now_ns();
		bool got = app_poll(app, now) != 0;
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
		halt_until(ports, n, now, due, &console);
	}
}
