/* SPDX-License-Identifier: MIT */
/*
 * nat - source NAT (NAPT, "CGNAT style") for IPv4 between an inside and an
 * outside port.  Sessions and their two flow-table entries: nat.h; the
 * config: nat_config.h; ports: nat_pool.h; header rewriting: nf/xlate.h;
 * counters: nat_stats.h.
 *
 * From the inside, a TCP, UDP or ICMP query (echo, timestamp) whose source a
 * `snat` rule covers gets (or finds) a session: its source address becomes
 * one of the rule's pool addresses (always the same one for a given inside
 * host: "paired" pooling, RFC 4787 REQ-2) and its port (ICMP: identifier)
 * the same port if free on that address, else the next free one.  From the
 * outside, only replies to a live session pass, translated back; ICMP
 * errors quoting a session's packet are translated both ways.  An inside
 * host reaching another through its external address is hairpinned (both
 * ends translated, back out of the inside port: nat_hairpin).  IPv4
 * fragments of those are translated too, without reassembly (nat_frag.h).
 * Everything else is dropped and counted by reason: other protocols,
 * unknown outside traffic, exhausted ports, a full table.
 * With `nat64`, inside IPv6 hosts reach IPv4 ones through the same
 * sessions and pools (stateful NAT64: nat64.h); other IPv6 and non-IP
 * frames pass untouched or are dropped, per config.
 *
 * Mapping behaviour (RFC 4787): `mapping endpoint-independent` (REQ-1):
 * every session of one inside address and port (ICMP: identifier) uses the
 * same external address and port, whatever its destination, while any of
 * them lives; the mapping counts its sessions and gives the port back with
 * the last one.  `mapping address-port-dependent` gives every session its
 * own port instead (the inside port while free, as Linux masquerade).  The
 * default: NAT_MAPPING_DEFAULT_APDM (nat_config.h).
 * Filtering is address-and-port-dependent either way: only the remote
 * endpoint of a session may answer (an unknown remote's packet to a mapped
 * port is dropped as no_mapping), the RFC's choice for security.
 */
#include "nf/nat/nat.h"

#include "dataplane/csum.h"
#include "dataplane/parse.h"
#include "nf/nat/nat64.h"
#include "nf/nat/nat_flows.h"
#include "nf/reply.h"
#include "nf/xlate.h"
#include "nf/xlate64.h"


/* ---- sessions ------------------------------------------------------------- */
/* conn2's `ended`: a session expired; its port goes back. */
/* The class a session of inside key k is mapped under (nat_map.h). */
static inline unsigned nat_map_cls(const struct flow_key *k, unsigned cls)
{
	return k->family == FLOW_FAMILY_V4 ? cls : cls | NAT_MAP_V6;
}

/* Drop a reference on the mapping of inside key k's source endpoint; the
 * last one gives the external port back. */
static void nat_unref(struct nat *n, const struct flow_key *k, unsigned cls)
{
	struct nat_map_ent *m = nat_map_find(&n->map, &k->src, sys_be16(k->sport), nat_map_cls(k, cls));
	if (!m || --m->refs)
		return;
	uint32_t ai = m->ai;
	uint16_t ext = m->ext_port;
	nat_map_del(&n->map, m);
	if (ai < n->nc->pool->n)
		nat_pool_release(n->nc->pool, ai, cls, ext);
}

static void nat_ended(void *ctx, const struct ft_entry *first)
{
	struct nat *n = ctx;
	struct nat_pool *pool = n->nc->pool;
	uint64_t u = first->user;
	if (u & NAT_U_MAPPED)
		nat_unref(n, &first->key, nat_u_cls(u));
	else if (nat_u_addr(u) < pool->n)
		nat_pool_release(pool, nat_u_addr(u), nat_u_cls(u), nat_u_port(u));
}

/* Which pool address serves inside host `src`: a hash, so a host keeps
 * one external address for all its sessions (RFC 4787 REQ-2, paired).
 * An IPv6 host (NAT64) by its address folded to 32 bits. */
static inline uint32_t nat_pick_addr(const struct nat_rule *r, const struct flow_key *k)
{
	uint32_t src = k->src.v4;
	if (k->family != FLOW_FAMILY_V4) {
		uint64_t f = k->src.u64[0] ^ k->src.u64[1];
		src = (uint32_t)f ^ (uint32_t)(f >> 32);
	}
	uint32_t h = sys_be32(src) * 0x9e3779b1u;
	return r->pool_first + (uint32_t)(((uint64_t)h * r->pool_n) >> 32);
}

static unsigned nat_class(uint8_t proto)
{
	return proto == IPPROTO_TCP_ ? NAT_CLS_TCP : proto == IPPROTO_UDP_ ? NAT_CLS_UDP : NAT_CLS_ICMP;
}

static int32_t nat_open(struct nat *n, struct pkt *p, const struct flow_key *k, uint32_t hash,
			const struct flow_key *out, uint64_t now, uint32_t ai, uint16_t port,
			unsigned cls, bool mapped);

/*
 * A hairpinned ICMP query (RFC 5508 REQ-7): inside host A asks one of our
 * pool addresses E with identifier I, and E:I is the external side of
 * another inside host's ICMP mapping (endpoint-independent mapping), its
 * inside endpoint T:J.  The query goes to T as if from A's own external
 * endpoint (A's pool address and the identifier its session was given,
 * ok's source), so T's answer comes back to that endpoint, where the
 * session's second entry - the query as T gets it, ok here, in zone
 * NAT_ZONE_HAIRPIN - finds it (nat_hairpin_answer).  Only a query names a
 * target this way; the mapping is looked up when the session opens and
 * the session keeps its target while it lives.  Filtering is endpoint-
 * independent for these: the sender is an inside host, which could ask T
 * directly.  NAT64 (nat64.h) the same way between IPv6 hosts, mapping
 * class mcls.  False if E:I is nobody's mapping of that class.
 */
