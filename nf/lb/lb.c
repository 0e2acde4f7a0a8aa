/* SPDX-License-Identifier: MIT */
/*
 * lb - an L4 load balancer for IPv4 and IPv6.  Per vip, a forwarding mode:
 * nat (DNAT, no source NAT: the backends answer through the balancer) or
 * an encapsulation towards the backend, which answers the client directly
 * (ipip, ip6ip6, gue: lb_encap.h).  Connections and their flow-table
 * entries: lb.h; the config: lb_config.h; backend choice: lb_maglev.h;
 * header rewriting: nf/xlate.h (IPv4), lb_v6.h (IPv6); counters:
 * lb_stats.h; backends set down or up at run time: lb_admin.h.
 *
 * From the clients, the first packet of a TCP or UDP connection to a vip
 * (address, protocol, port) picks a backend from the vip's Maglev table
 * by its 5-tuple; that packet and every later one of the connection get
 * the backend's address and port as destination.  From the servers,
 * replies of a connection get the vip back as their source.  ICMP errors
 * quoting a connection's packet are translated both ways (the quote, and
 * the outer address that is the vip or the backend).  Timeouts per
 * protocol (TCP established / transitory, UDP) end connections.
 *
 * An encapsulating vip's packet that would exceed the mtu once
 * encapsulated is dropped (too_big) and answered, as a router would, with
 * ICMP frag-needed (IPv4 with DF) or ICMPv6 packet too big, next-hop MTU
 * = mtu - the encapsulation's overhead, out of the port it came in.
 *
 * IPv6 goes the cold way (lb_cold: keyed and looked up one by one); the
 * IPv4 nat fast path is as it was.  ICMPv6 errors about IPv6 nat
 * connections are translated both ways (lb_icmp6.h).
 *
 * Everything else is "non-vip": traffic from the clients to no vip, from
 * the servers outside any connection: dropped and counted by reason
 * unless `non-vip pass` (then forwarded untouched to the other side).
 * Fragments, other protocols and IPv6 with extension headers addressed to
 * a vip address are dropped (no reassembly).  Non-IP frames pass unless
 * `non-ip drop`.
 */
#include "nf/lb/lb.h"

#include "dataplane/parse.h"
#include "nf/lb/lb_admin.h"
#include "nf/lb/lb_encap.h"
#include "nf/lb/lb_flows.h"
#include "nf/lb/lb_icmp6.h"
#include "nf/lb/lb_maglev.h"
#include "nf/lb/lb_v6.h"
#include "nf/reply.h"
#include "nf/xlate.h"


/* ---- verdicts ------------------------------------------------------------- */
static inline void lb_drop(struct lb *l, struct pkt *p, enum lb_drop why)
{
	p->out_port = PKT_DROP;
	cap_set_why(p, why);
	l->c.dropped++;
	l->c.drop[why]++;
}

static inline bool lb_send(struct lb *l, struct pkt *p, uint16_t port)
{
	if (unlikely(port >= l->n_ports)) {
		lb_drop(l, p, LB_DROP_NO_PORT);
		return false;
	}
	p->out_port = port;
	return true;
}

/* Not balanced traffic: the policy decides (`non-vip`). */
static void lb_other(struct lb *l, struct pkt *p, bool from_clients, enum lb_drop why)
{
	const struct lb_conf *lc = l->lc;
	if (!lc->non_vip_pass) {
		lb_drop(l, p, why);
		return;
	}
	if (lb_send(l, p, from_clients ? lc->server_port : lc->client_port))
		l->c.passed++;
}

static inline enum lb_tmo lb_tmo(uint64_t u)
{
	if (!(u & LB_U_TCP))
		return LB_TMO_UDP;
	return (u & (LB_U_REPLIED | LB_U_CLOSING)) == LB_U_REPLIED ? LB_TMO_TCP_EST : LB_TMO_TCP_TRANS;
}

