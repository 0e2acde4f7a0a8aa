/* SPDX-License-Identifier: MIT */
/*
 * virtio_pci.c - the virtio-pci modern transport (virtio 1.1 4.1).  Image
 * only.  Legacy (I/O BAR) devices are not driven.
 */
#include "drivers/virtio/virtio_transport.h"
#include "drivers/virtio/virtqueue.h"
#include "kernel/kernel.h"

#define PCI_VENDOR_REDHAT 0x1af4u
#define PCI_DEVICE_MODERN_BASE 0x1040u  /* 0x1040 + virtio device id (4.1.2) */
#define PCI_DEVICE_TRANS_NET 0x1000u    /* transitional network device (4.1.2.1) */

/* PCI configuration header (PCI Local Bus 3.0 6.1, 6.7). */
#define PCI_COMMAND 0x04
#define PCI_COMMAND_INTX_DISABLE 0x400u
#define PCI_STATUS 0x06
#define PCI_STATUS_CAP_LIST 0x10u
#define PCI_SUBSYSTEM_ID 0x2e
#define PCI_CAP_PTR 0x34
#define PCI_CAP_ID_VNDR 0x09
#define PCI_CAP_ID_MSIX 0x11

/* virtio_pci_cap (4.1.4) */
#define VPCI_CAP_CFG_TYPE 3
#define VPCI_CAP_BAR 4
#define VPCI_CAP_OFFSET 8
#define VPCI_CAP_LENGTH 12
#define VPCI_NOTIFY_MULT 16 /* virtio_pci_notify_cap (4.1.4.4) */
#define VPCI_CAP_COMMON 1
#define VPCI_CAP_NOTIFY 2
#define VPCI_CAP_ISR 3
#define VPCI_CAP_DEVICE 4

/* virtio_pci_common_cfg (4.1.4.3) */
#define VPCI_DFSELECT 0x00
#define VPCI_DF 0x04
#define VPCI_GFSELECT 0x08
#define VPCI_GF 0x0c
#define VPCI_MSIX_CONFIG 0x10
#define VPCI_NUM_QUEUES 0x12
#define VPCI_STATUS 0x14
#define VPCI_CFG_GENERATION 0x15
#define VPCI_Q_SELECT 0x16
#define VPCI_Q_SIZE 0x18
#define VPCI_Q_MSIX 0x1a
#define VPCI_Q_ENABLE 0x1c
#define VPCI_Q_NOFF 0x1e
#define VPCI_Q_DESCLO 0x20
#define VPCI_Q_DESCHI 0x24
#define VPCI_Q_AVAILLO 0x28
#define VPCI_Q_AVAILHI 0x2c
#define VPCI_Q_USEDLO 0x30
#define VPCI_Q_USEDHI 0x34
#define VPCI_NO_VECTOR 0xffffu

/* MSI-X capability (PCI Local Bus 3.0 6.8.2) */
#define MSIX_CTRL 2
#define MSIX_CTRL_ENABLE 0x8000u
#define MSIX_CTRL_MASK 0x4000u
#define MSIX_TABLE 4
#define MSIX_ENTRY_SIZE 16

static inline uint32_t cc_r32(struct virtio_dev *d, uint32_t o) { return k_mmio_r32(d->base + o); }
static inline uint16_t cc_r16(struct virtio_dev *d, uint32_t o) { return k_mmio_r16(d->base + o); }
static inline uint8_t cc_r8(struct virtio_dev *d, uint32_t o) { return k_mmio_r8(d->base + o); }
static inline void cc_w32(struct virtio_dev *d, uint32_t o, uint32_t v) { k_mmio_w32(d->base + o, v); }
static inline void cc_w16(struct virtio_dev *d, uint32_t o, uint16_t v) { k_mmio_w16(d->base + o, v); }
static inline void cc_w8(struct virtio_dev *d, uint32_t o, uint8_t v) { k_mmio_w8(d->base + o, v); }

static int pci_reset(struct virtio_dev *d)
{
	/* 4.1.4.3.2: after writing 0, wait until device_status reads 0. */
	cc_w8(d, VPCI_STATUS, 0);
	for (int i = 0; i < 1000000; i++) {
		if (cc_r8(d, VPCI_STATUS) == 0)
			return 0;
		sys_pause();
	}
	return -SYS_EIO;
}

static uint8_t pci_get_status(struct virtio_dev *d) { return cc_r8(d, VPCI_STATUS); }
static void pci_set_status(struct virtio_dev *d, uint8_t s) { cc_w8(d, VPCI_STATUS, s); }