static bool nat_hairpin_query_key(struct nat *n, uint32_t e, uint16_t id, unsigned mcls,
				  struct flow_key *ok)
{
	int32_t ai = nat_pool_find(n->nc->pool, e);
	struct nat_map_ent *m =
		ai < 0 ? NULL : nat_map_find_ext(&n->map, (uint32_t)ai, sys_be16(id), mcls);
	if (!m)
		return false;
	ok->dst = m->int_addr;
	return true;
}

/* No mapping can be made for inside packet `p` (no port, no room): drop it
 * and, with `unreachable on`, tell its sender: ICMP destination unreachable,
 * communication administratively prohibited (3/13; ICMPv6 1/1 for NAT64),
 * RFC 5508 REQ-8.  Never for what must not be answered (nf_reply_due). */
static void nat_refuse(struct nat *n, struct pkt *p, enum nat_drop why, uint64_t now)
{
	nat_drop(n, p, why);
	if (!n->nc->unreachable)
		return;
	bool v4 = p->l3 == PKT_L3_IPV4;
	enum nf_reply_result rr = nat_icmp_error(n, p, v4 ? 3 : 1, v4 ? 13 : 1, 0, now);
	if (rr == NF_REPLY_SENT)
		n->c.unreachable_sent++;
	else if (rr != NF_REPLY_NOT_DUE)
		n->c.unreachable_not_sent++;
}

enum nf_reply_result nat_icmp_error(struct nat *n, struct pkt *p, uint8_t type, uint8_t code, uint32_t rest,
				    uint64_t now)
{
	if (!nf_reply_due(p))
		return NF_REPLY_NOT_DUE;
	if (!n->batch)
		return NF_REPLY_NO_BUF;
	if (!nf_reply_limit_take(&n->err_limit, now)) {
		n->c.icmp_errors_limited++;
		return NF_REPLY_NO_BUF;
	}
	struct pkt *r;
	enum nf_reply_result rr = nf_reply_icmp_error(n->pool, p, type, code, rest, &r);
	if (rr != NF_REPLY_SENT)
		return rr;
	if (r->out_port < n->n_ports && nf_batch_emit(n->batch, r))
		return NF_REPLY_SENT;
	if (r->out_port >= n->n_ports)
		pkt_free(r);
	return NF_REPLY_NO_BUF;
}

/* Port early drop: an address whose ports of a class are all held.  Under
 * a flood of new inside endpoints (one port each) the pool runs out long
 * before the table, so, as the table does (conn2_set_early_drop), end
 * sessions nobody answered that hold a port of that address and class,
 * at most a few per new session, each found within a bounded walk of the
 * table; answered sessions are never ended for it.  A session sharing
 * its mapping with others frees no port (the mapping outlives it): the
 * next candidate is tried. */
#define NAT_RECLAIM_TRIES 4
#define NAT_RECLAIM_WALK 256

struct nat_reclaim {
	struct nat *n;
	uint32_t ai;
	unsigned cls;
	uint16_t port; /* the port of the session chosen last */
};

/* A session holding a port of the address and class, alone: one whose
 * mapping other sessions share would end without freeing it. */
static bool nat_reclaim_fits(void *ctx, const struct ft_entry *first)
{
	struct nat_reclaim *r = ctx;
	if (nat_u_addr(first->user) != r->ai || nat_u_cls(first->user) != r->cls)
		return false;
	r->port = nat_u_port(first->user);
	if (!(first->user & NAT_U_MAPPED))
		return true;
	const struct flow_key *k = &first->key;
	const struct nat_map_ent *m =
		nat_map_find(&r->n->map, &k->src, sys_be16(k->sport), nat_map_cls(k, r->cls));
	return m && m->refs == 1;
}

static int32_t nat_reclaim_port(struct nat *n, uint32_t ai, unsigned cls, uint16_t want, uint64_t now)
{
	struct nat_reclaim r = {n, ai, cls};
	for (int t = 0; t < NAT_RECLAIM_TRIES; t++) {
		if (!conn2_early_drop_where(&n->cn, &n->reclaim_at, NAT_RECLAIM_WALK, now, nat_reclaim_fits, &r))
			return -1;
		/* The port just freed, if of want's class: no search of a
		 * bitmap that is full but for it. */
		int32_t port = nat_pool_take_for(n->nc->pool, ai, cls, want, r.port)
				       ? r.port
				       : nat_pool_alloc(n->nc->pool, ai, cls, want);
		if (port >= 0) {
			n->c.ports_reclaimed++;
			return port;
		}
	}
	return -1;
}

