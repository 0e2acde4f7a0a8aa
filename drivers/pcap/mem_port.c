/* SPDX-License-Identifier: MIT */
/* mem_port.c - see mem_port.h. */
#define _GNU_SOURCE
#include "drivers/pcap/mem_port.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert((MEMPORT_RING & (MEMPORT_RING - 1)) == 0, "ring size is a power of two");
_Static_assert(MEMPORT_HDR == 128 && PKT_DATA_ROOM >= MEMPORT_HDR, "copy is one or two lines");

struct memport {
	uint8_t *hdrs;          /* `stride` bytes of each frame, zero padded */
	uint32_t stride;        /* 64 if every frame fits a line, else MEMPORT_HDR */
	uint16_t *lens;
	uint32_t n, next;
	uint32_t ring_pos;
	struct pkt *ring[MEMPORT_RING];
	struct pkt_pool *pool;  /* owns the ring; kept "all allocated" */
	uint64_t tx_count;
	uint64_t bytes;
};

static uint16_t mem_rx(struct port *port, struct pkt **pkts, uint16_t n)
{
	struct memport *mp = port->priv;
	if (!mp->n)
		return 0;
	/* Drops of ring buffers were pushed back on the ring's pool; they are
	 * ours anyway, so forget them (the pool's stack never fills). */
	mp->pool->n_free = 0;
	uint16_t id = port->id;
	uint32_t pos = mp->ring_pos;
	unsigned done = 0;
	while (done < n) {
		/* A stretch of the trace without wrap-around: no test per packet. */
		uint32_t next = mp->next;
		unsigned run = SYS_MIN((unsigned)n - done, mp->n - next);
		const uint32_t stride = mp->stride;
		const uint8_t *h = mp->hdrs + (size_t)next * stride;
		const uint16_t *lens = mp->lens + next;
		for (unsigned i = 0; i < run; i++, h += stride) {
			struct pkt *p = mp->ring[pos++ & (MEMPORT_RING - 1)];
			uint16_t len = lens[i];
			uint8_t *d = pkt_buf_start(p) + PKT_HEADROOM;
			/* The trace streams from DRAM when it is large: fetch
			 * ahead, as a NIC's descriptor prefetch would. */
			sys_prefetch(h + 16 * stride);
			if (stride > 64)
				sys_prefetch(h + 16 * stride + 64);
			/* Fixed-size copies compile to a few vector moves.  The
			 * parser owns pkt.flags; ring buffers are never
			 * PKT_F_GENERATED, so they need no reset here. */
			memcpy(d, h, 64);
			if (len > 64)
				memcpy(d + 64, h + 64, 64);
			p->data = d;
			p->len = len;
			p->port = id;
			pkts[done + i] = p;
		}
		done += run;
		mp->next = next + run == mp->n ? 0 : next + run;
	}
	mp->ring_pos = pos;
	return n;
}

static uint16_t mem_tx(struct port *port, struct pkt **pkts, uint16_t n)
{
	struct memport *mp = port->priv;
	mp->tx_count += n;
	/* Only packets a function generated (e.g. a RST) are not the ring's. */
	for (unsigned i = 0; i < n; i++)
		if (unlikely(pkts[i]->flags & PKT_F_GENERATED))
			pkt_free(pkts[i]);
	return n;
}

static void mem_close_op(struct port *port) { memport_close(port->priv); }

static const struct port_ops mem_port_ops = {
	.kind = "mem",
	.rx_burst = mem_rx,
	.tx_burst = mem_tx,
	.reclaim = NULL,
	.close = mem_close_op,
};

static int load(struct memport *mp, const char *path, uint32_t max_pkts, char *err,
		size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(path, ebuf);
	if (!pc) {
		snprintf(err, errlen, "cannot read %s: %s", path, ebuf);
		return -1;
	}
	if (pcap_datalink(pc) != DLT_EN10MB) {
		snprintf(err, errlen, "%s: not an Ethernet capture", path);
		pcap_close(pc);
		return -1;
	}
	uint32_t cap = 4096;
	mp->hdrs = malloc((size_t)cap * MEMPORT_HDR);
	mp->lens = malloc(cap * sizeof(*mp->lens));
	struct pcap_pkthdr *h;
	const u_char *d;
	while (mp->hdrs && mp->lens && mp->n < max_pkts && pcap_next_ex(pc, &h, &d) == 1) {
		if (h->caplen > PKT_DATA_ROOM)
			continue;
		if (mp->n == cap) {
			cap *= 2;
			uint8_t *nh = realloc(mp->hdrs, (size_t)cap * MEMPORT_HDR);
			uint16_t *nl = realloc(mp->lens, cap * sizeof(*mp->lens));
			if (nh)
				mp->hdrs = nh;
			if (nl)
				mp->lens = nl;
			if (!nh || !nl)
				break;
		}
		uint8_t *dst = mp->hdrs + (size_t)mp->n * MEMPORT_HDR;
		memset(dst, 0, MEMPORT_HDR);
		memcpy(dst, d, SYS_MIN(h->caplen, MEMPORT_HDR));
		mp->lens[mp->n++] = (uint16_t)h->caplen;
		mp->bytes += h->caplen;
	}
	pcap_close(pc);
	/* Minimum-size traces: one line per frame halves the bytes streamed
	 * from memory for large traces. */
	mp->stride = MEMPORT_HDR;
	bool small = mp->n > 0;
	for (uint32_t i = 0; i < mp->n && small; i++)
		small = mp->lens[i] <= 64;
	if (small) {
		for (uint32_t i = 1; i < mp->n; i++)
			memmove(mp->hdrs + (size_t)i * 64, mp->hdrs + (size_t)i * MEMPORT_HDR, 64);
		mp->stride = 64;
	}
	if (!mp->n) {
		snprintf(err, errlen, "%s: no usable frames (or out of memory)", path);
		return -1;
	}
	return 0;
}

struct memport *memport_open(struct port *port, uint16_t id, const char *pcap_path,
			     uint32_t max_pkts, char *err, size_t errlen)
{
	struct memport *mp = calloc(1, sizeof(*mp));
	if (!mp) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (pcap_path) {
		mp->pool = pkt_pool_create(MEMPORT_RING);
		if (!mp->pool || pkt_alloc_bulk(mp->pool, mp->ring, MEMPORT_RING) != MEMPORT_RING) {
			snprintf(err, errlen, "out of memory for %u buffers", MEMPORT_RING);
			memport_close(mp);
			return NULL;
		}
		if (load(mp, pcap_path, max_pkts, err, errlen)) {
			memport_close(mp);
			return NULL;
		}
	}
	char name[PORT_NAME_MAX];
	snprintf(name, sizeof(name), "mem%u", id);
	port_init(port, &mem_port_ops, mp, id, name);
	return mp;
}

void memport_close(struct memport *mp)
{
	if (!mp)
		return;
	pkt_pool_destroy(mp->pool);
	free(mp->hdrs);
	free(mp->lens);
	free(mp);
}

uint32_t memport_trace_len(const struct memport *mp) { return mp->n; }
uint64_t memport_trace_bytes(const struct memport *mp) { return mp->bytes; }
uint64_t memport_tx_count(const struct memport *mp) { return mp->tx_count; }