/* ---- connections ---------------------------------------------------------- */
/* conn2's `ended`: a connection expired. */
static void lb_ended(void *ctx, const struct ft_entry *first)
{
	struct lb *l = ctx;
	uint64_t u = first->user;
	struct lb_conf *lc = l->lc;
	lc->vips[lb_u_vip(u)].c.active--;
	lc->be[lb_u_be(u)].c.active--;
}

/* The Maglev hash of a connection's 5-tuple (lb_maglev.h), IPv6
 * addresses folded. */
static uint32_t lb_key_hash(const struct flow_key *k)
{
	return lb_tuple_hash(lb_fold_addr(k->family, &k->src), lb_fold_addr(k->family, &k->dst),
			     sys_be16(k->sport), sys_be16(k->dport), k->proto);
}

/* nat mode, either family: the source or destination becomes addr:port. */
static void lb_rewrite_any(struct pkt *p, bool src, const union flow_addr *addr, uint16_t port)
{
	if (p->l3 == PKT_L3_IPV4)
		xlate_rewrite(p, src, addr->v4, port);
	else
		lb_rewrite_v6(p, src, addr->v6, port);
}

/* A new connection for client packet `p` (key k): pick a backend, file
 * both entries.  Returns the client entry's index; -1 if `p` was decided
 * here (dropped or passed). */
static int32_t lb_new(struct lb *l, struct pkt *p, const struct flow_key *k, uint32_t hash,
		      uint64_t now)
{
	struct lb_conf *lc = l->lc;
	int32_t vi = lb_conf_vip(lc, k->family, &k->dst, k->dport, k->proto);
	if (vi < 0) {
		lb_other(l, p, true, LB_DROP_NON_VIP);
		return -1;
	}
	struct lb_vip *v = &lc->vips[vi];
	uint32_t th = lb_key_hash(k);
	uint16_t bi = v->table[lb_maglev_slot(th, v->m)];
	if (bi == LB_MAGLEV_EMPTY) {
		lb_drop(l, p, LB_DROP_NO_BACKEND);
		return -1;
	}
	struct lb_backend *be = &lc->be[bi];
	bool encap = v->mode != LB_MODE_NAT;
	uint64_t u = (k->proto == IPPROTO_TCP_ ? LB_U_TCP : 0) | (encap ? LB_U_ENCAP : 0) |
		     (uint64_t)vi << LB_U_VIP_SHIFT | (uint64_t)bi << LB_U_BE_SHIFT;
	uint64_t tmo_ns = FT_TICKS_NS(lc->tmo_ticks[lb_tmo(u)]);
	struct flow_key sk = *k;
	sk.dst = be->addr;
	sk.dport = be->port;
	sk.zone = LB_ZONE_SERVER;
	int32_t ci = conn2_open(&l->cn, k, hash, encap ? NULL : &sk, now, tmo_ns, u);
	if (ci < 0) {
		/* -SYS_EEXIST: this client port already talks to this backend
		 * through another vip. */
		lb_drop(l, p, ci == -SYS_ENOSPC ? LB_DROP_TABLE_FULL : LB_DROP_TUPLE_CLASH);
		return -1;
	}
	v->c.conns++;
	v->c.active++;
	be->c.conns++;
	be->c.active++;
	return ci;
}

/* Per backend only: lb_vip_counters() adds them up per vip. */
static inline void lb_count(struct lb_counters *c, bool to_server, uint32_t len)
{
	if (to_server) {
		c->pkts_to_server++;
		c->bytes_to_server += len;
	} else {
		c->pkts_to_client++;
		c->bytes_to_client += len;
	}
}

/* An encapsulating vip's packet too big for the mtu: answered as a
 * router would, out of the port it came in (nf/reply.h). */