/* (nat.h) */
int32_t nat_new(struct nat *n, struct pkt *p, const struct flow_key *k, uint32_t hash,
		uint64_t now, const struct flow_key *out)
{
	const struct nat_conf *nc = n->nc;
	const bool v4 = k->family == FLOW_FAMILY_V4;
	int32_t r = v4 ? nat_conf_match(nc, k->src.v4) : nat_conf_match6(nc, k->src.v6);
	if (r < 0) {
		nat_drop(n, p, NAT_DROP_NO_RULE);
		return -1;
	}
	unsigned cls = nat_class(out ? out->proto : k->proto);
	const unsigned mcls = nat_map_cls(k, cls);
	struct nat_map_ent *m = NULL;
	if (!nc->mapping_apdm) {
		m = nat_map_find(&n->map, &k->src, sys_be16(k->sport), mcls);
		if (m) {
			/* Held across conn2_open, whose reaping may end the
			 * mapping's other sessions (and move `m`). */
			m->refs++;
			int32_t in = nat_open(n, p, k, hash, out, now, m->ai, m->ext_port, cls, true);
			if (in < 0)
				nat_unref(n, k, cls);
			return in;
		}
	}
	uint32_t ai = nat_pick_addr(&nc->rules[r], k);
	const uint16_t want = sys_be16(k->sport);
	const struct nat_pool_addr *pa = &nc->pool->a[ai];
	int32_t port = nat_pool_alloc(nc->pool, ai, cls, want);
	/* Sessions past their deadline hold their ports until the wheel
	 * reaps them (after the burst): before calling the pool full, or
	 * giving up the inside port (a host re-using its port after its
	 * session expired keeps it), reap now and ask again. */
	if (unlikely(port != want) && (port < 0 || (want >= pa->lo && want <= pa->hi)) &&
	    conn2_expire(&n->cn, now)) {
		if (port < 0) {
			port = nat_pool_alloc(nc->pool, ai, cls, want);
		} else if (nat_pool_take(nc->pool, ai, cls, want)) {
			nat_pool_release(nc->pool, ai, cls, (uint16_t)port);
			port = want;
		}
	}
	if (unlikely(port < 0))
		port = nat_reclaim_port(n, ai, cls, want, now);
	if (port < 0) {
		nat_refuse(n, p, NAT_DROP_PORTS_EXHAUSTED, now);
		return -1;
	}
	int32_t in = nat_open(n, p, k, hash, out, now, ai, (uint16_t)port, cls, false);
	if (in < 0) {
		nat_pool_release(nc->pool, ai, cls, (uint16_t)port);
		return -1;
	}
	if (!nc->mapping_apdm) {
		m = nat_map_add(&n->map, &k->src, sys_be16(k->sport), mcls, ai, (uint16_t)port);
		if (unlikely(!m)) {
			/* Cannot happen (room for every session; the endpoint
			 * had none): judged as a drop rather than trusted. */
			conn2_close(&n->cn, (uint32_t)in);
			nat_pool_release(nc->pool, ai, cls, (uint16_t)port);
			nat_drop(n, p, NAT_DROP_INVALID);
			return -1;
		}
		ft_entry(n->cn.ft, (uint32_t)in)->user |= NAT_U_MAPPED;
	}
	return in;
}

/* Both entries of a session on external port `port` of pool address `ai`
 * (`mapped`: the port is a mapping's, on which the caller holds this
 * session's reference; `out` as for nat_new).  The inside entry's index,
 * or -1 (`p` dropped). */
static int32_t nat_open(struct nat *n, struct pkt *p, const struct flow_key *k, uint32_t hash,
			const struct flow_key *out, uint64_t now, uint32_t ai, uint16_t port,
			unsigned cls, bool mapped)
{
	const struct nat_conf *nc = n->nc;
	uint64_t u = nat_u_make(cls, port, ai) | (mapped ? NAT_U_MAPPED : 0);
	uint64_t tmo_ns = FT_TICKS_NS(nc->tmo_ticks[nat_tmo(u)]);
	struct flow_key ok = out ? *out : *k;
	ok.src.v4 = nc->pool->a[ai].addr;
	ok.sport = sys_be16((uint16_t)port);
	ok.zone = NAT_ZONE_OUT;
	/* To one of our own external addresses: hairpinned (nat_hairpin;
	 * NAT64 refuses those before). */
	if (unlikely(!out && nat_pool_find(nc->pool, k->dst.v4) >= 0)) {
		u |= NAT_U_HAIRPIN;
		ok = *k;
		ok.zone = NAT_ZONE_HAIRPIN;
		if (cls == NAT_CLS_ICMP) {
			ok.src.v4 = nc->pool->a[ai].addr;
			ok.sport = sys_be16((uint16_t)port);
			if (!nat_hairpin_query_key(n, k->dst.v4, k->sport, NAT_CLS_ICMP, &ok)) {
				nat_drop(n, p, NAT_DROP_NO_MAPPING);
				return -1;
			}
		}
	} else if (unlikely(out && out->zone == NAT_ZONE_HAIRPIN)) {
		/* NAT64 to PREFIX + one of our addresses (nat64_hairpin): the
		 * same, in IPv6 (an IPv4 key would be an outside host's
		 * answer). */
		u |= NAT_U_HAIRPIN;
		ok = *k;
		ok.zone = NAT_ZONE_HAIRPIN;
		if (cls == NAT_CLS_ICMP) {
			xlate64_embed(&nc->pref64, nc->pool->a[ai].addr, ok.src.v6);
			ok.sport = sys_be16((uint16_t)port);
			if (!nat_hairpin_query_key(n, out->dst.v4, k->sport, NAT_CLS_ICMP | NAT_MAP_V6,
						   &ok)) {
				nat_drop(n, p, NAT_DROP_NO_MAPPING);
				return -1;
			}
		}
	}
	int32_t in = conn2_open(&n->cn, k, hash, &ok, now, tmo_ns, u);
	if (in < 0) {
		/* -SYS_EEXIST cannot happen (the inside key was looked up; the
		 * outside one holds a port only this inside endpoint has, and
		 * the remote is part of it): judged as a drop rather than
		 * trusted. */
		if (in == -SYS_ENOSPC)
			nat_refuse(n, p, NAT_DROP_TABLE_FULL, now);
		else
			nat_drop(n, p, NAT_DROP_INVALID);
		return -1;
	}
	return in;
}

/*
 * Hairpinning (RFC 4787 REQ-9, RFC 5382 REQ-8): an inside TCP or UDP
 * packet to one of our own external endpoints, its source already
 * translated, goes to the inside host that owns that endpoint's mapping
 * (endpoint-independent mapping: nat_map_find_ext) and back out of the
 * inside port, both ends translated: each host sees the other's external
 * endpoint, never its inside one.  Filtering stays address-and-port-
 * dependent, as for packets from the outside: it passes only if the
 * target has a live session to the sender's external endpoint (hole
 * punching: each sends to the other first), which it refreshes as a reply.
 * Without a mapping (address-port-dependent mapping) it is dropped as
 * no_mapping.  ICMP queries (RFC 5508 REQ-7) name their target when their
 * session opens (nat_hairpin_query_key); its answers come back through
 * nat_hairpin_answer, and ICMP errors about hairpinned packets through
 * nat_icmp_error_hairpin.
 */
