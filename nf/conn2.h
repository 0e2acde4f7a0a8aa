/* SPDX-License-Identifier: MIT */
/*
 * conn2.h - a connection as two flow-table entries, one deadline, one
 * expiry: what the NAT (nf/nat) and the load balancer (nf/lb) share.
 *
 *   first  (zone `zone_first`): the packet as its opener sent it.  It
 *          carries the connection's deadline and, in `user`, the second
 *          entry's index (bits 0-25, CONN2_PARTNER_MASK) and whatever the
 *          function keeps (bits 26-63: state, pool port, backend, ...).
 *   second (any other zone): the packet as rewritten; replies from the
 *          far side are its reverse.  `user` is the first entry's index.
 *          Its deadline is as far as the table allows (FT_TIMEOUT_FAR):
 *          the first entry alone decides when the connection ends, and
 *          its expiry deletes the second, so both go together, once.  A
 *          connection that outlives the far deadline has its second entry
 *          filed again.
 *
 * The function hears of an ending connection through `ended` (it returns
 * a port, drops an active count); the counters here are the connection
 * counts every such function reports.
 *
 * Per burst, conn2_process() (inline, with a static const struct conn2_fn
 * of the function's handlers, so the calls are direct) keys the packets
 * (IPv4 always, IPv6 as the function's `cold` says), looks them up in bulk
 * (ft_lookup_bulk_dir), and runs the function's
 * `fast` handler over the hits in the expected direction while it takes
 * them; from the first packet it refuses, the rest of the chunk goes the
 * out-of-line `slow` way.  Once the table changed in a chunk (`gen`),
 * later packets are looked up again.  Fast packets get one batch-wide
 * verdict (nf_batch.out_all) when the whole batch was fast.
 */
#ifndef NFB_NF_CONN2_H
#define NFB_NF_CONN2_H

#include "dataplane/flowtable.h"
#include "dataplane/nf.h"
#include "nf/xlate.h"

struct stats_writer;

#define CONN2_PARTNER_MASK 0x3ffffffull /* bits 0-25 of the first entry's user */
#define CONN2_NO_PARTNER CONN2_PARTNER_MASK
#define CONN2_CHUNK 32                  /* < 64: a chunk's bitmaps fit a uint64_t */
#define CONN2_EXPIRE_BUDGET 4096

/* A connection ended by expiry: `first` is its first entry (key and
 * user), still in the table. */
typedef void (*conn2_end_fn)(void *ctx, const struct ft_entry *first);

struct conn2_counters {
	uint64_t active, created, expired, dropped_by_reload;
	uint64_t early_dropped; /* unanswered connections ended for a new one */
};

struct conn2 {
	struct ft *ft;
	conn2_end_fn ended;
	void *ctx;
	uint64_t now;  /* latest `now` seen: the expiry callback needs it */
	uint32_t gen;  /* moves whenever entries are added or removed */
	uint64_t answered; /* first-entry user bit of an answered connection; 0: no early drop */
	uint16_t zone_first;
	struct conn2_counters c;
};

static inline uint32_t conn2_partner(uint64_t u) { return (uint32_t)(u & CONN2_PARTNER_MASK); }

static inline bool conn2_live(const struct ft_entry *e, uint32_t tick)
{
	return (int32_t)(e->deadline - tick) > 0;
}

static inline uint32_t conn2_tick(uint64_t now) { return (uint32_t)(now >> FT_TICK_SHIFT); }

/* A table for capacity / 2 connections (partner indices have 26 bits).
 * 0, or -SYS_ENOMEM. */
int conn2_init(struct conn2 *c, uint32_t capacity, uint16_t zone_first, conn2_end_fn ended,
	       void *ctx);
void conn2_fini(struct conn2 *c);
/* Early drop: when the table is full, a new connection ends the oldest one
 * near its key's bucket whose first entry's user lacks `answered_bit`
 * (nobody answered it yet), as Linux conntrack's early_drop does, instead
 * of being refused; answered connections are never ended for it.  The
 * function hears of it through `ended`, like an expiry. */
static inline void conn2_set_early_drop(struct conn2 *c, uint64_t answered_bit)
{
	c->answered = answered_bit;
}

/* Early drop for a resource other than the table (a NAT's external
 * ports): walk at most `budget` entries from *cursor (it moves on, round
 * the table), and end the first live connection nobody answered for which
 * `fits` says yes, as an expiry would (`ended` told).  True if one was
 * ended; false without early drop on or none found in the window. */
