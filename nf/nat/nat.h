/* SPDX-License-Identifier: MIT */
/*
 * nat.h - the NAT function's state (private to nf/nat/).
 *
 * A session is a two-entry connection (nf/conn2.h):
 *
 *   inside  (zone NAT_ZONE_IN, the first entry): the packet as the inside
 *           host sent it, int_addr:int_port -> remote:rport.  Its `user`
 *           (NAT_U_*) holds, past conn2's partner bits, the TCP state
 *           bits, the protocol class, the external port and the external
 *           address's index in the pool.
 *   outside (zone NAT_ZONE_OUT, the second): the translated packet,
 *           ext_addr:ext_port -> remote:rport; replies from the outside
 *           are its reverse.  When the session ends, its `ended` callback
 *           returns the port.
 *
 * Endpoint-independent mapping (the default): a session opened under it
 * (NAT_U_MAPPED) holds a reference on the mapping of its inside endpoint
 * (nat_map.h), which owns the external port; the last session to end
 * gives the port back.  A session opened under `mapping
 * address-port-dependent` owns its port alone.
 */
#ifndef NFB_NAT_H
#define NFB_NAT_H

#include "dataplane/flowtable.h"
#include "dataplane/parse.h"
#include "dataplane/nf.h"
#include "nf/conn2.h"
#include "nf/reply.h"
#include "nf/nat/nat_config.h"
#include "nf/nat/nat_frag.h"
#include "nf/nat/nat_map.h"
#include "nf/nat/nat_stats.h"

#define NAT_ZONE_IN 1
#define NAT_ZONE_OUT 2
/* A hairpinned session's second entry: its first key again, in a zone of
 * its own.  No reply comes from the outside to such a session, and two
 * hosts hairpinning to each other would otherwise file each other's
 * reverse keys. */
#define NAT_ZONE_HAIRPIN 3

/* bits 0-25: conn2's partner index */
#define NAT_U_REPLIED (1ull << 26)          /* the outside has answered */
#define NAT_U_CLOSING (1ull << 27)          /* TCP FIN or RST seen */
#define NAT_U_MAPPED (1ull << 28)           /* holds a reference on a nat_map mapping */
#define NAT_U_HAIRPIN (1ull << 29)          /* its remote is one of our pool addresses */
#define NAT_U_CLS_SHIFT 30                  /* bits 30-31: enum nat_class */
#define NAT_U_PORT_SHIFT 32                 /* bits 32-47: external port, host order */
#define NAT_U_ADDR_SHIFT 48                 /* bits 48-63: pool address index */

static inline unsigned nat_u_cls(uint64_t u) { return (unsigned)(u >> NAT_U_CLS_SHIFT) & 3; }
static inline uint16_t nat_u_port(uint64_t u) { return (uint16_t)(u >> NAT_U_PORT_SHIFT); }
static inline uint32_t nat_u_addr(uint64_t u) { return (uint32_t)(u >> NAT_U_ADDR_SHIFT); }
static inline uint64_t nat_u_make(unsigned cls, uint16_t port, uint32_t ai)
{
	return (uint64_t)cls << NAT_U_CLS_SHIFT |
	       (uint64_t)port << NAT_U_PORT_SHIFT | (uint64_t)ai << NAT_U_ADDR_SHIFT;
}

struct nat {
	struct nat_conf *nc;
	uint16_t ip_id;         /* NAT64: the IPv4 identification generator */
	struct conn2 cn;
	struct nat_map map;     /* endpoint-independent mappings */
	uint16_t n_ports;
	bool from_inside;       /* the burst being processed */
	struct pkt_pool *pool;  /* for answers (`unreachable on`) */
	struct nf_batch *batch; /* the burst being processed: answers go out with it */
	struct nat_counters c;
	struct nat_frag frag;   /* IPv4 fragments' datagrams */
	uint32_t reclaim_at;    /* where the port reclaim's walk goes on (nat_reclaim_port) */
	struct nf_reply_limit err_limit; /* ICMP errors' rate (nat_icmp_error) */
};

