/* SPDX-License-Identifier: MIT */
/*
 * nat - source NAT (NAPT, "CGNAT style") for IPv4 between an inside and an
 * outside port.  Sessions and their two flow-table entries: nat.h; the
 * config: nat_config.h; ports: nat_pool.h; header rewriting: nf/xlate.h;
 * counters: nat_stats.h.
 *
 * From the inside, a TCP, UDP or ICMP echo-request packet whose source a
 * `snat` rule covers gets (or finds) a session: its source address becomes
 * one of the rule's pool addresses (always the same one for a given inside
 * host: "paired" pooling, RFC 4787 REQ-2) and its port (ICMP: identifier)
 * the same port if free on that address, else the next free one.  From the
 * outside, only replies to a live session pass, translated back; ICMP
 * errors quoting a session's packet are translated both ways.  Everything
 * else is dropped and counted by reason: IPv4 fragments (no reassembly),
 * other protocols, unknown outside traffic, exhausted ports, a full table.
 * IPv6 and non-IP frames pass untouched or are dropped, per config.
 *
 * Mapping behaviour: every session has its own external port, so a host
 * talking to two servers from one port gets the same external port only
 * while it is free, i.e. the first session keeps port preservation and
 * the second gets another port (address-and-port-dependent mapping, as
 * Linux masquerade with port clashes).  Filtering is endpoint dependent:
 * only the remote endpoint of a session may answer.
 */
#include "nf/nat/nat.h"

#include "dataplane/parse.h"
#include "nf/xlate.h"

#define NAT_EXPIRE_BUDGET 4096
#define NAT_CHUNK 32
/* The outside entry's deadline: as far as the table clamps (2^30 ticks,
 * flowtable.h).  Not further: ft_ticks() returns 32 bits and a larger
 * duration would wrap to an entry that is born expired. */
#define NAT_FAR_NS (1ull << (30 + FT_TICK_SHIFT))

