/* SPDX-License-Identifier: MIT */
/*
 * nf.h - the contract every network function (nf/<name>/) fills.
 *
 * It lives in dataplane/ because the main loop drives it: layers only look
 * down, and nf/ sits above the dataplane.
 *
 * A function is a `static const struct nf_ops` registered with NF_REGISTER();
 * the registry is a linker section, so adding a function never edits a
 * central list, and an image links exactly one function.
 *
 * Life cycle (cold path: create, configure, stats, destroy):
 *   st = ops->create(env)            allocate state (flow tables sized by env)
 *   ops->configure(st, cfg, errors)  validate and apply a config; may be
 *                                    called again on a running function
 *                                    (reload).  All or nothing: on error it
 *                                    returns < 0 with errors filled and the
 *                                    previous config stays in force; flow
 *                                    state survives a successful reload.
 *   ops->process(st, batch, now)     hot path, once per received burst
 *   next = ops->expire(st, now)      timers: at most once per loop turn,
 *                                    and again by `next` (ns, the same
 *                                    clock; NF_TIMER_NONE: no timer is
 *                                    pending).  An idle image halts until
 *                                    then, so `next` must not be late; an
 *                                    early `next` only costs a wake-up.
 *   ops->stats(st, writer)           counters, on demand and at exit
 *   ops->control(st, args, ans, n)   a run-time command (optional, below)
 *   ops->flow_next(st, &pos, now, f) the flow table, one flow a call
 *                                    (optional, below: `nfbox flows`)
 *   ops->destroy(st)
 *
 * process() decides every packet of the batch by setting pkt.out_port to a
 * port index or PKT_DROP (or the whole batch at once with batch.out_all),
 * and may rewrite the packet in place.  It may also
 * emit new packets (e.g. a TCP RST) with nf_batch_emit(); those are sent
 * after the batch.  The main loop transmits, frees drops, and counts.
 *
 * A function may keep a packet instead (out_port NF_KEPT, never as
 * out_all): the buffer is then the function's, the loop neither sends nor
 * frees it.  The function sends it later, with the batch it is processing
 * then (any batch, from any port), through nf_batch_release(), or frees it
 * itself (a timer, destroy).  Until process() returns, a packet kept in
 * this very batch is still the batch's: to send or drop it after all, the
 * function sets its out_port (a port, PKT_DROP) and neither releases nor
 * frees it.  A function keeps a bounded number: every kept buffer is one
 * fewer for the receive rings.  The NAT keeps IPv4 fragments that arrive
 * before their first (nf/nat/nat_frag.h).
 * All packets handed to process() parsed cleanly (parse.h); malformed ones
 * were dropped and counted before.
 *
 * `now` is nanoseconds on the loop's clock: the TSC in the image, the pcap
 * timestamps in a replay, a counter in tests.
 */
#ifndef NFB_NF_H
#define NFB_NF_H

#include "dataplane/capture.h"
#include "dataplane/flow.h"
#include "nfb/pkt.h"
#include "nfb/port.h"

struct cfg;
struct cfg_errors;
struct stats_writer;

/* What a function is given at creation. */
struct nf_env {
	struct pkt_pool *pool;  /* for packets the function generates */
	uint16_t n_ports;       /* ports wired to the function */
	uint32_t flow_capacity; /* flow-table size the platform can afford */
};

#define NF_EMIT_MAX 32

/* nf_batch.out_all value: verdicts are per packet, in pkt.out_port. */
#define NF_OUT_PER_PKT 0xfffeu
/* pkt.out_port value: the function keeps the packet (see above). */
#define NF_KEPT 0xfffdu

struct nf_batch {
	struct pkt **pkts;      /* received, parsed packets */
	uint16_t n;
	uint16_t port;          /* every packet of a batch arrived on this port */
	/* A function that sends the whole batch one way (fwd; a firewall whose
	 * batch is all established flows) may say so here instead of setting
	 * every pkt.out_port: a port index, or PKT_DROP.  Preset to
	 * NF_OUT_PER_PKT. */
	uint16_t out_all;
	/* Set by a function that changed the length of packets it sends as
	 * out_all (NAT64 swaps IP headers): the loop then counts the bytes
	 * sent rather than those received.  Preset to false. */
	bool resized;
	uint16_t n_emit;
	struct pkt *emit[NF_EMIT_MAX]; /* generated and released packets, out_port set */
};

/* Queue a generated packet; returns false (and frees it) if full. */
static inline bool nf_batch_emit(struct nf_batch *b, struct pkt *p)
{
	if (unlikely(b->n_emit >= NF_EMIT_MAX)) {
		pkt_free(p);
		return false;
	}
	p->flags |= PKT_F_GENERATED;
	b->emit[b->n_emit++] = p;
	return true;
}

/* Send a packet the function kept (NF_KEPT, in this batch or an earlier
 * one), out_port set, after this batch, in the room generated packets
 * use.  False if there is none left: the packet is still the caller's
 * (it may try again with its next batch). */
static inline bool nf_batch_release(struct nf_batch *b, struct pkt *p)
{
	if (unlikely(b->n_emit >= NF_EMIT_MAX))
		return false;
	b->emit[b->n_emit++] = p;
	return true;
}

/*
 * Verdicts of a batch whose packets a fast path takes chunk by chunk
 * (firewall, conn2): the fast ones all go out of one port, which one
 * batch-wide verdict (out_all) says when every packet was fast, else each
 * fast packet's out_port.  `*done` starts at 0: the packets from the start
 * that were all fast and still lack their verdict; UINT32_MAX once some
 * packet was not fast.  Call nf_fast_chunk after each chunk [i, i + n) with
 * its bitmap of fast packets (n < 64), nf_fast_done after the last.
 */
