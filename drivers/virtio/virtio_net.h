/* SPDX-License-Identifier: MIT */
/*
 * virtio_net.h - the image's NICs: virtio-net 1.x over MMIO or PCI, as ports.
 *
 * Zero copy: RX descriptors point into buffers of the dataplane pool; the
 * buffer the device filled is returned by rx_burst and may be passed as is to
 * tx_burst of any virtio port.  Polling: device notifications are suppressed
 * (VIRTIO_F_EVENT_IDX) and the driver kicks once per burst.
 */
#ifndef NFB_VIRTIO_NET_H
#define NFB_VIRTIO_NET_H

#include "dataplane/port.h"

struct vnet_options {
	uint16_t queue_size;     /* ring entries per queue, power of two (0: device max, capped at 1024) */
};

/*
 * Find every virtio-net device (virtio-mmio slots, then PCI), negotiate
 * features, fill RX rings from `pool`, and initialise ports[0..ret) in
 * discovery order (port i == the i-th -device/-netdev on QEMU's line).
 * Returns the number of ports (0 if none) or a negative errno.
 */
int vnet_probe_all(struct pkt_pool *pool, const struct vnet_options *opt, struct port *ports,
		   int max_ports);

/*
 * Adaptive polling: arm RX interrupts on every port, re-check the rings (a
 * packet may have arrived meanwhile), halt until one fires, then disarm.
 * Called by the image's main loop after an idle spell; returns when at least
 * one port has something to receive (or on any interrupt).
 *
 * A port whose device cannot interrupt (probe printed "no-irq": no IOAPIC
 * route or MSI-X) does not keep the CPU from halting; its frames are seen
 * at the next wake-up from anything else, so the caller bounds their wait
 * with a timer (k_wakeup_at) before calling.  Under load no interrupt is
 * taken: outside this call used-buffer notifications stay suppressed.
 */
void vnet_wait_rx(struct port *ports, int n_ports);

#endif
