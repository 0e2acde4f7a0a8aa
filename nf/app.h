/* SPDX-License-Identifier: MIT */
/*
 * app.h - bring a function up on its ports, reload it, poll it.
 *
 * The one bring-up of a function, shared by the image (image/main.c),
 * `nfbox replay` and the benchmarks: create the function's state, configure
 * it all or nothing, name the ports the config names, and hand it to the
 * main loop (dataplane/loop.h).  The caller owns pool and ports; the app
 * owns the function's state and the config in force (the function may keep
 * pointers into it).  Portable: builds freestanding and hosted.
 */
#ifndef NFB_NF_APP_H
#define NFB_NF_APP_H

#include "config/config.h"
#include "dataplane/loop.h"
#include "dataplane/nf.h"

struct app {
	struct loop loop;
	const struct nf_ops *nf;
	void *st;
	struct cfg *cfg; /* in force */
	struct port *ports[PORT_MAX];
	uint16_t n_ports;
};

/*
 * Create `nf` on env (pool, port count, flow capacity), configure it with
 * `cfg` and set up its loop over ports[n].  The app owns cfg from here on,
 * whatever the outcome.  Returns 0; -SYS_ENOMEM when the state cannot be
 * made; -SYS_EINVAL when the function rejects the config (its errors in
 * errs, possibly none: then say "config rejected by NF").  app_fini() in
 * every case.
 */
int app_init(struct app *a, const struct nf_ops *nf, const struct nf_env *env,
	     struct port *const *ports, uint16_t n, struct cfg *cfg, struct cfg_errors *errs);

/*
 * Parse `text` (named `name` in errors; includes already flattened) and
 * configure the running function with it, between bursts.  On success the
 * new config is in force and the old one freed; on failure (errors in
 * errs) nothing changed.  0 or a negative SYS_E*.
 */
int app_reload(struct app *a, const char *name, const char *text, size_t len,
	       struct cfg_errors *errs);

/*
 * Run "NAME ARGS..." (an "nf" control line's text) on the function, if it
 * is the function `a` runs and it takes commands (nf_ops.control).  The
 * one-line answer goes into ans[n].  0, -SYS_ENOTSUP (another function, or
 * one without commands: ans says so), or the function's negative SYS_E*.
 */
int app_control(struct app *a, const char *cmd, char *ans, size_t n);

/* One turn of the main loop (dataplane/loop.h: loop_poll). */
static inline unsigned app_poll(struct app *a, uint64_t now)
{
	return loop_poll(&a->loop, now);
}

/* Destroy the function's state and free the config (safe after a failed
 * app_init, and twice). */
void app_fini(struct app *a);

#endif