static void lb_too_big(struct lb *l, struct pkt *p, uint32_t mtu)
{
	bool v4 = p->l3 == PKT_L3_IPV4;
	/* frag-needed: the next-hop MTU in the low 16 bits (RFC 1191);
	 * packet too big: 32 bits (RFC 4443 3.2). */
	struct pkt *r;
	if (l->batch && nf_reply_due(p) && !nf_reply_limit_take(&l->err_limit, l->now)) {
		l->c.too_big_limited++;
	} else if (l->batch &&
		   nf_reply_icmp_error(l->pool, p, v4 ? 3 : 2, v4 ? 4 : 0, sys_be32(mtu), &r) == NF_REPLY_SENT) {
		if (r->out_port < l->n_ports && nf_batch_emit(l->batch, r)) {
			if (v4)
				l->c.frag_needed_sent++;
			else
				l->c.packet_too_big_sent++;
		} else {
			if (r->out_port >= l->n_ports)
				pkt_free(r);
			l->c.too_big_not_answered++;
		}
	} else {
		l->c.too_big_not_answered++;
	}
	lb_drop(l, p, LB_DROP_TOO_BIG);
}

/* Encapsulate client packet p of connection key k towards backend be;
 * false if it was dropped instead. */
static bool lb_encap_send(struct lb *l, struct pkt *p, const struct lb_vip *v,
			  const struct lb_backend *be, const struct flow_key *k)
{
	struct lb_encap en = {.gue = v->mode == LB_MODE_GUE, .outer_family = be->family,
			      .dst = be->addr, .gue_port = v->gue_port, .flow_hash = lb_key_hash(k)};
	if (be->family == FLOW_FAMILY_V4)
		en.src = lb_addr4(v->src4);
	else
		memcpy(en.src.v6, v->src6, 16);
	switch (lb_encap_push(p, &en, l->lc->mtu)) {
	case LB_ENCAP_OK:
		l->c.encapsulated++;
		return true;
	case LB_ENCAP_TOO_BIG:
		lb_too_big(l, p, l->lc->mtu - lb_encap_overhead(&en));
		return false;
	case LB_ENCAP_TOO_BIG_NO_DF:
		l->c.too_big_not_answered++;
		lb_drop(l, p, LB_DROP_TOO_BIG);
		return false;
	default:
		lb_drop(l, p, LB_DROP_NO_HEADROOM);
		return false;
	}
}

/* A client packet of connection `idx`: step, refresh, rewrite, send. */
static inline void lb_to_server(struct lb *l, struct pkt *p, uint32_t idx, uint64_t now)
{
	struct lb_conf *lc = l->lc;
	struct ft_entry *e = ft_entry(l->cn.ft, idx);
	uint64_t u = e->user;
	const uint32_t old_ticks = lc->tmo_ticks[lb_tmo(u)];
	if (u & LB_U_TCP)
		e->user = u = xlate_tcp_step(u, ((const struct tcp_hdr *)pkt_l4(p))->flags, false,
					     LB_U_REPLIED, LB_U_CLOSING);
	conn2_refresh(&l->cn, e, now, lc->tmo_ticks[lb_tmo(u)], old_ticks);
	if (!lb_send(l, p, lc->server_port))
		return;
	struct lb_backend *be = &lc->be[lb_u_be(u)];
	uint32_t len = p->len;
	if (u & LB_U_ENCAP) {
		if (!lb_encap_send(l, p, &lc->vips[lb_u_vip(u)], be, &e->key))
			return;
	} else {
		lb_rewrite_any(p, false, &be->addr, be->port);
	}
	lb_count(&be->c, true, len);
	l->c.to_servers++;
}

/* A server packet that matched server entry `idx` as a reply. */
static inline void lb_to_client(struct lb *l, struct pkt *p, uint32_t idx, uint64_t now)
{
	struct lb_conf *lc = l->lc;
	struct ft_entry *e = conn2_first_of(&l->cn, idx, conn2_tick(now));
	if (unlikely(!e)) {
		lb_other(l, p, false, LB_DROP_NO_CONNECTION);
		return;
	}
	uint64_t u = e->user;
	const uint32_t old_ticks = lc->tmo_ticks[lb_tmo(u)];
	if (u & LB_U_TCP)
		u = xlate_tcp_step(u, ((const struct tcp_hdr *)pkt_l4(p))->flags, true, LB_U_REPLIED,
				   LB_U_CLOSING);
	else
		u |= LB_U_REPLIED;
	e->user = u;
	conn2_refresh(&l->cn, e, now, lc->tmo_ticks[lb_tmo(u)], old_ticks);
	if (!lb_send(l, p, lc->client_port))
		return;
	lb_rewrite_any(p, true, &e->key.dst, e->key.dport);
	lb_count(&lc->be[lb_u_be(u)].c, false, p->len);
	l->c.to_clients++;
}

