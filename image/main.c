/* SPDX-License-Identifier: MIT */
/*
 * main.c - the image's one application: config, pool, NICs, the function,
 * then the main loop until asked to stop.
 *
 *   banner -> config (config_source.c; errors as FILE:LINE:COL, exit 1)
 *   -> NICs (port_probe_all: every registered port driver) -> packet pool (sized from the rings) -> create +
 *   configure the image's single registered function (nf/app.h) ->
 *   "ready in N us" (N from the TSC at guest entry) -> main_loop.c.
 *
 * The ready line is printed first; boot messages (buffered, console.c)
 * follow it.
 *
 * Kernel command line (nfbox run passes it with -append):
 *   nfbox.idle_us=N   keep polling empty rings N us before halting (0)
 *   nfbox.coalesce_us=N  a loaded image halts for a batch of frames, at most
 *                     N us (200; 0: woken by every first frame; main_loop.c)
 *   nfbox.pool=N      packet buffers (default: fills the NICs' rings)
 *   nfbox.queue_size=N  ring entries per NIC queue, at most the device's
 *   nfbox.pci_nics=N  the machine has N virtio-net PCI functions: the PCI
 *                     scan stops at the Nth, none with 0 (drivers/virtio/
 *                     virtio_pci.c; each slot probed is an exit to QEMU)
 *   nfbox.verbose=1   boot phases and device/config accesses after ready
 */
#include "image/image.h"

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

