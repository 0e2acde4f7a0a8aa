/* SPDX-License-Identifier: MIT */
/*
 * loop.h - the main loop: poll ports, parse, hand bursts to the function,
 * transmit to the ports it chose, reclaim, run timers.
 *
 * The same loop runs in the image (virtio ports, TSC clock), in `nfbox
 * replay` (pcap ports, pcap clock) and in benchmarks (in-memory ports).  The
 * caller owns the clock: every call takes `now` in nanoseconds.
 *
 * Per received burst: parse every packet; malformed ones are freed and
 * counted by reason (parse.h); the rest go to nf->process() in one batch;
 * then each packet is queued on its out_port's TX buffer, or freed if the
 * verdict is PKT_DROP or names a port that does not exist (counted), or
 * left alone if the function kept it (NF_KEPT, nf.h; counted).  TX
 * buffers are flushed when full and at the end of every turn; what a port's
 * tx_burst refuses is freed and counted as tx_full on that port.
 */
#ifndef NFB_LOOP_H
#define NFB_LOOP_H

#include "dataplane/parse.h"
#include "nfb/port.h"
#include "dataplane/nf.h"

#define LOOP_TXQ_SIZE 64

struct loop_txq {
	uint16_t n;
	struct pkt *pkts[LOOP_TXQ_SIZE];
} sys_cache_aligned;

struct loop_counters {
	uint64_t turns, idle_turns;
	uint64_t nf_drops;          /* verdict PKT_DROP */
	uint64_t bad_port_drops;    /* verdict named a port that does not exist */
	uint64_t emitted;           /* packets the function generated */
	uint64_t kept;              /* verdict NF_KEPT: the function holds them */
	uint64_t released;          /* kept packets the function sent later */
};

struct loop {
	const struct nf_ops *nf;
	void *nf_st;
	uint16_t n_ports;
	struct port *ports[PORT_MAX];
	struct loop_txq txq[PORT_MAX];
	struct parse_counters parse;
	struct loop_counters c;
	uint64_t last_expire;       /* `now` of the last nf->expire() call */
	/* An armed capture (capture.h), or NULL: set and cleared between
	 * bursts by whoever drains it.  cap_now: the clock of the burst in
	 * progress, for frames the TX flush drops. */
	struct capture *cap;
	uint64_t cap_now;
	uint64_t expire_interval;   /* ns between expire() calls (default 1 ms) */
};

void loop_init(struct loop *l, const struct nf_ops *nf, void *nf_st, struct port **ports,
	       uint16_t n_ports);

/* Receive one burst from one port and process it (packets are queued for
 * TX, not yet flushed).  Returns the number received. Used by replays that
 * must ingest ports in timestamp order. */
uint16_t loop_rx_port(struct loop *l, struct port *port, uint64_t now);

/* Parse, process and queue a burst the caller already received, all from
 * port `port` (pkt.port must already say so). */
void loop_process(struct loop *l, uint16_t port, struct pkt **pkts, uint16_t n, uint64_t now);

/* Transmit everything queued; reclaim completed TX buffers on every port. */
void loop_flush(struct loop *l);

/* Run the function's timers if expire_interval has passed. */
void loop_timers(struct loop *l, uint64_t now);

/* Before the caller halts: run the function's timers now (whatever the
 * interval) and return when they are next due -- the latest time the loop
 * may sleep until -- or NF_TIMER_NONE if the function has none pending. */
uint64_t loop_timers_due(struct loop *l, uint64_t now);

/* One full turn: every port once, flush, timers.  Returns packets received
 * (0 means the turn was idle: the caller may back off). */
uint32_t loop_poll(struct loop *l, uint64_t now);

/* Per-port, malformed-by-reason and loop counters, then the function's. */
void loop_stats(struct loop *l, struct stats_writer *w);

#endif