static void nat_hairpin(struct nat *n, struct pkt *p, const struct ft_entry *e, uint64_t now)
{
	unsigned cls = nat_u_cls(e->user);
	if (cls == NAT_CLS_ICMP) {
		/* A query: to the target its session opened with
		 * (nat_hairpin_query_key), the second entry's destination. */
		const struct ft_entry *s = ft_entry(n->cn.ft, conn2_partner(e->user));
		if (!nat_send(n, p, n->nc->in_port))
			return;
		xlate_rewrite_addr(p, false, s->key.dst.v4);
		n->c.hairpinned++;
		return;
	}
	struct flow_key k, t;
	int32_t ai = -1, x = FT_MISS;
	struct nat_map_ent *m = NULL;
	int dir = -1;
	if (flow_key_from_pkt(p, NAT_ZONE_IN, &k) == 0 &&
	    (ai = nat_pool_find(n->nc->pool, k.dst.v4)) >= 0)
		m = nat_map_find_ext(&n->map, (uint32_t)ai, sys_be16(k.dport), cls);
	if (m) {
		/* The target's session to us, as it would send it. */
		t = k;
		t.src.v4 = m->int_addr.v4;
		t.sport = sys_be16(m->int_port);
		t.dst.v4 = k.src.v4;
		t.dport = k.sport;
		x = ft_lookup(n->cn.ft, &t, flow_hash(&t), now, &dir);
	}
	if (x < 0 || dir != FT_DIR_ORIG) {
		nat_drop(n, p, NAT_DROP_NO_MAPPING);
		return;
	}
	nat_step(n, ft_entry(n->cn.ft, (uint32_t)x), p, true, now);
	if (!nat_send(n, p, n->nc->in_port))
		return;
	xlate_rewrite(p, false, m->int_addr.v4, sys_be16(m->int_port));
	n->c.hairpinned++;
}

/* An inside ICMP query answer (echo or timestamp reply) to one of our pool
 * addresses: the target of a hairpinned query answering its sender's
 * external endpoint, which the query's session's second entry is as the
 * target got it.  Back to the sender, as an answer from the address it
 * asked, with the identifier it used. */
/* (nat.h) */
struct ft_entry *nat_hairpin_query_of(struct nat *n, const struct pkt *p, uint64_t now)
{
	struct flow_key k;
	int dir = -1;
	int32_t x = FT_MISS;
	if (flow_key_from_pkt(p, NAT_ZONE_HAIRPIN, &k) == 0)
		x = ft_lookup(n->cn.ft, &k, flow_hash(&k), now, &dir);
	if (x < 0 || dir != FT_DIR_REPLY)
		return NULL;
	return conn2_first_of(&n->cn, (uint32_t)x, conn2_tick(now));
}

static void nat_hairpin_answer(struct nat *n, struct pkt *p, uint64_t now)
{
	struct ft_entry *f = nat_hairpin_query_of(n, p, now);
	if (!f || f->key.family != FLOW_FAMILY_V4) {
		nat_drop(n, p, NAT_DROP_NO_MAPPING);
		return;
	}
	nat_step(n, f, p, true, now);
	if (!nat_send(n, p, n->nc->in_port))
		return;
	xlate_rewrite(p, true, f->key.dst.v4, f->key.sport);
	xlate_rewrite_addr(p, false, f->key.src.v4);
	n->c.translated_out++;
	n->c.hairpinned++;
}

/* An inside packet of session `idx`: step, refresh, translate, pass. */
static inline void nat_out(struct nat *n, struct pkt *p, uint32_t idx, uint64_t now)
{
	struct ft_entry *e = ft_entry(n->cn.ft, idx);
	nat_step(n, e, p, false, now);
	uint64_t u = e->user;
	const bool hairpin = u & NAT_U_HAIRPIN;
	if (!hairpin && !nat_send(n, p, n->nc->out_port))
		return;
	xlate_rewrite(p, true, n->nc->pool->a[nat_u_addr(u)].addr, sys_be16(nat_u_port(u)));
	n->c.translated_out++;
	if (unlikely(hairpin))
		nat_hairpin(n, p, e, now); /* decides where it goes */
}

/* An outside packet that matched outside entry `idx` as a reply. */
static inline void nat_in(struct nat *n, struct pkt *p, uint32_t idx, uint64_t now)
{
	struct ft_entry *e = conn2_first_of(&n->cn, idx, conn2_tick(now));
	if (unlikely(!e)) {
		nat_drop(n, p, NAT_DROP_NO_MAPPING);
		return;
	}
	if (unlikely(e->key.family != FLOW_FAMILY_V4)) {
		nat64_in(n, p, e, now);
		return;
	}
	nat_step(n, e, p, true, now);
	if (!nat_send(n, p, n->nc->in_port))
		return;
	xlate_rewrite(p, false, e->key.src.v4, e->key.sport);
	n->c.translated_in++;
}

/* ---- ICMP errors ---------------------------------------------------------- */
/* From the outside, about a packet we translated: the quote's source is
 * ours (ext addr:port -> remote) and the error is addressed to it. */
