/* SPDX-License-Identifier: MIT */
/*
 * image.h - what the files of the image's application share.
 *
 * The application is the one program of an image, above kernel/ (the
 * machine, kernel/kernel.h) and the layers below it:
 *
 *   main.c           k_app_main: config, NICs, pool, the function, ready
 *   config_source.c  the config: fw_cfg "opt/nfbox/config" or the copy
 *                    baked into the image; kernel command line options
 *   main_loop.c      poll while there is work, halt when there is none
 *   console_ctl.c    the control channel on the serial console
 *                    (protocol: control/proto.h, server: control/server.h)
 *
 * Image-only (freestanding).
 */
#ifndef NFB_IMAGE_IMAGE_H
#define NFB_IMAGE_IMAGE_H

#include "control/server.h"
#include "kernel/kernel.h"
#include "nf/app.h"

/* ---- config_source.c ---- */
/* The config the image starts with, parsed; on a bad one, its FILE:LINE:COL
 * errors are printed and the image exits K_EXIT_CONFIG. */
struct cfg *image_load_config(void);
/* Every kept error, one per line, and how many more there were. */
void image_print_errors(const struct cfg_errors *e);
/* "KEY=N" from the kernel command line, else dflt. */
uint64_t image_cmdline_u64(const char *key, uint64_t dflt);

/* ---- console_ctl.c ---- */
struct image_ctl {
	struct control_server srv;
	struct app *app;
	/* `nfbox capture` (console_ctl.c): the ring, when one is armed. */
	struct capture cap;
	bool cap_on;
	uint64_t cap_read_ns; /* the last round read */
};
void image_ctl_init(struct image_ctl *c, struct app *app);
/* Read console input and run what it says.  `busy`: frames flowed in the
 * last tick (see the comment in console_ctl.c for what is read when).
 * Returns CONTROL_QUIT on "quit", else 0. */
int image_ctl_poll(struct image_ctl *c, bool busy);
/* The counters, on the console (the answer to "stats" and "quit"). */
void image_print_stats(struct app *app);

/* ---- main_loop.c ---- */
/* What the main loop's halts cost and what ended them. */
struct image_idle {
	uint64_t halts, wake_rx, wake_timer, wake_console, halted_ns;
	uint64_t coalesced;        /* halts that waited for a batch of frames */
	uint64_t coalesce_expired; /* ... and ended on its time limit instead */
};
extern struct image_idle image_idle;
#define IDLE_SPIN_US_DEFAULT 0
#define COALESCE_US_DEFAULT 200
/* How the main loop polls and halts (nfbox.idle_us, nfbox.coalesce_us). */
struct image_loop_opts {
	uint64_t spin_ns;     /* empty turns before halting */
	uint64_t coalesce_ns; /* longest wait for a batch of frames (0: none) */
};
/* Run the app on its NICs ports[n] until "quit". */
void image_main_loop(struct image_ctl *ctl, struct port *ports, int n,
		     const struct image_loop_opts *opt);

#endif
