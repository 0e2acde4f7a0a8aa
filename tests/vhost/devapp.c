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
#include "drivers/virtio/virtio_net.h"
#include "kernel/kernel.h"

__attribute__((weak)) void k_pci_scan(void (*fn)(void *ctx, struct k_pci_dev *d), void *ctx)
{
	(void)fn;
	(void)ctx;
	sys_log("devapp: shim k_pci_scan: no PCI\n");
}
__attribute__((weak)) uint32_t k_pci_read32(const struct k_pci_dev *d, uint16_t off) { (void)d; (void)off; return ~0u; }
__attribute__((weak)) uint16_t k_pci_read16(const struct k_pci_dev *d, uint16_t off) { (void)d; (void)off; return 0xffff; }
__attribute__((weak)) uint8_t k_pci_read8(const struct k_pci_dev *d, uint16_t off) { (void)d; (void)off; return 0xff; }
__attribute__((weak)) void k_pci_write16(const struct k_pci_dev *d, uint16_t off, uint16_t v) { (void)d; (void)off; (void)v; }
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
#define DEVAPP_SHIFT 16
#endif

int k_app_main(void);
int k_app_main(void)
{
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
	uint64_t idle = 0, turns = 0, t_last = sys_rdtsc(), pk_last = 0;
	for (;;) {
		if ((++turns & ((1u << DEVAPP_SHIFT) - 1)) == 0 && DEVAPP_TRACE) {
			uint64_t now = sys_rdtsc(), pk = ports[0].stats.rx_pkts + ports[1].stats.rx_pkts;
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
			idle = 0;
		} else if (++idle == 100000) {
			vnet_wait_rx(ports, n);
			idle = 0;
		}
	}
}
