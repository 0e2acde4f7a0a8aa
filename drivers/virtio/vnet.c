/* SPDX-License-Identifier: MIT */
/*
 * vnet.c - virtio-net as a burst port: zero-copy RX/TX over split virtqueues.
 * Portable (no kernel call): the hosted unit test runs it against a
 * simulated device.
 *
 * Buffer layout (pkt.h): the device writes the 12-byte header at
 * data - 12 and the frame at data = pkt_buf_start + PKT_HEADROOM; TX writes
 * a zero header at data - 12 and hands the device [data - 12, data + len).
 * The buffer that was received is the buffer that is transmitted.
 */
#include "drivers/virtio/vnet_priv.h"
#include "dataplane/stats.h"

/* ---- receive ----------------------------------------------------------------- */

static inline uint8_t *vnet_rx_hdr(struct pkt *p)
{
	return pkt_buf_start(p) + PKT_HEADROOM - VNET_HDR_LEN;
}

/* Uncommon used entries: the rest of a merged frame, a frame that filled its
 * buffer, a runt.  Returns true if the frame is good. */
static __attribute__((noinline)) bool vnet_rx_odd(struct vnet *vn, struct pkt *p, uint32_t len)
{
	if (vn->rx_skip) {
		/* A later buffer of a frame we already dropped. */
		vn->rx_skip--;
		return false;
	}
	if (len < VNET_HDR_LEN + VNET_ETH_HLEN || len > vn->rx_buf_len) {
		vn->rx_runts += len < VNET_HDR_LEN + VNET_ETH_HLEN;
		vn->port->stats.rx_errors++;
		return false;
	}
	/* len == rx_buf_len.  With MRG_RXBUF a frame spread over n buffers
	 * fills all but the last completely (virtio 1.1 5.1.6.4.1), so only a
	 * full buffer can start a merged frame: only now read num_buffers (its
	 * cache line is otherwise never touched). */
	if (vn->mrg_rxbuf) {
		uint16_t nb = sys_ld16(vnet_rx_hdr(p) + VNET_HDR_NUM_BUFFERS);
		if (nb > 1) {
			vn->rx_merged++;
			vn->port->stats.rx_errors++;
			vn->rx_skip = (uint16_t)(nb - 1);
			return false;
		}
	}
	return true;
}

static uint16_t vnet_rx_burst(struct port *port, struct pkt **pkts, uint16_t n)
{
	struct vnet *vn = port->priv;
	struct vq *vq = &vn->rx;
	uint16_t avail = vq_used_pending(vq);

	if (avail == 0)
		return 0;
	if (avail > n)
		avail = n;
	/* Acquire: used->idx before the entries and the buffers it covers.
	 * Pairs with the device's release store of used->idx (virtio 1.1
	 * 2.6.8.1).  x86 does not reorder loads: compiler barrier. */
	sys_barrier();

	/* Pass 1 (virtio 1.1 2.6.14): take the buffers off the used ring, give
	 * the descriptors back to the free stack, prefetch metadata and frame. */
	uint32_t lens[64];
	uint16_t last = vq->last_used, got = 0;
	if (avail > SYS_ARRAY_SIZE(lens))
		avail = SYS_ARRAY_SIZE(lens);
	for (uint16_t i = 0; i < avail; i++) {
		const struct vring_used_elem *e = &vq->used->ring[(uint16_t)(last + i) & vq->mask];
		uint32_t id = e->id;
		struct pkt *p;
		if (unlikely(id >= vq->size || !(p = vq->cookie[id]))) {
			/* The device named a descriptor it does not own. */
			vq->bad_used++;
			port->stats.rx_errors++;
			continue;
		}
		vq->cookie[id] = NULL;
		vq->free_ids[vq->n_free++] = (uint16_t)id;
		sys_prefetch_w(p);
		sys_prefetch(pkt_buf_start(p) + PKT_HEADROOM);
		/* The device wrote the RX header in the line before the frame;
		 * transmitting rewrites it (TX header), so ask for ownership
		 * now rather than stall on it in tx_burst. */
		sys_prefetch_w(vnet_rx_hdr(p));
		lens[got] = e->len;
		pkts[got++] = p;
	}
	vq->last_used = (uint16_t)(last + avail);

	/* Pass 2: validate lengths, fill metadata, drop what is odd. */
	uint16_t kept = 0;
	uint32_t span = vn->rx_buf_len - (VNET_HDR_LEN + VNET_ETH_HLEN);
	for (uint16_t i = 0; i < got; i++) {
		struct pkt *p = pkts[i];
		uint32_t len = lens[i];
		/* Common case in one compare: HDR+ETH <= len < rx_buf_len and no
		 * merged frame being skipped. */
		/* The ring took it untouched (pkt_take_bulk): set it up now,
		 * its metadata line prefetched for writing in pass 1. */
		pkt_rx_init(p, vn->pool);
		if (unlikely(len - (VNET_HDR_LEN + VNET_ETH_HLEN) >= span || vn->rx_skip) &&
		    !vnet_rx_odd(vn, p, len)) {
			pkt_free(p);
			continue;
		}
		p->len = (uint16_t)(len - VNET_HDR_LEN);
		p->port = port->id;
		pkts[kept++] = p;
	}

	vq_suppress(vq);
	if (vq->n_free >= vn->rx_refill_thresh)
		vnet_rx_refill(vn);
	return kept;
}