/* Answer `p` with an ICMP (IPv4) or ICMPv6 error type/code, `rest` the
 * word after its checksum (network order): sent with the burst, unless
 * none is due (nf_reply_due), the rate limit says no (counted
 * icmp_errors_limited) or no buffer is free. */
enum nf_reply_result nat_icmp_error(struct nat *n, struct pkt *p, uint8_t type, uint8_t code, uint32_t rest,
				    uint64_t now);

/* The first entry of the hairpinned query session an inside answer `p`
 * (its key in NAT_ZONE_HAIRPIN) replies to, if live; else NULL.  NAT44
 * and NAT64 echo answers both go back to their sender through it. */
struct ft_entry *nat_hairpin_query_of(struct nat *n, const struct pkt *p, uint64_t now);

/* ---- verdicts ------------------------------------------------------------- */
static inline void nat_drop(struct nat *n, struct pkt *p, enum nat_drop why)
{
	p->out_port = PKT_DROP;
	cap_set_why(p, why);
	n->c.dropped++;
	n->c.drop[why]++;
}

/* Send `p` out of `port` if that port is wired. */
static inline bool nat_send(struct nat *n, struct pkt *p, uint16_t port)
{
	if (unlikely(port >= n->n_ports)) {
		nat_drop(n, p, NAT_DROP_NO_PORT);
		return false;
	}
	p->out_port = port;
	return true;
}

static inline unsigned nat_tmo(uint64_t u)
{
	switch (nat_u_cls(u)) {
	case NAT_CLS_TCP:
		return (u & (NAT_U_REPLIED | NAT_U_CLOSING)) == NAT_U_REPLIED ? NAT_TMO_TCP_EST
									      : NAT_TMO_TCP_TRANS;
	case NAT_CLS_UDP:
		return NAT_TMO_UDP;
	default:
		return NAT_TMO_ICMP;
	}
}

/* A packet of the session whose first entry is `e`, from its opener or
 * (`reply`) its answerer: step the TCP state (an answer marks it replied),
 * refresh it, re-filing it when the timeout shrinks (conn2_refresh). */
static inline void nat_step(struct nat *n, struct ft_entry *e, const struct pkt *p, bool reply,
			    uint64_t now)
{
	uint64_t u = e->user;
	const uint32_t old_ticks = n->nc->tmo_ticks[nat_tmo(u)];
	if (nat_u_cls(u) == NAT_CLS_TCP)
		u = xlate_tcp_step(u, ((const struct tcp_hdr *)pkt_l4(p))->flags, reply,
				   NAT_U_REPLIED, NAT_U_CLOSING);
	else if (reply)
		u |= NAT_U_REPLIED;
	e->user = u;
	conn2_refresh(&n->cn, e, now, n->nc->tmo_ticks[nat_tmo(u)], old_ticks);
}

/* ---- the fast path (conn2.h) ---------------------------------------------- */
/* What the fast path needs, loaded once per burst. */
struct nat_fast {
	struct ft_entry *entries;
	const struct nat_pool_addr *pool;
	const struct xlate64_prefix *pref64; /* NAT64's */
	uint16_t *ip_id;                     /* NAT64's IPv4 identification generator */
	struct nat_counters *c;              /* NAT64's own counts */
	uint32_t tick;
	uint32_t dl[NAT_TMO_COUNT]; /* a refreshed session's deadline, by timeout */
};

/* ---- shared with NAT64 (nat64.h) ----------------------------------------- */
/* IPv6 (unless NAT64 translates it) and non-IP frames: passed untouched
 * out of `port` or dropped, as `ipv6 pass` and `non-ip pass` say. */
void nat_other(struct nat *n, struct pkt *p, uint16_t port);

/* A new session for inside packet `p` (key k, its flow_hash); `out`: the
 * outside key without its source address and port (NAT64: an IPv4 key),
 * NULL for the inside key itself (NAT44).  Returns the inside entry's
 * index, or -1 if the packet was dropped. */
int32_t nat_new(struct nat *n, struct pkt *p, const struct flow_key *k, uint32_t hash,
		uint64_t now, const struct flow_key *out);

#endif
