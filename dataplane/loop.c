/* SPDX-License-Identifier: MIT */
/* loop.c - the main loop (see loop.h for the contract). */
#include "dataplane/loop.h"

#include "dataplane/stats.h"

#define LOOP_EXPIRE_INTERVAL_NS 1000000ull

void loop_init(struct loop *l, const struct nf_ops *nf, void *nf_st, struct port **ports,
	       uint16_t n_ports)
{
	memset(l, 0, sizeof(*l));
	l->nf = nf;
	l->nf_st = nf_st;
	l->n_ports = n_ports > PORT_MAX ? PORT_MAX : n_ports;
	for (uint16_t i = 0; i < l->n_ports; i++)
		l->ports[i] = ports[i];
	l->expire_interval = LOOP_EXPIRE_INTERVAL_NS;
}

/* Count the first `sent` of `pkts` as transmitted on `port`. */
static void count_tx(struct port *port, struct pkt *const *pkts, uint16_t sent)
{
	uint64_t bytes = 0;
	for (uint16_t i = 0; i < sent; i++)
		bytes += pkts[i]->len;
	port->stats.tx_pkts += sent;
	port->stats.tx_bytes += bytes;
}

static void txq_flush(struct loop *l, uint16_t port_id)
{
	struct loop_txq *q = &l->txq[port_id];
	struct port *port = l->ports[port_id];
	if (q->n == 0)
		return;
	uint16_t sent = port->tx_burst(port, q->pkts, q->n);
	count_tx(port, q->pkts, sent);
	if (unlikely(sent < q->n)) {
		/* The ring is full: the caller owns the rest (port.h).  Dropping
		 * here rather than retrying keeps the loop from stalling behind
		 * a slow peer; it is counted where the operator looks first. */
		port->stats.tx_full += (uint64_t)(q->n - sent);
		if (unlikely(l->cap))
			for (uint16_t i = sent; i < q->n; i++)
				cap_frame(l->cap, q->pkts[i], q->pkts[i]->port, CAP_DROP,
					  CAP_WHY_TX_FULL, l->cap_now);
		pkt_free_bulk(q->pkts + sent, (uint32_t)(q->n - sent));
	}
	q->n = 0;
}

static inline void txq_push(struct loop *l, struct pkt *p, struct pkt **drops, uint16_t *n_drops)
{
	uint16_t o = p->out_port;
	if (unlikely(o >= l->n_ports)) {
		if (o == NF_KEPT) {
			l->c.kept++; /* the function's now (nf.h) */
			return;
		}
		if (o == PKT_DROP)
			l->c.nf_drops++;
		else
			l->c.bad_port_drops++;
		drops[(*n_drops)++] = p;
		return;
	}
	struct loop_txq *q = &l->txq[o];
	q->pkts[q->n++] = p;
	if (unlikely(q->n == LOOP_TXQ_SIZE))
		txq_flush(l, o);
}

/*
 * Send packets that all go to port `o` (< n_ports), `bytes` in all: the
 * common case of a burst.  With nothing queued for that port the burst
 * goes straight to the driver (no copy into the queue, one call for the
 * burst); otherwise it joins the queue so order is kept.
 */
static void txq_push_all(struct loop *l, uint16_t o, struct pkt **pkts, uint16_t n,
			 uint64_t bytes)
{
	struct loop_txq *q = &l->txq[o];
	if (likely(q->n == 0)) {
		struct port *port = l->ports[o];
		uint16_t sent = port->tx_burst(port, pkts, n);
		if (likely(sent == n)) {
			/* The bytes are known from the rx pass: no walk. */
			port->stats.tx_pkts += sent;
			port->stats.tx_bytes += bytes;
			return;
		}
		count_tx(port, pkts, sent);
		/* The driver's ring is full: keep the rest for the next flush
		 * rather than dropping them at once. */
		pkts += sent;
		n = (uint16_t)(n - sent);
	}
	if (unlikely(q->n + n > LOOP_TXQ_SIZE))
		txq_flush(l, o);
	memcpy(&q->pkts[q->n], pkts, (size_t)n * sizeof(*pkts));
	q->n = (uint16_t)(q->n + n);
}

/* A capture's view of a batch the function decided (capture.h): what
 * goes out of the captured port, what came in on it and is dropped. */