/* Fill free RX descriptors with fresh buffers (virtio 1.1 5.1.6.3: each
 * buffer holds header + a full frame); do not publish. */
static void vnet_rx_fill(struct vnet *vn)
{
	struct vq *vq = &vn->rx;
	struct pkt *bufs[64];

	if (!vn->pool)
		return; /* probed before the pool existed: vnet_set_pool fills */
	while (vq->n_free) {
		uint32_t want = SYS_MIN((uint32_t)vq->n_free, (uint32_t)SYS_ARRAY_SIZE(bufs));
		want = SYS_MIN(want, vn->pool->n_free);
		/* Untouched: set up when received (vnet_rx_burst). */
		if (want == 0 || pkt_take_bulk(vn->pool, bufs, want) != want) {
			vn->port->stats.rx_nobuf++;
			return;
		}
		for (uint32_t i = 0; i < want; i++) {
			struct pkt *p = bufs[i];
			uint16_t id = vq->free_ids[--vq->n_free];
			vq->cookie[id] = p;
			/* Identity-mapped memory: the address is the physical one.
			 * flags (WRITE) were set once at vq_init. */
			vq->desc[id].addr = (uint64_t)(uintptr_t)vnet_rx_hdr(p);
			vq->desc[id].len = vn->rx_buf_len;
			vq_push_avail(vq, id);
		}
	}
}

void vnet_rx_refill(struct vnet *vn)
{
	vnet_rx_fill(vn);
	vq_publish(&vn->rx);
}

/* ---- transmit ------------------------------------------------------------------ */

/* Return completed TX buffers to their pools, in bulk (virtio 1.1 2.6.14). */
static void vnet_tx_reclaim_vq(struct vnet *vn)
{
	struct vq *vq = &vn->tx;
	uint16_t done = vq_used_pending(vq);

	if (done == 0)
		return;
	/* Acquire: used->idx before the entries (pairs with the device's
	 * release store, virtio 1.1 2.6.8.1). */
	sys_barrier();
	struct pkt *bufs[64];
	uint32_t nb = 0;
	uint16_t last = vq->last_used;
	for (uint16_t i = 0; i < done; i++) {
		uint32_t id = vq->used->ring[(uint16_t)(last + i) & vq->mask].id;
		struct pkt *p;
		if (unlikely(id >= vq->size || !(p = vq->cookie[id]))) {
			vq->bad_used++;
			continue;
		}
		vq->cookie[id] = NULL;
		vq->free_ids[vq->n_free++] = (uint16_t)id;
		bufs[nb++] = p;
		if (nb == SYS_ARRAY_SIZE(bufs)) {
			pkt_free_bulk(bufs, nb);
			nb = 0;
		}
	}
	pkt_free_bulk(bufs, nb);
	vq->last_used = (uint16_t)(last + done);
	vq_suppress(vq);
}

static void vnet_reclaim(struct port *port)
{
	vnet_tx_reclaim_vq(port->priv);
}

/* Headroom too small for the header (a function pushed encapsulation into
 * it): move the frame back to the default offset.  Rare; counted. */
static __attribute__((noinline)) bool vnet_tx_make_room(struct vnet *vn, struct pkt *p)
{
	uint8_t *to = pkt_buf_start(p) + PKT_HEADROOM;
	if (p->len > PKT_DATA_ROOM)
		return false;
	memmove(to, p->data, p->len);
	p->data = to;
	vn->tx_moved++;
	return true;
}