bool conn2_early_drop_where(struct conn2 *c, uint32_t *cursor, uint32_t budget, uint64_t now,
			    bool (*fits)(void *ctx, const struct ft_entry *first), void *ctx);

/* Run the wheel (at most CONN2_EXPIRE_BUDGET visits); returns the entries
 * deleted. */
uint32_t conn2_expire(struct conn2 *c, uint64_t now);
/* When conn2_expire next has work (ft_next_expiry of the table). */
static inline uint64_t conn2_next_expiry(const struct conn2 *c, uint64_t now)
{
	return ft_next_expiry(c->ft, now);
}

/*
 * A new connection: `first` (with its flow_hash, deadline now + tmo_ns)
 * and `second`.  `user` is the first entry's (its partner bits are
 * filled in here).  A full table is reaped once before giving up.
 * Returns the first entry's index, -SYS_ENOSPC (table full) or
 * -SYS_EEXIST (`second` is some live connection's already); nothing is
 * left behind on failure.  `second` NULL: a connection of one entry
 * (nothing comes back to be matched: the load balancer's encapsulating
 * modes), its partner CONN2_NO_PARTNER.
 */
int32_t conn2_open(struct conn2 *c, const struct flow_key *first, uint32_t hash,
		   const struct flow_key *second, uint64_t now, uint64_t tmo_ns, uint64_t user);

/* Delete connection `first_idx` (both entries) without `ended` (a reload
 * that cannot carry it; the caller gives back what it holds). */
void conn2_close(struct conn2 *c, uint32_t first_idx);

/* The first entry of the connection whose second entry is `second_idx`,
 * if the connection is live and still owns it; else NULL.  `entries` is
 * the table's entry array (ft_entry(ft, 0)), which fast paths load once
 * per burst. */
static inline struct ft_entry *conn2_first_in(struct ft_entry *entries, uint32_t second_idx,
					      uint32_t tick)
{
	struct ft_entry *e = entries + (uint32_t)entries[second_idx].user;
	if (!conn2_live(e, tick) || conn2_partner(e->user) != second_idx)
		return NULL;
	return e;
}

static inline struct ft_entry *conn2_first_of(struct conn2 *c, uint32_t second_idx,
					      uint32_t tick)
{
	return conn2_first_in(ft_entry(c->ft, 0), second_idx, tick);
}

/* Refresh connection entry `e` for `ticks`.  A state change that shortens
 * its timeout (a TCP FIN: established -> transitory) re-files it on the
 * wheel (ft_set_deadline), so the connection ends -- and gives back its
 * port or slot -- at the new deadline, not at the old one. */
static inline void conn2_refresh(struct conn2 *c, struct ft_entry *e, uint64_t now,
				 uint32_t ticks, uint32_t old_ticks)
{
	if (unlikely(ticks < old_ticks))
		ft_set_deadline(c->ft, (uint32_t)(e - ft_entry(c->ft, 0)), now, ticks);
	else
		ft_touch(e, now, ticks);
}

/* A TCP segment that leaves the connection's state as it is (no SYN, FIN
 * or RST): what a fast path may take. */
static inline bool conn2_tcp_keeps_state(const struct pkt *p)
{
	return !(((const struct tcp_hdr *)pkt_l4(p))->flags & (TCP_SYN | TCP_FIN | TCP_RST));
}

/* ICMP errors: the connection entry the quoted packet `q` names in
 * `zone`, matched in direction `dir`, or FT_MISS. */
int32_t conn2_lookup_quote(struct conn2 *c, const struct xlate_inner *q, uint16_t zone, int dir,
			   uint64_t now);

/* `PREFIX_active` ... `PREFIX_dropped_by_reload`, flow_entries and
 * flow_capacity. */
void conn2_stats_write(const struct conn2 *c, struct stats_writer *w, const char *prefix);

/* ---- the burst loop ---------------------------------------------------------- */

struct conn2_chunk {
	struct flow_key keys[CONN2_CHUNK];
	const struct flow_key *kp[CONN2_CHUNK];
	uint32_t hashes[CONN2_CHUNK];
	int32_t idx[CONN2_CHUNK];
	struct pkt *pkt[CONN2_CHUNK];
	uint8_t which[CONN2_CHUNK]; /* position in the burst */
	uint64_t in_turn;           /* keys left to `slow` (CONN2_IN_TURN): no key */
};