static uint64_t pci_get_features(struct virtio_dev *d)
{
	cc_w32(d, VPCI_DFSELECT, 0);
	uint64_t lo = cc_r32(d, VPCI_DF);
	cc_w32(d, VPCI_DFSELECT, 1);
	uint64_t hi = cc_r32(d, VPCI_DF);
	return lo | (hi << 32);
}

static void pci_set_features(struct virtio_dev *d, uint64_t f)
{
	cc_w32(d, VPCI_GFSELECT, 0);
	cc_w32(d, VPCI_GF, (uint32_t)f);
	cc_w32(d, VPCI_GFSELECT, 1);
	cc_w32(d, VPCI_GF, (uint32_t)(f >> 32));
}

static uint32_t pci_config_generation(struct virtio_dev *d) { return cc_r8(d, VPCI_CFG_GENERATION); }
static uint8_t pci_config_r8(struct virtio_dev *d, uint32_t off) { return k_mmio_r8(d->devcfg + off); }
static uint16_t pci_config_r16(struct virtio_dev *d, uint32_t off) { return k_mmio_r16(d->devcfg + off); }

static uint16_t pci_queue_max(struct virtio_dev *d, uint16_t index)
{
	/* 4.1.5.1.3 steps 1-2: select; queue_size 0 means no such queue. */
	if (index >= cc_r16(d, VPCI_NUM_QUEUES))
		return 0;
	cc_w16(d, VPCI_Q_SELECT, index);
	if (cc_r16(d, VPCI_Q_ENABLE))
		return 0;
	return cc_r16(d, VPCI_Q_SIZE);
}

static void pci_notify(struct vq *vq)
{
	/* 4.1.5.2: the queue index, 16 bits, at the queue's notify address
	 * (no VIRTIO_F_NOTIFICATION_DATA). */
	k_mmio_w16(vq->notify_addr, vq->index);
}

static int pci_queue_enable(struct virtio_dev *d, struct vq *vq, bool irq)
{
	/* 4.1.5.1.3 steps 3-7. */
	cc_w16(d, VPCI_Q_SELECT, vq->index);
	cc_w16(d, VPCI_Q_SIZE, vq->size);
	/* 4.1.5.1.2: the MSI-X table entry for this queue (entry 0 for RX),
	 * read back to learn whether the device took it. */
	uint16_t vec = irq && d->has_irq && !d->intx_gsi ? 0 : VPCI_NO_VECTOR;
	cc_w16(d, VPCI_Q_MSIX, vec);
	if (cc_r16(d, VPCI_Q_MSIX) != vec) {
		sys_log("%s: queue %u refused its MSI-X vector; busy polling only\n", d->name, vq->index);
		d->has_irq = false;
		cc_w16(d, VPCI_Q_MSIX, VPCI_NO_VECTOR);
	}
	/* 64-bit fields as two 32-bit writes, low half first (4.1.3.1). */
	uint64_t a = vq_desc_addr(vq);
	cc_w32(d, VPCI_Q_DESCLO, (uint32_t)a);
	cc_w32(d, VPCI_Q_DESCHI, (uint32_t)(a >> 32));
	a = vq_avail_addr(vq);
	cc_w32(d, VPCI_Q_AVAILLO, (uint32_t)a);
	cc_w32(d, VPCI_Q_AVAILHI, (uint32_t)(a >> 32));
	a = vq_used_addr(vq);
	cc_w32(d, VPCI_Q_USEDLO, (uint32_t)a);
	cc_w32(d, VPCI_Q_USEDHI, (uint32_t)(a >> 32));
	uint32_t noff = cc_r16(d, VPCI_Q_NOFF);
	/* 4.1.4.4.1: the queue's notify address lies inside the capability. */
	if ((uint64_t)noff * d->notify_mult + 2 > d->notify_len)
		return -SYS_EIO;
	cc_w16(d, VPCI_Q_ENABLE, 1);
	/* 4.1.4.4: cap.offset + queue_notify_off * notify_off_multiplier. */
	vq->notify = pci_notify;
	vq->notify_addr = d->notify_base + (uintptr_t)noff * d->notify_mult;
	return 0;
}

/* True under QEMU's TCG (CPUID hypervisor leaf 0x40000000 signature). */
static bool under_tcg(void)
{
	uint32_t a, b, c, dx;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(dx) : "a"(1u), "c"(0u));
	if (!(c & (1u << 31))) /* CPUID.1:ECX.hypervisor */
		return false;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(dx) : "a"(0x40000000u), "c"(0u));
	return b == 0x54474354u && c == 0x43544743u && dx == 0x47435447u; /* "TCGTCGTCGTCG" */
}