static uint16_t vnet_tx_burst(struct port *port, struct pkt **pkts, uint16_t n)
{
	struct vnet *vn = port->priv;
	struct vq *vq = &vn->tx;

	if (vq->n_free < n)
		vnet_tx_reclaim_vq(vn);
	if (n > vq->n_free) {
		vq_kick_recheck(vq); /* full: the device may be asleep on a lost kick */
		n = vq->n_free;
	}

	uint16_t sent = 0;
	for (; sent < n; sent++) {
		struct pkt *p = pkts[sent];
		if (unlikely(pkt_headroom(p) < VNET_HDR_LEN) && !vnet_tx_make_room(vn, p))
			break;
		/* virtio 1.1 5.1.6.2: flags 0, gso_type NONE, num_buffers 0 on
		 * transmit: an all-zero header in the headroom. */
		uint8_t *hdr = p->data - VNET_HDR_LEN;
		uint64_t z = 0;
		__builtin_memcpy(hdr, &z, 8);
		__builtin_memcpy(hdr + 8, &z, 4);
		uint16_t id = vq->free_ids[--vq->n_free];
		vq->cookie[id] = p;
		/* One device-readable descriptor per packet (virtio 1.1 2.6.13.1):
		 * header and frame are adjacent (2.6.4). flags 0 since vq_init. */
		vq->desc[id].addr = (uint64_t)(uintptr_t)hdr;
		vq->desc[id].len = (uint32_t)p->len + VNET_HDR_LEN;
		vq_push_avail(vq, id);
	}
	vq_publish(vq);
	return sent;
}

/* ---- life cycle ------------------------------------------------------------------ */

/* Buffers still on a ring back to their pool: TX buffers carry theirs;
 * RX buffers were never set up (pkt_take_bulk) and are vn->pool's. */
static void vnet_release_bufs(struct vq *vq, struct pkt_pool *rx_pool)
{
	if (!vq->cookie)
		return;
	for (uint32_t id = 0; id < vq->size; id++) {
		struct pkt *p = vq->cookie[id];
		if (p) {
			if (rx_pool)
				pkt_put_bulk(rx_pool, &p, 1);
			else
				pkt_free(p);
			vq->cookie[id] = NULL;
		}
	}
}

static void vnet_close(struct port *port)
{
	struct vnet *vn = port->priv;
	if (!vn)
		return;
	/* Reset first: the device stops touching rings and buffers (1.1 2.1.2). */
	if (vn->dev)
		vn->dev->tr->reset(vn->dev);
	vnet_release_bufs(&vn->rx, vn->pool);
	vnet_release_bufs(&vn->tx, NULL);
	vq_destroy(&vn->rx);
	vq_destroy(&vn->tx);
}

/* ---- cold ops: bring-up and halting (nfb/port.h) ---- */
static void vnet_ring_size(const struct port *port, uint32_t *rx, uint32_t *tx)
{
	const struct vnet *vn = port->priv;
	*rx = vn->rx.size;
	*tx = vn->tx.size;
}

static void vnet_use_pool(struct port *port, struct pkt_pool *pool)
{
	vnet_set_pool(port->priv, pool);
}

static bool vnet_can_interrupt(const struct port *port)
{
	const struct vnet *vn = port->priv;
	return vn->dev->has_irq;
}

/* Arm RX (used_event = last_used + batch - 1, then a full barrier and a
 * re-check inside vq_arm: virtio 1.1 2.6.7.1, 2.6.14 note); a port that cannot interrupt
 * only looks once more. */
static enum port_rx_arm vnet_arm_rx(struct port *port, uint16_t batch)
{
	struct vnet *vn = port->priv;
	/* About to halt: no kick of ours may be lost while we sleep. */
	vq_kick_recheck(&vn->tx);
	vq_kick_recheck(&vn->rx);
	if (!vn->dev->has_irq)
		return vq_used_pending(&vn->rx) ? PORT_RX_READY : PORT_RX_NO_IRQ;
	return vnet_rx_arm(vn, batch) ? PORT_RX_READY : PORT_RX_ARMED;
}

static void vnet_disarm_rx(struct port *port)
{
	vnet_rx_disarm(port->priv);
}