/* ---- ICMP errors ---------------------------------------------------------- */
/* From the servers' side, about a packet we sent to a backend: the quote
 * is client -> backend:bport.  It becomes client -> vip:vport, and an
 * error the backend itself sent comes from the vip. */
static bool lb_icmp_error_from_servers(struct lb *l, struct pkt *p, const struct xlate_inner *q,
				       uint64_t now)
{
	const struct flow_key *k = &q->key;
	int32_t idx = conn2_lookup_quote(&l->cn, q, LB_ZONE_SERVER, FT_DIR_ORIG, now);
	const uint8_t *oip = pkt_l3(p);
	if (idx < 0 || sys_ld32(oip + 16) != k->src.v4)
		return false;
	struct ft_entry *cl = conn2_first_of(&l->cn, (uint32_t)idx, conn2_tick(now));
	if (!cl)
		return false;
	if (!lb_send(l, p, l->lc->client_port))
		return true;
	uint32_t osrc = sys_ld32(oip + 12);
	uint32_t vip = cl->key.dst.v4;
	xlate_icmp_rewrite(p, q, true, osrc == k->dst.v4 ? vip : osrc, false, vip, cl->key.dport);
	l->c.icmp_errors_to_clients++;
	return true;
}

/* From the clients' side, about a reply we sent: the quote is
 * vip:vport -> client, addressed to the vip.  Both become the backend's. */
static bool lb_icmp_error_from_clients(struct lb *l, struct pkt *p, const struct xlate_inner *q,
				       uint64_t now)
{
	int32_t idx = conn2_lookup_quote(&l->cn, q, LB_ZONE_CLIENT, FT_DIR_REPLY, now);
	const uint8_t *oip = pkt_l3(p);
	if (idx < 0 || sys_ld32(oip + 16) != q->key.src.v4)
		return false;
	uint64_t u = ft_entry(l->cn.ft, (uint32_t)idx)->user;
	if (u & LB_U_ENCAP)
		return false; /* the reply was the backend's own: not ours to translate */
	const struct lb_backend *be = &l->lc->be[lb_u_be(u)];
	if (!lb_send(l, p, l->lc->server_port))
		return true;
	xlate_icmp_rewrite(p, q, false, be->addr.v4, true, be->addr.v4, be->port);
	l->c.icmp_errors_to_servers++;
	return true;
}

/* ---- per packet ----------------------------------------------------------- */
static void lb_slow(void *st, struct pkt *p, const struct flow_key *k, uint32_t hash, int32_t x,
		    int dir, uint64_t now);

/* An ICMPv6 error about an IPv6 nat connection (lb_icmp6.h), either way,
 * as the IPv4 functions above; true if `p` was decided. */
static bool lb_icmp6_error(struct lb *l, struct pkt *p, uint64_t now)
{
	struct xlate_inner q;
	if (!lb_icmp6_inner(p, &q))
		return false;
	const uint8_t *oip = pkt_l3(p);
	bool from_clients = l->from_clients;
	int32_t idx = conn2_lookup_quote(&l->cn, &q, from_clients ? LB_ZONE_CLIENT : LB_ZONE_SERVER,
					 from_clients ? FT_DIR_REPLY : FT_DIR_ORIG, now);
	/* Addressed to the quote's sender: the client, or the vip. */
	if (idx < 0 || memcmp(oip + 24, q.key.src.v6, 16) != 0)
		return false;
	if (from_clients) {
		uint64_t u = ft_entry(l->cn.ft, (uint32_t)idx)->user;
		if (u & LB_U_ENCAP)
			return false;
		const struct lb_backend *be = &l->lc->be[lb_u_be(u)];
		if (lb_send(l, p, l->lc->server_port)) {
			lb_icmp6_rewrite(p, &q, false, be->addr.v6, true, be->addr.v6, be->port);
			l->c.icmp_errors_to_servers++;
		}
		return true;
	}
	struct ft_entry *cl = conn2_first_of(&l->cn, (uint32_t)idx, conn2_tick(now));
	if (!cl)
		return false;
	if (lb_send(l, p, l->lc->client_port)) {
		/* From the backend itself: from the vip; a router keeps its own. */
		bool own = memcmp(oip + 8, q.key.dst.v6, 16) == 0;
		lb_icmp6_rewrite(p, &q, true, own ? cl->key.dst.v6 : NULL, false, cl->key.dst.v6,
				 cl->key.dport);
		l->c.icmp_errors_to_clients++;
	}
	return true;
}