/* INTx (level-triggered, 4.1.4.5: ISR bit 0 for used buffers), where the
 * kernel knows the pin's GSI: QEMU microvm with pcie=on. */
static int pci_intx_setup(struct virtio_dev *d)
{
	const struct k_pci_dev *pd = d->pci;
	int gsi = k_pci_intx_gsi(pd);
	if (gsi < 0 || !d->isr)
		return -SYS_ENOTSUP;
	/* Command bit 10, Interrupt Disable, clear (PCI 3.0 6.2.2). */
	uint16_t cmd = k_pci_read16(pd, PCI_COMMAND);
	k_pci_write16(pd, PCI_COMMAND, (uint16_t)(cmd & ~PCI_COMMAND_INTX_DISABLE));
	int rc = k_ioapic_route((uint32_t)gsi, d->irq_vector, true);
	if (rc == 0)
		d->intx_gsi = (uint32_t)gsi;
	return rc;
}

static int pci_irq_setup(struct virtio_dev *d)
{
	const struct k_pci_dev *pd = d->pci;
	if (!d->msix_cap)
		return pci_intx_setup(d);
	/* QEMU 7.2 without KVM: when a queue's MSI-X vector is unmasked on a
	 * vhost-user device, virtio_pci_one_vector_unmask() falls through to
	 * kvm_virtio_pci_irqfd_use() with no irqfd table and QEMU segfaults
	 * at DRIVER_OK.  Under TCG, leave MSI-X off: INTx where its routing is
	 * known, else idle halts end on the kernel's timer. */
	if (under_tcg()) {
		int rc = pci_intx_setup(d);
		sys_log("%s: TCG: no MSI-X (QEMU 7.2 vhost-user bug)%s\n", d->name,
			rc == 0 ? ", INTx" : "");
		return rc;
	}
	uint16_t cap = d->msix_cap;
	uint32_t tbl = k_pci_read32(pd, (uint16_t)(cap + MSIX_TABLE));
	unsigned bir = tbl & 7u;
	if (bir > 5 || pd->bar_is_io[bir] || !pd->bar[bir])
		return -SYS_ENOTSUP;
	uintptr_t entry0 = (uintptr_t)(pd->bar[bir] + (tbl & ~7u));
	if (k_map_mmio(entry0, MSIX_ENTRY_SIZE) < 0)
		return -SYS_ENOMEM;
	uint64_t addr;
	uint32_t data;
	k_msi_message(d->irq_vector, &addr, &data);
	/* Mask the function while programming entry 0, then enable MSI-X and
	 * unmask (PCI 3.0 6.8.2.3, 6.8.2.9). */
	uint16_t ctrl = k_pci_read16(pd, (uint16_t)(cap + MSIX_CTRL));
	k_pci_write16(pd, (uint16_t)(cap + MSIX_CTRL), (uint16_t)(ctrl | MSIX_CTRL_MASK | MSIX_CTRL_ENABLE));
	k_mmio_w32(entry0 + 0, (uint32_t)addr);
	k_mmio_w32(entry0 + 4, (uint32_t)(addr >> 32));
	k_mmio_w32(entry0 + 8, data);
	k_mmio_w32(entry0 + 12, 0); /* vector control: unmasked */
	k_pci_write16(pd, (uint16_t)(cap + MSIX_CTRL), (uint16_t)((ctrl | MSIX_CTRL_ENABLE) & ~MSIX_CTRL_MASK));
	return 0;
}

static void pci_irq_ack(struct virtio_dev *d)
{
	/* MSI-X needs no acknowledgement; reading ISR clears it for INTx and is
	 * harmless otherwise (4.1.4.5). */
	if (d->isr)
		(void)k_mmio_r8(d->isr);
}

static const struct virtio_transport pci_transport = {
	.kind = "pci",
	.reset = pci_reset,
	.get_status = pci_get_status,
	.set_status = pci_set_status,
	.get_features = pci_get_features,
	.set_features = pci_set_features,
	.config_generation = pci_config_generation,
	.config_r8 = pci_config_r8,
	.config_r16 = pci_config_r16,
	.queue_max = pci_queue_max,
	.queue_enable = pci_queue_enable,
	.irq_setup = pci_irq_setup,
	.irq_ack = pci_irq_ack,
};

/* ---- discovery ------------------------------------------------------------------ */