/* Where both sides of each ring are: ours (consumed / published) and the
 * device's (used->idx, avail_event), and what we asked for (used_event). */
static void vq_stat(struct stats_writer *w, const char *q, const char *what, uint64_t v)
{
	char k[40];
	snprintf(k, sizeof(k), "virtio_%s_%s", q, what);
	stats_u64(w, k, v);
}

static void vnet_vq_stats(const struct vq *vq, const char *q, struct stats_writer *w)
{
	vq_stat(w, q, "used", vq_used_idx(vq));
	vq_stat(w, q, "consumed", vq->last_used);
	vq_stat(w, q, "avail", vq->avail_idx);
	vq_stat(w, q, "free", vq->n_free);
	if (vq->event_idx) {
		vq_stat(w, q, "used_event", *vq->used_event);
		vq_stat(w, q, "avail_event", *vq->avail_event);
	}
	vq_stat(w, q, "kicks", vq->kicks);
	vq_stat(w, q, "bad_used", vq->bad_used);
}

static void vnet_stats(const struct port *port, struct stats_writer *w)
{
	const struct vnet *vn = port->priv;
	stats_u64(w, "virtio_irqs", vn->dev->irqs);
	vnet_vq_stats(&vn->rx, "rxq", w);
	vnet_vq_stats(&vn->tx, "txq", w);
	stats_u64(w, "virtio_rx_merged", vn->rx_merged);
	stats_u64(w, "virtio_rx_runts", vn->rx_runts);
	stats_u64(w, "virtio_tx_moved", vn->tx_moved);
}

const struct port_ops vnet_port_ops = {
	.kind = "virtio",
	.rx_burst = vnet_rx_burst,
	.tx_burst = vnet_tx_burst,
	.reclaim = vnet_reclaim,
	.close = vnet_close,
	.ring_size = vnet_ring_size,
	.use_pool = vnet_use_pool,
	.can_interrupt = vnet_can_interrupt,
	.arm_rx = vnet_arm_rx,
	.disarm_rx = vnet_disarm_rx,
	.stats = vnet_stats,
};

static uint16_t vnet_pick_size(uint16_t dev_max, uint16_t want)
{
	uint32_t lim = SYS_MIN((uint32_t)dev_max, VQ_SIZE_MAX);
	if (want)
		lim = SYS_MIN(lim, (uint32_t)want);
	else
		lim = SYS_MIN(lim, 1024u);
	/* Largest power of two that fits (split rings are powers of two). */
	uint32_t s = 1;
	while (s * 2 <= lim)
		s *= 2;
	return lim ? (uint16_t)s : 0;
}

