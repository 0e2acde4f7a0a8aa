/* SPDX-License-Identifier: MIT */
/*
 * app.c - the image's one application: config, pool, NICs, the function,
 * then the main loop until asked to stop.
 *
 *   banner -> config (fw_cfg "opt/nfbox/config", else the copy baked into
 *   the image) -> parse (errors as FILE:LINE:COL, exit 1) -> packet pool ->
 *   vnet_probe_all -> create + configure the image's single registered
 *   function -> "ready in N us" (N from the TSC at guest entry) -> loop.
 *
 * The ready line is printed first; boot messages (buffered, console.c)
 * follow it.
 *
 * Both config sources hold "NAME\0TEXT": the file name the host saw, for
 * error messages, then the text (`nfbox build` and `nfbox run` write it).
 *
 * Kernel command line (nfbox run passes it with -append):
 *   nfbox.idle_us=N   idle spell before halting until a packet (200)
 *   nfbox.pool=N      packet buffers (default from RAM)
 *
 * Control: serial input lines "stats" (print counters) and "quit" (print
 * counters, exit 0).  Serial input is polled every 10 ms; an idle image
 * halting in vnet_wait_rx() is woken by it too (UART interrupt).
 */
#include "config/config.h"
#include "dataplane/loop.h"
#include "dataplane/stats.h"
#include "drivers/virtio/virtio_net.h"
#include "kernel/kernel_priv.h"

int k_app_main(void);

/* The baked-in config (the builder links it into .config_blob). */
extern const char __config_blob_start[] __attribute__((weak));
extern const char __config_blob_end[] __attribute__((weak));

#define FWCFG_CONFIG "opt/nfbox/config"

static uint64_t cmdline_u64(const char *key, uint64_t dflt)
{
	const char *c = k_cmdline();
	size_t kl = strlen(key);
	while (*c) {
		while (*c == ' ')
			c++;
		if (strncmp(c, key, kl) == 0 && c[kl] == '=') {
			uint64_t v = 0;
			const char *d = c + kl + 1;
			if (*d < '0' || *d > '9')
				return dflt;
			while (*d >= '0' && *d <= '9')
				v = v * 10 + (uint64_t)(*d++ - '0');
			return v;
		}
		while (*c && *c != ' ')
			c++;
	}
	return dflt;
}

static void print_errors(const struct cfg_errors *e)
{
	for (unsigned i = 0; cfg_errors_get(e, i); i++)
		k_printf("%s\n", cfg_errors_get(e, i));
	if (e->count > CFG_ERRORS_MAX)
		k_printf("... and %u more errors\n", e->count - CFG_ERRORS_MAX);
}

/* Split "NAME\0TEXT" (a blob without a NUL near its start is all text). */
static void split_blob(const char *blob, size_t len, const char *dflt_name, const char **name,
		       const char **text, size_t *text_len)
{
	const char *nul = memchr(blob, '\0', len < 1024 ? len : 1024);
	if (nul && nul > blob) {
		*name = blob;
		*text = nul + 1;
		*text_len = len - (size_t)(nul + 1 - blob);
	} else {
		*name = dflt_name;
		*text = blob;
		*text_len = len;
	}
}

static struct cfg *load_config(void)
{
	char *fw = NULL;
	size_t fw_len = 0;
	const char *blob, *name, *text, *src;
	size_t blob_len, text_len;
	int rc = k_fwcfg_read(FWCFG_CONFIG, &fw, &fw_len);
	if (rc == 0) {
		blob = fw;
		blob_len = fw_len;
		src = "fw_cfg " FWCFG_CONFIG;
	} else {
		if (rc != -SYS_ENOENT)
			k_printf("nfbox: fw_cfg: error %d; using the built-in config\n", rc);
		blob = __config_blob_start;
		blob_len = (size_t)(__config_blob_end - __config_blob_start);
		src = "built in";
		if (!blob)
			blob_len = 0;
	}
	split_blob(blob ? blob : "", blob_len, "(config)", &name, &text, &text_len);
	k_printf("nfbox: config %s (%s, %lu bytes)\n", name, src, (unsigned long)text_len);
	struct cfg_errors *errs = sys_alloc(sizeof(*errs), 16);
	if (!errs) {
		k_printf("nfbox: out of memory for the config\n");
		k_exit(K_EXIT_CONFIG);
	}
	cfg_errors_init(errs);
	struct cfg *cfg = NULL;
	rc = cfg_parse(name, text, text_len, NULL, NULL, &cfg, errs);
	if (rc < 0 || !cfg) {
		print_errors(errs);
		k_printf("nfbox: config rejected\n");
		k_exit(K_EXIT_CONFIG);
	}
	sys_free(errs);
	sys_free(fw); /* cfg keeps no pointer into the text */
	return cfg;
}

