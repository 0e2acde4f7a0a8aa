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
#define MSIX_TABLE 4
#define MSIX_ENTRY_SIZE 16

/* Common and device configuration accesses outside the fast path, and the
 * TSC ticks they took (each is an exit to QEMU): nfbox.verbose=1 prints
 * them. */
static struct virtio_mmio_cost cost;

void virtio_pci_cost_get(struct virtio_mmio_cost *c) { *c = cost; }

#define TIMED(expr)                                   \
	do {                                          \
		uint64_t t0_ = sys_rdtsc();           \
		expr;                                 \
		cost.accesses++;                      \
		cost.tsc += sys_rdtsc() - t0_;        \
	} while (0)

static inline uint32_t cc_r32(struct virtio_dev *d, uint32_t o) { uint32_t v; TIMED(v = k_mmio_r32(d->base + o)); return v; }
static inline uint16_t cc_r16(struct virtio_dev *d, uint32_t o) { uint16_t v; TIMED(v = k_mmio_r16(d->base + o)); return v; }
static inline uint8_t cc_r8(struct virtio_dev *d, uint32_t o) { uint8_t v; TIMED(v = k_mmio_r8(d->base + o)); return v; }
static inline void cc_w32(struct virtio_dev *d, uint32_t o, uint32_t v) { TIMED(k_mmio_w32(d->base + o, v)); }
static inline void cc_w16(struct virtio_dev *d, uint32_t o, uint16_t v) { TIMED(k_mmio_w16(d->base + o, v)); }
static inline void cc_w8(struct virtio_dev *d, uint32_t o, uint8_t v) { TIMED(k_mmio_w8(d->base + o, v)); }

static uintptr_t pci_cap_region(struct k_pci_dev *pd, uint16_t cap, uint32_t *len_out);