static void capture_verdicts(struct loop *l, const struct nf_batch *b, uint64_t now)
{
	struct capture *c = l->cap;
	for (unsigned i = 0; i < (unsigned)b->n + b->n_emit; i++) {
		struct pkt *p = i < b->n ? b->pkts[i] : b->emit[i - b->n];
		uint16_t o = i < b->n && b->out_all != NF_OUT_PER_PKT ? b->out_all : p->out_port;
		if (o < l->n_ports)
			cap_frame(c, p, o, CAP_TX, CAP_WHY_NONE, now);
		else if (o == PKT_DROP)
			cap_frame(c, p, b->port, CAP_DROP,
				  p->nf_why ? CAP_WHY_NF_REASON + p->nf_why - 1u : CAP_WHY_NF, now);
		else if (o != NF_KEPT)
			cap_frame(c, p, b->port, CAP_DROP, CAP_WHY_BAD_PORT, now);
	}
}

/*
 * Process at most PORT_BURST_MAX packets that all arrived on `port` (the
 * batch arrays are that big).  Returns the bytes received, for the port's
 * counters.  `cap`: a capture is armed (l->cap); the loop calls this
 * twice, inlined, so that the copies cost nothing when none is (one
 * branch per burst, process_chunk below).
 */
static inline __attribute__((always_inline)) uint64_t
process_chunk_(struct loop *l, uint16_t port, struct pkt **pkts, uint16_t n, uint64_t now,
	       const bool cap)
{
	struct pkt *good[PORT_BURST_MAX];
	struct pkt *drops[PORT_BURST_MAX + NF_EMIT_MAX];
	uint8_t why[PORT_BURST_MAX];
	unsigned n_good = 0;
	uint16_t n_drops = 0;
	uint64_t bytes = 0, bad_bytes = 0;

	/* Prefetch the headers two packets ahead (a device just wrote them,
	 * so they are not in this core's cache). */
	for (unsigned i = 0; i < n; i++) {
		struct pkt *p = pkts[i];
		if (likely(i + 2 < n))
			sys_prefetch_w(pkts[i + 2]->data);
		bytes += p->len;
		enum parse_result r = parse_pkt(p);
		if (likely(r == PARSE_OK)) {
			p->out_port = PKT_DROP;
			good[n_good++] = p;
		} else {
			l->parse.by_reason[r]++;
			bad_bytes += p->len;
			if (cap)
				why[n_drops] = (uint8_t)r;
			drops[n_drops++] = p;
		}
	}
	uint64_t good_bytes = bytes - bad_bytes;
	l->parse.by_reason[PARSE_OK] += n_good;
	if (cap) {
		l->cap_now = now;
		for (uint16_t i = 0; i < n_drops; i++)
			cap_frame(l->cap, drops[i], port, CAP_DROP, CAP_WHY_MALFORMED + why[i], now);
		for (unsigned i = 0; i < n_good; i++) {
			good[i]->nf_why = 0;
			cap_frame(l->cap, good[i], port, CAP_RX, CAP_WHY_NONE, now);
		}
	}

	struct nf_batch b;
	b.pkts = good;
	b.n = (uint16_t)n_good;
	b.port = port;
	b.out_all = NF_OUT_PER_PKT;
	b.resized = false;
	b.n_emit = 0;
	if (likely(n_good))
		l->nf->process(l->nf_st, &b, now);
	if (cap)
		capture_verdicts(l, &b, now);
	if (likely(n_good)) {
		uint16_t o = b.out_all;
		if (likely(o < l->n_ports)) {
			if (unlikely(b.resized)) {
				good_bytes = 0;
				for (unsigned i = 0; i < n_good; i++)
					good_bytes += good[i]->len;
			}
			txq_push_all(l, o, good, (uint16_t)n_good, good_bytes);
		} else if (o == PKT_DROP) {
			l->c.nf_drops += n_good;
			pkt_free_bulk(good, n_good);
		} else {
			for (unsigned i = 0; i < n_good; i++)
				txq_push(l, good[i], drops, &n_drops);
		}
	}
	if (unlikely(b.n_emit)) {
		for (uint16_t i = 0; i < b.n_emit; i++) {
			if (b.emit[i]->flags & PKT_F_GENERATED)
				l->c.emitted++;
			else
				l->c.released++;
			txq_push(l, b.emit[i], drops, &n_drops);
		}
	}
	if (n_drops)
		pkt_free_bulk(drops, n_drops);
	return bytes;
}

