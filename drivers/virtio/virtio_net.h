/* SPDX-License-Identifier: MIT */
/*
 * virtio_net.h - the image's NICs: virtio-net 1.x over MMIO or PCI, as ports.
 *
 * Zero copy: RX descriptors point into buffers of the dataplane pool; the
 * buffer the device filled is returned by rx_burst and may be passed as is to
 * tx_burst of any virtio port.  Polling: device notifications are suppressed
 * (VIRTIO_F_EVENT_IDX) and the driver kicks at most once per burst, only
 * when the device asked for it.
 *
 * Ports (nfb/port.h):
 *   rx_burst   frames at pkt.data = buffer + PKT_HEADROOM, pkt.len = frame
 *              length; frames the device marks odd (shorter than an
 *              Ethernet header, longer than the buffer, spread over several
 *              buffers with MRG_RXBUF) are dropped and counted in
 *              stats.rx_errors.  RX buffers are refilled from the pool in
 *              bulk; a refill the pool cannot serve counts stats.rx_nobuf
 *              and is retried on later bursts.
 *   tx_burst   writes the 12-byte virtio-net header into the headroom (a
 *              frame with less than 12 bytes of headroom is moved back to
 *              the default offset first) and queues one descriptor per
 *              frame; returns fewer than asked when the ring is full.
 *   reclaim    returns completed TX buffers to their pools, in bulk.
 * The loop counts rx/tx packets and bytes; the driver only its own errors.
 *
 * Features: VERSION_1 is required; EVENT_IDX, MAC, MRG_RXBUF (frames still
 * fit one buffer) and ORDER_PLATFORM are accepted; everything else offered
 * (checksum/TSO offloads, control queue, MQ, packed ring, ...) is declined
 * and named once on the console.  Works with QEMU's virtio-net (tap) and
 * with vhost-user backends (DPDK net_vhost, OVS-DPDK).
 *
 * Discovery order: virtio-mmio devices from the kernel command line's
 * virtio_mmio.device= entries, else QEMU microvm's slots from the highest
 * down (QEMU fills them in that order; needs -global
 * virtio-mmio.force-legacy=false, legacy transports are skipped with a
 * hint); then virtio-pci (modern, or transitional with modern capabilities)
 * in bus/device/function order.
 */
#ifndef NFB_VIRTIO_NET_H
#define NFB_VIRTIO_NET_H

#include "nfb/port.h"

struct vnet_options {
	/* Ring entries per queue: a power of two, at most the device's maximum
	 * and 4096 (0: the device's maximum, capped at 1024; QEMU offers its
	 * rx_queue_size/tx_queue_size, 256 unless set). */
	uint16_t queue_size;
};

/*
 * The "virtio" port driver (nfb/port.h, registered by vnet_probe.c) finds
 * every virtio-net device (virtio-mmio slots, then PCI), negotiates
 * features and initialises the ports in discovery order (port i == the
 * i-th -device/-netdev on QEMU's line), one line per port and, once, the
 * offered features it declined.  A device that cannot be brought up is
 * skipped with a message.  RX rings are filled by the use_pool op, so the
 * caller can size the pool from the ring_size op first.
 *
 * Halting (arm_rx/disarm_rx): a port whose device cannot interrupt
 * (probe printed "no-irq": no IOAPIC route or MSI-X) does not keep the CPU
 * from halting; its frames are seen at the next wake-up from anything else,
 * so the caller bounds its wait with a timer (can_interrupt tells).  Under
 * load no interrupt is taken: outside a halt used-buffer notifications stay
 * suppressed.
 */

#endif