int vnet_dev_init(struct vnet *vn, struct virtio_dev *dev, struct pkt_pool *pool,
		  const struct vnet_options *opt, struct port *port, uint16_t id, const char *name)
{
	const struct virtio_transport *tr = dev->tr;
	int rc;

	memset(vn, 0, sizeof(*vn));
	vn->dev = dev;
	vn->pool = pool;
	vn->port = port;
	port_init(port, &vnet_port_ops, vn, id, name);

	/* virtio 1.1 3.1.1 steps 1-6 and 5.1.5. */
	rc = virtio_negotiate(dev, VNET_FEATURES_ACCEPTED, VNET_FEATURES_REQUIRED);
	if (rc < 0)
		return rc;
	vn->mrg_rxbuf = virtio_has(dev, VIRTIO_NET_F_MRG_RXBUF);
	bool event_idx = virtio_has(dev, VIRTIO_F_EVENT_IDX);

	/* Step 7: virtqueues (receiveq1, transmitq1), each sized, set up and
	 * enabled in turn: one queue select per queue (4.2.3.2). */
	uint16_t want = opt ? opt->queue_size : 0;
	uint16_t rx_size = vnet_pick_size(tr->queue_max(dev, VNET_RXQ), want);
	if (!rx_size) {
		rc = -SYS_ENOENT;
		goto fail;
	}
	rc = vq_init(&vn->rx, VNET_RXQ, rx_size, VRING_DESC_F_WRITE, event_idx);
	if (rc < 0)
		goto fail;
	rc = tr->queue_enable(dev, &vn->rx, dev->has_irq);
	if (rc < 0)
		goto fail_q;
	uint16_t tx_size = vnet_pick_size(tr->queue_max(dev, VNET_TXQ), want);
	if (!tx_size) {
		rc = -SYS_ENOENT;
		goto fail_q;
	}
	rc = vq_init(&vn->tx, VNET_TXQ, tx_size, 0, event_idx);
	if (rc < 0)
		goto fail_q;
	rc = tr->queue_enable(dev, &vn->tx, false);
	if (rc < 0)
		goto fail_q;

	/* Device configuration: the MAC (5.1.4), else a locally administered
	 * one derived from the port id.  Byte by byte (4.2.2.2: 8-bit fields,
	 * 8-bit accesses), without the generation count around it (2.4.1, a
	 * SHOULD): it guards against the device changing its configuration
	 * while we read, and nothing we negotiate lets it change the MAC
	 * (no CTRL_MAC_ADDR, no STATUS/announce).  Two exits saved. */
	if (virtio_has(dev, VIRTIO_NET_F_MAC)) {
		for (unsigned i = 0; i < 6; i++)
			port->mac[i] = tr->config_r8(dev, VNET_CFG_MAC + i);
	} else {
		static const uint8_t local[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x00};
		memcpy(port->mac, local, 6);
		port->mac[5] = (uint8_t)id;
	}

	/* Receive buffers: header + the whole data room; bigger than 1514 + 12
	 * so a frame never needs a second buffer (5.1.6.3.1). */
	vn->rx_buf_len = PKT_BUF_SIZE - PKT_META_SIZE - PKT_HEADROOM + VNET_HDR_LEN;
	vn->rx_refill_thresh = (uint16_t)SYS_MIN(VNET_RX_REFILL_THRESH, rx_size / 4u);
	if (vn->rx_refill_thresh == 0)
		vn->rx_refill_thresh = 1;
	vnet_rx_fill(vn);
	if (pool && vn->rx.n_free == vn->rx.size) {
		rc = -SYS_ENOMEM;
		goto fail_q;
	}

	/* Step 8, then the first kick: no notification before DRIVER_OK
	 * (3.1.1, 2.6.13.4). */
	virtio_driver_ok(dev);
	vq_publish(&vn->rx);
	return 0;

fail_q:
	/* The device may hold ring addresses: reset before freeing (2.1.2).
	 * A queue never set up is all zero (memset above, vq_init): its
	 * vq_destroy frees nothing. */
	tr->reset(dev);
	vnet_release_bufs(&vn->rx, vn->pool);
	vq_destroy(&vn->tx);
	vq_destroy(&vn->rx);
fail:
	virtio_fail(dev);
	return rc;
}

void vnet_set_pool(struct vnet *vn, struct pkt_pool *pool)
{
	vn->pool = pool;
	/* Buffers may be made available after DRIVER_OK (virtio 1.1 3.1.1
	 * note, 2.6.13): fill and kick now. */
	vnet_rx_refill(vn);
}

bool vnet_rx_arm(struct vnet *vn, uint16_t batch)
{
	/* Nothing posted means nothing can arrive: do not sleep on it. */
	vnet_rx_refill(vn);
	uint16_t posted = (uint16_t)(vn->rx.size - vn->rx.n_free);
	if (posted == 0)
		return true;
	/* At least one frame, never more than half of what the device can
	 * fill: the rest is room for what comes while we wake up. */
	uint16_t most = (uint16_t)SYS_MAX(posted / 2, 1);
	return vq_arm(&vn->rx, (uint16_t)SYS_MIN(SYS_MAX(batch, 1), most));
}

void vnet_rx_disarm(struct vnet *vn)
{
	vq_suppress(&vn->rx);
}

/* ---- diagnostics ------------------------------------------------------------------ */

