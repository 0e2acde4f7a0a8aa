/* SPDX-License-Identifier: MIT */
/*
 * app.c - the image's one application: config, pool, NICs, the function,
 * then the main loop until asked to stop.
 *
 *   banner -> config (fw_cfg "opt/nfbox/config", else the copy baked into
 *   the image) -> parse (errors as FILE:LINE:COL, exit 1) -> vnet_probe_all
 *   -> packet pool (sized from the rings) -> create + configure the image's single registered
 *   function -> "ready in N us" (N from the TSC at guest entry) -> loop.
 *
 * The ready line is printed first; boot messages (buffered, console.c)
 * follow it.
 *
 * Both config sources hold "NAME\0TEXT": the file name the host saw, for
 * error messages, then the text (`nfbox build` and `nfbox run` write it).
 *
 * Kernel command line (nfbox run passes it with -append):
 *   nfbox.idle_us=N   keep polling empty rings N us before halting (0)
 *   nfbox.pool=N      packet buffers (default: fills the NICs' rings)
 *   nfbox.queue_size=N  ring entries per NIC queue, at most the device's
 *   nfbox.pci_nics=N  the machine has N virtio-net PCI functions: the PCI
 *                     scan stops at the Nth, none with 0 (drivers/virtio/
 *                     virtio_pci.c; each slot probed is an exit to QEMU)
 *   nfbox.verbose=1   boot phases and device/config accesses after ready
 *
 * Control: serial input lines "stats [NONCE]" (print counters), "end NONCE"
 * (print "end NONCE": everything a client's earlier lines made us print is
 * out), "quit" (print counters, exit 0) and "reload begin|data|end|abort"
 * (a new config, swapped in whole or rejected; wire format in
 * tools/cmd_reload.c).  "stats NONCE" is "stats" then "end NONCE".  The
 * console has no other framing, and the host also sees boot and warning
 * lines on it, so clients (tools/chain_ctl.c) read up to their own end
 * line, a nonce no other output carries.  A halted image is woken by
 * serial input (UART interrupt) and reads it then; one that keeps polling
 * reads it every 10 ms, more of it while a reload is being received.
 */
#include "config/config.h"
#include "dataplane/loop.h"
#include "dataplane/stats.h"
#include "drivers/virtio/virtio_net.h"
#include "drivers/virtio/virtio_transport.h"
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

/* What the main loop's halts cost and what ended them (main_loop). */
static struct {
	uint64_t halts, wake_rx, wake_timer, wake_console, halted_ns;
} idle;

static void print_stats(struct loop *l, const char *nf_name)
{
	static char buf[16384];
	struct stats_writer w;
	stats_init(&w, buf, sizeof(buf), STATS_TEXT);
	/* Which function: `nfbox reload` checks a config with its code. */
	stats_section(&w, "image");
	stats_str(&w, "function", nf_name);
	stats_section(&w, "idle");
	stats_u64(&w, "halts", idle.halts);
	stats_u64(&w, "wake_rx", idle.wake_rx);
	stats_u64(&w, "wake_timer", idle.wake_timer);
	stats_u64(&w, "wake_console", idle.wake_console);
	stats_u64(&w, "halted_ms", idle.halted_ns / 1000000);
	loop_stats(l, &w);
	const char *s = stats_finish(&w);
	k_console_write(s, strlen(s));
	if (w.overflow)
		k_printf("(stats truncated)\n");
}

/* A port the config names (`port 0 name inside`) carries that name in the
 * counters, as in `nfbox replay`; the others keep their NIC's (vnetN). */
static void name_ports(struct port *ports, int n, const struct cfg *cfg)
{
	for (int i = 0; i < n; i++) {
		const char *name = cfg_port_name(cfg, (unsigned)i);
		if (name)
			snprintf(ports[i].name, sizeof(ports[i].name), "%s", name);
	}
}

/* ---- control: serial lines ------------------------------------------------ */
struct ctl {
	struct port *ports;
	int n_ports;
	struct loop *loop;
	const struct nf_ops *nf;
	void *st;
	struct cfg *cfg; /* the config in force (the function may point into it) */
};

