/* SPDX-License-Identifier: MIT */
/*
 * virtio_transport.h - device discovery for the image (virtio-mmio on
 * microvm, virtio-pci modern on q35 / microvm pcie=on).  Image only.
 */
#ifndef NFB_VIRTIO_TRANSPORT_H
#define NFB_VIRTIO_TRANSPORT_H

#include "drivers/virtio/virtio.h"

/*
 * Fill out[0..ret) with devices of type `device_id` (sys_alloc'd handles), in
 * QEMU command-line order, at most `max`.  Nothing is negotiated yet.
 *
 * MMIO: the `virtio_mmio.device=SIZE@BASE:IRQ` entries of the kernel command
 * line (QEMU microvm adds them when ACPI is off) in their order; none if
 * there are none and the machine has no ACPI (k_acpi_absent); else QEMU
 * microvm's fixed slots (base 0xfeb00000, 512-byte stride, 24 slots and GSI
 * 24+i with the second IOAPIC, else 8 slots and GSI 16+i), scanned from the
 * highest slot down: QEMU plugs the first -device into the highest free slot.
 * Legacy (version 1) transports are skipped with a console hint.
 *
 * PCI: vendor 0x1af4, device 0x1040 + device_id, or the transitional id with
 * modern capabilities, in bus/device/function order.
 */
int virtio_mmio_find(struct virtio_dev **out, int max, uint32_t device_id);

/* virtio-mmio register accesses made so far outside the fast path (probe,
 * set-up, interrupt acks) and the TSC ticks spent in them: each is an exit
 * to QEMU, the floor of a NIC's set-up time. */
struct virtio_mmio_cost {
	uint32_t accesses;
	uint64_t tsc;
};
void virtio_mmio_cost_get(struct virtio_mmio_cost *c);
/* The same for virtio-pci's common and device configuration (MSI-X table
 * writes included; PCI configuration space is counted by kernel/pci.c). */
void virtio_pci_cost_get(struct virtio_mmio_cost *c);
int virtio_pci_find(struct virtio_dev **out, int max, uint32_t device_id);

/* True under QEMU's TCG (CPUID hypervisor leaf 0x40000000 signature): its
 * quirks (no host barrier for MFENCE with one vCPU: vq_arm; MSI-X with
 * vhost-user: virtio_pci.c) need working around.  Image only. */
static inline bool virtio_under_tcg(void)
{
	uint32_t a, b, c, dx;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(dx) : "a"(1u), "c"(0u));
	if (!(c & (1u << 31))) /* CPUID.1:ECX.hypervisor */
		return false;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(dx) : "a"(0x40000000u), "c"(0u));
	return b == 0x54474354u && c == 0x43544743u && dx == 0x47435447u; /* "TCGTCGTCGTCG" */
}

#endif
