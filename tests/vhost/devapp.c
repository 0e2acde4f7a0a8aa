/* SPDX-License-Identifier: MIT */
/*
 * devapp.c - a development stand-in for kernel/app.c: probe the virtio-net
 * ports and forward port 2k <-> 2k+1 in a busy loop.  Linked only by
 * tests/vhost/devimg.sh, for driver bring-up while the real image's main
 * loop and kernel services are being written; not part of any product image.
 *
 * TEMPORARY SHIMS (weak): kernel services kernel.h promises but the kernel
 * does not define yet.  A real definition in kernel/ wins at link time.
 */
#include "drivers/virtio/vnet_priv.h"
#include "kernel/kernel.h"

/* PCI configuration space, bus 0 only: ECAM on microvm,pcie=on (QEMU
 * hw/i386/microvm.h: ECAM 0xe0000000, 32-bit window 0xc0000000), else
 * mechanism #1 (ports 0xcf8/0xcfc) as on q35. */
#define SHIM_ECAM 0xe0000000u
#define SHIM_MMIO32 0xc0000000u
static bool shim_ecam;
static uint32_t shim_cfg_addr(const struct k_pci_dev *d, uint16_t off)
{
	return 0x80000000u | (uint32_t)d->bus << 16 | (uint32_t)d->dev << 11 | (uint32_t)d->fn << 8 |
	       (off & 0xfcu);
}
static uintptr_t shim_ecam_addr(const struct k_pci_dev *d, uint16_t off)
{
	return SHIM_ECAM + ((uintptr_t)d->dev << 15 | (uintptr_t)d->fn << 12 | (off & 0xffcu));
}
__attribute__((weak)) uint32_t k_pci_read32(const struct k_pci_dev *d, uint16_t off)
{
	if (shim_ecam)
		return k_mmio_r32(shim_ecam_addr(d, off));
	k_outl(0xcf8, shim_cfg_addr(d, off));
	return k_inl(0xcfc);
}
__attribute__((weak)) uint16_t k_pci_read16(const struct k_pci_dev *d, uint16_t off)
{
	return (uint16_t)(k_pci_read32(d, off) >> ((off & 2) * 8));
}
__attribute__((weak)) uint8_t k_pci_read8(const struct k_pci_dev *d, uint16_t off)
{
	return (uint8_t)(k_pci_read32(d, off) >> ((off & 3) * 8));
}
__attribute__((weak)) void k_pci_write32(const struct k_pci_dev *d, uint16_t off, uint32_t v)
{
	if (shim_ecam) {
		k_mmio_w32(shim_ecam_addr(d, off), v);
		return;
	}
	k_outl(0xcf8, shim_cfg_addr(d, off));
	k_outl(0xcfc, v);
}
__attribute__((weak)) void k_pci_write16(const struct k_pci_dev *d, uint16_t off, uint16_t v)
{
	if (shim_ecam) {
		k_mmio_w16(shim_ecam_addr(d, off) + (off & 2), v);
		return;
	}
	k_outl(0xcf8, shim_cfg_addr(d, off));
	k_outw((uint16_t)(0xcfc + (off & 2)), v);
}
__attribute__((weak)) void k_pci_scan(void (*fn)(void *ctx, struct k_pci_dev *d), void *ctx)
{
	static uint64_t next_mmio = SHIM_MMIO32;
	struct k_pci_dev d0;
	memset(&d0, 0, sizeof(d0));
	shim_ecam = false;
	uint32_t v0 = k_pci_read32(&d0, 0);
	int mr = k_map_mmio(SHIM_ECAM, 1u << 20);
	sys_log("DBG cf8 %x map %d\n", v0, mr);
	if (v0 == ~0u && mr == 0) {
		shim_ecam = true;
		if ((k_pci_read32(&d0, 0) & 0xffff) == 0xffff)
			return;
	}
	sys_log("devapp: shim k_pci_scan (bus 0, %s)\n", shim_ecam ? "ECAM" : "0xcf8");
	for (uint8_t dev = 0; dev < 32; dev++) {
		struct k_pci_dev d;
		memset(&d, 0, sizeof(d));
		d.dev = dev;
		uint32_t id = k_pci_read32(&d, 0);
		if ((id & 0xffff) == 0xffff)
			continue;
		d.vendor = (uint16_t)id;
		d.device = (uint16_t)(id >> 16);
		uint32_t cls = k_pci_read32(&d, 8);
		d.class_code = (uint8_t)(cls >> 24);
		d.subclass = (uint8_t)(cls >> 16);
		if ((k_pci_read8(&d, 0x0e) & 0x7f) == 0) {
			uint16_t cmd = k_pci_read16(&d, 4);
			k_pci_write16(&d, 4, (uint16_t)(cmd & ~3u));
			for (int b = 0; b < 6; b++) {
				uint16_t off = (uint16_t)(0x10 + 4 * b);
				uint32_t lo = k_pci_read32(&d, off);
				k_pci_write32(&d, off, ~0u);
				uint32_t szlo = k_pci_read32(&d, off);
				k_pci_write32(&d, off, lo);
				if (lo & 1) {
					d.bar_is_io[b] = true;
					d.bar[b] = lo & ~3u;
					d.bar_size[b] = (~(szlo & ~3u) + 1) & 0xffff;
					continue;
				}
				bool is64 = ((lo >> 1) & 3) == 2 && b < 5;
				uint64_t base = lo & ~15u, mask = szlo & ~15u;
				uint32_t hi = 0;
				if (is64) {
					uint16_t off2 = (uint16_t)(off + 4);
					hi = k_pci_read32(&d, off2);
					k_pci_write32(&d, off2, ~0u);
					uint32_t szhi = k_pci_read32(&d, off2);
					k_pci_write32(&d, off2, hi);
					base |= (uint64_t)hi << 32;
					mask |= (uint64_t)szhi << 32;
				} else if (mask) {
					mask |= 0xffffffff00000000ull;
				}
				uint64_t size = mask ? ~mask + 1 : 0;
				if (size && !base) { /* unassigned: take it from the window */
					base = (next_mmio + size - 1) & ~(size - 1);
					next_mmio = base + size;
					k_pci_write32(&d, off, (uint32_t)base);
					if (is64)
						k_pci_write32(&d, (uint16_t)(off + 4), (uint32_t)(base >> 32));
				}
				d.bar[b] = base;
				d.bar_size[b] = size;
				if (is64)
					b++;
			}
			k_pci_write16(&d, 4, (uint16_t)(cmd | 0x6)); /* memory + bus master */
		}
		fn(ctx, &d);
	}
}
__attribute__((weak)) int k_irq_register(uint8_t vector, k_irq_fn fn, void *ctx) { (void)vector; (void)fn; (void)ctx; return -SYS_ENOTSUP; }
__attribute__((weak)) int k_ioapic_route(uint32_t gsi, uint8_t vector, bool level) { (void)gsi; (void)vector; (void)level; return -SYS_ENOTSUP; }
__attribute__((weak)) void k_msi_message(uint8_t vector, uint64_t *addr, uint32_t *data) { (void)vector; *addr = 0; *data = 0; }
__attribute__((weak)) void k_wait_for_interrupt(void) { sys_pause(); }