static const struct {
	uint8_t bit;
	const char *name;
} vnet_feature_names[] = {
	{VIRTIO_NET_F_CSUM, "CSUM"},
	{VIRTIO_NET_F_GUEST_CSUM, "GUEST_CSUM"},
	{VIRTIO_NET_F_CTRL_GUEST_OFFLOADS, "CTRL_GUEST_OFFLOADS"},
	{VIRTIO_NET_F_MTU, "MTU"},
	{VIRTIO_NET_F_MAC, "MAC"},
	{VIRTIO_NET_F_GSO, "GSO"},
	{VIRTIO_NET_F_GUEST_TSO4, "GUEST_TSO4"},
	{VIRTIO_NET_F_GUEST_TSO6, "GUEST_TSO6"},
	{VIRTIO_NET_F_GUEST_ECN, "GUEST_ECN"},
	{VIRTIO_NET_F_GUEST_UFO, "GUEST_UFO"},
	{VIRTIO_NET_F_HOST_TSO4, "HOST_TSO4"},
	{VIRTIO_NET_F_HOST_TSO6, "HOST_TSO6"},
	{VIRTIO_NET_F_HOST_ECN, "HOST_ECN"},
	{VIRTIO_NET_F_HOST_UFO, "HOST_UFO"},
	{VIRTIO_NET_F_MRG_RXBUF, "MRG_RXBUF"},
	{VIRTIO_NET_F_STATUS, "STATUS"},
	{VIRTIO_NET_F_CTRL_VQ, "CTRL_VQ"},
	{VIRTIO_NET_F_CTRL_RX, "CTRL_RX"},
	{VIRTIO_NET_F_CTRL_VLAN, "CTRL_VLAN"},
	{VIRTIO_NET_F_CTRL_RX_EXTRA, "CTRL_RX_EXTRA"},
	{VIRTIO_NET_F_GUEST_ANNOUNCE, "GUEST_ANNOUNCE"},
	{VIRTIO_NET_F_MQ, "MQ"},
	{VIRTIO_NET_F_CTRL_MAC_ADDR, "CTRL_MAC_ADDR"},
	{VIRTIO_F_NOTIFY_ON_EMPTY, "NOTIFY_ON_EMPTY"},
	{VIRTIO_F_ANY_LAYOUT, "ANY_LAYOUT"},
	{VIRTIO_F_INDIRECT_DESC, "INDIRECT_DESC"},
	{VIRTIO_F_EVENT_IDX, "EVENT_IDX"},
	{VIRTIO_F_VERSION_1, "VERSION_1"},
	{VIRTIO_F_ACCESS_PLATFORM, "ACCESS_PLATFORM"},
	{VIRTIO_F_RING_PACKED, "RING_PACKED"},
	{VIRTIO_F_IN_ORDER, "IN_ORDER"},
	{VIRTIO_F_ORDER_PLATFORM, "ORDER_PLATFORM"},
	{VIRTIO_F_SR_IOV, "SR_IOV"},
	{VIRTIO_F_NOTIFICATION_DATA, "NOTIFICATION_DATA"},
	{VIRTIO_F_RING_RESET, "RING_RESET"},
	{VIRTIO_NET_F_VQ_NOTF_COAL, "VQ_NOTF_COAL"},
	{VIRTIO_NET_F_NOTF_COAL, "NOTF_COAL"},
	{VIRTIO_NET_F_GUEST_USO4, "GUEST_USO4"},
	{VIRTIO_NET_F_GUEST_USO6, "GUEST_USO6"},
	{VIRTIO_NET_F_HOST_USO, "HOST_USO"},
	{VIRTIO_NET_F_GUEST_HDRLEN, "GUEST_HDRLEN"},
	{VIRTIO_NET_F_HASH_REPORT, "HASH_REPORT"},
	{VIRTIO_NET_F_RSS, "RSS"},
	{VIRTIO_NET_F_RSC_EXT, "RSC_EXT"},
	{VIRTIO_NET_F_STANDBY, "STANDBY"},
	{VIRTIO_NET_F_SPEED_DUPLEX, "SPEED_DUPLEX"},
};

void vnet_declined_names(uint64_t offered, uint64_t accepted, char *buf, size_t size)
{
	uint64_t declined = offered & ~accepted;
	size_t len = 0;

	if (size == 0)
		return;
	buf[0] = '\0';
	for (unsigned b = 0; b < 64; b++) {
		if (!(declined & VIRTIO_BIT(b)))
			continue;
		const char *name = NULL;
		for (size_t i = 0; i < SYS_ARRAY_SIZE(vnet_feature_names); i++)
			if (vnet_feature_names[i].bit == b)
				name = vnet_feature_names[i].name;
		int w = name ? snprintf(buf + len, size - len, "%s%s", len ? " " : "", name)
			     : snprintf(buf + len, size - len, "%sbit%u", len ? " " : "", b);
		if (w < 0 || (size_t)w >= size - len) {
			buf[len] = '\0';
			return;
		}
		len += (size_t)w;
	}
}