static char ctl_line[64];
static unsigned ctl_len;
static bool ctl_long; /* the line being read overflowed ctl_line */

/* ---- reload: "reload begin LEN CRC", "reload data B64"..., "reload end" ----
 *
 * The blob ("NAME\0TEXT", as fw_cfg carries it) goes into one buffer from
 * sys_alloc, sized by LEN (at most RELOAD_MAX) and freed when the transfer
 * ends, is aborted ("reload abort") or restarted (a new "reload begin").
 * The CRC32 is computed as the data arrives.  Any bad line spoils the
 * transfer: it is reported once, further data lines are dropped quietly and
 * "reload end" answers "rejected".  The running config is replaced only
 * after parse and configure() both accepted the new one (configure() is
 * all or nothing, see dataplane/nf.h); the loop is between bursts here. */
#define RELOAD_MAX (8u << 20)

static struct {
	char *buf;
	size_t len, got;
	uint32_t crc_want, crc;
	bool on, bad;
	uint64_t t0;
} xfer;

static uint32_t crc32_update(uint32_t c, const uint8_t *p, size_t n)
{
	static uint32_t tab[256];
	if (!tab[1])
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t v = i;
			for (int k = 0; k < 8; k++)
				v = (v >> 1) ^ (0xedb88320u & (0u - (v & 1)));
			tab[i] = v;
		}
	c = ~c;
	for (size_t i = 0; i < n; i++)
		c = tab[(c ^ p[i]) & 0xff] ^ (c >> 8);
	return ~c;
}

static int b64_val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decode `s` (a multiple of 4 characters, '=' padding only at the end) into
 * out[max]; returns the byte count or -1. */