/* Symbols of kernel work in progress that the dev link may meet. */
__attribute__((weak)) uint64_t ut[8];
void k_irq_dispatch(void);
__attribute__((weak)) void k_irq_dispatch(void) {}

#ifndef DEVAPP_TRACE
#define DEVAPP_TRACE 0
#endif
#ifndef DEVAPP_SHIFT
#define DEVAPP_SHIFT 24
#endif

/* kernel/console.c buffers boot output until this is called (private to
 * kernel/, declared here for the dev image only). */
void k_console_boot_done(void) __attribute__((weak));

int k_app_main(void);
int k_app_main(void)
{
	if (k_console_boot_done)
		k_console_boot_done();
	static struct port ports[8];
	sys_log("devapp: start\n");
	struct pkt_pool *pool = pkt_pool_create(4096);
	sys_log("devapp: pool %p\n", (void *)pool);
	if (!pool) {
		sys_log("devapp: no pool\n");
		return 1;
	}
	int n = vnet_probe_all(pool, NULL, ports, 8);
	sys_log("devapp: %d ports; ready in %lu us\n", n,
		(unsigned long)(sys_now_ns() / 1000));
	if (n < 2)
		return n < 0 ? 2 : 0;
	uint64_t idle = 0, turns = 0, t_last = sys_rdtsc(), pk_last = 0, busy_cyc = 0, busy_pk = 0;
	for (;;) {
		uint64_t t_turn = sys_rdtsc();
		if ((++turns & ((1u << DEVAPP_SHIFT) - 1)) == 0 && DEVAPP_TRACE) {
			uint64_t now = sys_rdtsc(), pk = ports[0].stats.rx_pkts + ports[1].stats.rx_pkts;
			struct vnet *v0 = ports[0].priv, *v1 = ports[1].priv;
			sys_log("devapp: kicks rx %lu/%lu tx %lu/%lu\n", (unsigned long)v0->rx.kicks,
				(unsigned long)v1->rx.kicks, (unsigned long)v0->tx.kicks,
				(unsigned long)v1->tx.kicks);
			sys_log("devapp: %lu cycles/pkt in busy turns (%lu pkts)\n",
				(unsigned long)(busy_pk ? busy_cyc / busy_pk : 0), (unsigned long)busy_pk);
			busy_cyc = busy_pk = 0;
			sys_log("devapp: %lu turns/s, %lu pkts/s, rx %lu/%lu tx %lu/%lu full %lu/%lu\n",
				(unsigned long)((1ull << DEVAPP_SHIFT) * k_tsc_hz() / (now - t_last)),
				(unsigned long)((pk - pk_last) * k_tsc_hz() / (now - t_last)),
				(unsigned long)ports[0].stats.rx_pkts, (unsigned long)ports[1].stats.rx_pkts,
				(unsigned long)ports[0].stats.tx_pkts, (unsigned long)ports[1].stats.tx_pkts,
				(unsigned long)ports[0].stats.tx_full, (unsigned long)ports[1].stats.tx_full);
			t_last = now;
			pk_last = pk;
		}
		uint32_t got = 0;
		for (int i = 0; i < n; i++) {
			struct pkt *pk[PORT_BURST_MAX];
			struct port *in = &ports[i], *out = &ports[i ^ 1];
			if ((i ^ 1) >= n)
				continue;
			uint16_t r = in->rx_burst(in, pk, PORT_BURST_MAX);
			if (!r)
				continue;
			got += r;
			uint16_t t = out->tx_burst(out, pk, r);
			in->stats.rx_pkts += r;
			out->stats.tx_pkts += t;
			if (t < r) {
				out->stats.tx_full += (uint64_t)(r - t);
				pkt_free_bulk(pk + t, (uint32_t)(r - t));
			}
		}
		for (int i = 0; i < n; i++)
			ports[i].ops->reclaim(&ports[i]);
		if (got) {
			busy_cyc += sys_rdtsc() - t_turn;
			busy_pk += got;
			idle = 0;
		} else if (++idle == 100000) {
			vnet_wait_rx(ports, n);
			idle = 0;
		}
	}
}
