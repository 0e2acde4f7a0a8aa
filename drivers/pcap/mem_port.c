/* SPDX-License-Identifier: MIT */
/* mem_port.c - see mem_port.h. */
#define _GNU_SOURCE
#include "drivers/pcap/mem_port.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MEMPORT_MIN_TRACE 256

struct memport {
	struct pkt **trace;
	uint8_t *pristine;      /* first PKT_MEM_RESTORE bytes of each frame */
	uint16_t *lens;
	uint32_t n, next;
	bool restore;
	struct pkt_pool *pool;  /* owns the trace buffers; kept "all allocated" */
	uint64_t tx_count;
	uint64_t bytes;
};

static uint16_t mem_rx(struct port *port, struct pkt **pkts, uint16_t n)
{
	struct memport *mp = port->priv;
	if (!mp->n)
		return 0;
	/* Drops of trace buffers were pushed back on the trace pool; they are
	 * ours anyway, so forget them (the pool's stack never fills). */
	mp->pool->n_free = 0;
	uint16_t id = port->id;
	uint16_t done = 0;
	while (done < n) {
		/* A contiguous stretch of the trace: no wrap test per packet. */
		uint32_t next = mp->next;
		uint32_t run = SYS_MIN((uint32_t)(n - done), mp->n - next);
		struct pkt *const *t = mp->trace + next;
		const uint16_t *lens = mp->lens + next;
		for (uint32_t i = 0; i < run; i++) {
			struct pkt *p = t[i];
			p->data = pkt_buf_start(p) + PKT_HEADROOM;
			p->len = lens[i];
			p->port = id;
			pkts[done + i] = p;
		}
		if (mp->restore)
			for (uint32_t i = 0; i < run; i++)
				memcpy(t[i]->data, mp->pristine + (size_t)(next + i) * PKT_MEM_RESTORE,
				       SYS_MIN(lens[i], PKT_MEM_RESTORE));
		done = (uint16_t)(done + run);
		mp->next = next + run == mp->n ? 0 : next + run;
	}
	return n;
}

static uint16_t mem_tx(struct port *port, struct pkt **pkts, uint16_t n)
{
	struct memport *mp = port->priv;
	mp->tx_count += n;
	/* Only packets a function generated (e.g. a RST) are not the trace's. */
	for (uint16_t i = 0; i < n; i++)
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
	/* Count first so every buffer comes from one right-sized pool. */
	struct pcap_pkthdr *h;
	const u_char *d;
	uint32_t count = 0;
	while (count < max_pkts && pcap_next_ex(pc, &h, &d) == 1)
		if (h->caplen <= PKT_DATA_ROOM)
			count++;
	pcap_close(pc);
	/* A buffer must not be handed out again while an earlier lap still
	 * holds it in a TX queue: keep the trace well longer than what a loop
	 * turn can have in flight. */
	if (count < MEMPORT_MIN_TRACE) {
		snprintf(err, errlen, "%s: %u usable frames; a benchmark trace needs at least %u",
			 path, count, MEMPORT_MIN_TRACE);
		return -1;
	}
	mp->pool = pkt_pool_create(count);
	mp->trace = calloc(count, sizeof(*mp->trace));
	mp->lens = calloc(count, sizeof(*mp->lens));
	mp->pristine = calloc(count, PKT_MEM_RESTORE);
	if (!mp->pool || !mp->trace || !mp->lens || !mp->pristine ||
	    pkt_alloc_bulk(mp->pool, mp->trace, count) != count) {
		snprintf(err, errlen, "%s: out of memory for %u frames", path, count);
		return -1;
	}
	pc = pcap_open_offline(path, ebuf);
	if (!pc) {
		snprintf(err, errlen, "cannot reopen %s: %s", path, ebuf);
		return -1;
	}
	uint32_t i = 0;
	while (i < count && pcap_next_ex(pc, &h, &d) == 1) {
		if (h->caplen > PKT_DATA_ROOM)
			continue;
		pkt_set_data(mp->trace[i], d, h->caplen);
		mp->lens[i] = (uint16_t)h->caplen;
		memcpy(mp->pristine + (size_t)i * PKT_MEM_RESTORE, d,
		       SYS_MIN(h->caplen, PKT_MEM_RESTORE));
		mp->bytes += h->caplen;
		i++;
	}
	pcap_close(pc);
	mp->n = i;
	return 0;
}

struct memport *memport_open(struct port *port, uint16_t id, const char *pcap_path,
			     uint32_t max_pkts, bool restore, char *err, size_t errlen)
{
	struct memport *mp = calloc(1, sizeof(*mp));
	if (!mp) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	mp->restore = restore;
	if (pcap_path && load(mp, pcap_path, max_pkts, err, errlen)) {
		memport_close(mp);
		return NULL;
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
	free(mp->trace);
	free(mp->lens);
	free(mp->pristine);
	free(mp);
}

uint32_t memport_trace_len(const struct memport *mp) { return mp->n; }
uint64_t memport_trace_bytes(const struct memport *mp) { return mp->bytes; }
uint64_t memport_tx_count(const struct memport *mp) { return mp->tx_count; }