/* What a function's `cold` handler made of a packet that is not
 * unfragmented IPv4 TCP/UDP. */
enum conn2_cold {
	CONN2_DECIDED, /* decided there */
	/* Keyed and looked up with the others: an IPv4 TCP, UDP or ICMP query
	 * with its header, or an IPv6 TCP, UDP or ICMPv6 echo packet with its
	 * header, no extension header, no fragment (xlate_key_v6). */
	CONN2_KEY,
	/* Left to `slow` in its turn among the burst's packets (key NULL, idx
	 * FT_MISS): for what the packets before it may change (an ICMP error
	 * about a connection one of them opens). */
	CONN2_IN_TURN,
};

/* The function's handlers.  `nf` is its state, `fc` what it prepared for
 * the fast path once per burst (deadlines, pointers). */
struct conn2_fn {
	/* Decide `p`, which is not unfragmented IPv4 TCP/UDP, or say how it
	 * goes on (enum conn2_cold). */
	enum conn2_cold (*cold)(void *nf, struct pkt *p, uint64_t now);
	/* A hit in the expected direction (`reply` as the bulk lookup says):
	 * refresh and rewrite if nothing changes but the deadline, and return
	 * true (out_port is the caller's); false leaves it to `slow`. */
	bool (*fast)(const void *fc, struct pkt *p, uint32_t idx, unsigned reply);
	/* Everything else; idx is FT_MISS or an entry, dir its direction;
	 * k NULL (idx FT_MISS) for a packet `cold` left CONN2_IN_TURN. */
	void (*slow)(void *nf, struct pkt *p, const struct flow_key *k, uint32_t hash, int32_t idx,
		     int dir, uint64_t now);
};

/* Keyable at once: unfragmented IPv4 TCP or UDP with its header. */
static inline bool conn2_plain(const struct pkt *p)
{
	return (p->flags & (PKT_F_L4 | PKT_F_FRAG)) == PKT_F_L4 && p->l3 == PKT_L3_IPV4 &&
	       (p->l4_proto == IPPROTO_TCP_ || p->l4_proto == IPPROTO_UDP_);
}

/* The function's out-of-line slow loop (CONN2_SLOW_FN): the packets of
 * the chunk from key position j on, in order, once the fast loop stopped.
 * Returns the positions (among keys) it still took fast. */
typedef uint64_t (*conn2_slow_fn)(struct conn2 *c, void *nf, const void *fc,
				  struct conn2_chunk *ch, uint32_t j, uint32_t m, uint64_t fast_ok,
				  uint64_t reply, unsigned want_reply, uint64_t now);

static inline __attribute__((always_inline)) uint64_t
conn2_slow_(struct conn2 *c, const struct conn2_fn *fn, void *nf, const void *fc,
	    struct conn2_chunk *ch, uint32_t j, uint32_t m, uint64_t fast_ok, uint64_t reply,
	    unsigned want_reply, uint64_t now)
{
	uint64_t fast = 0;
	uint32_t gen = c->gen;
	for (; j < m; j++) {
		struct pkt *p = ch->pkt[j];
		int32_t x = ch->idx[j];
		int dir = (int)((reply >> j) & 1);
		if (unlikely((ch->in_turn >> j) & 1)) {
			fn->slow(nf, p, NULL, 0, FT_MISS, FT_DIR_ORIG, now);
			continue;
		}
		if (unlikely(c->gen != gen)) {
			/* The table changed: the bulk answer may be stale. */
			x = ft_lookup(c->ft, &ch->keys[j], ch->hashes[j], now, &dir);
			if (x >= 0 && (unsigned)dir == want_reply && (fast_ok >> 63) &&
			    fn->fast(fc, p, (uint32_t)x, want_reply)) {
				fast |= 1ull << j;
				continue;
			}
		} else if (((fast_ok >> j) & 1) && fn->fast(fc, p, (uint32_t)x, want_reply)) {
			fast |= 1ull << j;
			continue;
		}
		fn->slow(nf, p, &ch->keys[j], ch->hashes[j], x, dir, now);
	}
	return fast;
}

/* Defines NAME, the noinline slow loop of handlers FN (a static const
 * struct conn2_fn), to pass to conn2_process: the fast loop's code stays
 * small. */
