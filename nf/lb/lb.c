/* SPDX-License-Identifier: MIT */
/*
 * lb - an L4 load balancer for IPv4 (DNAT, no source NAT: the backends
 * answer through the balancer).  Connections and their two flow-table
 * entries: lb.h; the config: lb_config.h; backend choice: lb_maglev.h;
 * header rewriting: nf/xlate.h; counters: lb_stats.h.
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
 * Everything else is "non-vip": traffic from the clients to no vip, from
 * the servers outside any connection, IPv6 (no IPv6 vips yet): dropped
 * and counted by reason unless `non-vip pass` (then forwarded untouched
 * to the other side).  Fragments and other protocols addressed to a vip
 * address are dropped (no reassembly).  Non-IP frames pass unless
 * `non-ip drop`.
 */
#include "nf/lb/lb.h"

#include "dataplane/parse.h"
#include "nf/lb/lb_maglev.h"
#include "nf/xlate.h"

#define LB_EXPIRE_BUDGET 4096
#define LB_CHUNK 32
/* The server entry's deadline: as far as the table clamps (flowtable.h). */
#define LB_FAR_NS (1ull << (30 + FT_TICK_SHIFT))

/* ---- verdicts ------------------------------------------------------------- */
static inline void lb_drop(struct lb *l, struct pkt *p, enum lb_drop why)
{
	p->out_port = PKT_DROP;
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

static inline bool lb_live(const struct ft_entry *e, uint64_t now)
{
	return (int32_t)(e->deadline - (uint32_t)(now >> FT_TICK_SHIFT)) > 0;
}

static inline enum lb_tmo lb_tmo(uint64_t u)
{
	if (!(u & LB_U_TCP))
		return LB_TMO_UDP;
	return (u & (LB_U_REPLIED | LB_U_CLOSING)) == LB_U_REPLIED ? LB_TMO_TCP_EST : LB_TMO_TCP_TRANS;
}

/* ---- connections ---------------------------------------------------------- */
static void lb_ended(struct lb *l, uint64_t u)
{
	struct lb_conf *lc = l->lc;
	lc->vips[lb_u_vip(u)].c.active--;
	lc->be[lb_u_be(u)].c.active--;
	l->c.conns_active--;
}

static void lb_expired(void *ctx, uint32_t idx, struct ft_entry *e)
{
	struct lb *l = ctx;
	if (e->key.zone == LB_ZONE_CLIENT) {
		uint32_t partner = lb_u_partner(e->user);
		if (partner != LB_NO_PARTNER)
			ft_delete(l->ft, partner);
		lb_ended(l, e->user);
		l->c.conns_expired++;
		return;
	}
	/* A server entry at its far deadline: file it again while its
	 * connection lives, else unlink it from the client entry. */
	struct ft_entry *cl = ft_entry(l->ft, (uint32_t)e->user);
	if (lb_u_partner(cl->user) != idx)
		return;
	uint64_t partner = LB_NO_PARTNER;
	if (lb_live(cl, l->now)) {
		int32_t ni = ft_insert(l->ft, &e->key, e->hash, l->now, LB_FAR_NS, e->user);
		if (ni >= 0)
			partner = (uint32_t)ni;
	}
	cl->user = (cl->user & ~LB_U_PARTNER_MASK) | partner;
}

static int32_t lb_insert(struct lb *l, const struct flow_key *k, uint32_t hash, uint64_t now,
			 uint64_t tmo_ns, uint64_t user)
{
	int32_t idx = ft_insert(l->ft, k, hash, now, tmo_ns, user);
	if (unlikely(idx == -SYS_ENOSPC) && ft_expire(l->ft, now, LB_EXPIRE_BUDGET, lb_expired, l))
		idx = ft_insert(l->ft, k, hash, now, tmo_ns, user);
	return idx;
}

/* A new connection for client packet `p` (key k): pick a backend, file
 * both entries.  Returns the client entry's index; -1 if `p` was decided
 * here (dropped or passed). */
static int32_t lb_new(struct lb *l, struct pkt *p, const struct flow_key *k, uint32_t hash,
		      uint64_t now)
{
	struct lb_conf *lc = l->lc;
	int32_t vi = lb_conf_vip(lc, k->dst.v4, k->dport, k->proto);
	if (vi < 0) {
		lb_other(l, p, true, LB_DROP_NON_VIP);
		return -1;
	}
	struct lb_vip *v = &lc->vips[vi];
	uint32_t th = lb_tuple_hash(sys_be32(k->src.v4), sys_be32(k->dst.v4), sys_be16(k->sport),
				    sys_be16(k->dport), k->proto);
	uint16_t bi = v->table[lb_maglev_slot(th, v->m)];
	if (bi == LB_MAGLEV_EMPTY) {
		lb_drop(l, p, LB_DROP_NO_BACKEND);
		return -1;
	}
	struct lb_backend *be = &lc->be[bi];
	uint64_t u = LB_NO_PARTNER | (k->proto == IPPROTO_TCP_ ? LB_U_TCP : 0) |
		     (uint64_t)vi << LB_U_VIP_SHIFT | (uint64_t)bi << LB_U_BE_SHIFT;
	uint64_t tmo_ns = (uint64_t)lc->tmo_sec[lb_tmo(u)] * 1000000000ull;
	int32_t ci = lb_insert(l, k, hash, now, tmo_ns, u);
	struct flow_key sk = *k;
	sk.dst.v4 = be->addr;
	sk.dport = be->port;
	sk.zone = LB_ZONE_SERVER;
	int32_t si = ci >= 0 ? lb_insert(l, &sk, flow_hash(&sk), now, LB_FAR_NS, (uint64_t)ci) : ci;
	if (si < 0) {
		if (ci >= 0)
			ft_delete(l->ft, (uint32_t)ci);
		/* -SYS_EEXIST: this client port already talks to this backend
		 * through another vip. */
		lb_drop(l, p, si == -SYS_ENOSPC ? LB_DROP_TABLE_FULL : LB_DROP_TUPLE_CLASH);
		return -1;
	}
	struct ft_entry *e = ft_entry(l->ft, (uint32_t)ci);
	e->user = (e->user & ~LB_U_PARTNER_MASK) | (uint32_t)si;
	v->c.conns++;
	v->c.active++;
	be->c.conns++;
	be->c.active++;
	l->c.conns_created++;
	l->c.conns_active++;
	return ci;
}

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

/* A client packet of connection `idx`: step, refresh, rewrite, send. */
static inline void lb_to_server(struct lb *l, struct pkt *p, uint32_t idx, uint64_t now)
{
	struct lb_conf *lc = l->lc;
	struct ft_entry *e = ft_entry(l->ft, idx);
	uint64_t u = e->user;
	if (u & LB_U_TCP)
		e->user = u = xlate_tcp_step(u, ((const struct tcp_hdr *)pkt_l4(p))->flags, false,
					     LB_U_REPLIED, LB_U_CLOSING);
	ft_touch(e, now, lc->tmo_ticks[lb_tmo(u)]);
	if (!lb_send(l, p, lc->server_port))
		return;
	struct lb_backend *be = &lc->be[lb_u_be(u)];
	xlate_rewrite(p, false, be->addr, be->port);
	lb_count(&be->c, true, p->len);
	lb_count(&lc->vips[lb_u_vip(u)].c, true, p->len);
	l->c.to_servers++;
}

/* A server packet that matched server entry `idx` as a reply. */
static inline void lb_to_client(struct lb *l, struct pkt *p, uint32_t idx, uint64_t now)
{
	struct lb_conf *lc = l->lc;
	uint32_t ci = (uint32_t)ft_entry(l->ft, idx)->user;
	struct ft_entry *e = ft_entry(l->ft, ci);
	uint64_t u = e->user;
	if (unlikely(!lb_live(e, now) || lb_u_partner(u) != idx)) {
		lb_other(l, p, false, LB_DROP_NO_CONNECTION);
		return;
	}
	if (u & LB_U_TCP)
		u = xlate_tcp_step(u, ((const struct tcp_hdr *)pkt_l4(p))->flags, true, LB_U_REPLIED,
				   LB_U_CLOSING);
	else
		u |= LB_U_REPLIED;
	e->user = u;
	ft_touch(e, now, lc->tmo_ticks[lb_tmo(u)]);
	if (!lb_send(l, p, lc->client_port))
		return;
	xlate_rewrite(p, true, e->key.dst.v4, e->key.dport);
	lb_count(&lc->be[lb_u_be(u)].c, false, p->len);
	lb_count(&lc->vips[lb_u_vip(u)].c, false, p->len);
	l->c.to_clients++;
}

/* ---- ICMP errors ---------------------------------------------------------- */
/* From the servers' side, about a packet we sent to a backend: the quote
 * is client -> backend:bport.  It becomes client -> vip:vport, and an
 * error the backend itself sent comes from the vip. */
static bool lb_icmp_error_from_servers(struct lb *l, struct pkt *p, const struct xlate_inner *q,
				       uint64_t now)
{
	struct flow_key k = q->key;
	k.zone = LB_ZONE_SERVER;
	int dir;
	int32_t idx = ft_lookup(l->ft, &k, flow_hash(&k), now, &dir);
	const uint8_t *oip = pkt_l3(p);
	if (idx < 0 || dir != FT_DIR_ORIG || sys_ld32(oip + 16) != k.src.v4)
		return false;
	struct ft_entry *cl = ft_entry(l->ft, (uint32_t)ft_entry(l->ft, (uint32_t)idx)->user);
	if (!lb_live(cl, now) || lb_u_partner(cl->user) != (uint32_t)idx)
		return false;
	if (!lb_send(l, p, l->lc->client_port))
		return true;
	uint32_t osrc = sys_ld32(oip + 12);
	uint32_t vip = cl->key.dst.v4;
	xlate_icmp_rewrite(p, q, true, osrc == k.dst.v4 ? vip : osrc, false, vip, cl->key.dport);
	l->c.icmp_errors_to_clients++;
	return true;
}

/* From the clients' side, about a reply we sent: the quote is
 * vip:vport -> client, addressed to the vip.  Both become the backend's. */
static bool lb_icmp_error_from_clients(struct lb *l, struct pkt *p, const struct xlate_inner *q,
				       uint64_t now)
{
	struct flow_key k = q->key;
	k.zone = LB_ZONE_CLIENT;
	int dir;
	int32_t idx = ft_lookup(l->ft, &k, flow_hash(&k), now, &dir);
	const uint8_t *oip = pkt_l3(p);
	if (idx < 0 || dir != FT_DIR_REPLY || sys_ld32(oip + 16) != k.src.v4)
		return false;
	const struct lb_backend *be = &l->lc->be[lb_u_be(ft_entry(l->ft, (uint32_t)idx)->user)];
	if (!lb_send(l, p, l->lc->server_port))
		return true;
	xlate_icmp_rewrite(p, q, false, be->addr, true, be->addr, be->port);
	l->c.icmp_errors_to_servers++;
	return true;
}

/* ---- per packet ----------------------------------------------------------- */
/* Everything but unfragmented IPv4 TCP and UDP; true if `p` was decided. */
static bool lb_cold(struct lb *l, struct pkt *p, bool from_clients, uint64_t now)
{
	const struct lb_conf *lc = l->lc;
	if (p->l3 != PKT_L3_IPV4) {
		if (p->l3 == PKT_L3_IPV6) {
			lb_other(l, p, from_clients, LB_DROP_IPV6);
		} else if (!lc->non_ip_pass) {
			lb_drop(l, p, LB_DROP_NON_IP);
		} else if (lb_send(l, p, from_clients ? lc->server_port : lc->client_port)) {
			l->c.passed++;
		}
		return true;
	}
	bool l4 = (p->flags & PKT_F_L4) && !(p->flags & PKT_F_FRAG);
	if (l4 && (p->l4_proto == IPPROTO_TCP_ || p->l4_proto == IPPROTO_UDP_))
		return false;
	struct xlate_inner q;
	if (l4 && p->l4_proto == IPPROTO_ICMP_ && xlate_icmp_inner(p, &q) &&
	    (from_clients ? lb_icmp_error_from_clients(l, p, &q, now)
			  : lb_icmp_error_from_servers(l, p, &q, now)))
		return true;
	if (from_clients && lb_conf_is_vip_addr(lc, sys_ld32(pkt_l3(p) + 16)))
		lb_drop(l, p, (p->flags & PKT_F_FRAG) ? LB_DROP_FRAGMENT : LB_DROP_UNSUPPORTED);
	else
		lb_other(l, p, from_clients, from_clients ? LB_DROP_NON_VIP : LB_DROP_NO_CONNECTION);
	return true;
}

static void lb_chunk(struct lb *l, struct pkt **pkts, uint16_t cnt, bool from_clients,
		     uint64_t now)
{
	struct flow_key keys[LB_CHUNK];
	const struct flow_key *kp[LB_CHUNK];
	uint32_t hashes[LB_CHUNK];
	int32_t idx[LB_CHUNK];
	uint8_t which[LB_CHUNK];
	uint32_t m = 0;
	uint16_t zone = from_clients ? LB_ZONE_CLIENT : LB_ZONE_SERVER;
	for (uint16_t i = 0; i < cnt; i++) {
		struct pkt *p = pkts[i];
		if (unlikely(lb_cold(l, p, from_clients, now)))
			continue;
		kp[m] = &keys[m];
		xlate_key_v4(p, zone, &keys[m], &hashes[m]);
		which[m++] = (uint8_t)i;
	}
	if (!m)
		return;
	ft_lookup_bulk(l->ft, kp, hashes, m, now, idx);
	/* Once the chunk has created a connection (or reaped expired ones),
	 * later packets are looked up again: they may be the new one's. */
	bool changed = false;
	for (uint32_t j = 0; j < m; j++) {
		struct pkt *p = pkts[which[j]];
		int32_t x = idx[j];
		int dir = FT_DIR_ORIG;
		if (unlikely(changed))
			x = ft_lookup(l->ft, &keys[j], hashes[j], now, &dir);
		else if (likely(x >= 0))
			dir = flow_key_eq(&ft_entry(l->ft, (uint32_t)x)->key, &keys[j]) ? FT_DIR_ORIG
											 : FT_DIR_REPLY;
		if (from_clients) {
			if (likely(x >= 0 && dir == FT_DIR_ORIG)) {
				lb_to_server(l, p, (uint32_t)x, now);
			} else if (x >= 0) {
				/* a client sending from vip:vport to itself */
				lb_other(l, p, true, LB_DROP_NON_VIP);
			} else {
				uint64_t before = l->c.conns_expired;
				int32_t ci = lb_new(l, p, &keys[j], hashes[j], now);
				if (ci >= 0) {
					changed = true;
					lb_to_server(l, p, (uint32_t)ci, now);
				}
				changed |= l->c.conns_expired != before;
			}
		} else if (likely(x >= 0 && dir == FT_DIR_REPLY)) {
			lb_to_client(l, p, (uint32_t)x, now);
		} else {
			lb_other(l, p, false, LB_DROP_NO_CONNECTION);
		}
	}
}

static void lb_process(void *st, struct nf_batch *b, uint64_t now)
{
	struct lb *l = st;
	l->now = now;
	bool from_clients = b->port == l->lc->client_port;
	if (unlikely(!from_clients && b->port != l->lc->server_port)) {
		for (uint16_t i = 0; i < b->n; i++)
			lb_drop(l, b->pkts[i], LB_DROP_NO_PORT);
		return;
	}
	for (uint16_t i = 0; i < b->n; i += LB_CHUNK)
		lb_chunk(l, b->pkts + i, (uint16_t)SYS_MIN(LB_CHUNK, b->n - i), from_clients, now);
}

/* ---- life cycle ----------------------------------------------------------- */
static void lb_expire(void *st, uint64_t now)
{
	struct lb *l = st;
	l->now = now;
	ft_expire(l->ft, now, LB_EXPIRE_BUDGET, lb_expired, l);
}

/* The backend of new vip `nvi` that carries on old backend `ob`: the same
 * address and port if configured, else a draining copy (weight 0, in no
 * table).  -1 if there is no room for one. */
static int32_t lb_carry_backend(struct lb_conf *nc, uint32_t nvi, const struct lb_backend *ob)
{
	int32_t bi = lb_conf_backend(nc, nvi, ob->addr, ob->port);
	if (bi >= 0 || nc->n_be == LB_BE_SLOTS)
		return bi;
	nc->be[nc->n_be] = *ob;
	nc->be[nc->n_be].vip = (uint16_t)nvi;
	nc->be[nc->n_be].weight = 0;
	nc->be[nc->n_be].draining = true;
	nc->be[nc->n_be].c.active = 0;
	return (int32_t)nc->n_be++;
}

/* Connections survive a reload while their vip does (same address,
 * protocol and port), on the backend they had - configured or draining. */
static void lb_rebind(struct lb *l, struct lb_conf *old, struct lb_conf *nc)
{
	for (uint32_t v = 0; v < nc->n_vips; v++) {
		struct lb_vip *nv = &nc->vips[v];
		int32_t ov = lb_conf_vip(old, nv->addr, nv->port, nv->proto);
		if (ov >= 0)
			nv->c = old->vips[ov].c;
		nv->c.active = 0;
	}
	for (uint32_t i = 0; i < nc->n_be; i++) {
		struct lb_backend *nb = &nc->be[i];
		const struct lb_vip *nv = &nc->vips[nb->vip];
		int32_t ov = lb_conf_vip(old, nv->addr, nv->port, nv->proto);
		int32_t ob = ov >= 0 ? lb_conf_backend(old, (uint32_t)ov, nb->addr, nb->port) : -1;
		if (ob >= 0)
			nb->c = old->be[ob].c;
		nb->c.active = 0;
	}
	for (int32_t i = ft_next(l->ft, 0); i != FT_MISS; i = ft_next(l->ft, (uint32_t)i + 1)) {
		struct ft_entry *e = ft_entry(l->ft, (uint32_t)i);
		if (e->key.zone != LB_ZONE_CLIENT)
			continue;
		uint64_t u = e->user;
		const struct lb_vip *ov = &old->vips[lb_u_vip(u)];
		int32_t nvi = lb_conf_vip(nc, ov->addr, ov->port, ov->proto);
		int32_t nbi = nvi >= 0 ? lb_carry_backend(nc, (uint32_t)nvi, &old->be[lb_u_be(u)]) : -1;
		if (nbi >= 0) {
			e->user = lb_u_rebind(u, (uint32_t)nvi, (uint32_t)nbi);
			nc->vips[nvi].c.active++;
			nc->be[nbi].c.active++;
			continue;
		}
		if (lb_u_partner(u) != LB_NO_PARTNER)
			ft_delete(l->ft, lb_u_partner(u));
		ft_delete(l->ft, (uint32_t)i);
		l->c.conns_active--;
		l->c.conns_dropped_by_reload++;
	}
}

static int lb_configure(void *st, const struct cfg *cfg, struct cfg_errors *errs)
{
	struct lb *l = st;
	struct lb_conf *lc;
	int rc = lb_conf_compile(cfg, errs, &lc);
	if (rc)
		return rc;
	/* Built whole; nothing below can fail. */
	struct lb_conf *old = l->lc;
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
	ft_destroy(l->ft);
	sys_free(l);
}

static void *lb_create(const struct nf_env *env)
{
	struct lb *l = sys_alloc(sizeof(*l), SYS_CACHE_LINE);
	if (!l)
		return NULL;
	memset(l, 0, sizeof(*l));
	l->n_ports = env->n_ports > PORT_MAX ? PORT_MAX : env->n_ports;
	/* Two entries per connection; the partner index has 26 bits. */
	uint32_t cap = env->flow_capacity ? env->flow_capacity : 2;
	l->ft = ft_create(SYS_MIN(cap, (uint32_t)LB_NO_PARTNER));
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
	if (!l->ft || !l->lc) {
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
	.summary = "L4 load balancer for IPv4: vips, Maglev-hashed weighted backends, TCP/UDP",
	.create = lb_create,
	.configure = lb_configure,
	.process = lb_process,
	.expire = lb_expire,
	.stats = lb_stats,
	.destroy = lb_destroy,
};
NF_REGISTER(lb_ops);