static void nat_icmp_error_in(struct nat *n, struct pkt *p, const struct xlate_inner *q,
			      uint64_t now)
{
	/* RFC 5508 REQ-3: an error with a bad ICMP checksum is not trusted
	 * (it would be translated and its checksum "fixed" on the way in). */
	if (unlikely(!csum_verify(p))) {
		nat_drop(n, p, NAT_DROP_BAD_CHECKSUM);
		return;
	}
	int32_t idx = conn2_lookup_quote(&n->cn, q, NAT_ZONE_OUT, FT_DIR_ORIG, now);
	const struct ipv4_hdr *oip = (const struct ipv4_hdr *)pkt_l3(p);
	struct ft_entry *in = NULL;
	if (idx >= 0 && sys_ld32(&oip->dst) == q->key.src.v4)
		in = conn2_first_of(&n->cn, (uint32_t)idx, conn2_tick(now));
	if (!in) {
		nat_drop(n, p, NAT_DROP_NO_MAPPING);
		return;
	}
	if (in->key.family != FLOW_FAMILY_V4) {
		nat64_icmp_error_in(n, p, q, in);
		return;
	}
	if (!nat_send(n, p, n->nc->in_port))
		return;
	xlate_icmp_rewrite(p, q, false, in->key.src.v4, true, in->key.src.v4, in->key.sport);
	n->c.icmp_errors_in++;
}

/* From the inside, about a reply we translated back: the quote is
 * remote -> int addr:port, and the error goes back to the remote. */
static void nat_icmp_error_hairpin(struct nat *n, struct pkt *p, const struct xlate_inner *q,
				   uint64_t now);

static void nat_icmp_error_out(struct nat *n, struct pkt *p, const struct xlate_inner *q,
			       uint64_t now)
{
	/* The quote came from one of our own addresses: hairpinned. */
	if (unlikely(nat_pool_find(n->nc->pool, q->key.src.v4) >= 0)) {
		nat_icmp_error_hairpin(n, p, q, now);
		return;
	}
	int32_t idx = conn2_lookup_quote(&n->cn, q, NAT_ZONE_IN, FT_DIR_REPLY, now);
	const struct ipv4_hdr *oip = (const struct ipv4_hdr *)pkt_l3(p);
	if (idx < 0 || sys_ld32(&oip->dst) != q->key.src.v4) {
		nat_drop(n, p, NAT_DROP_NO_MAPPING);
		return;
	}
	uint64_t u = ft_entry(n->cn.ft, (uint32_t)idx)->user;
	if (!nat_send(n, p, n->nc->out_port))
		return;
	uint32_t ext = n->nc->pool->a[nat_u_addr(u)].addr;
	xlate_icmp_rewrite(p, q, true, ext, false, ext, sys_be16(nat_u_port(u)));
	n->c.icmp_errors_out++;
}

/*
 * From the inside, about a hairpinned packet (RFC 5508 REQ-7: all NATs
 * MUST pass these): the quote is the packet as the erring host H got it,
 * from the sender's external endpoint.  The error goes back inside to the
 * sender S as if it came from H's external endpoint, the quote as S sent
 * it: outer H -> E_S becomes E_H -> S, quote E_S:s -> H:h becomes
 * S:s' -> E_H:h'.  Who S and E_H are, by the quote's protocol:
 *   TCP, UDP: H's session to E_S:s (hairpinning's filtering made sure it
 *     exists) holds E_H:h'; S:s' is the mapping behind E_S:s;
 *   an ICMP query H was asked: the query session's second entry
 *     (nat_hairpin_query_key), its first the query as S sent it;
 *   an ICMP answer H got: H was the sender, the query session its own.
 */
static void nat_icmp_error_hairpin(struct nat *n, struct pkt *p, const struct xlate_inner *q,
				   uint64_t now)
{
	const struct nat_conf *nc = n->nc;
	const struct ipv4_hdr *oip = (const struct ipv4_hdr *)pkt_l3(p);
	uint32_t e_h = 0, s_addr = 0;
	uint16_t h_port = 0, s_port = 0;
	bool ok = false;
	if (sys_ld32(&oip->dst) != q->key.src.v4) {
		/* not addressed to the quote's source */
	} else if (q->key.proto != IPPROTO_ICMP_) {
		int32_t x = conn2_lookup_quote(&n->cn, q, NAT_ZONE_IN, FT_DIR_REPLY, now);
		int32_t ai = nat_pool_find(nc->pool, q->key.src.v4);
		struct nat_map_ent *m =
			ai < 0 ? NULL
			       : nat_map_find_ext(&n->map, (uint32_t)ai, sys_be16(q->key.sport),
						  nat_class(q->key.proto));
		if (x >= 0 && m) {
			uint64_t u = ft_entry(n->cn.ft, (uint32_t)x)->user;
			e_h = nc->pool->a[nat_u_addr(u)].addr;
			h_port = sys_be16(nat_u_port(u));
			s_addr = m->int_addr.v4;
			s_port = sys_be16(m->int_port);
			ok = (u & NAT_U_HAIRPIN) != 0;
		}
	} else if (flow_icmp_tag_is_request(q->key.dport)) {
		int32_t x = conn2_lookup_quote(&n->cn, q, NAT_ZONE_HAIRPIN, FT_DIR_ORIG, now);
		const struct ft_entry *f =
			x >= 0 ? conn2_first_of(&n->cn, (uint32_t)x, conn2_tick(now)) : NULL;
		if (f && f->key.family == FLOW_FAMILY_V4) {
			e_h = f->key.dst.v4;
			s_addr = f->key.src.v4;
			h_port = s_port = f->key.sport;
			ok = true;
		}
	} else {
		int32_t x = conn2_lookup_quote(&n->cn, q, NAT_ZONE_IN, FT_DIR_REPLY, now);
		const struct ft_entry *f = x >= 0 ? ft_entry(n->cn.ft, (uint32_t)x) : NULL;
		if (f && (f->user & NAT_U_HAIRPIN)) {
			const struct ft_entry *s = ft_entry(n->cn.ft, conn2_partner(f->user));
			e_h = s->key.src.v4;
			s_addr = s->key.dst.v4;
			h_port = s_port = s->key.sport;
			ok = true;
		}
	}
	if (!ok) {
		nat_drop(n, p, NAT_DROP_NO_MAPPING);
		return;
	}
	if (!nat_send(n, p, nc->in_port))
		return;
	xlate_icmp_rewrite(p, q, true, e_h, false, e_h, h_port);
	xlate_icmp_rewrite(p, q, false, s_addr, true, s_addr, s_port);
	n->c.icmp_errors_out++;
	n->c.hairpinned++;
}

