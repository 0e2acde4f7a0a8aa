/* SPDX-License-Identifier: MIT */
/*
 * vnet_priv.h - the virtio-net port, transport independent (portable).
 *
 * vnet.c turns one negotiated-or-not virtio device into a struct port;
 * vnet_probe.c (image only) finds devices and wires interrupts; the hosted
 * unit test drives vnet.c against a simulated device.
 */
#ifndef NFB_VNET_PRIV_H
#define NFB_VNET_PRIV_H

#include "drivers/virtio/virtio.h"
#include "drivers/virtio/virtio_net.h"
#include "drivers/virtio/virtqueue.h"

/* virtio-net feature bits (virtio 1.1 5.1.3) */
#define VIRTIO_NET_F_CSUM 0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_CTRL_GUEST_OFFLOADS 2
#define VIRTIO_NET_F_MTU 3
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_GSO 6 /* legacy */
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_GUEST_ECN 9
#define VIRTIO_NET_F_GUEST_UFO 10
#define VIRTIO_NET_F_HOST_TSO4 11
#define VIRTIO_NET_F_HOST_TSO6 12
#define VIRTIO_NET_F_HOST_ECN 13
#define VIRTIO_NET_F_HOST_UFO 14
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_NET_F_STATUS 16
#define VIRTIO_NET_F_CTRL_VQ 17
#define VIRTIO_NET_F_CTRL_RX 18
#define VIRTIO_NET_F_CTRL_VLAN 19
#define VIRTIO_NET_F_CTRL_RX_EXTRA 20
#define VIRTIO_NET_F_GUEST_ANNOUNCE 21
#define VIRTIO_NET_F_MQ 22
#define VIRTIO_NET_F_CTRL_MAC_ADDR 23
#define VIRTIO_NET_F_VQ_NOTF_COAL 52 /* virtio 1.2 5.1.3 */
#define VIRTIO_NET_F_NOTF_COAL 53
#define VIRTIO_NET_F_GUEST_USO4 54
#define VIRTIO_NET_F_GUEST_USO6 55
#define VIRTIO_NET_F_HOST_USO 56
#define VIRTIO_NET_F_HASH_REPORT 57
#define VIRTIO_NET_F_GUEST_HDRLEN 59
#define VIRTIO_NET_F_RSS 60
#define VIRTIO_NET_F_RSC_EXT 61
#define VIRTIO_NET_F_STANDBY 62
#define VIRTIO_NET_F_SPEED_DUPLEX 63

/*
 * What we accept.  VERSION_1 is required.  Everything else offered is
 * declined and named once on the console: checksum/TSO/UFO offloads (the
 * functions see and forward whole, checksummed frames; no GSO), control queue
 * and its features (one queue pair, no filtering), MQ, packed rings, indirect
 * descriptors (one descriptor per packet already), IN_ORDER, MTU/STATUS/
 * SPEED_DUPLEX (informational only), ACCESS_PLATFORM (no IOMMU: guest
 * physical == device address).  ORDER_PLATFORM is accepted: on x86 the
 * barriers virtqueue.h uses are the platform's.
 */
#define VNET_FEATURES_REQUIRED VIRTIO_BIT(VIRTIO_F_VERSION_1)
#define VNET_FEATURES_ACCEPTED                                                       \
	(VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX) |             \
	 VIRTIO_BIT(VIRTIO_NET_F_MAC) | VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF) |           \
	 VIRTIO_BIT(VIRTIO_F_ORDER_PLATFORM))

/* The virtio-net header (virtio 1.1 5.1.6): 12 bytes with VERSION_1, with or
 * without MRG_RXBUF. */
#define VNET_HDR_LEN 12u
#define VNET_HDR_NUM_BUFFERS 10u /* offset of le16 num_buffers */
#define VNET_ETH_HLEN 14u         /* shortest frame we pass up */
/* Device configuration (virtio 1.1 5.1.4). */
#define VNET_CFG_MAC 0u

/* Receive queue 0, transmit queue 1 (virtio 1.1 5.1.2). */
#define VNET_RXQ 0u
#define VNET_TXQ 1u

/* Post refills when at least this many RX descriptors are free (fewer
 * barriers and kick checks per packet; capped at ring size / 4). */
#define VNET_RX_REFILL_THRESH 32u

_Static_assert(PKT_HEADROOM >= VNET_HDR_LEN, "headroom holds the virtio-net header");

struct vnet {
	struct vq rx sys_cache_aligned;
	struct vq tx sys_cache_aligned;
	/* --- per-burst state --- */
	struct pkt_pool *pool;
	struct port *port;
	uint32_t rx_buf_len;        /* bytes we post per RX buffer, header included */
	uint16_t rx_refill_thresh;
	uint16_t rx_skip;           /* used entries still to drop (rest of a merged frame) */
	bool mrg_rxbuf;
	/* --- cold --- */
	struct virtio_dev *dev;
	uint64_t rx_merged;         /* frames spread over several buffers (dropped) */
	uint64_t rx_runts;          /* used len shorter than header + Ethernet header */
	uint64_t tx_moved;          /* frames moved because headroom < header */
};

extern const struct port_ops vnet_port_ops;

/*
 * Bring one virtio-net device up as `port` (id `id`, name `name`): negotiate
 * (virtio 1.1 3.1.1, 5.1.5), set up receiveq1/transmitq1 with used-buffer
 * interrupts for RX if dev->has_irq, read the MAC, fill the RX ring from
 * `pool` (NULL: later, by vnet_set_pool), DRIVER_OK.  On failure the device
 * is marked FAILED and everything is released.  Returns 0 or a negative
 * errno.
 */
int vnet_dev_init(struct vnet *vn, struct virtio_dev *dev, struct pkt_pool *pool,
		  const struct vnet_options *opt, struct port *port, uint16_t id, const char *name);

/* Take RX buffers from `pool` from now on; fill the ring and publish. */
void vnet_set_pool(struct vnet *vn, struct pkt_pool *pool);

/* Post free RX descriptors with fresh buffers and publish them. */
void vnet_rx_refill(struct vnet *vn);

/* Adaptive polling halves: arm for an interrupt once `batch` frames wait
 * (clamped to half the posted buffers; 0 counts as 1); true if they are
 * already waiting (do not sleep). */
bool vnet_rx_arm(struct vnet *vn, uint16_t batch);
void vnet_rx_disarm(struct vnet *vn);

/* Names of offered-but-declined features, space separated, into buf. */
void vnet_declined_names(uint64_t offered, uint64_t accepted, char *buf, size_t size);

#endif