static inline void nf_fast_chunk(struct nf_batch *b, uint32_t *done, uint16_t i, uint16_t n,
				 uint64_t fast, uint16_t out)
{
	if (likely(fast == (1ull << n) - 1 && *done == i)) {
		*done += n;
		return;
	}
	for (uint32_t k = 0; k < *done && *done != UINT32_MAX; k++)
		b->pkts[k]->out_port = out;
	*done = UINT32_MAX;
	for (; fast; fast &= fast - 1)
		b->pkts[i + __builtin_ctzll(fast)]->out_port = out;
}

/* A fast path that looked up only some packets of a chunk (which[j]: the
 * chunk position of key j) has a bitmap over keys; this makes it one over
 * the chunk. */
static inline uint64_t nf_fast_in_chunk(uint64_t fast_keys, const uint8_t *which)
{
	uint64_t in_chunk = 0;
	for (; fast_keys; fast_keys &= fast_keys - 1)
		in_chunk |= 1ull << which[__builtin_ctzll(fast_keys)];
	return in_chunk;
}

static inline void nf_fast_done(struct nf_batch *b, uint32_t done, uint16_t out)
{
	if (done == b->n && b->n)
		b->out_all = out;
}

/* expire()'s answer when the function has no timer pending at all. */
#define NF_TIMER_NONE UINT64_MAX

/*
 * One live flow as `nfbox flows` shows it (nf_ops.flow_next).  What a
 * table does not keep is not made up: `have` says which of the optional
 * fields are filled.
 */
#define NF_FLOW_AGE (1u << 0)     /* age_ns */
#define NF_FLOW_NAT (1u << 1)     /* map: the outside address and port */
#define NF_FLOW_BACKEND (1u << 2) /* map: the backend's address and port */
#define NF_FLOW_STATE_MAX 16

struct nf_flow {
	/* Both directions as they arrive: `orig` as the opener sent it,
	 * `reply` as the answer comes in (a NAT's or LB's translated side).
	 * Zones are 0; a reply key of family 0 means nothing comes back
	 * (an encapsulating LB). */
	struct flow_key orig, reply;
	char state[NF_FLOW_STATE_MAX]; /* "established", "replied", ... */
	uint64_t expires_ns;           /* idle time left before expiry */
	uint64_t age_ns;               /* since the flow was opened (NF_FLOW_AGE) */
	uint32_t have;                 /* NF_FLOW_* */
	uint8_t map_family;            /* NF_FLOW_NAT / NF_FLOW_BACKEND: */
	uint16_t map_port;             /* network order */
	union flow_addr map_addr;
};

struct nf_ops {
	const char *name;       /* "fwd", "firewall", ... (the CLI's NF name) */
	const char *summary;    /* one line for --help */
	void *(*create)(const struct nf_env *env);
	int (*configure)(void *st, const struct cfg *cfg, struct cfg_errors *errors);
	void (*process)(void *st, struct nf_batch *batch, uint64_t now);
	uint64_t (*expire)(void *st, uint64_t now);   /* may be NULL: no timers */
	void (*stats)(void *st, struct stats_writer *w);
	void (*destroy)(void *st);
	/* A command to the running function, cold path, between bursts:
	 * `args` are the words after the function's name on the console's
	 * "nf NAME ARGS..." line (control/proto.h; `nfbox lb` sends "nf lb
	 * ..."), at most a console line.  Writes a one-line answer (no '\n')
	 * into ans[n]: what it did, or why it did nothing; returns 0 or a
	 * negative SYS_E*.  May be NULL: the function takes no commands. */
	int (*control)(void *st, const char *args, char *ans, size_t n);
	/* The flow table, resumably, cold path, between bursts: fill `f`
	 * with the first live flow at table position *pos or after, move
	 * *pos past it and return true; false when there is none left (*pos
	 * is then undefined).  *pos starts at 0 and is only a position in
	 * the table, so a dump may stop between calls for as long as it
	 * likes (one console round, nf/flows.h) while flows come and go: a
	 * flow deleted meanwhile is not shown, none is shown twice unless it
	 * was deleted and opened again further on, and one opened behind
	 * *pos is missed, as a conntrack dump behaves.  May be NULL: the
	 * function keeps no flows. */
	bool (*flow_next)(void *st, uint64_t *pos, uint64_t now, struct nf_flow *f);
	/* The names of the function's drop reasons (its drop_REASON
	 * counters), for `nfbox capture --dir drop`: a function that stores
	 * a reason's index in pkt.nf_why (cap_set_why, dataplane/capture.h)
	 * when it drops names it here.  May be NULL: drops show as the
	 * function's, no reason. */
	const char *const *drop_names;
	unsigned n_drop_names;
};

/* Registration: a pointer in section "nfb_nf"; the linker provides
 * __start_nfb_nf/__stop_nfb_nf around all of them. */
#define NF_REGISTER(ops)                                                          \
	static const struct nf_ops *const nf_reg_##ops                            \
		__attribute__((used, section("nfb_nf"), aligned(sizeof(void *)))) = &ops

/* Find a registered function by name; NULL if unknown. */
const struct nf_ops *nf_find(const char *name);
/* Iterate: returns the i-th registered function, NULL past the end. */
const struct nf_ops *nf_at(unsigned i);

#endif
