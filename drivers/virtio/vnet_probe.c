/* SPDX-License-Identifier: MIT */
/*
 * vnet_probe.c - the image's side of virtio-net: find the NICs and wire
 * their interrupts for halting (virtio_net.h); registers the "virtio" port
 * driver (nfb/port.h).  Image only.
 */
#include "drivers/virtio/virtio_transport.h"
#include "drivers/virtio/vnet_priv.h"
#include "kernel/kernel.h"

#define VNET_DEV_MAX 16
#define VNET_VECTOR_FIRST 48u  /* kernel.h: 48..239 are free for devices */
#define VNET_VECTOR_LAST 239u

static uint8_t vnet_next_vector = VNET_VECTOR_FIRST;

/* A used-buffer (or config) interrupt: acknowledge it so a level-triggered
 * line drops; the wake-up itself is all we wanted. */
static void vnet_irq(void *ctx)
{
	struct virtio_dev *d = ctx;
	d->irqs++;
	d->tr->irq_ack(d);
}

/* Give the device a vector and route its interrupt there.  Failure is not
 * fatal: the port then only busy-polls (vnet_wait_rx does not halt). */
static void vnet_irq_setup(struct virtio_dev *d)
{
	d->has_irq = false;
	if (!d->tr->irq_setup)
		return;
	while (vnet_next_vector <= VNET_VECTOR_LAST) {
		uint8_t v = vnet_next_vector++;
		if (k_irq_register(v, vnet_irq, d) == 0) {
			d->irq_vector = v;
			d->has_irq = d->tr->irq_setup(d) == 0;
			return;
		}
	}
}

static int vnet_probe(const struct port_probe_opts *popt, struct port *ports, uint16_t first_id,
		      int max_ports)
{
	struct vnet_options vo = {.queue_size = popt ? popt->queue_size : 0};
	const struct vnet_options *opt = &vo;
	struct pkt_pool *pool = NULL; /* the rings are filled by use_pool */
	struct virtio_dev *devs[VNET_DEV_MAX];
	int n = 0, n_ports = 0;
	uint64_t declined_all = 0;

	if (!ports || max_ports <= 0)
		return -SYS_EINVAL;
	if (opt && opt->queue_size && (opt->queue_size & (opt->queue_size - 1)))
		return -SYS_EINVAL;

	/* Discovery order is the port order: MMIO slots, then PCI. */
	n += virtio_mmio_find(devs + n, VNET_DEV_MAX - n, VIRTIO_ID_NET);
	n += virtio_pci_find(devs + n, VNET_DEV_MAX - n, VIRTIO_ID_NET);

	/* Under TCG a halt's memory fence needs a register read (vq_arm). */
	bool tcg = virtio_under_tcg();
	if (tcg && n)
		sys_log("virtio-net: TCG: halts fence through a device register (QEMU drops MFENCE)\n");
	for (int i = 0; i < n && n_ports < max_ports; i++) {
		struct virtio_dev *d = devs[i];
		struct vnet *vn = sys_alloc(sizeof(*vn), SYS_CACHE_LINE);
		if (!vn)
			return n_ports ? n_ports : -SYS_ENOMEM;
		char name[PORT_NAME_MAX];
		uint16_t id = (uint16_t)(first_id + n_ports);
		snprintf(name, sizeof(name), "vnet%u", id);
		vnet_irq_setup(d);
		d->fence_by_exit = tcg;
		int rc = vnet_dev_init(vn, d, pool, opt, &ports[n_ports], id, name);
		if (rc < 0) {
			if (rc == -SYS_ENOTSUP)
				sys_log("%s: %s: no VIRTIO_F_VERSION_1 (legacy device); skipped\n", name,
					d->name);
			else if (rc == -SYS_EPERM)
				sys_log("%s: %s: device refused our features (offered 0x%lx, accepted 0x%lx); "
					"skipped\n", name, d->name, (unsigned long)d->offered,
					(unsigned long)d->features);
			else
				sys_log("%s: %s: cannot bring up (error %d); skipped\n", name, d->name, rc);
			sys_free(vn);
			continue;
		}
		const uint8_t *m = ports[n_ports].mac;
		/* How an idle halt is woken: the MMIO line or PCI INTx GSI, or
		 * MSI-X; no-irq: busy polling (and the kernel's timer). */
		char irq[24];
		if (!d->has_irq)
			snprintf(irq, sizeof(irq), " no-irq");
		else if (d->msix_cap && !d->intx_gsi)
			snprintf(irq, sizeof(irq), " irq msi-x");
		else
			snprintf(irq, sizeof(irq), " irq gsi %u", d->intx_gsi ? d->intx_gsi : d->gsi);
		sys_log("%s: virtio-%s %s mac %02x:%02x:%02x:%02x:%02x:%02x queues %u/%u%s%s\n", name,
			d->tr->kind, d->name, m[0], m[1], m[2], m[3], m[4], m[5], vn->rx.size,
			vn->tx.size, virtio_has(d, VIRTIO_F_EVENT_IDX) ? "" : " no-event-idx", irq);
		declined_all |= d->offered & ~d->features;
		n_ports++;
	}

	/* Once, for all ports: what the devices offered that we do not use. */
	if (declined_all) {
		char buf[512];
		vnet_declined_names(declined_all, 0, buf, sizeof(buf));
		sys_log("virtio-net: declined offered features: %s\n", buf);
	}
	return n_ports;
}

/* nfbox.verbose=1: what bring-up cost in register accesses. */
static void vnet_report(void)
{
	struct virtio_mmio_cost vc;
	virtio_mmio_cost_get(&vc);
	if (vc.accesses)
		sys_log("nfbox: boot virtio-mmio: %u register accesses, %lu us in them (%lu ns each)\n",
			vc.accesses, (unsigned long)(k_tsc_to_ns(vc.tsc) / 1000),
			(unsigned long)(k_tsc_to_ns(vc.tsc) / vc.accesses));
	virtio_pci_cost_get(&vc);
	if (vc.accesses)
		sys_log("nfbox: boot virtio-pci: %u register accesses, %lu us in them (%lu ns each)\n",
			vc.accesses, (unsigned long)(k_tsc_to_ns(vc.tsc) / 1000),
			(unsigned long)(k_tsc_to_ns(vc.tsc) / vc.accesses));
}

static const struct port_driver vnet_driver = {
	.name = "virtio",
	.probe = vnet_probe,
	.report = vnet_report,
};
PORT_DRIVER_REGISTER(vnet_driver);
