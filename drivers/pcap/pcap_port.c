/* SPDX-License-Identifier: MIT */
/* pcap_port.c - pcap files as ports (see pcap_port.h). */
#define _GNU_SOURCE
#include "drivers/pcap/pcap_port.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pcapport {
	struct port *port;
	struct pkt_pool *pool;
	pcap_t *in;
	pcap_t *out_dead;
	pcap_dumper_t *out;
	char *in_path;
	/* One frame of lookahead: the replayer needs its timestamp before it
	 * decides which port goes next. */
	bool have_next;
	bool in_done;
	uint64_t next_ts;
	struct pcap_pkthdr next_hdr;
	const u_char *next_data;
	uint64_t limit;
	bool limit_inclusive;
	uint64_t span;
	uint64_t clock;
	uint64_t skipped;
};

static void fetch_next(struct pcapport *pp)
{
	if (pp->have_next || pp->in_done || !pp->in)
		return;
	struct pcap_pkthdr *h;
	const u_char *d;
	int r = pcap_next_ex(pp->in, &h, &d);
	if (r != 1) {
		if (r == PCAP_ERROR)
			fprintf(stderr, "nfbox: %s: read error: %s (rest of the file ignored)\n",
				pp->in_path, pcap_geterr(pp->in));
		pp->in_done = true;
		return;
	}
	pp->next_hdr = *h;
	pp->next_data = d;
	/* Opened with nanosecond precision, so tv_usec holds nanoseconds. */
	pp->next_ts = (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec;
	pp->have_next = true;
}

bool pcapport_next_ts(struct pcapport *pp, uint64_t *ts)
{
	fetch_next(pp);
	if (!pp->have_next)
		return false;
	*ts = pp->next_ts;
	return true;
}

void pcapport_set_rx_limit(struct pcapport *pp, uint64_t limit, bool inclusive, uint64_t span_ns)
{
	pp->limit = limit;
	pp->limit_inclusive = inclusive;
	pp->span = span_ns;
}

void pcapport_set_clock(struct pcapport *pp, uint64_t now) { pp->clock = now; }
uint64_t pcapport_rx_skipped(const struct pcapport *pp) { return pp->skipped; }

static uint16_t pcap_rx(struct port *port, struct pkt **pkts, uint16_t n)
{
	struct pcapport *pp = port->priv;
	uint16_t got = 0;
	uint64_t first = 0;
	while (got < n) {
		fetch_next(pp);
		if (!pp->have_next)
			break;
		uint64_t ts = pp->next_ts;
		if (ts > pp->limit || (ts == pp->limit && !pp->limit_inclusive))
			break;
		if (got && ts - first > pp->span)
			break;
		if (got == 0)
			first = ts;
		uint32_t len = pp->next_hdr.caplen;
		/* A frame that does not fit a buffer cannot be replayed; it is
		 * counted, like a NIC counts frames over its MTU. */
		if (len > PKT_DATA_ROOM) {
			pp->skipped++;
			port->stats.rx_errors++;
			pp->have_next = false;
			continue;
		}
		struct pkt *p = pkt_alloc(pp->pool);
		if (!p) {
			port->stats.rx_nobuf++;
			break; /* try again next turn, when buffers are back */
		}
		pkt_set_data(p, pp->next_data, len);
		p->rx_ts = ts;
		p->port = port->id;
		pkts[got++] = p;
		pp->have_next = false;
	}
	return got;
}

static uint16_t pcap_tx(struct port *port, struct pkt **pkts, uint16_t n)
{
	struct pcapport *pp = port->priv;
	for (uint16_t i = 0; i < n; i++) {
		struct pkt *p = pkts[i];
		if (pp->out) {
			uint64_t ts = p->rx_ts ? p->rx_ts : pp->clock;
			struct pcap_pkthdr h = {
				.ts = { .tv_sec = (time_t)(ts / 1000000000ull),
					.tv_usec = (suseconds_t)(ts % 1000000000ull) },
				.caplen = p->len,
				.len = p->len,
			};
			pcap_dump((u_char *)pp->out, &h, p->data);
		}
	}
	/* Written synchronously: the buffers are done with. */
	pkt_free_bulk(pkts, n);
	return n;
}

static void pcap_close_op(struct port *port) { pcapport_close(port->priv); }

static const struct port_ops pcap_port_ops = {
	.kind = "pcap",
	.rx_burst = pcap_rx,
	.tx_burst = pcap_tx,
	.reclaim = NULL,
	.close = pcap_close_op,
};

static const char *linktype_name(int dlt)
{
	const char *n = pcap_datalink_val_to_name(dlt);
	return n ? n : "unknown";
}

static const char *linktype_text(int dlt)
{
	const char *d = pcap_datalink_val_to_description(dlt);
	return d ? d : "no description";
}

struct pcapport *pcapport_open(struct port *port, uint16_t id, const char *name,
			       const char *in_path, const char *out_path,
			       struct pkt_pool *pool, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct pcapport *pp = calloc(1, sizeof(*pp));
	if (!pp) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pp->port = port;
	pp->pool = pool;
	pp->limit = UINT64_MAX;
	pp->limit_inclusive = true;
	pp->span = UINT64_MAX;
	if (in_path) {
		pp->in_path = strdup(in_path);
		pp->in = pcap_open_offline_with_tstamp_precision(in_path, PCAP_TSTAMP_PRECISION_NANO,
								 ebuf);
		if (!pp->in) {
			/* libpcap says "No such file or directory" etc. after the name. */
			snprintf(err, errlen, "cannot read %s: %s", in_path, ebuf);
			goto fail;
		}
		int dlt = pcap_datalink(pp->in);
		if (dlt != DLT_EN10MB) {
			snprintf(err, errlen,
				 "%s: link type %s (%s) is not Ethernet; nfbox replays Ethernet "
				 "captures only (e.g. capture with 'tcpdump -i IFACE' rather than "
				 "'-i any')",
				 in_path, linktype_name(dlt), linktype_text(dlt));
			goto fail;
		}
	}
	if (out_path) {
		pp->out_dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535,
								    PCAP_TSTAMP_PRECISION_NANO);
		pp->out = pp->out_dead ? pcap_dump_open(pp->out_dead, out_path) : NULL;
		if (!pp->out) {
			snprintf(err, errlen, "cannot write %s: %s", out_path,
				 pp->out_dead ? pcap_geterr(pp->out_dead) : strerror(errno));
			goto fail;
		}
	}
	port_init(port, &pcap_port_ops, pp, id, name);
	return pp;
fail:
	pcapport_close(pp);
	return NULL;
}

void pcapport_close(struct pcapport *pp)
{
	if (!pp)
		return;
	if (pp->out)
		pcap_dump_close(pp->out);
	if (pp->out_dead)
		pcap_close(pp->out_dead);
	if (pp->in)
		pcap_close(pp->in);
	free(pp->in_path);
	free(pp);
}