/* IPv6, one by one: TCP and UDP as lb_slow takes IPv4 (keyed in the
 * side's zone, looked up, decided); anything else to a vip address is
 * dropped, the rest is non-vip. */
static void lb_cold_v6(struct lb *l, struct pkt *p, uint64_t now)
{
	bool from_clients = l->from_clients;
	const uint8_t *ip = pkt_l3(p);
	bool l4 = (p->flags & (PKT_F_L4 | PKT_F_FRAG | PKT_F_IPV6_EXT)) == PKT_F_L4 &&
		  (p->l4_proto == IPPROTO_TCP_ || p->l4_proto == IPPROTO_UDP_);
	if (l4) {
		struct flow_key k;
		flow_key_from_pkt(p, from_clients ? LB_ZONE_CLIENT : LB_ZONE_SERVER, &k);
		uint32_t hash = flow_hash(&k);
		int dir = FT_DIR_ORIG;
		int32_t x = ft_lookup(l->cn.ft, &k, hash, now, &dir);
		lb_slow(l, p, &k, hash, x, dir, now);
		return;
	}
	if (lb_icmp6_error(l, p, now))
		return;
	union flow_addr dst;
	memcpy(dst.v6, ip + 24, 16);
	if (from_clients && lb_conf_is_vip_addr(l->lc, FLOW_FAMILY_V6, &dst))
		lb_drop(l, p, (p->flags & PKT_F_FRAG) ? LB_DROP_FRAGMENT : LB_DROP_UNSUPPORTED);
	else
		lb_other(l, p, from_clients, LB_DROP_IPV6);
}

/* Everything but unfragmented IPv4 TCP and UDP; true if `p` was decided. */
static enum conn2_cold lb_cold(void *st, struct pkt *p, uint64_t now)
{
	struct lb *l = st;
	bool from_clients = l->from_clients;
	const struct lb_conf *lc = l->lc;
	if (p->l3 != PKT_L3_IPV4) {
		if (p->l3 == PKT_L3_IPV6) {
			lb_cold_v6(l, p, now);
		} else if (!lc->non_ip_pass) {
			lb_drop(l, p, LB_DROP_NON_IP);
		} else if (lb_send(l, p, from_clients ? lc->server_port : lc->client_port)) {
			l->c.passed++;
		}
		return CONN2_DECIDED;
	}
	bool l4 = (p->flags & PKT_F_L4) && !(p->flags & PKT_F_FRAG);
	if (l4 && (p->l4_proto == IPPROTO_TCP_ || p->l4_proto == IPPROTO_UDP_))
		return CONN2_KEY;
	struct xlate_inner q;
	if (l4 && p->l4_proto == IPPROTO_ICMP_ && xlate_icmp_inner(p, &q) &&
	    (from_clients ? lb_icmp_error_from_clients(l, p, &q, now)
			  : lb_icmp_error_from_servers(l, p, &q, now)))
		return CONN2_DECIDED;
	union flow_addr dst = lb_addr4(sys_ld32(pkt_l3(p) + 16));
	if (from_clients && lb_conf_is_vip_addr(lc, FLOW_FAMILY_V4, &dst))
		lb_drop(l, p, (p->flags & PKT_F_FRAG) ? LB_DROP_FRAGMENT : LB_DROP_UNSUPPORTED);
	else
		lb_other(l, p, from_clients, from_clients ? LB_DROP_NON_VIP : LB_DROP_NO_CONNECTION);
	return CONN2_DECIDED;
}