/* ---- per packet ----------------------------------------------------------- */
/* (nat.h) */
void nat_other(struct nat *n, struct pkt *p, uint16_t port)
{
	const bool v6 = p->l3 == PKT_L3_IPV6;
	if (v6 ? !n->nc->ipv6_pass : !n->nc->non_ip_pass) {
		nat_drop(n, p, v6 ? NAT_DROP_IPV6 : NAT_DROP_NON_IP);
	} else if (nat_send(n, p, port)) {
		if (v6)
			n->c.ipv6_passed++;
		else
			n->c.non_ip_passed++;
	}
}

/* nat_cold's packets but NAT64's: decided here, or keyed (the ICMP
 * queries that go on as sessions). */
static __attribute__((noinline)) enum conn2_cold
nat_cold_other(struct nat *n, struct pkt *p, uint64_t now)
{
	bool from_inside = n->from_inside;
	const struct nat_conf *nc = n->nc;
	uint16_t other = from_inside ? nc->out_port : nc->in_port;
	if (p->l3 != PKT_L3_IPV4) {
		p->nf_data = 0; /* not a noted first fragment (nat_frag_burst_end_) */
		nat_other(n, p, other);
		return CONN2_DECIDED;
	}
	if ((p->flags & PKT_F_FRAG) && nat_frag_cold(n, p, now))
		return CONN2_DECIDED; /* a first fragment goes on as a whole packet */
	if (!(p->flags & PKT_F_L4)) {
		nat_drop(n, p, NAT_DROP_UNSUPPORTED);
		return CONN2_DECIDED;
	}
	if (p->l4_proto == IPPROTO_TCP_ || p->l4_proto == IPPROTO_UDP_)
		return CONN2_KEY;
	if (p->l4_proto != IPPROTO_ICMP_) {
		nat_drop(n, p, NAT_DROP_UNSUPPORTED);
		return CONN2_DECIDED;
	}
	uint8_t type = pkt_l4(p)[0];
	if (xlate_icmp_query(type)) {
		/* Requests out, replies in, by their session; an outside
		 * request has none, an inside reply would open one. */
		if (flow_icmp_tag_is_request(flow_icmp_tag(IPPROTO_ICMP_, type)) == from_inside)
			return CONN2_KEY;
		/* ... but a hairpinned query's answer (nat_hairpin_answer). */
		if (from_inside && nat_pool_find(nc->pool, sys_ld32(pkt_l3(p) + 16)) >= 0)
			return CONN2_IN_TURN;
		nat_drop(n, p, from_inside ? NAT_DROP_UNSUPPORTED : NAT_DROP_NO_MAPPING);
		return CONN2_DECIDED;
	}
	struct xlate_inner q;
	if (xlate_icmp_inner(p, &q)) {
		if (from_inside)
			nat_icmp_error_out(n, p, &q, now);
		else
			nat_icmp_error_in(n, p, &q, now);
		return CONN2_DECIDED;
	}
	/* An error whose quote is no session's packet, or another type. */
	nat_drop(n, p, xlate_icmp_is_error(type) ? NAT_DROP_UNSUPPORTED : NAT_DROP_ICMP_UNKNOWN);
	return CONN2_DECIDED;
}

/* Everything but TCP and UDP of unfragmented IPv4 (conn2's `cold`).
 * NAT64's inside IPv6, every packet of its sessions, is judged inline. */
static inline enum conn2_cold nat_cold(void *st, struct pkt *p, uint64_t now)
{
	struct nat *n = st;
	if (p->l3 == PKT_L3_IPV6 && n->nc->nat64 && n->from_inside)
		return nat64_cold(n, p, now);
	return nat_cold_other(n, p, now);
}

/* The session's class is the packet's protocol (its key matched): with it
 * constant, the rewrite has no protocol tests. */
static inline __attribute__((always_inline)) void nat_rewrite(struct pkt *p, uint64_t u, bool src,
							      uint32_t addr, uint16_t port)
{
	switch (nat_u_cls(u)) {
	case NAT_CLS_TCP:
		xlate_rewrite_proto(p, IPPROTO_TCP_, src, addr, port);
		break;
	case NAT_CLS_UDP:
		xlate_rewrite_proto(p, IPPROTO_UDP_, src, addr, port);
		break;
	default:
		xlate_rewrite_proto(p, IPPROTO_ICMP_, src, addr, port);
	}
}

/* An inside packet of a session whose state it does not change (TCP
 * without SYN/FIN/RST, UDP, ICMP echo): refresh and translate.  The
 * general case is nat_out(). */
static inline bool nat_fast_out(const void *fc_, struct pkt *p, uint32_t idx, unsigned reply)
{
	const struct nat_fast *fc = fc_;
	(void)reply;
	struct ft_entry *e = fc->entries + idx;
	uint64_t u = e->user;
	if ((nat_u_cls(u) == NAT_CLS_TCP && !conn2_tcp_keeps_state(p)) || (u & NAT_U_HAIRPIN))
		return false;
	if (p->l3 != PKT_L3_IPV4) /* its key matched: a NAT64 session */
		return nat64_fast_out(fc, p, e, u);
	e->deadline = fc->dl[nat_tmo(u)];
	nat_rewrite(p, u, true, fc->pool[nat_u_addr(u)].addr, sys_be16(nat_u_port(u)));
	return true;
}

/* A reply to a session that has been answered before, changing nothing
 * but the deadline; else nat_in(). */