/* ---- control: serial lines ------------------------------------------------ */
static char ctl_line[64];
static unsigned ctl_len;

/* Returns 1 on "quit", 2 on "stats", 0 otherwise. */
static int control_poll(void)
{
	for (int i = 0; i < 64; i++) {
		int c = k_console_getc();
		if (c < 0)
			return 0;
		if (c == '\r' || c == '\n') {
			ctl_line[ctl_len] = '\0';
			ctl_len = 0;
			if (strcmp(ctl_line, "quit") == 0)
				return 1;
			if (strcmp(ctl_line, "stats") == 0)
				return 2;
			if (ctl_line[0])
				k_printf("nfbox: unknown command '%s' (stats, quit)\n", ctl_line);
		} else if (ctl_len < sizeof(ctl_line) - 1) {
			ctl_line[ctl_len++] = (char)c;
		}
	}
	return 0;
}

static void print_stats(struct loop *l)
{
	static char buf[16384];
	struct stats_writer w;
	stats_init(&w, buf, sizeof(buf), STATS_TEXT);
	loop_stats(l, &w);
	const char *s = stats_finish(&w);
	k_console_write(s, strlen(s));
	if (w.overflow)
		k_printf("(stats truncated)\n");
}

/* nfbox.verbose=1: where boot time goes (TSC stamps, printed at ready). */
static uint64_t phase_tsc[8];
static const char *phase_name[8];
static unsigned n_phase;

static void phase(const char *name)
{
	if (n_phase < 8) {
		phase_tsc[n_phase] = sys_rdtsc();
		phase_name[n_phase++] = name;
	}
}