static uint64_t process_chunk(struct loop *l, uint16_t port, struct pkt **pkts, uint16_t n,
			      uint64_t now)
{
	if (unlikely(l->cap))
		return process_chunk_(l, port, pkts, n, now, true);
	return process_chunk_(l, port, pkts, n, now, false);
}

void loop_process(struct loop *l, uint16_t port, struct pkt **pkts, uint16_t n, uint64_t now)
{
	while (n) {
		uint16_t chunk = n > PORT_BURST_MAX ? PORT_BURST_MAX : n;
		process_chunk(l, port, pkts, chunk, now);
		pkts += chunk;
		n = (uint16_t)(n - chunk);
	}
}

uint16_t loop_rx_port(struct loop *l, struct port *port, uint64_t now)
{
	struct pkt *pkts[PORT_BURST_MAX];
	uint16_t n = port->rx_burst(port, pkts, PORT_BURST_MAX);
	if (n == 0)
		return 0;
	port->stats.rx_pkts += n;
	port->stats.rx_bytes += process_chunk(l, port->id, pkts, n, now);
	return n;
}

void loop_flush(struct loop *l)
{
	for (uint16_t i = 0; i < l->n_ports; i++) {
		txq_flush(l, i);
		if (l->ports[i]->ops->reclaim)
			l->ports[i]->ops->reclaim(l->ports[i]);
	}
}

void loop_timers(struct loop *l, uint64_t now)
{
	if (!l->nf->expire || now - l->last_expire < l->expire_interval)
		return;
	l->last_expire = now;
	l->nf->expire(l->nf_st, now);
}

uint64_t loop_timers_due(struct loop *l, uint64_t now)
{
	if (!l->nf->expire)
		return NF_TIMER_NONE;
	l->last_expire = now;
	return l->nf->expire(l->nf_st, now);
}

uint32_t loop_poll(struct loop *l, uint64_t now)
{
	uint32_t got = 0;
	for (uint16_t i = 0; i < l->n_ports; i++)
		got += loop_rx_port(l, l->ports[i], now);
	loop_flush(l);
	loop_timers(l, now);
	l->c.turns++;
	if (!got)
		l->c.idle_turns++;
	return got;
}

void loop_stats(struct loop *l, struct stats_writer *w)
{
	for (uint16_t i = 0; i < l->n_ports; i++) {
		const struct port *p = l->ports[i];
		char sec[16];
		snprintf(sec, sizeof(sec), "port%u", (unsigned)i);
		stats_section(w, sec);
		stats_str(w, "name", p->name);
		stats_u64(w, "rx_pkts", p->stats.rx_pkts);
		stats_u64(w, "rx_bytes", p->stats.rx_bytes);
		stats_u64(w, "tx_pkts", p->stats.tx_pkts);
		stats_u64(w, "tx_bytes", p->stats.tx_bytes);
		stats_u64(w, "tx_full", p->stats.tx_full);
		stats_u64(w, "rx_nobuf", p->stats.rx_nobuf);
		stats_u64(w, "rx_errors", p->stats.rx_errors);
		if (p->ops->stats)
			p->ops->stats(p, w);
	}
	stats_section(w, "malformed");
	uint64_t total = 0;
	for (int r = PARSE_OK + 1; r < PARSE_ERR_COUNT; r++)
		total += l->parse.by_reason[r];
	stats_u64(w, "total", total);
	for (int r = PARSE_OK + 1; r < PARSE_ERR_COUNT; r++)
		if (l->parse.by_reason[r])
			stats_u64(w, parse_err_name((enum parse_result)r), l->parse.by_reason[r]);
	stats_section(w, "loop");
	stats_u64(w, "parsed_ok", l->parse.by_reason[PARSE_OK]);
	stats_u64(w, "nf_drops", l->c.nf_drops);
	stats_u64(w, "bad_port_drops", l->c.bad_port_drops);
	stats_u64(w, "emitted", l->c.emitted);
	stats_u64(w, "kept", l->c.kept);
	stats_u64(w, "released", l->c.released);
	if (l->nf->stats)
		l->nf->stats(l->nf_st, w);
}