static inline bool nat_fast_in(const void *fc_, struct pkt *p, uint32_t idx, unsigned reply)
{
	const struct nat_fast *fc = fc_;
	(void)reply;
	struct ft_entry *e = conn2_first_in(fc->entries, idx, fc->tick);
	if (!e)
		return false;
	uint64_t u = e->user;
	if (!(u & NAT_U_REPLIED) || (nat_u_cls(u) == NAT_CLS_TCP && !conn2_tcp_keeps_state(p)))
		return false;
	if (e->key.family != FLOW_FAMILY_V4)
		return nat64_fast_in(fc, p, e, u);
	e->deadline = fc->dl[nat_tmo(u)];
	nat_rewrite(p, u, false, e->key.src.v4, e->key.sport);
	return true;
}

static void nat_slow(void *st, struct pkt *p, const struct flow_key *k, uint32_t hash, int32_t x,
		     int dir, uint64_t now)
{
	struct nat *n = st;
	if (!n->from_inside) {
		if (likely(x >= 0 && dir == FT_DIR_REPLY))
			nat_in(n, p, (uint32_t)x, now);
		else
			nat_drop(n, p, NAT_DROP_NO_MAPPING);
		return;
	}
	if (p->l3 != PKT_L3_IPV4) {
		nat64_out(n, p, k, hash, x, dir, now);
		return;
	}
	if (unlikely(!k)) { /* left in turn by nat_cold_other */
		nat_hairpin_answer(n, p, now);
		return;
	}
	if (likely(x >= 0 && dir == FT_DIR_ORIG)) {
		nat_out(n, p, (uint32_t)x, now);
	} else if (x >= 0) {
		nat_drop(n, p, NAT_DROP_INVALID); /* inside host posing as the remote */
	} else {
		int32_t in = nat_new(n, p, k, hash, now, NULL);
		if (in >= 0)
			nat_out(n, p, (uint32_t)in, now);
	}
}

static const struct conn2_fn nat_fn_out = {.cold = nat_cold, .fast = nat_fast_out, .slow = nat_slow};
static const struct conn2_fn nat_fn_in = {.cold = nat_cold, .fast = nat_fast_in, .slow = nat_slow};
CONN2_SLOW_FN(nat_slow_out, nat_fn_out)
CONN2_SLOW_FN(nat_slow_in, nat_fn_in)

static void nat_process_burst(struct nat *n, struct nf_batch *b, uint64_t now);

/* The burst's batch is where answers go (nat_refuse); outside a burst
 * (timers) there is none. */
static void nat_process(void *st, struct nf_batch *b, uint64_t now)
{
	struct nat *n = st;
	n->batch = b;
	nat_process_burst(n, b, now);
	n->batch = NULL;
}

static void nat_process_burst(struct nat *n, struct nf_batch *b, uint64_t now)
{
	const struct nat_conf *nc = n->nc;
	bool from_inside = b->port == nc->in_port;
	if (unlikely(!from_inside && b->port != nc->out_port)) {
		for (uint16_t i = 0; i < b->n; i++)
			nat_drop(n, b->pkts[i], NAT_DROP_NO_PORT);
		return;
	}
	n->from_inside = from_inside;
	struct nat_fast fc = {
		.entries = ft_entry(n->cn.ft, 0),
		.pool = nc->pool->a,
		.pref64 = &nc->pref64,
		.ip_id = &n->ip_id,
		.c = &n->c,
		.tick = conn2_tick(now),
	};
	for (unsigned i = 0; i < NAT_TMO_COUNT; i++)
		fc.dl[i] = ft_deadline(now, nc->tmo_ticks[i]);
	uint16_t out = from_inside ? nc->out_port : nc->in_port;
	bool fast_on = out < n->n_ports;
	/* NAT64's fast packets change length (its counts: nat64_fast_*). */
	const uint64_t n64 = n->c.nat64_out + n->c.nat64_in;
	/* Counted once per burst: the fast path touches no other counter. */
	if (from_inside)
		n->c.translated_out += conn2_process(&n->cn, &nat_fn_out, nat_slow_out, n, &fc, b,
						     NAT_ZONE_IN, FT_DIR_ORIG, out, fast_on, now);
	else
		n->c.translated_in += conn2_process(&n->cn, &nat_fn_in, nat_slow_in, n, &fc, b,
						    NAT_ZONE_OUT, FT_DIR_REPLY, out, fast_on, now);
	b->resized = n->c.nat64_out + n->c.nat64_in != n64;
	nat_frag_burst_end(&n->frag, b);
}

/* ---- life cycle ----------------------------------------------------------- */
static uint64_t nat_expire(void *st, uint64_t now)
{
	struct nat *n = st;
	conn2_expire(&n->cn, now);
	return SYS_MIN(conn2_next_expiry(&n->cn, now), nat_frag_timers(n, now));
}

/* Where session `e` (user u) lives on in the new pools: its external
 * address's new index, its port taken there (a mapped session's port once
 * per mapping, the mappings being rebuilt).  False: it cannot. */
static bool nat_rebind_one(struct nat *n, struct nat_conf *old, struct nat_conf *nc,
			   const struct ft_entry *e, uint32_t *ai_out)
{
	uint64_t u = e->user;
	unsigned cls = nat_u_cls(u);
	/* A NAT64 session needs NAT64 on, with the same prefix. */
	if (e->key.family != FLOW_FAMILY_V4 &&
	    (!nc->nat64 || memcmp(&nc->pref64, &old->pref64, sizeof(nc->pref64)) != 0))
		return false;
	int32_t ai = nat_u_addr(u) < old->pool->n
			     ? nat_pool_find(nc->pool, old->pool->a[nat_u_addr(u)].addr)
			     : -1;
	if (ai < 0)
		return false;
	*ai_out = (uint32_t)ai;
	if (!(u & NAT_U_MAPPED))
		return nat_pool_take(nc->pool, (uint32_t)ai, cls, nat_u_port(u));
	unsigned mcls = nat_map_cls(&e->key, cls);
	struct nat_map_ent *m = nat_map_find(&n->map, &e->key.src, sys_be16(e->key.sport), mcls);
	if (m) {
		if (m->ai != (uint32_t)ai || m->ext_port != nat_u_port(u))
			return false; /* cannot happen: one mapping per endpoint */
		m->refs++;
		return true;
	}
	if (!nat_pool_take(nc->pool, (uint32_t)ai, cls, nat_u_port(u)))
		return false;
	if (nat_map_add(&n->map, &e->key.src, sys_be16(e->key.sport), mcls, (uint32_t)ai,
			nat_u_port(u)))
		return true;
	nat_pool_release(nc->pool, (uint32_t)ai, cls, nat_u_port(u));
	return false;
}