/* What the fast path needs, loaded once per burst. */
struct lb_fast {
	struct ft_entry *entries;
	struct lb_conf *lc;
	uint32_t tick;
	uint32_t dl[LB_TMO_COUNT]; /* a refreshed connection's deadline, by timeout */
};

static inline bool lb_state_kept(uint64_t u, const struct pkt *p)
{
	return !(u & LB_U_TCP) || conn2_tcp_keeps_state(p);
}

/* The connection's protocol is the packet's (its key matched): with it
 * constant, the rewrite has no protocol tests. */
static inline __attribute__((always_inline)) void lb_rewrite(struct pkt *p, uint64_t u, bool src,
							     uint32_t addr, uint16_t port)
{
	if (u & LB_U_TCP)
		xlate_rewrite_proto(p, IPPROTO_TCP_, src, addr, port);
	else
		xlate_rewrite_proto(p, IPPROTO_UDP_, src, addr, port);
}

/* A client packet that changes no state: refresh, rewrite, count.  The
 * general case is lb_to_server(). */
static inline bool lb_fast_to_server(const void *fc_, struct pkt *p, uint32_t idx,
				     unsigned reply)
{
	const struct lb_fast *fc = fc_;
	(void)reply;
	struct ft_entry *e = fc->entries + idx;
	uint64_t u = e->user;
	if ((u & LB_U_ENCAP) || !lb_state_kept(u, p))
		return false;
	e->deadline = fc->dl[lb_tmo(u)];
	struct lb_backend *be = &fc->lc->be[lb_u_be(u)];
	lb_rewrite(p, u, false, be->addr.v4, be->port);
	lb_count(&be->c, true, p->len);
	return true;
}

/* A reply on a connection answered before, changing no state; else
 * lb_to_client(). */
static inline bool lb_fast_to_client(const void *fc_, struct pkt *p, uint32_t idx,
				     unsigned reply)
{
	const struct lb_fast *fc = fc_;
	(void)reply;
	struct ft_entry *e = conn2_first_in(fc->entries, idx, fc->tick);
	if (!e)
		return false;
	uint64_t u = e->user;
	if (!(u & LB_U_REPLIED) || !lb_state_kept(u, p))
		return false;
	e->deadline = fc->dl[lb_tmo(u)];
	lb_rewrite(p, u, true, e->key.dst.v4, e->key.dport);
	lb_count(&fc->lc->be[lb_u_be(u)].c, false, p->len);
	return true;
}

static void lb_slow(void *st, struct pkt *p, const struct flow_key *k, uint32_t hash, int32_t x,
		    int dir, uint64_t now)
{
	struct lb *l = st;
	if (!l->from_clients) {
		if (likely(x >= 0 && dir == FT_DIR_REPLY))
			lb_to_client(l, p, (uint32_t)x, now);
		else
			lb_other(l, p, false, LB_DROP_NO_CONNECTION);
		return;
	}
	if (likely(x >= 0 && dir == FT_DIR_ORIG)) {
		lb_to_server(l, p, (uint32_t)x, now);
	} else if (x >= 0) {
		/* a client sending from vip:vport to itself */
		lb_other(l, p, true, LB_DROP_NON_VIP);
	} else {
		int32_t ci = lb_new(l, p, k, hash, now);
		if (ci >= 0)
			lb_to_server(l, p, (uint32_t)ci, now);
	}
}

static const struct conn2_fn lb_fn_srv = {.cold = lb_cold, .fast = lb_fast_to_server, .slow = lb_slow};
static const struct conn2_fn lb_fn_cli = {.cold = lb_cold, .fast = lb_fast_to_client, .slow = lb_slow};
CONN2_SLOW_FN(lb_slow_srv, lb_fn_srv)
CONN2_SLOW_FN(lb_slow_cli, lb_fn_cli)