#define CONN2_SLOW_FN(NAME, FN)                                                              \
	static __attribute__((noinline)) uint64_t NAME(                                      \
		struct conn2 *c, void *nf, const void *fc, struct conn2_chunk *ch, uint32_t j, \
		uint32_t m, uint64_t fast_ok, uint64_t reply, unsigned want_reply, uint64_t now) \
	{                                                                                    \
		return conn2_slow_(c, &(FN), nf, fc, ch, j, m, fast_ok, reply, want_reply, now); \
	}

/*
 * One chunk (n <= CONN2_CHUNK) of a burst that arrived on the side whose
 * connections are keyed in `zone` and matched in direction `want_reply`.
 * `fast_on`: the fast path may run (its out port exists).  Returns the
 * packets (by position in pkts) the fast path took.
 */
static inline __attribute__((always_inline)) uint64_t
conn2_chunk_(struct conn2 *c, const struct conn2_fn *fn, conn2_slow_fn slow, void *nf,
	     const void *fc, struct pkt **pkts, uint16_t n, uint16_t zone, unsigned want_reply,
	     bool fast_on, uint64_t now)
{
	struct conn2_chunk ch;
	uint32_t m = 0;
	ch.in_turn = 0;
	for (uint16_t i = 0; i < n; i++) {
		struct pkt *p = pkts[i];
		ch.kp[m] = &ch.keys[m];
		if (likely(conn2_plain(p))) {
			xlate_key_v4(p, zone, &ch.keys[m], &ch.hashes[m]);
		} else {
			enum conn2_cold how = fn->cold(nf, p, now);
			if (how == CONN2_DECIDED)
				continue;
			if (how == CONN2_IN_TURN) {
				/* A key no entry has (zone 0), so the bulk
				 * lookup needs no gap; never used. */
				memset(&ch.keys[m], 0, sizeof(ch.keys[m]));
				ch.hashes[m] = 0;
				ch.in_turn |= 1ull << m;
			} else if (p->l3 == PKT_L3_IPV6) {
				xlate_key_v6(p, zone, &ch.keys[m], &ch.hashes[m]);
			} else {
				xlate_key_v4(p, zone, &ch.keys[m], &ch.hashes[m]);
			}
		}
		ch.pkt[m] = p;
		ch.which[m++] = (uint8_t)i;
	}
	if (!m)
		return 0;
	uint64_t reply;
	uint64_t hits = ft_lookup_bulk_dir(c->ft, ch.kp, ch.hashes, m, now, ch.idx, &reply);
	/* Hits in the expected direction may go fast; bit 63 (free: m < 64)
	 * says whether re-looked-up packets may. */
	uint64_t want = want_reply ? reply : ~reply;
	uint64_t fast_ok = fast_on ? (hits & want & ~ch.in_turn) | (1ull << 63) : 0;
	uint32_t j = 0;
	while (j < m && ((fast_ok >> j) & 1) &&
	       fn->fast(fc, ch.pkt[j], (uint32_t)ch.idx[j], want_reply))
		j++;
	uint64_t fast = (1ull << j) - 1;
	if (unlikely(j < m))
		fast |= slow(c, nf, fc, &ch, j, m, fast_ok, reply, want_reply, now);
	return likely(m == n) ? fast : nf_fast_in_chunk(fast, ch.which);
}

/*
 * Process batch `b`: every packet not taken by the fast path is decided by
 * the handlers; the fast ones go out of `out` (one batch-wide verdict when
 * all were fast).  Returns how many were fast (the caller counts them).
 */
static inline __attribute__((always_inline)) uint32_t
conn2_process(struct conn2 *c, const struct conn2_fn *fn, conn2_slow_fn slow, void *nf,
	      const void *fc, struct nf_batch *b, uint16_t zone, unsigned want_reply,
	      uint16_t out, bool fast_on, uint64_t now)
{
	c->now = now;
	uint32_t done = 0, n_fast = 0; /* `done`: nf_fast_chunk (nf.h) */
	for (uint16_t i = 0, n; i < b->n; i += n) {
		n = (uint16_t)SYS_MIN(CONN2_CHUNK, b->n - i);
		uint64_t fast = conn2_chunk_(c, fn, slow, nf, fc, b->pkts + i, n, zone, want_reply,
					     fast_on, now);
		n_fast += (uint32_t)__builtin_popcountll(fast);
		nf_fast_chunk(b, &done, i, n, fast, out);
	}
	nf_fast_done(b, done, out);
	return n_fast;
}

#endif