static void print_boot_costs(void)
{
	uint64_t prev = k_boot_tsc();
	for (unsigned i = 0; i < n_phase; i++) {
		k_printf("nfbox: boot %-8s %6lu us\n", phase_name[i],
			 (unsigned long)(k_tsc_to_ns(phase_tsc[i] - prev) / 1000));
		prev = phase_tsc[i];
	}
	for (unsigned i = 0; port_driver_at(i); i++)
		if (port_driver_at(i)->report)
			port_driver_at(i)->report();
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

/* NICs first, from every port driver linked in (nfb/port.h), rings empty:
 * the pool is sized from their rings.  Ring size:
 * nfbox.queue_size=N (nfbox run passes it: 1024 with vhost-user, 256 with
 * tap, or --queue-size), capped by what the device offers; else the
 * device's offer up to 1024 (virtio-mmio always offers 1024).  Returns the
 * NIC count or -1. */
static int probe_nics(struct port *ports)
{
	uint64_t qs = image_cmdline_u64("nfbox.queue_size", 0);
	if (qs > 4096 || (qs & (qs - 1))) {
		k_printf("nfbox: nfbox.queue_size=%lu: not a power of two up to 4096\n",
			 (unsigned long)qs);
		return -1;
	}
	struct port_probe_opts po = {.queue_size = (uint16_t)qs};
	int n = port_probe_all(&po, ports, PORT_MAX);
	if (n < 0) {
		k_printf("nfbox: NIC probe failed: error %d\n", n);
		return -1;
	}
	return n;
}

/* Packet buffers: every RX ring full, half of the TX rings' worth in
 * flight, 256 for bursts -- 1024 (2 MiB) for two 256-entry ports.  Each
 * buffer's first touch is a host page fault (~5-10 us when nested), so boot
 * time grows with the pool; at most half of free RAM; nfbox.pool=N to
 * choose. */
static struct pkt_pool *make_pool(struct port *ports, int n, uint64_t *count)
{
	uint32_t rx_entries, tx_entries;
	port_ring_entries(ports, n, &rx_entries, &tx_entries);
	uint64_t need = SYS_MAX((uint64_t)rx_entries + tx_entries / 2 + 256, 1024);
	size_t free_b = k_alloc_largest();
	uint64_t want = image_cmdline_u64("nfbox.pool", 0);
	if (!want) {
		want = SYS_MIN(need, free_b / 2 / PKT_BUF_SIZE);
		want = SYS_MAX(want, 256);
		if (want < need)
			k_printf("nfbox: %lu packet buffers, %lu would fill the rings (%u RX entries): "
				 "more RAM (--mem) or nfbox.pool=N\n",
				 (unsigned long)want, (unsigned long)need, rx_entries);
	}
	struct pkt_pool *pool = pkt_pool_create((uint32_t)want);
	if (!pool)
		k_printf("nfbox: cannot allocate %lu packet buffers (%lu KiB free)\n",
			 (unsigned long)want, (unsigned long)(free_b >> 10));
	*count = want;
	return pool;
}

/* Flow tables: a quarter of what is left, 64-byte entries. */
static uint32_t flow_capacity(void)
{
	uint64_t flows = k_alloc_largest() / 4 / 64;
	uint32_t cap = 1024;
	while ((uint64_t)cap * 2 <= flows && cap < (1u << 22))
		cap *= 2;
	return cap;
}

/* The function on its NICs, configured.  Returns a K_EXIT_* code. */
static int start_function(struct app *app, const struct nf_ops *nf, struct cfg *cfg,
			  struct port *nics, int n, struct pkt_pool *pool, uint32_t cap)
{
	struct port *pp[PORT_MAX];
	for (int i = 0; i < n; i++)
		pp[i] = &nics[i];
	struct cfg_errors *errs = sys_alloc(sizeof(*errs), 16);
	if (!errs)
		return K_EXIT_PLATFORM;
	cfg_errors_init(errs);
	struct nf_env env = {.pool = pool, .n_ports = (uint16_t)n, .flow_capacity = cap};
	int rc = app_init(app, nf, &env, pp, (uint16_t)n, cfg, errs);
	if (rc == -SYS_ENOMEM)
		k_printf("nfbox: %s: cannot create its state\n", nf->name);
	else if (rc < 0) {
		image_print_errors(errs);
		k_printf("nfbox: config rejected by %s\n", nf->name);
	}
	sys_free(errs);
	return rc == 0 ? K_EXIT_OK : rc == -SYS_ENOMEM ? K_EXIT_PLATFORM : K_EXIT_CONFIG;
}

/* The ready line goes out first, unbuffered, and short: under kvm_pvm every
 * console byte is a ~40 us exit, and the host waits for this line.  The
 * boot messages buffered so far follow it. */
static void say_ready(void)
{
	char rl[64];
	int rn = snprintf(rl, sizeof(rl), "nfbox: ready in %lu us\n",
			  (unsigned long)(k_tsc_to_ns(sys_rdtsc() - k_boot_tsc()) / 1000));
	k_console_write_now(rl, (size_t)rn);
	if (image_cmdline_u64("nfbox.verbose", 0))
		print_boot_costs();
}

int k_app_main(void)
{
	phase("kernel");
	const struct nf_ops *nf = nf_at(0);
	k_printf("nfbox: %s image, %lu MiB RAM, TSC %lu MHz (%s), %s state%s\n",
		 nf ? nf->name : "(no function)", (unsigned long)(k_ram_bytes() >> 20),
		 (unsigned long)(k_tsc_hz() / 1000000), k_tsc_source(), k_vector_state(),
		 k_pvm ? ", kvm_pvm supervisor mode" : "");
	if (!nf || nf_at(1)) {
		k_printf("nfbox: an image links exactly one function (found %s)\n",
			 nf ? "several" : "none");
		return K_EXIT_PLATFORM;
	}
	struct cfg *cfg = image_load_config();
	phase("config");

	static struct port nics[PORT_MAX];
	int n = probe_nics(nics);
	if (n < 0)
		return K_EXIT_PLATFORM;
	phase("virtio");

	uint64_t n_bufs;
	struct pkt_pool *pool = make_pool(nics, n, &n_bufs);
	if (!pool)
		return K_EXIT_PLATFORM;
	port_use_pool(nics, n, pool);
	phase("pool");

	static struct app app;
	uint32_t cap = flow_capacity();
	int rc = start_function(&app, nf, cfg, nics, n, pool, cap);
	if (rc != K_EXIT_OK)
		return rc;
	phase("function");

	say_ready();
	uint64_t idle_us = image_cmdline_u64("nfbox.idle_us", IDLE_SPIN_US_DEFAULT);
	uint64_t coalesce_us = image_cmdline_u64("nfbox.coalesce_us", COALESCE_US_DEFAULT);
	k_printf("nfbox: %s: %d port%s, %lu packet buffers, %u flows, idle halt after %lu us, "
		 "rx coalescing up to %lu us\n",
		 nf->name, n, n == 1 ? "" : "s", (unsigned long)n_bufs, cap,
		 (unsigned long)idle_us, (unsigned long)coalesce_us);
	k_console_boot_done();

	static struct image_ctl ctl;
	image_ctl_init(&ctl, &app);
	k_console_wake_on_input(true);
	const struct image_loop_opts lo = {.spin_ns = idle_us * 1000, .coalesce_ns = coalesce_us * 1000};
	image_main_loop(&ctl, nics, n, &lo);
	k_console_wake_on_input(false);
	control_server_fini(&ctl.srv);
	image_print_stats(&app);
	k_printf("nfbox: stopped\n");
	return K_EXIT_OK;
}