struct pci_find {
	struct virtio_dev **out;
	int max, n;
	uint32_t device_id;
};

/* Map the region a virtio capability points at (4.1.4.1: a memory BAR). */
static uintptr_t pci_cap_region(const struct k_pci_dev *pd, uint16_t cap, uint32_t *len_out)
{
	uint8_t bar = k_pci_read8(pd, (uint16_t)(cap + VPCI_CAP_BAR));
	uint32_t off = k_pci_read32(pd, (uint16_t)(cap + VPCI_CAP_OFFSET));
	uint32_t len = k_pci_read32(pd, (uint16_t)(cap + VPCI_CAP_LENGTH));
	if (bar > 5 || pd->bar_is_io[bar] || !pd->bar[bar] || !len ||
	    (uint64_t)off + len > pd->bar_size[bar])
		return 0;
	uintptr_t a = (uintptr_t)(pd->bar[bar] + off);
	if (k_map_mmio(a, len) < 0)
		return 0;
	if (len_out)
		*len_out = len;
	return a;
}

static void pci_found(void *ctx, struct k_pci_dev *pd)
{
	struct pci_find *f = ctx;
	if (f->n >= f->max || pd->vendor != PCI_VENDOR_REDHAT)
		return;
	bool modern = pd->device == PCI_DEVICE_MODERN_BASE + f->device_id;
	/* 4.1.2.1: a transitional device names its type in the subsystem id. */
	bool trans = f->device_id == VIRTIO_ID_NET && pd->device == PCI_DEVICE_TRANS_NET &&
		     k_pci_read16(pd, PCI_SUBSYSTEM_ID) == VIRTIO_ID_NET;
	if (!modern && !trans)
		return;

	struct virtio_dev *d = sys_alloc(sizeof(*d), SYS_CACHE_LINE);
	struct k_pci_dev *copy = sys_alloc(sizeof(*copy), 8);
	if (!d || !copy) {
		sys_free(d);
		sys_free(copy);
		return;
	}
	*copy = *pd;
	d->tr = &pci_transport;
	d->device_id = f->device_id;
	d->pci = copy;
	snprintf(d->name, sizeof(d->name), "pci %02x:%02x.%u", pd->bus, pd->dev, pd->fn);

	/* 4.1.4: walk the capability list; the first of each type wins. */
	if (k_pci_read16(pd, PCI_STATUS) & PCI_STATUS_CAP_LIST) {
		uint16_t cap = k_pci_read8(pd, PCI_CAP_PTR) & 0xfcu;
		for (int guard = 0; cap >= 0x40 && guard < 48; guard++) {
			uint8_t id = k_pci_read8(pd, cap);
			if (id == PCI_CAP_ID_MSIX && !d->msix_cap) {
				d->msix_cap = cap;
			} else if (id == PCI_CAP_ID_VNDR) {
				uint8_t type = k_pci_read8(pd, (uint16_t)(cap + VPCI_CAP_CFG_TYPE));
				if (type == VPCI_CAP_COMMON && !d->base) {
					d->base = pci_cap_region(pd, cap, NULL);
				} else if (type == VPCI_CAP_NOTIFY && !d->notify_base) {
					d->notify_base = pci_cap_region(pd, cap, &d->notify_len);
					d->notify_mult = k_pci_read32(pd, (uint16_t)(cap + VPCI_NOTIFY_MULT));
				} else if (type == VPCI_CAP_ISR && !d->isr) {
					d->isr = pci_cap_region(pd, cap, NULL);
				} else if (type == VPCI_CAP_DEVICE && !d->devcfg) {
					d->devcfg = pci_cap_region(pd, cap, NULL);
				}
			}
			cap = k_pci_read8(pd, (uint16_t)(cap + 1)) & 0xfcu;
		}
	}
	/* 4.1.4.1: common, notify and (for virtio-net) device config are
	 * required; without them this is a legacy-only device. */
	if (!d->base || !d->notify_base || !d->devcfg) {
		sys_log("virtio-pci %02x:%02x.%u: no modern capabilities (legacy only); "
			"not supported\n", pd->bus, pd->dev, pd->fn);
		sys_free(copy);
		sys_free(d);
		return;
	}
	f->out[f->n++] = d;
}

int virtio_pci_find(struct virtio_dev **out, int max, uint32_t device_id)
{
	struct pci_find f = {.out = out, .max = max, .n = 0, .device_id = device_id};
	if (max <= 0)
		return 0;
	k_pci_scan(pci_found, &f);
	return f.n;
}