/* ---- verdicts ------------------------------------------------------------- */
static inline void nat_drop(struct nat *n, struct pkt *p, enum nat_drop why)
{
	p->out_port = PKT_DROP;
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

static inline uint32_t nat_tick(uint64_t now) { return (uint32_t)(now >> FT_TICK_SHIFT); }

static inline bool nat_live(const struct ft_entry *e, uint64_t now)
{
	return (int32_t)(e->deadline - nat_tick(now)) > 0;
}

static inline unsigned nat_tmo(const struct nat *n, uint64_t u)
{
	switch (nat_u_cls(u)) {
	case NAT_CLS_TCP:
		return (u & (NAT_U_REPLIED | NAT_U_CLOSING)) == NAT_U_REPLIED ? NAT_TMO_TCP_EST
									      : NAT_TMO_TCP_TRANS;
	case NAT_CLS_UDP:
		return NAT_TMO_UDP;
	default:
		(void)n;
		return NAT_TMO_ICMP;
	}
}

/* ---- sessions ------------------------------------------------------------- */
static void nat_release(struct nat *n, uint64_t u)
{
	struct nat_pool *pool = n->nc->pool;
	if (nat_u_addr(u) < pool->n)
		nat_pool_release(pool, nat_u_addr(u), nat_u_cls(u), nat_u_port(u));
}

static void nat_expired(void *ctx, uint32_t idx, struct ft_entry *e)
{
	struct nat *n = ctx;
	if (e->key.zone == NAT_ZONE_IN) {
		nat_release(n, e->user);
		uint32_t partner = nat_u_partner(e->user);
		if (partner != NAT_NO_PARTNER)
			ft_delete(n->ft, partner);
		n->c.sessions_active--;
		n->c.sessions_expired++;
		return;
	}
	/* An outside entry reached its far deadline: file it again if its
	 * session lives on, else unlink it so the inside entry's callback
	 * does not delete an index reused meanwhile. */
	struct ft_entry *in = ft_entry(n->ft, (uint32_t)e->user);
	if (nat_u_partner(in->user) != idx)
		return;
	uint64_t partner = NAT_NO_PARTNER;
	if (nat_live(in, n->now)) {
		int32_t ni = ft_insert(n->ft, &e->key, e->hash, n->now, NAT_FAR_NS, e->user);
		if (ni >= 0)
			partner = (uint32_t)ni;
	}
	in->user = (in->user & ~NAT_U_PARTNER_MASK) | partner;
}

/* The table is full: expired entries keep their slots until the wheel
 * reaps them, and the loop runs the wheel after the burst.  Reap now. */
static int32_t nat_insert(struct nat *n, const struct flow_key *k, uint32_t hash, uint64_t now,
			  uint64_t tmo_ns, uint64_t user)
{
	int32_t idx = ft_insert(n->ft, k, hash, now, tmo_ns, user);
	if (unlikely(idx == -SYS_ENOSPC) && ft_expire(n->ft, now, NAT_EXPIRE_BUDGET, nat_expired, n))
		idx = ft_insert(n->ft, k, hash, now, tmo_ns, user);
	return idx;
}

/* Which pool address serves inside host `src`: a hash, so a host keeps
 * one external address for all its sessions (RFC 4787 REQ-2, paired). */
static inline uint32_t nat_pick_addr(const struct nat_rule *r, uint32_t src)
{
	uint32_t h = sys_be32(src) * 0x9e3779b1u;
	return r->pool_first + (uint32_t)(((uint64_t)h * r->pool_n) >> 32);
}

static unsigned nat_class(uint8_t proto)
{
	return proto == IPPROTO_TCP_ ? NAT_CLS_TCP : proto == IPPROTO_UDP_ ? NAT_CLS_UDP : NAT_CLS_ICMP;
}

/* A new session for inside packet `p` (key k); translates and passes it.
 * Returns the inside entry's index, or -1 if the packet was dropped. */
static int32_t nat_new(struct nat *n, struct pkt *p, const struct flow_key *k, uint32_t hash,
		       uint64_t now)
{
	const struct nat_conf *nc = n->nc;
	int32_t r = nat_conf_match(nc, k->src.v4);
	if (r < 0) {
		nat_drop(n, p, NAT_DROP_NO_RULE);
		return -1;
	}
	uint32_t ai = nat_pick_addr(&nc->rules[r], k->src.v4);
	unsigned cls = nat_class(k->proto);
	int32_t port = nat_pool_alloc(nc->pool, ai, cls, sys_be16(k->sport));
	/* Sessions past their deadline hold their ports until the wheel
	 * reaps them (after the burst): reap now before calling it full. */
	if (unlikely(port < 0) && ft_expire(n->ft, now, NAT_EXPIRE_BUDGET, nat_expired, n))
		port = nat_pool_alloc(nc->pool, ai, cls, sys_be16(k->sport));
	if (port < 0) {
		nat_drop(n, p, NAT_DROP_PORTS_EXHAUSTED);
		return -1;
	}
	uint64_t u = nat_u_make(NAT_NO_PARTNER, cls, (uint16_t)port, ai);
	uint64_t tmo_ns = (uint64_t)nc->tmo_sec[nat_tmo(n, u)] * 1000000000ull;
	int32_t in = nat_insert(n, k, hash, now, tmo_ns, u);
	struct flow_key ok = *k;
	ok.src.v4 = nc->pool->a[ai].addr;
	ok.sport = sys_be16((uint16_t)port);
	ok.zone = NAT_ZONE_OUT;
	int32_t out = in >= 0 ? nat_insert(n, &ok, flow_hash(&ok), now, NAT_FAR_NS, (uint64_t)in) : in;
	if (out < 0) {
		if (in >= 0)
			ft_delete(n->ft, (uint32_t)in);
		nat_pool_release(nc->pool, ai, cls, (uint16_t)port);
		/* -SYS_EEXIST cannot happen (the inside key was looked up, the
		 * outside one holds a port only this session has): judged as a
		 * drop rather than trusted. */
		nat_drop(n, p, out == -SYS_ENOSPC ? NAT_DROP_TABLE_FULL : NAT_DROP_INVALID);
		return -1;
	}
	struct ft_entry *e = ft_entry(n->ft, (uint32_t)in);
	e->user = (e->user & ~NAT_U_PARTNER_MASK) | (uint32_t)out;
	n->c.sessions_created++;
	n->c.sessions_active++;
	return in;
}

/* An inside packet of session `idx`: step, refresh, translate, pass. */
static inline void nat_out(struct nat *n, struct pkt *p, uint32_t idx, uint64_t now)
{
	struct ft_entry *e = ft_entry(n->ft, idx);
	uint64_t u = e->user;
	if (nat_u_cls(u) == NAT_CLS_TCP)
		e->user = u = xlate_tcp_step(u, ((const struct tcp_hdr *)pkt_l4(p))->flags, false,
					       NAT_U_REPLIED, NAT_U_CLOSING);
	ft_touch(e, now, n->nc->tmo_ticks[nat_tmo(n, u)]);
	if (!nat_send(n, p, n->nc->out_port))
		return;
	xlate_rewrite(p, true, n->nc->pool->a[nat_u_addr(u)].addr, sys_be16(nat_u_port(u)));
	n->c.translated_out++;
}

/* An outside packet that matched outside entry `idx` as a reply. */
static inline void nat_in(struct nat *n, struct pkt *p, uint32_t idx, uint64_t now)
{
	uint32_t ii = (uint32_t)ft_entry(n->ft, idx)->user;
	struct ft_entry *e = ft_entry(n->ft, ii);
	uint64_t u = e->user;
	if (unlikely(!nat_live(e, now) || nat_u_partner(u) != idx)) {
		nat_drop(n, p, NAT_DROP_NO_MAPPING);
		return;
	}
	if (nat_u_cls(u) == NAT_CLS_TCP)
		e->user = u = xlate_tcp_step(u, ((const struct tcp_hdr *)pkt_l4(p))->flags, true,
					       NAT_U_REPLIED, NAT_U_CLOSING);
	else
		e->user = u = u | NAT_U_REPLIED;
	ft_touch(e, now, n->nc->tmo_ticks[nat_tmo(n, u)]);
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
	struct flow_key k = q->key;
	k.zone = NAT_ZONE_OUT;
	int dir;
	int32_t idx = ft_lookup(n->ft, &k, flow_hash(&k), now, &dir);
	const struct ipv4_hdr *oip = (const struct ipv4_hdr *)pkt_l3(p);
	if (idx < 0 || dir != FT_DIR_ORIG || sys_ld32(&oip->dst) != k.src.v4) {
		nat_drop(n, p, NAT_DROP_NO_MAPPING);
		return;
	}
	struct ft_entry *in = ft_entry(n->ft, (uint32_t)ft_entry(n->ft, (uint32_t)idx)->user);
	if (!nat_live(in, now) || nat_u_partner(in->user) != (uint32_t)idx) {
		nat_drop(n, p, NAT_DROP_NO_MAPPING);
		return;
	}
	if (!nat_send(n, p, n->nc->in_port))
		return;
	xlate_icmp_rewrite(p, q, false, in->key.src.v4, true, in->key.src.v4, in->key.sport);
	n->c.icmp_errors_in++;
}

/* From the inside, about a reply we translated back: the quote is
 * remote -> int addr:port, and the error goes back to the remote. */
static void nat_icmp_error_out(struct nat *n, struct pkt *p, const struct xlate_inner *q,
			       uint64_t now)
{
	struct flow_key k = q->key;
	k.zone = NAT_ZONE_IN;
	int dir;
	int32_t idx = ft_lookup(n->ft, &k, flow_hash(&k), now, &dir);
	const struct ipv4_hdr *oip = (const struct ipv4_hdr *)pkt_l3(p);
	if (idx < 0 || dir != FT_DIR_REPLY || sys_ld32(&oip->dst) != k.src.v4) {
		nat_drop(n, p, NAT_DROP_NO_MAPPING);
		return;
	}
	uint64_t u = ft_entry(n->ft, (uint32_t)idx)->user;
	if (!nat_send(n, p, n->nc->out_port))
		return;
	uint32_t ext = n->nc->pool->a[nat_u_addr(u)].addr;
	xlate_icmp_rewrite(p, q, true, ext, false, ext, sys_be16(nat_u_port(u)));
	n->c.icmp_errors_out++;
}

/* ---- per packet ----------------------------------------------------------- */
/* Everything but TCP, UDP and ICMP echo of unfragmented IPv4; true if `p`
 * was decided here. */
static bool nat_cold(struct nat *n, struct pkt *p, bool from_inside, uint64_t now)
{
	const struct nat_conf *nc = n->nc;
	uint16_t other = from_inside ? nc->out_port : nc->in_port;
	if (p->l3 != PKT_L3_IPV4) {
		if (p->l3 == PKT_L3_IPV6 ? !nc->ipv6_pass : !nc->non_ip_pass) {
			nat_drop(n, p, p->l3 == PKT_L3_IPV6 ? NAT_DROP_IPV6 : NAT_DROP_NON_IP);
		} else if (nat_send(n, p, other)) {
			if (p->l3 == PKT_L3_IPV6)
				n->c.ipv6_passed++;
			else
				n->c.non_ip_passed++;
		}
		return true;
	}
	if (p->flags & PKT_F_FRAG) {
		nat_drop(n, p, NAT_DROP_FRAGMENT);
		return true;
	}
	if (!(p->flags & PKT_F_L4)) {
		nat_drop(n, p, NAT_DROP_UNSUPPORTED);
		return true;
	}
	if (p->l4_proto == IPPROTO_TCP_ || p->l4_proto == IPPROTO_UDP_)
		return false;
	if (p->l4_proto == IPPROTO_ICMP_) {
		uint8_t type = pkt_l4(p)[0];
		if (type == (from_inside ? 8 : 0))
			return false; /* echo request out, echo reply in */
		struct xlate_inner q;
		if (xlate_icmp_inner(p, &q)) {
			if (from_inside)
				nat_icmp_error_out(n, p, &q, now);
			else
				nat_icmp_error_in(n, p, &q, now);
			return true;
		}
	}
	nat_drop(n, p, NAT_DROP_UNSUPPORTED);
	return true;
}

static void nat_chunk(struct nat *n, struct pkt **pkts, uint16_t cnt, bool from_inside,
		      uint64_t now)
{
	struct flow_key keys[NAT_CHUNK];
	const struct flow_key *kp[NAT_CHUNK];
	uint32_t hashes[NAT_CHUNK];
	int32_t idx[NAT_CHUNK];
	uint8_t which[NAT_CHUNK];
	uint32_t m = 0;
	uint16_t zone = from_inside ? NAT_ZONE_IN : NAT_ZONE_OUT;
	for (uint16_t i = 0; i < cnt; i++) {
		struct pkt *p = pkts[i];
		if (unlikely(nat_cold(n, p, from_inside, now)))
			continue;
		kp[m] = &keys[m];
		xlate_key_v4(p, zone, &keys[m], &hashes[m]);
		which[m++] = (uint8_t)i;
	}
	if (!m)
		return;
	ft_lookup_bulk(n->ft, kp, hashes, m, now, idx);
	/* Once the chunk has created a session (or reaped expired ones), the
	 * later packets are looked up again: they may be the new session's. */
	bool changed = false;
	for (uint32_t j = 0; j < m; j++) {
		struct pkt *p = pkts[which[j]];
		int32_t x = idx[j];
		int dir = FT_DIR_ORIG;
		if (unlikely(changed))
			x = ft_lookup(n->ft, &keys[j], hashes[j], now, &dir);
		else if (likely(x >= 0))
			dir = flow_key_eq(&ft_entry(n->ft, (uint32_t)x)->key, &keys[j]) ? FT_DIR_ORIG
											 : FT_DIR_REPLY;
		if (from_inside) {
			if (likely(x >= 0 && dir == FT_DIR_ORIG)) {
				nat_out(n, p, (uint32_t)x, now);
			} else if (x >= 0) {
				nat_drop(n, p, NAT_DROP_INVALID); /* inside host posing as the remote */
			} else {
				uint64_t before = n->c.sessions_expired;
				int32_t in = nat_new(n, p, &keys[j], hashes[j], now);
				if (in >= 0) {
					changed = true;
					nat_out(n, p, (uint32_t)in, now);
				}
				changed |= n->c.sessions_expired != before;
			}
		} else if (likely(x >= 0 && dir == FT_DIR_REPLY)) {
			nat_in(n, p, (uint32_t)x, now);
		} else {
			nat_drop(n, p, NAT_DROP_NO_MAPPING);
		}
	}
}

static void nat_process(void *st, struct nf_batch *b, uint64_t now)
{
	struct nat *n = st;
	n->now = now;
	bool from_inside = b->port == n->nc->in_port;
	if (unlikely(!from_inside && b->port != n->nc->out_port)) {
		for (uint16_t i = 0; i < b->n; i++)
			nat_drop(n, b->pkts[i], NAT_DROP_NO_PORT);
		return;
	}
	for (uint16_t i = 0; i < b->n; i += NAT_CHUNK)
		nat_chunk(n, b->pkts + i, (uint16_t)SYS_MIN(NAT_CHUNK, b->n - i), from_inside, now);
}

/* ---- life cycle ----------------------------------------------------------- */
static void nat_expire(void *st, uint64_t now)
{
	struct nat *n = st;
	n->now = now;
	ft_expire(n->ft, now, NAT_EXPIRE_BUDGET, nat_expired, n);
}

/* Sessions survive a reload where their external address and port fit the
 * new pools (the port is taken there); the others end now. */
static void nat_rebind(struct nat *n, struct nat_conf *old, struct nat_conf *nc)
{
	for (int32_t i = ft_next(n->ft, 0); i != FT_MISS; i = ft_next(n->ft, (uint32_t)i + 1)) {
		struct ft_entry *e = ft_entry(n->ft, (uint32_t)i);
		if (e->key.zone != NAT_ZONE_IN)
			continue;
		uint64_t u = e->user;
		int32_t ai = nat_u_addr(u) < old->pool->n
				     ? nat_pool_find(nc->pool, old->pool->a[nat_u_addr(u)].addr)
				     : -1;
		if (ai >= 0 && nat_pool_take(nc->pool, (uint32_t)ai, nat_u_cls(u), nat_u_port(u))) {
			e->user = (u & ~(0xffffull << NAT_U_ADDR_SHIFT)) | (uint64_t)ai << NAT_U_ADDR_SHIFT;
			continue;
		}
		if (nat_u_partner(u) != NAT_NO_PARTNER)
			ft_delete(n->ft, nat_u_partner(u));
		ft_delete(n->ft, (uint32_t)i);
		n->c.sessions_active--;
		n->c.sessions_dropped_by_reload++;
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
	nat_conf_free(old);
	return 0;
}

static void nat_destroy(void *st)
{
	struct nat *n = st;
	if (!n)
		return;
	nat_conf_free(n->nc);
	ft_destroy(n->ft);
	sys_free(n);
}

static void *nat_create(const struct nf_env *env)
{
	struct nat *n = sys_alloc(sizeof(*n), SYS_CACHE_LINE);
	if (!n)
		return NULL;
	n->n_ports = env->n_ports > PORT_MAX ? PORT_MAX : env->n_ports;
	/* Two entries per session; the partner index has 26 bits. */
	uint32_t cap = env->flow_capacity ? env->flow_capacity : 2;
	n->ft = ft_create(SYS_MIN(cap, (uint32_t)NAT_NO_PARTNER));
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
	if (!n->ft || !n->nc) {
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
	.summary = "source NAT (NAPT) for IPv4: pools, port ranges, TCP/UDP/ICMP, ICMP errors",
	.create = nat_create,
	.configure = nat_configure,
	.process = nat_process,
	.expire = nat_expire,
	.stats = nat_stats,
	.destroy = nat_destroy,
};
NF_REGISTER(nat_ops);