static int b64_decode(const char *s, uint8_t *out, size_t max)
{
	size_t n = strlen(s), o = 0;
	if (n == 0 || n % 4)
		return -1;
	for (size_t i = 0; i < n; i += 4) {
		int v[4], pad = 0;
		for (int k = 0; k < 4; k++) {
			if (s[i + k] == '=' && i + 4 == n && k >= 2) {
				v[k] = 0;
				pad++;
			} else if (pad || (v[k] = b64_val(s[i + k])) < 0) {
				return -1;
			}
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
		uint8_t b[3] = {(uint8_t)(w >> 16), (uint8_t)(w >> 8), (uint8_t)w};
		for (int k = 0; k < 3 - pad; k++) {
			if (o >= max)
				return -1;
			out[o++] = b[k];
		}
	}
	return (int)o;
}

static void reload_drop(void)
{
	if (xfer.on)
		k_console_rx_bulk(false);
	sys_free(xfer.buf);
	xfer.buf = NULL;
	xfer.on = xfer.bad = false;
	xfer.len = xfer.got = 0;
}

/* First problem of a transfer: say it once, ignore the rest until "end". */
static void reload_spoil(const char *why)
{
	if (!xfer.bad)
		k_printf("nfbox: reload: %s\n", why);
	xfer.bad = true;
}

static bool parse_u64(const char **p, uint64_t *v, int base)
{
	const char *s = *p;
	uint64_t x = 0;
	int nd = 0;
	for (;; s++, nd++) {
		int d;
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			break;
		if (nd >= (base == 16 ? 8 : 12))
			return false;
		x = x * (uint64_t)base + (uint64_t)d;
	}
	if (!nd)
		return false;
	*p = s;
	*v = x;
	return true;
}

static void reload_begin(const char *args)
{
	uint64_t len, crc;
	const char *p = args;
	if (xfer.on)
		k_printf("nfbox: reload: the previous transfer (%lu of %lu bytes) is dropped\n",
			 (unsigned long)xfer.got, (unsigned long)xfer.len);
	reload_drop();
	if (!parse_u64(&p, &len, 10) || *p++ != ' ' || !parse_u64(&p, &crc, 16) || *p) {
		k_printf("nfbox: reload: want 'reload begin LEN CRC32'\n");
		return;
	}
	if (len == 0 || len > RELOAD_MAX) {
		k_printf("nfbox: reload: %lu bytes: want 1 to %u\n", (unsigned long)len, RELOAD_MAX);
		return;
	}
	xfer.buf = sys_alloc((size_t)len, 16);
	if (!xfer.buf) {
		k_printf("nfbox: reload: no memory for %lu bytes\n", (unsigned long)len);
		return;
	}
	xfer.len = (size_t)len;
	xfer.crc_want = (uint32_t)crc;
	xfer.crc = 0;
	xfer.on = true;
	xfer.t0 = sys_now_ns();
	k_console_rx_bulk(true);
	k_printf("nfbox: reload: receiving %lu bytes\n", (unsigned long)len);
}

static void reload_data(const char *b64)
{
	if (!xfer.on) {
		k_printf("nfbox: reload: data without 'reload begin'\n");
		return;
	}
	if (xfer.bad)
		return;
	if (ctl_long) {
		reload_spoil("a data line longer than 63 characters");
		return;
	}
	int n = b64_decode(b64, (uint8_t *)xfer.buf + xfer.got, xfer.len - xfer.got);
	if (n < 0) {
		reload_spoil(xfer.got == xfer.len ? "more data than announced" : "bad base64 in a data line");
		return;
	}
	xfer.crc = crc32_update(xfer.crc, (uint8_t *)xfer.buf + xfer.got, (size_t)n);
	xfer.got += (size_t)n;
}

static void reload_end(struct ctl *c)
{
	if (!xfer.on) {
		k_printf("nfbox: reload rejected (no transfer: 'reload begin' first); "
			 "the running config stays\n");
		return;
	}
	if (!xfer.bad && xfer.got != xfer.len) {
		char m[96];
		snprintf(m, sizeof(m), "got %lu of %lu bytes", (unsigned long)xfer.got,
			 (unsigned long)xfer.len);
		reload_spoil(m);
	}
	if (!xfer.bad && xfer.crc != xfer.crc_want) {
		char m[96];
		snprintf(m, sizeof(m), "CRC32 %08x, announced %08x", xfer.crc, xfer.crc_want);
		reload_spoil(m);
	}
	if (xfer.bad) {
		reload_drop();
		k_printf("nfbox: reload rejected (transfer failed); the running config stays\n");
		return;
	}
	uint64_t t1 = sys_now_ns();
	const char *name, *text;
	size_t text_len;
	split_blob(xfer.buf, xfer.len, "(reload)", &name, &text, &text_len);
	struct cfg_errors *errs = sys_alloc(sizeof(*errs), 16);
	struct cfg *cfg = NULL;
	int rc = -SYS_ENOMEM;
	if (errs) {
		cfg_errors_init(errs);
		/* NULL loader: the host flattened the includes. */
		rc = cfg_parse(name, text, text_len, NULL, NULL, &cfg, errs);
		if (rc < 0 || !cfg)
			rc = rc < 0 ? rc : -SYS_EINVAL;
		else
			rc = c->nf->configure(c->st, cfg, errs);
	}
	uint64_t t2 = sys_now_ns();
	if (rc < 0) {
		if (errs) {
			print_errors(errs);
			k_printf("nfbox: reload rejected (%u error%s in %s); the running config stays\n",
				 errs->count, errs->count == 1 ? "" : "s", name);
		} else {
			k_printf("nfbox: reload rejected (out of memory); the running config stays\n");
		}
		cfg_free(cfg);
	} else {
		if (errs)
			print_errors(errs); /* none, by the contract; shown if there are */
		k_printf("nfbox: reload ok (%s, %lu bytes, received in %lu ms, configured in %lu us)\n",
			 name, (unsigned long)text_len, (unsigned long)((t1 - xfer.t0) / 1000000),
			 (unsigned long)((t2 - t1) / 1000));
		/* The function has swapped everything over to the new config. */
		cfg_free(c->cfg);
		c->cfg = cfg;
		name_ports(c->ports, c->n_ports, cfg);
	}
	sys_free(errs);
	reload_drop(); /* the cfg keeps no pointer into the text */
}

/* One complete line.  Returns 1 on "quit". */
static int control_line(struct ctl *c, const char *l)
{
	if (strcmp(l, "quit") == 0)
		return 1;
	if (strcmp(l, "stats") == 0 || strncmp(l, "stats ", 6) == 0) {
		print_stats(c->loop, c->nf->name);
		if (l[5])
			k_printf("end %s\n", l + 6);
	} else if (strncmp(l, "end ", 4) == 0 && l[4])
		k_printf("end %s\n", l + 4);
	else if (strncmp(l, "reload data ", 12) == 0)
		reload_data(l + 12);
	else if (strncmp(l, "reload begin ", 13) == 0)
		reload_begin(l + 13);
	else if (strcmp(l, "reload end") == 0)
		reload_end(c);
	else if (strcmp(l, "reload abort") == 0) {
		k_printf("nfbox: reload: %s\n", xfer.on ? "transfer aborted" : "no transfer to abort");
		reload_drop();
	} else if (l[0])
		k_printf("nfbox: unknown command '%s' (stats [NONCE], end NONCE, quit, "
			 "reload begin|data|end|abort)\n", l);
	return 0;
}

/* Read console input.  Outside a transfer, on the loop's slow tick (10 ms):
 * up to 64 bytes, what is there.  During a transfer:
 *  - when packets flowed in the last tick, still on the slow tick, but up to
 *    4 KiB waiting for QEMU to refill the UART's FIFO (~14 bytes per round
 *    of its main loop, k_console_rx_bulk), at most 200 us per tick (2% of
 *    the core);
 *  - when the loop is idle, on every turn, what is there (no waiting): a
 *    packet waits at most one console read (one exit per byte) plus a turn.
 * Returns 1 on "quit". */
static int control_poll(struct ctl *c, bool busy)
{
	const bool wait = xfer.on && busy;
	const uint64_t budget = 200 * 1000;
	uint64_t t0 = wait ? sys_now_ns() : 0;
	for (unsigned i = 0; i < (wait ? 4096u : 64u); i++) {
		int ch = k_console_getc();
		if (ch < 0) {
			if (!wait || sys_now_ns() - t0 > budget)
				return 0;
			sys_pause();
			i--;
			continue;
		}
		if (ch == '\r' || ch == '\n') {
			ctl_line[ctl_len] = '\0';
			ctl_len = 0;
			/* An overflowed line is not run as its first 63 characters
			 * ("stats ..." would answer "end" with a cut nonce); a data
			 * line's overflow spoils its transfer (reload_data). */
			int r = 0;
			if (ctl_long && strncmp(ctl_line, "reload data ", 12) != 0)
				k_printf("nfbox: a control line longer than %u characters is ignored\n",
					 (unsigned)sizeof(ctl_line) - 1);
			else
				r = control_line(c, ctl_line);
			ctl_long = false;
			if (r)
				return r;
		} else if (ctl_len < sizeof(ctl_line) - 1) {
			ctl_line[ctl_len++] = (char)ch;
		} else {
			ctl_long = true;
		}
	}
	return 0;
}

/*
 * The main loop: poll while there is work, halt as soon as there is none.
 *
 * Many images share few cores, so an image must never hold its core
 * while it has nothing to do.  A turn that finds every RX ring empty (after
 * at most `spin_ns` of turns without a frame: nfbox.idle_us, default
 * IDLE_SPIN_US_DEFAULT) re-enables the RX notifications, looks at the rings
 * once more and halts (vnet_wait_rx), until the first of:
 *  - a frame on any port (its used-buffer notification: MSI-X or IOAPIC);
 *  - serial input (the control channel: IRQ 4);
 *  - the function's next timer (loop_timers_due: the earliest flow expiry
 *    its tables hold), armed on the TSC-deadline timer only when it
 *    changes; with no timer pending, nothing is armed at all.
 * A wake with nothing to do halts again at once.  While frames flow the
 * loop never halts and interrupts stay off, so the console is polled on a
 * 10 ms tick then (one port read, an exit).
 */
#define IDLE_SPIN_US_DEFAULT 0
static void main_loop(struct ctl *ctl, uint64_t spin_ns)
{
	const uint64_t ctl_ns = 10 * 1000 * 1000;
	struct port *ports = ctl->ports;
	const int n = ctl->n_ports;
	/* A port that cannot interrupt is looked at every 10 ms while halted. */
	const uint64_t max_halt_ns = vnet_all_interrupt(ports, n) ? UINT64_MAX : ctl_ns;
	uint64_t now = sys_now_ns(), last_ctl = now, last_pkt = now;
	bool console = false; /* serial input woke us: read it now */
	for (;;) {
		now = sys_now_ns();
		bool got = loop_poll(ctl->loop, now) != 0;
		if (got)
			last_pkt = now;
		bool busy = now - last_pkt < ctl_ns;
		if (console || now - last_ctl >= ctl_ns || (xfer.on && !busy)) {
			last_ctl = now;
			console = false;
			if (control_poll(ctl, busy))
				return;
		}
		if (got || now - last_pkt < spin_ns)
			continue;
		uint64_t due = loop_timers_due(ctl->loop, now);
		if (due <= now)
			continue; /* timers left over (budget): run them first */
		if (due - now > max_halt_ns)
			due = now + max_halt_ns;
		k_wakeup_at(due == NF_TIMER_NONE ? 0 : k_ns_to_tsc(due));
		if (n)
			vnet_wait_rx(ports, n);
		else
			k_wait_for_interrupt();
		console = k_console_take_wake();
		uint64_t woke = sys_now_ns();
		idle.halts++;
		idle.halted_ns += woke - now;
		if (console)
			idle.wake_console++;
		else if (woke >= due)
			idle.wake_timer++;
		else
			idle.wake_rx++;
	}
}

/* nfbox.verbose=1: where boot time goes (TSC stamps, printed at ready). */
static uint64_t phase_tsc[16];
static const char *phase_name[16];
static unsigned n_phase;

static void phase(const char *name)
{
	if (n_phase < 16) {
		phase_tsc[n_phase] = sys_rdtsc();
		phase_name[n_phase++] = name;
	}
}

int k_app_main(void)
{
	phase("kernel");
	const struct nf_ops *nf = nf_at(0);
	k_printf("nfbox: %s image, %lu MiB RAM, TSC %lu MHz (%s), %s state%s\n", nf ? nf->name : "(no function)",
		 (unsigned long)(k_ram_bytes() >> 20), (unsigned long)(k_tsc_hz() / 1000000),
		 k_tsc_source(), k_vector_state(), k_pvm ? ", kvm_pvm supervisor mode" : "");
	if (!nf || nf_at(1)) {
		k_printf("nfbox: an image links exactly one function (found %s)\n",
			 nf ? "several" : "none");
		return K_EXIT_PLATFORM;
	}
	struct cfg *cfg = load_config();
	phase("config");

	/* NICs first, rings empty: the pool is sized from their rings.  Ring
	 * size: nfbox.queue_size=N (nfbox run passes it: 1024 with vhost-user,
	 * 256 with tap, or --queue-size), capped by what the device offers;
	 * else the device's offer up to 1024 (virtio-mmio always offers 1024). */
	static struct port ports[PORT_MAX];
	uint64_t qs = cmdline_u64("nfbox.queue_size", 0);
	if (qs > 4096 || (qs & (qs - 1))) {
		k_printf("nfbox: nfbox.queue_size=%lu: not a power of two up to 4096\n", (unsigned long)qs);
		return K_EXIT_PLATFORM;
	}
	struct vnet_options vo = {.queue_size = (uint16_t)qs};
	int n = vnet_probe_all(NULL, &vo, ports, PORT_MAX);
	if (n < 0) {
		k_printf("nfbox: virtio-net probe failed: error %d\n", n);
		return K_EXIT_PLATFORM;
	}
	name_ports(ports, n, cfg);
	phase("virtio");

	/* Packet buffers: every RX ring full, half of the TX rings' worth in
	 * flight, 256 for bursts -- 1024 (2 MiB) for two 256-entry ports.
	 * Each buffer's first touch is a host page fault (~5-10 us when
	 * nested), so boot time grows with the pool; at most half of free
	 * RAM; nfbox.pool=N to choose. */
	uint32_t rx_entries, tx_entries;
	vnet_ring_entries(ports, n, &rx_entries, &tx_entries);
	uint64_t need = SYS_MAX((uint64_t)rx_entries + tx_entries / 2 + 256, 1024);
	size_t free_b = k_alloc_largest();
	uint64_t want = cmdline_u64("nfbox.pool", 0);
	if (!want) {
		want = SYS_MIN(need, free_b / 2 / PKT_BUF_SIZE);
		want = SYS_MAX(want, 256);
		if (want < need)
			k_printf("nfbox: %lu packet buffers, %lu would fill the rings (%u RX entries): "
				 "more RAM (--mem) or nfbox.pool=N\n",
				 (unsigned long)want, (unsigned long)need, rx_entries);
	}
	struct pkt_pool *pool = pkt_pool_create((uint32_t)want);
	if (!pool) {
		k_printf("nfbox: cannot allocate %lu packet buffers (%lu KiB free)\n",
			 (unsigned long)want, (unsigned long)(free_b >> 10));
		return K_EXIT_PLATFORM;
	}
	vnet_use_pool(ports, n, pool);
	phase("pool");

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
		struct virtio_mmio_cost vc;
		virtio_mmio_cost_get(&vc);
		if (vc.accesses)
			k_printf("nfbox: boot virtio-mmio: %u register accesses, %lu us in them (%lu ns each)\n",
				 vc.accesses, (unsigned long)(k_tsc_to_ns(vc.tsc) / 1000),
				 (unsigned long)(k_tsc_to_ns(vc.tsc) / vc.accesses));
		virtio_pci_cost_get(&vc);
		if (vc.accesses)
			k_printf("nfbox: boot virtio-pci: %u register accesses, %lu us in them (%lu ns each)\n",
				 vc.accesses, (unsigned long)(k_tsc_to_ns(vc.tsc) / 1000),
				 (unsigned long)(k_tsc_to_ns(vc.tsc) / vc.accesses));
		struct k_pci_cost pc;
		k_pci_cost_get(&pc);
		if (pc.accesses)
			k_printf("nfbox: boot pci: %s, %u config accesses, %lu us in them (%lu ns each); "
				 "finding it (ACPI) %lu us\n",
				 pc.ecam ? "ECAM" : "CF8", pc.accesses,
				 (unsigned long)(k_tsc_to_ns(pc.tsc) / 1000),
				 (unsigned long)(k_tsc_to_ns(pc.tsc) / pc.accesses),
				 (unsigned long)(k_tsc_to_ns(pc.init_tsc) / 1000));
	}
	k_printf("nfbox: %s: %d port%s, %lu packet buffers, %u flows, idle halt after %lu us\n",
		 nf->name, n, n == 1 ? "" : "s", (unsigned long)want, cap,
		 (unsigned long)cmdline_u64("nfbox.idle_us", IDLE_SPIN_US_DEFAULT));
	k_console_boot_done();

	/* ---- the main loop ---- */
	struct ctl ctl = {.ports = ports, .n_ports = n, .loop = &loop, .nf = nf, .st = st, .cfg = cfg};
	k_console_wake_on_input(true);
	main_loop(&ctl, cmdline_u64("nfbox.idle_us", IDLE_SPIN_US_DEFAULT) * 1000);
	k_console_wake_on_input(false);
	print_stats(&loop, nf->name);
	k_printf("nfbox: stopped\n");
	return K_EXIT_OK;
}