/* Session `e` opened hairpinned (its second entry is no outside key) to a
 * remote that is none of nc's pool addresses: nothing could answer it. */
static bool nat_rebind_stale_hairpin(struct nat *n, const struct nat_conf *nc,
				     const struct ft_entry *e)
{
	uint32_t second = conn2_partner(e->user);
	if (second == CONN2_NO_PARTNER || ft_entry(n->cn.ft, second)->key.zone != NAT_ZONE_HAIRPIN)
		return false;
	uint32_t remote = e->key.family == FLOW_FAMILY_V4
				  ? e->key.dst.v4
				  : (nc->nat64 ? xlate64_extract(&nc->pref64, e->key.dst.v6) : 0);
	return nat_pool_find(nc->pool, remote) < 0;
}

/* Sessions survive a reload where their external address and port fit the
 * new pools (the port is taken there); the others end now.  Mappings are
 * rebuilt from the sessions that survive (whatever the new `mapping`:
 * it is for new sessions). */
static void nat_rebind(struct nat *n, struct nat_conf *old, struct nat_conf *nc)
{
	struct ft *ft = n->cn.ft;
	nat_map_clear(&n->map);
	for (int32_t i = ft_next(ft, 0); i != FT_MISS; i = ft_next(ft, (uint32_t)i + 1)) {
		struct ft_entry *e = ft_entry(ft, (uint32_t)i);
		if (e->key.zone != NAT_ZONE_IN)
			continue;
		uint32_t ai;
		if (nat_rebind_stale_hairpin(n, nc, e)) {
			conn2_close(&n->cn, (uint32_t)i);
			n->cn.c.dropped_by_reload++;
			continue;
		}
		if (nat_rebind_one(n, old, nc, e, &ai)) {
			e->user = (e->user & ~(0xffffull << NAT_U_ADDR_SHIFT)) |
				  (uint64_t)ai << NAT_U_ADDR_SHIFT;
			if (e->key.family != FLOW_FAMILY_V4)
				e->user = nat64_rebind_user(nc, e);
			continue;
		}
		conn2_close(&n->cn, (uint32_t)i);
		n->cn.c.dropped_by_reload++;
	}
}

static int nat_configure(void *st, const struct cfg *cfg, struct cfg_errors *errs)
{
	struct nat *n = st;
	struct nat_conf *nc;
	int rc = nat_conf_compile(cfg, errs, &nc);
	if (rc)
		return rc;
	/* Built whole; nothing below can fail. */
	struct nat_conf *old = n->nc;
	if (old)
		nat_rebind(n, old, nc);
	n->nc = nc;
	/* The fragment table's timeout is the config's (not per packet). */
	n->frag.tmo_ns = (uint64_t)nc->tmo_sec[NAT_TMO_FRAG] * 1000000000ull;
	nat_conf_free(old);
	return 0;
}

static void nat_destroy(void *st)
{
	struct nat *n = st;
	if (!n)
		return;
	nat_conf_free(n->nc);
	conn2_fini(&n->cn);
	nat_map_fini(&n->map);
	nat_frag_fini(&n->frag);
	sys_free(n);
}

static void *nat_create(const struct nf_env *env)
{
	struct nat *n = sys_alloc(sizeof(*n), SYS_CACHE_LINE);
	if (!n)
		return NULL;
	memset(n, 0, sizeof(*n));
	n->n_ports = env->n_ports > PORT_MAX ? PORT_MAX : env->n_ports;
	n->pool = env->pool;
	nf_reply_limit_init(&n->err_limit);
	int rc = conn2_init(&n->cn, env->flow_capacity, NAT_ZONE_IN, nat_ended, n);
	/* A full table ends a session the outside never answered (a flood's)
	 * rather than refuse a new one; answered sessions are never ended. */
	conn2_set_early_drop(&n->cn, NAT_U_REPLIED);
	/* A mapping per session at most: two entries each. */
	if (!rc)
		rc = nat_map_init(&n->map, ft_capacity(n->cn.ft) / 2 + 1);
	if (!rc)
		rc = nat_frag_setup(n, env->flow_capacity);
	/* Until configure() runs: an empty config (no rules, nothing passes
	 * from the inside). */
	struct cfg *cfg = NULL;
	struct cfg_errors *errs = sys_alloc(sizeof(*errs), 8);
	if (errs) {
		cfg_errors_init(errs);
		if (cfg_parse("(none)", "", 0, NULL, NULL, &cfg, errs) == 0)
			nat_configure(n, cfg, errs);
		cfg_free(cfg);
		sys_free(errs);
	}
	if (rc || !n->nc) {
		nat_destroy(n);
		return NULL;
	}
	return n;
}

static void nat_stats(void *st, struct stats_writer *w)
{
	nat_stats_write(st, w);
}

static const struct nf_ops nat_ops = {
	.name = "nat",
	.summary = "source NAT (NAPT) for IPv4 and NAT64: pools, port ranges, TCP/UDP/ICMP, ICMP errors, fragments",
	.create = nat_create,
	.configure = nat_configure,
	.process = nat_process,
	.expire = nat_expire,
	.stats = nat_stats,
	.destroy = nat_destroy,
	.flow_next = nat_flow_next,
	.drop_names = nat_drop_names,
	.n_drop_names = NAT_DROP_COUNT,
};
NF_REGISTER(nat_ops);