static void lb_process(void *st, struct nf_batch *b, uint64_t now)
{
	struct lb *l = st;
	struct lb_conf *lc = l->lc;
	bool from_clients = b->port == lc->client_port;
	if (unlikely(!from_clients && b->port != lc->server_port)) {
		for (uint16_t i = 0; i < b->n; i++)
			lb_drop(l, b->pkts[i], LB_DROP_NO_PORT);
		return;
	}
	l->from_clients = from_clients;
	l->batch = b;
	l->now = now;
	struct lb_fast fc = {.entries = ft_entry(l->cn.ft, 0), .lc = lc, .tick = conn2_tick(now)};
	for (unsigned i = 0; i < LB_TMO_COUNT; i++)
		fc.dl[i] = ft_deadline(now, lc->tmo_ticks[i]);
	uint16_t out = from_clients ? lc->server_port : lc->client_port;
	bool fast_on = out < l->n_ports;
	/* Counted once per burst: the fast path touches only per-vip and
	 * per-backend counters. */
	if (from_clients)
		l->c.to_servers += conn2_process(&l->cn, &lb_fn_srv, lb_slow_srv, l, &fc, b,
						 LB_ZONE_CLIENT, FT_DIR_ORIG, out, fast_on, now);
	else
		l->c.to_clients += conn2_process(&l->cn, &lb_fn_cli, lb_slow_cli, l, &fc, b,
						 LB_ZONE_SERVER, FT_DIR_REPLY, out, fast_on, now);
	l->batch = NULL;
}

/* ---- life cycle ----------------------------------------------------------- */
static uint64_t lb_expire(void *st, uint64_t now)
{
	struct lb *l = st;
	conn2_expire(&l->cn, now);
	return conn2_next_expiry(&l->cn, now);
}

/* The backend of new vip `nvi` that carries on old backend `ob`: the same
 * address and port if configured, else a draining copy (weight 0, in no
 * table).  -1 if there is no room for one. */
static int32_t lb_carry_backend(struct lb_conf *nc, uint32_t nvi, const struct lb_backend *ob)
{
	int32_t bi = lb_conf_backend(nc, nvi, ob->family, &ob->addr, ob->port);
	if (bi >= 0 || nc->n_be == LB_BE_SLOTS)
		return bi;
	nc->be[nc->n_be] = *ob;
	nc->be[nc->n_be].vip = (uint16_t)nvi;
	nc->be[nc->n_be].weight = 0;
	nc->be[nc->n_be].draining = true;
	nc->be[nc->n_be].down = false;
	nc->be[nc->n_be].c.active = 0;
	return (int32_t)nc->n_be++;
}

/* Connections survive a reload while their vip does (same address,
 * protocol and port), on the backend they had - configured or draining. */
static void lb_rebind(struct lb *l, struct lb_conf *old, struct lb_conf *nc)
{
	for (uint32_t v = 0; v < nc->n_vips; v++) {
		struct lb_vip *nv = &nc->vips[v];
		int32_t ov = lb_conf_vip(old, nv->family, &nv->addr, nv->port, nv->proto);
		if (ov >= 0)
			lb_vip_counters(old, (uint32_t)ov, &nv->c);
		nv->c.active = 0;
	}
	for (uint32_t i = 0; i < nc->n_be; i++) {
		struct lb_backend *nb = &nc->be[i];
		int32_t ob = lb_conf_backend_in(old, nc, i);
		if (ob >= 0)
			nb->c = old->be[ob].c;
		nb->c.active = 0;
	}
	struct ft *ft = l->cn.ft;
	for (int32_t i = ft_next(ft, 0); i != FT_MISS; i = ft_next(ft, (uint32_t)i + 1)) {
		struct ft_entry *e = ft_entry(ft, (uint32_t)i);
		if (e->key.zone != LB_ZONE_CLIENT)
			continue;
		uint64_t u = e->user;
		const struct lb_vip *ov = &old->vips[lb_u_vip(u)];
		int32_t nvi = lb_conf_vip(nc, ov->family, &ov->addr, ov->port, ov->proto);
		/* nat and the encapsulations keep different entries (lb.h): a
		 * vip that changes between them ends its connections. */
		if (nvi >= 0 && (nc->vips[nvi].mode == LB_MODE_NAT) != !(u & LB_U_ENCAP))
			nvi = -1;
		int32_t nbi = nvi >= 0 ? lb_carry_backend(nc, (uint32_t)nvi, &old->be[lb_u_be(u)]) : -1;
		if (nbi >= 0) {
			e->user = lb_u_rebind(u, (uint32_t)nvi, (uint32_t)nbi);
			nc->vips[nvi].c.active++;
			nc->be[nbi].c.active++;
			continue;
		}
		conn2_close(&l->cn, (uint32_t)i);
		l->cn.c.dropped_by_reload++;
	}
	/* A vip's own block took its old total; what its backends (carried or
	 * draining) still hold is counted there, not twice. */
	for (uint32_t i = 0; i < nc->n_be; i++)
		lb_counters_add_traffic(&nc->vips[nc->be[i].vip].c, &nc->be[i].c, -1);
}

