/* SPDX-License-Identifier: MIT */
/*
 * virtio.h - what the virtio transports (MMIO, PCI) and device drivers
 * (virtio-net) share: spec constants, the device handle, and the transport
 * operations.  Private to drivers/virtio.
 *
 * Portable: no kernel call here or in virtio.c, so a hosted unit test can
 * drive the device-independent steps against a simulated transport.
 *
 * Section numbers are those of the virtio 1.1 specification (OASIS, 2019).
 */
#ifndef NFB_VIRTIO_H
#define NFB_VIRTIO_H

#include "nfb/sys.h"

/* ---- device status (virtio 1.1 2.1) ----------------------------------------- */
#define VIRTIO_S_ACKNOWLEDGE 1u
#define VIRTIO_S_DRIVER 2u
#define VIRTIO_S_DRIVER_OK 4u
#define VIRTIO_S_FEATURES_OK 8u
#define VIRTIO_S_NEEDS_RESET 64u
#define VIRTIO_S_FAILED 128u

/* ---- reserved feature bits (virtio 1.1 6) ------------------------------------ */
#define VIRTIO_F_NOTIFY_ON_EMPTY 24 /* legacy */
#define VIRTIO_F_ANY_LAYOUT 27      /* legacy */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_F_ACCESS_PLATFORM 33
#define VIRTIO_F_RING_PACKED 34
#define VIRTIO_F_IN_ORDER 35
#define VIRTIO_F_ORDER_PLATFORM 36
#define VIRTIO_F_SR_IOV 37
#define VIRTIO_F_NOTIFICATION_DATA 38
#define VIRTIO_F_RING_RESET 40 /* virtio 1.2 6 */

#define VIRTIO_BIT(b) (1ull << (b))

/* Device IDs (virtio 1.1 5). */
#define VIRTIO_ID_NET 1u

/* ---- the device handle ------------------------------------------------------- */
struct virtio_dev;
struct vq;

/*
 * Transport operations: everything that differs between virtio-mmio (1.1 4.2)
 * and virtio-pci (1.1 4.1).  Cold path only; the fast path touches the rings
 * and, once per burst at most, vq->notify.
 */
struct virtio_transport {
	const char *kind;                                  /* "mmio", "pci" */
	/* Write 0 to the status and wait until the device reads back 0 (1.1 2.1.2,
	 * 4.1.4.3.2, 4.2.2.1).  -SYS_EIO if it never does. */
	int (*reset)(struct virtio_dev *d);
	/* Optional: only write the reset, for initialisation, where the
	 * transport's spec does not require the driver to read the status
	 * back (virtio-mmio; virtio-pci does, 4.1.4.3.2).  Every register
	 * access is a VM exit (~40 us under kvm_pvm). */
	void (*reset_start)(struct virtio_dev *d);
	uint8_t (*get_status)(struct virtio_dev *d);
	void (*set_status)(struct virtio_dev *d, uint8_t status);
	uint64_t (*get_features)(struct virtio_dev *d);    /* all 64 offered bits */
	void (*set_features)(struct virtio_dev *d, uint64_t features);
	uint32_t (*config_generation)(struct virtio_dev *d);
	uint8_t (*config_r8)(struct virtio_dev *d, uint32_t off);
	uint16_t (*config_r16)(struct virtio_dev *d, uint32_t off);
	/* Largest size the device allows for queue `index`, 0 if no such queue. */
	uint16_t (*queue_max)(struct virtio_dev *d, uint16_t index);
	/* Tell the device where vq's rings are and how big, route its used-buffer
	 * notifications (to d->irq_vector if `irq`, else nowhere), set vq->notify
	 * and vq->notify_addr, and enable it (1.1 4.1.5.1.3, 4.2.3.2). */
	int (*queue_enable)(struct virtio_dev *d, struct vq *vq, bool irq);
	/* Route the device's interrupt to CPU vector d->irq_vector (IOAPIC for
	 * an MMIO line, MSI-X entry 0 for PCI).  Called before negotiation.
	 * NULL or < 0: no interrupts, the port can only be busy-polled. */
	int (*irq_setup)(struct virtio_dev *d);
	/* Acknowledge a device interrupt (MMIO InterruptACK, PCI ISR read). */
	void (*irq_ack)(struct virtio_dev *d);
};

struct virtio_dev {
	const struct virtio_transport *tr;
	uint32_t device_id;      /* VIRTIO_ID_* */
	uint64_t offered;        /* device features as read */
	uint64_t features;       /* negotiated: offered & accepted */
	/* Transport state. */
	uintptr_t base;          /* MMIO: register window; PCI: common config */
	uintptr_t notify_base;   /* PCI: notification area */
	uint32_t notify_mult;    /* PCI: queue_notify_off multiplier */
	uint32_t notify_len;     /* PCI: bytes of the notification area */
	uintptr_t isr;           /* PCI: ISR status byte */
	uintptr_t devcfg;        /* PCI: device-specific config */
	uint32_t gsi;            /* MMIO: interrupt line (GSI) */
	int32_t queue_sel;       /* queue select as last written, -1 unknown */
	uint16_t queue_size_max; /* PCI: queue_size as read for queue_sel */
	uint16_t isr_cap;        /* PCI: ISR capability offset (mapped for INTx) */
	uint32_t intx_gsi;       /* PCI: INTx line in use instead of MSI-X, 0 if none */
	uint16_t msix_cap;       /* PCI: MSI-X capability offset, 0 if none */
	uint32_t msix_table;     /* PCI: its table offset/BIR dword, if msix_cap */
	const void *pci;         /* PCI: struct k_pci_dev (image only) */
	bool has_irq;            /* interrupts were set up (adaptive polling) */
	uint64_t irqs;           /* interrupts taken */
	bool fence_by_exit;      /* memory fences need an exit (TCG: vq_arm) */
	uint8_t irq_vector;      /* CPU vector for used-buffer notifications */
	void *test_priv;         /* hosted tests: the simulated device */
	char name[24];           /* "mmio@feb02e00", "pci 00:03.0" */
};

/*
 * The device-independent part of initialisation (virtio 1.1 3.1.1 steps 1-6):
 * reset, ACKNOWLEDGE, DRIVER, read the offered features, write
 * offered & `accept`, FEATURES_OK, and check the device kept FEATURES_OK.
 * `require` bits must be offered (else -SYS_ENOTSUP); a device that clears
 * FEATURES_OK, refusing to work without something we declined (e.g.
 * ACCESS_PLATFORM behind an IOMMU), gives -SYS_EPERM.  On failure the device
 * is left with FAILED set.  d->offered and d->features are filled.
 */
int virtio_negotiate(struct virtio_dev *d, uint64_t accept, uint64_t require);

/* Step 8: DRIVER_OK (after queues and config are set up). */
void virtio_driver_ok(struct virtio_dev *d);

/* Give up on a device: set FAILED (1.1 3.1.1 "If any of these steps go
 * irrecoverably wrong"). */
void virtio_fail(struct virtio_dev *d);

/* Read `len` bytes of device config at `off` consistently: retry while the
 * config generation changes under us (1.1 2.4.1). */
void virtio_config_read(struct virtio_dev *d, uint32_t off, void *buf, uint32_t len);

static inline bool virtio_has(const struct virtio_dev *d, unsigned bit)
{
	return (d->features & VIRTIO_BIT(bit)) != 0;
}

#endif