static int pci_reset(struct virtio_dev *d)
{
	/* 4.1.4.3.2: after writing 0, wait until device_status reads 0. */
	cc_w8(d, VPCI_STATUS, 0);
	d->queue_sel = -1; /* not said to survive a reset: written again */
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
static uint8_t pci_config_r8(struct virtio_dev *d, uint32_t off) { uint8_t v; TIMED(v = k_mmio_r8(d->devcfg + off)); return v; }
static uint16_t pci_config_r16(struct virtio_dev *d, uint32_t off) { uint16_t v; TIMED(v = k_mmio_r16(d->devcfg + off)); return v; }

static void pci_select(struct virtio_dev *d, uint16_t index)
{
	if (d->queue_sel != (int32_t)index) {
		cc_w16(d, VPCI_Q_SELECT, index);
		d->queue_sel = index;
	}
}

static uint16_t pci_queue_max(struct virtio_dev *d, uint16_t index)
{
	/* 4.1.5.1.3 steps 1-2: select, read the size; 0 means no such queue
	 * (4.1.4.3), so num_queues need not be read.  Only called right after
	 * the reset of negotiation, which leaves queue_enable 0 (4.1.4.3.2
	 * device requirements): the queue is known not to be in use. */
	pci_select(d, index);
	d->queue_size_max = cc_r16(d, VPCI_Q_SIZE);
	return d->queue_size_max;
}

static void pci_notify(struct vq *vq)
{
	/* 4.1.5.2: the queue index, 16 bits, at the queue's notify address
	 * (no VIRTIO_F_NOTIFICATION_DATA). */
	k_mmio_w16(vq->notify_addr, vq->index);
}

static int pci_queue_enable(struct virtio_dev *d, struct vq *vq, bool irq)
{
	/* 4.1.5.1.3 steps 3-7; the size only if smaller than the maximum
	 * just read (step 3 is optional). */
	bool sel_known = d->queue_sel == (int32_t)vq->index;
	pci_select(d, vq->index);
	if (!sel_known || vq->size != d->queue_size_max)
		cc_w16(d, VPCI_Q_SIZE, vq->size);
	/* 4.1.5.1.2: the MSI-X table entry for this queue (entry 0 for RX),
	 * read back to learn whether the device took it.  A queue without one
	 * is left at the NO_VECTOR a reset gives it (as Linux does). */
	if (irq && d->has_irq && !d->intx_gsi) {
		cc_w16(d, VPCI_Q_MSIX, 0);
		if (cc_r16(d, VPCI_Q_MSIX) != 0) {
			sys_log("%s: queue %u refused its MSI-X vector; busy polling only\n", d->name,
				vq->index);
			d->has_irq = false;
			cc_w16(d, VPCI_Q_MSIX, VPCI_NO_VECTOR);
		}
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
	/* device_feature_select: reading it changes nothing (4.1.4.3). */
	vq->fence_addr = d->fence_by_exit ? d->base : 0;
	return 0;
}

/* INTx (level-triggered, 4.1.4.5: ISR bit 0 for used buffers), where the
 * kernel knows the pin's GSI: QEMU microvm with pcie=on. */
static int pci_intx_setup(struct virtio_dev *d)
{
	struct k_pci_dev *pd = (struct k_pci_dev *)d->pci; /* ours: pci_found's copy */
	int gsi = k_pci_intx_gsi(pd);
	if (gsi < 0 || !d->isr_cap)
		return -SYS_ENOTSUP;
	if (!d->isr)
		d->isr = pci_cap_region(pd, d->isr_cap, NULL);
	if (!d->isr)
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
	struct k_pci_dev *pd = (struct k_pci_dev *)d->pci; /* ours: pci_found's copy */
	if (!d->msix_cap)
		return pci_intx_setup(d);
	/* QEMU 7.2 without KVM: when a queue's MSI-X vector is unmasked on a
	 * vhost-user device, virtio_pci_one_vector_unmask() falls through to
	 * kvm_virtio_pci_irqfd_use() with no irqfd table and QEMU segfaults
	 * at DRIVER_OK.  Under TCG, leave MSI-X off: INTx where its routing is
	 * known, else idle halts end on the kernel's timer. */
	if (virtio_under_tcg()) {
		int rc = pci_intx_setup(d);
		sys_log("%s: TCG: no MSI-X (QEMU 7.2 vhost-user bug)%s\n", d->name,
			rc == 0 ? ", INTx" : "");
		return rc;
	}
	uint16_t cap = d->msix_cap;
	uint32_t tbl = d->msix_table; /* its BAR was placed by pci_found */
	unsigned bir = tbl & 7u;
	uint64_t bar, bar_size;
	if (bir > 5 || k_pci_bar(pd, bir, &bar, &bar_size) < 0)
		return -SYS_ENOTSUP;
	uintptr_t entry0 = (uintptr_t)(bar + (tbl & ~7u));
	if (k_map_mmio(entry0, MSIX_ENTRY_SIZE) < 0)
		return -SYS_ENOMEM;
	uint64_t addr;
	uint32_t data;
	k_msi_message(d->irq_vector, &addr, &data);
	/* Entry 0 while it is masked (its mask bit is 1 from reset, PCI 3.0
	 * 6.8.2.9), then MSI-X on, then the entry unmasked (6.8.2.3).  The
	 * control word is written whole: below the enable and function mask
	 * bits it is read-only (the table size). */
	TIMED(k_mmio_w32(entry0 + 0, (uint32_t)addr));
	TIMED(k_mmio_w32(entry0 + 4, (uint32_t)(addr >> 32)));
	TIMED(k_mmio_w32(entry0 + 8, data));
	k_pci_write16(pd, (uint16_t)(cap + MSIX_CTRL), MSIX_CTRL_ENABLE);
	TIMED(k_mmio_w32(entry0 + 12, 0)); /* vector control: unmasked */
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

/* Map the region a virtio capability points at (4.1.4.1: a memory BAR):
 * the capability's bar, offset and length (three configuration reads),
 * the BAR itself on first use (k_pci_bar). */
static uintptr_t pci_cap_region(struct k_pci_dev *pd, uint16_t cap, uint32_t *len_out)
{
	uint8_t bar = k_pci_read8(pd, (uint16_t)(cap + VPCI_CAP_BAR));
	uint32_t off = k_pci_read32(pd, (uint16_t)(cap + VPCI_CAP_OFFSET));
	uint32_t len = k_pci_read32(pd, (uint16_t)(cap + VPCI_CAP_LENGTH));
	uint64_t base, size;
	if (bar > 5 || !len || k_pci_bar(pd, bar, &base, &size) < 0)
		return 0;
	/* The bound is checked where the BAR was sized; one the firmware
	 * placed is trusted to hold what the device says it does. */
	if (size && (uint64_t)off + len > size)
		return 0;
	uintptr_t a = (uintptr_t)(base + off);
	if (k_map_mmio(a, len) < 0)
		return 0;
	if (len_out)
		*len_out = len;
	return a;
}

static bool pci_found(void *ctx, struct k_pci_dev *pd)
{
	struct pci_find *f = ctx;
	if (pd->vendor != PCI_VENDOR_REDHAT)
		return false;
	bool modern = pd->device == PCI_DEVICE_MODERN_BASE + f->device_id;
	/* 4.1.2.1: a transitional device names its type in the subsystem id. */
	bool trans = f->device_id == VIRTIO_ID_NET && pd->device == PCI_DEVICE_TRANS_NET &&
		     k_pci_read16(pd, PCI_SUBSYSTEM_ID) == VIRTIO_ID_NET;
	if (!modern && !trans)
		return false;

	struct virtio_dev *d = sys_alloc(sizeof(*d), SYS_CACHE_LINE);
	struct k_pci_dev *copy = sys_alloc(sizeof(*copy), 8);
	if (!d || !copy) {
		sys_free(d);
		sys_free(copy);
		return false;
	}
	*copy = *pd;
	pd = copy;
	d->tr = &pci_transport;
	d->device_id = f->device_id;
	d->pci = copy;
	d->queue_sel = -1;
	snprintf(d->name, sizeof(d->name), "pci %02x:%02x.%u", pd->bus, pd->dev, pd->fn);

	/* 4.1.4: walk the capability list once, one read of each header (id,
	 * next, length, cfg_type are its four bytes); the first of each type
	 * wins.  Command and status in one read. */
	uint32_t cmd_status = k_pci_read32(pd, PCI_COMMAND);
	pd->cmd = (uint16_t)cmd_status;
	pd->cmd_known = true;
	uint16_t common = 0, notify = 0, devcfg = 0;
	if ((cmd_status >> 16) & PCI_STATUS_CAP_LIST) {
		uint16_t cap = k_pci_read8(pd, PCI_CAP_PTR) & 0xfcu;
		for (int guard = 0; cap >= 0x40 && guard < 48; guard++) {
			uint32_t h = k_pci_read32(pd, cap);
			uint8_t id = (uint8_t)h, type = (uint8_t)(h >> 24);
			if (id == PCI_CAP_ID_MSIX && !d->msix_cap) {
				d->msix_cap = cap;
			} else if (id == PCI_CAP_ID_VNDR) {
				if (type == VPCI_CAP_COMMON && !common)
					common = cap;
				else if (type == VPCI_CAP_NOTIFY && !notify)
					notify = cap;
				else if (type == VPCI_CAP_ISR && !d->isr_cap)
					d->isr_cap = cap;
				else if (type == VPCI_CAP_DEVICE && !devcfg)
					devcfg = cap;
			}
			cap = (uint16_t)((h >> 8) & 0xfcu);
		}
	}
	/* 4.1.4.1: common, notify and (for virtio-net) device config are
	 * required; without them this is a legacy-only device.  The ISR
	 * region is mapped only for INTx (pci_intx_setup). */
	if (common)
		d->base = pci_cap_region(pd, common, NULL);
	if (notify) {
		d->notify_base = pci_cap_region(pd, notify, &d->notify_len);
		d->notify_mult = k_pci_read32(pd, (uint16_t)(notify + VPCI_NOTIFY_MULT));
	}
	if (devcfg)
		d->devcfg = pci_cap_region(pd, devcfg, NULL);
	/* The MSI-X table's BAR too, before decoding is enabled once for all
	 * (placing a BAR turns memory decoding off meanwhile). */
	if (d->msix_cap) {
		uint64_t bar, bar_size;
		d->msix_table = k_pci_read32(pd, (uint16_t)(d->msix_cap + MSIX_TABLE));
		if ((d->msix_table & 7u) <= 5)
			(void)k_pci_bar(pd, d->msix_table & 7u, &bar, &bar_size);
	}
	if (!d->base || !d->notify_base || !d->devcfg) {
		sys_log("virtio-pci %02x:%02x.%u: no modern capabilities (legacy only); "
			"not supported\n", pd->bus, pd->dev, pd->fn);
		sys_free(copy);
		sys_free(d);
		return false;
	}
	k_pci_enable(pd);
	f->out[f->n++] = d;
	return f->n >= f->max;
}

/* nfbox.pci_nics=N on the kernel command line: the machine has N
 * virtio-net PCI functions (nfbox run says how many --net it gave).  The
 * scan stops at the Nth, and with 0 does not run: every slot probed is a
 * configuration read, an exit to QEMU (~28 us under kvm_pvm), and q35's
 * bus 0 alone has 32 slots.  -1 if not given. */
static int pci_nics_hint(void)
{
	static const char key[] = "nfbox.pci_nics=";
	const char *s = k_cmdline();
	for (const char *p = s; p && *p; p++) {
		if ((p != s && p[-1] != ' ') || strncmp(p, key, sizeof(key) - 1) != 0)
			continue;
		p += sizeof(key) - 1;
		int n = 0, digits = 0;
		for (; *p >= '0' && *p <= '9' && n < 1000; p++, digits++)
			n = n * 10 + (*p - '0');
		return digits && (*p == 0 || *p == ' ') ? n : -1;
	}
	return -1;
}

int virtio_pci_find(struct virtio_dev **out, int max, uint32_t device_id)
{
	struct pci_find f = {.out = out, .max = max, .n = 0, .device_id = device_id};
	int hint = device_id == VIRTIO_ID_NET ? pci_nics_hint() : -1;
	if (hint >= 0 && hint < f.max)
		f.max = hint;
	if (f.max <= 0)
		return 0;
	k_pci_scan(pci_found, &f);
	return f.n;
}