static int lb_configure(void *st, const struct cfg *cfg, struct cfg_errors *errs)
{
	struct lb *l = st;
	struct lb_conf *lc;
	int rc = lb_conf_compile(cfg, errs, &lc);
	if (rc)
		return rc;
	struct lb_conf *old = l->lc;
	/* Backends set down stay down (lb_admin.h); the last step that can
	 * fail, before any connection is touched. */
	if (old && (rc = lb_admin_carry(old, lc)) < 0) {
		lb_conf_free(lc);
		cfg_errorf(errs, NULL, "out of memory");
		return rc;
	}
	/* Built whole; nothing below can fail. */
	if (old)
		lb_rebind(l, old, lc);
	l->lc = lc;
	lb_conf_free(old);
	return 0;
}

static void lb_destroy(void *st)
{
	struct lb *l = st;
	if (!l)
		return;
	lb_conf_free(l->lc);
	conn2_fini(&l->cn);
	sys_free(l);
}

static void *lb_create(const struct nf_env *env)
{
	struct lb *l = sys_alloc(sizeof(*l), SYS_CACHE_LINE);
	if (!l)
		return NULL;
	memset(l, 0, sizeof(*l));
	l->n_ports = env->n_ports > PORT_MAX ? PORT_MAX : env->n_ports;
	l->pool = env->pool;
	nf_reply_limit_init(&l->err_limit);
	int rc = conn2_init(&l->cn, env->flow_capacity, LB_ZONE_CLIENT, lb_ended, l);
	/* A full table ends a connection no backend has answered (a flood's,
	 * or an encapsulated one, whose answers bypass us: Maglev sends its
	 * next packet to the same backend) rather than refuse a new one. */
	conn2_set_early_drop(&l->cn, LB_U_REPLIED);
	/* Until configure() runs: an empty config (no vips). */
	struct cfg *cfg = NULL;
	struct cfg_errors *errs = sys_alloc(sizeof(*errs), 8);
	if (errs) {
		cfg_errors_init(errs);
		if (cfg_parse("(none)", "", 0, NULL, NULL, &cfg, errs) == 0)
			lb_configure(l, cfg, errs);
		cfg_free(cfg);
		sys_free(errs);
	}
	if (rc || !l->lc) {
		lb_destroy(l);
		return NULL;
	}
	return l;
}

static void lb_stats(void *st, struct stats_writer *w)
{
	lb_stats_write(st, w);
}

static const struct nf_ops lb_ops = {
	.name = "lb",
	.summary = "L4 load balancer, IPv4 and IPv6: vips, Maglev-hashed weighted backends, "
		   "nat or ipip/ip6ip6/gue forwarding",
	.create = lb_create,
	.configure = lb_configure,
	.process = lb_process,
	.expire = lb_expire,
	.stats = lb_stats,
	.destroy = lb_destroy,
	.flow_next = lb_flow_next,
	.drop_names = lb_drop_names,
	.n_drop_names = LB_DROP_COUNT,
	.control = lb_control,
};
NF_REGISTER(lb_ops);