int k_app_main(void)
{
	phase("kernel");
	const struct nf_ops *nf = nf_at(0);
	k_printf("nfbox: %s image, %lu MiB RAM, TSC %lu MHz (%s)%s\n", nf ? nf->name : "(no function)",
		 (unsigned long)(k_ram_bytes() >> 20), (unsigned long)(k_tsc_hz() / 1000000),
		 k_tsc_source(), k_pvm ? ", kvm_pvm supervisor mode" : "");
	if (!nf || nf_at(1)) {
		k_printf("nfbox: an image links exactly one function (found %s)\n",
			 nf ? "several" : "none");
		return K_EXIT_PLATFORM;
	}
	struct cfg *cfg = load_config();
	phase("config");

	/* Packet buffers: 1024 by default (2 MiB): two 256-entry RX rings,
	 * a TX ring's worth in flight, bursts.  Each buffer's first touch
	 * is a host page fault (~5-10 us when nested), so boot time grows
	 * with the pool; nfbox.pool=N for more. */
	size_t free_b = k_alloc_largest();
	uint64_t want = cmdline_u64("nfbox.pool", 0);
	if (!want) {
		want = free_b / 4 / PKT_BUF_SIZE;
		want = SYS_MIN(want, 1024);
		want = SYS_MAX(want, 256);
	}
	struct pkt_pool *pool = pkt_pool_create((uint32_t)want);
	if (!pool) {
		k_printf("nfbox: cannot allocate %lu packet buffers (%lu KiB free)\n",
			 (unsigned long)want, (unsigned long)(free_b >> 10));
		return K_EXIT_PLATFORM;
	}

	phase("pool");
	static struct port ports[PORT_MAX];
	struct vnet_options vo = {.queue_size = 256};
	int n = vnet_probe_all(pool, &vo, ports, PORT_MAX);
	if (n < 0) {
		k_printf("nfbox: virtio-net probe failed: error %d\n", n);
		return K_EXIT_PLATFORM;
	}

	phase("virtio");
	/* Flow tables: a quarter of what is left, 64-byte entries. */
	size_t left = k_alloc_largest();
	uint64_t flows = left / 4 / 64;
	uint32_t cap = 1024;
	while ((uint64_t)cap * 2 <= flows && cap < (1u << 22))
		cap *= 2;
	struct nf_env env = {.pool = pool, .n_ports = (uint16_t)n, .flow_capacity = cap};
	void *st = nf->create(&env);
	if (!st) {
		k_printf("nfbox: %s: cannot create its state\n", nf->name);
		return K_EXIT_PLATFORM;
	}
	struct cfg_errors *errs = sys_alloc(sizeof(*errs), 16);
	if (!errs)
		return K_EXIT_PLATFORM;
	cfg_errors_init(errs);
	if (nf->configure(st, cfg, errs) < 0 || errs->count) {
		print_errors(errs);
		k_printf("nfbox: config rejected by %s\n", nf->name);
		return K_EXIT_CONFIG;
	}
	sys_free(errs);

	static struct loop loop;
	struct port *pp[PORT_MAX];
	for (int i = 0; i < n; i++)
		pp[i] = &ports[i];
	loop_init(&loop, nf, st, pp, (uint16_t)n);

	phase("function");
	uint64_t ready_tsc = sys_rdtsc();
	/* The ready line goes out first, unbuffered, and short: under kvm_pvm
	 * every console byte is a ~40 us exit, and the host waits for this
	 * line.  The boot messages buffered so far follow it. */
	char rl[64];
	int rn = snprintf(rl, sizeof(rl), "nfbox: ready in %lu us\n",
			  (unsigned long)(k_tsc_to_ns(ready_tsc - k_boot_tsc()) / 1000));
	k_console_write_now(rl, (size_t)rn);
	if (cmdline_u64("nfbox.verbose", 0)) {
		uint64_t prev = k_boot_tsc();
		for (unsigned i = 0; i < n_phase; i++) {
			k_printf("nfbox: boot %-8s %6lu us\n", phase_name[i],
				 (unsigned long)(k_tsc_to_ns(phase_tsc[i] - prev) / 1000));
			prev = phase_tsc[i];
		}
	}
	k_printf("nfbox: %s: %d port%s, %lu packet buffers, %u flows, idle halt after %lu us\n",
		 nf->name, n, n == 1 ? "" : "s", (unsigned long)want, cap,
		 (unsigned long)cmdline_u64("nfbox.idle_us", 200));
	k_console_boot_done();

	/* ---- the main loop ---- */
	const uint64_t idle_ns = cmdline_u64("nfbox.idle_us", 200) * 1000;
	const uint64_t ctl_ns = 10 * 1000 * 1000;
	uint64_t now = sys_now_ns(), last_busy = now, last_ctl = now;
	k_console_wake_on_input(true);
	for (;;) {
		now = sys_now_ns();
		if (loop_poll(&loop, now))
			last_busy = now;
		if (now - last_ctl >= ctl_ns) {
			last_ctl = now;
			int cmd = control_poll();
			if (cmd == 1)
				break;
			if (cmd == 2)
				print_stats(&loop);
		}
		if (now - last_busy < idle_ns)
			continue;
		/* Idle: halt until a packet, serial input, or the next timer
		 * round (the function's expiry runs every few ms at most). */
		k_wakeup_at(sys_rdtsc() + k_tsc_hz() / 100);
		if (n)
			vnet_wait_rx(ports, n);
		else
			k_wait_for_interrupt();
		k_wakeup_at(0);
		last_ctl = 0; /* look at serial input right away */
		last_busy = sys_now_ns();
	}
	k_console_wake_on_input(false);
	print_stats(&loop);
	k_printf("nfbox: stopped\n");
	return K_EXIT_OK;
}
