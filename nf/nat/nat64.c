/* SPDX-License-Identifier: MIT */
/* nat64.c - the NAT's NAT64 mode: sessions and verdicts (see nat64.h);
 * the header translation is nf/xlate64.c. */
#include "nf/nat/nat64.h"

#include "dataplane/csum.h"
#include "nf/xlate64.h"

/* A translation that failed after the verdict was set. */
static void nat64_failed(struct nat *n, struct pkt *p, int rc)
{
	nat_drop(n, p, rc == XLATE64_NO_ROOM ? NAT_DROP_NAT64_NO_ROOM
			   : rc == XLATE64_ICMP  ? NAT_DROP_NAT64_ICMP
						 : NAT_DROP_UNSUPPORTED);
}

/* The IPv4 identification of the next IPv6 -> IPv4 packet (RFC 7915 5.1:
 * the translator's generator; a counter). */
static inline uint16_t nat64_ip_id(struct nat *n)
{
	return ++n->ip_id;
}

/* From the inside: an ICMPv6 error about a reply we translated (the quote
 * is PREFIX+remote -> host, the error goes back to the remote). */
static void nat64_icmp_error_hairpin(struct nat *n, struct pkt *p, const struct xlate_inner *q,
				     uint64_t now);

static void nat64_icmp_error_out(struct nat *n, struct pkt *p, uint64_t now)
{
	const struct nat_conf *nc = n->nc;
	const uint8_t *ip = pkt_l3(p);
	struct xlate_inner q;
	if (!xlate64_icmp6_inner(p, &q)) {
		nat_drop(n, p, NAT_DROP_UNSUPPORTED);
		return;
	}
	if (!csum_verify(p)) {
		nat_drop(n, p, NAT_DROP_BAD_CHECKSUM);
		return;
	}
	/* The quote came from PREFIX + one of our own addresses:
	 * hairpinned. */
	if (memcmp(ip + 24, q.key.src.v6, 16) == 0 && xlate64_match(&nc->pref64, q.key.src.v6) &&
	    nat_pool_find(nc->pool, xlate64_extract(&nc->pref64, q.key.src.v6)) >= 0) {
		nat64_icmp_error_hairpin(n, p, &q, now);
		return;
	}
	int32_t idx = conn2_lookup_quote(&n->cn, &q, NAT_ZONE_IN, FT_DIR_REPLY, now);
	if (idx < 0 || memcmp(ip + 24, q.key.src.v6, 16) != 0) {
		nat_drop(n, p, NAT_DROP_NO_MAPPING);
		return;
	}
	uint64_t u = ft_entry(n->cn.ft, (uint32_t)idx)->user;
	if (!nat_send(n, p, nc->out_port))
		return;
	uint32_t ext = nc->pool->a[nat_u_addr(u)].addr;
	uint32_t remote = xlate64_extract(&nc->pref64, q.key.src.v6);
	int rc = xlate64_icmp_6to4(p, &q, ext, remote, remote, ext, sys_be16(nat_u_port(u)),
				   nat64_ip_id(n));
	if (rc) {
		nat64_failed(n, p, rc);
		return;
	}
	n->c.icmp_errors_out++;
}

/* ---- hairpinning (RFC 6146 3.8) --------------------------------------------- */
/* IPv6 packet `p` (TCP, UDP or ICMPv6 echo with its header, no extension
 * header) from src:sport to dst:dport, hop limit one less, its transport
 * checksum following every change (the pseudo-header's addresses too). */
static void nat64_rewrite6_at(uint8_t *ip, uint8_t *l4, uint32_t avail, uint8_t proto,
			      const uint8_t src[16], uint16_t sport, const uint8_t dst[16],
			      uint16_t dport)
{
	const uint32_t so = proto == IPPROTO_TCP_ ? 16 : proto == IPPROTO_UDP_ ? 6 : 2;
	uint16_t sum = avail >= so + 2 ? sys_ld16(l4 + so) : 0;
	sum = csum_update128(sum, ip + 8, src);
	sum = csum_update128(sum, ip + 24, dst);
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
	if (proto == IPPROTO_ICMPV6_) {
		sum = csum_update16(sum, sys_ld16(l4 + 4), sport); /* the identifier */
		sys_st16(l4 + 4, sport);
	} else {
		sum = csum_update16(sum, sys_ld16(l4), sport);
		sum = csum_update16(sum, sys_ld16(l4 + 2), dport);
		sys_st16(l4, sport);
		sys_st16(l4 + 2, dport);
		if (proto == IPPROTO_UDP_ && sum == 0)
			sum = 0xffff;
	}
	if (avail >= so + 2) /* else a quote cut before the checksum */
		sys_st16(l4 + so, sum);
}

static void nat64_rewrite6(struct pkt *p, const uint8_t src[16], uint16_t sport,
			   const uint8_t dst[16], uint16_t dport)
{
	uint8_t *ip = pkt_l3(p);
	nat64_rewrite6_at(ip, pkt_l4(p), p->l3_len - (uint32_t)(p->l4_off - p->l3_off),
			  p->l4_proto, src, sport, dst, dport);
	/* As translated to IPv4 and back: flow label 0 (RFC 7915 4.1). */
	sys_st32(ip, sys_ld32(ip) & sys_be32(0xfff00000u));
	ip[7]--;
}

/*
 * An inside IPv6 packet of hairpinned session `e` (RFC 6146 3.8): to
 * PREFIX + E2 (dst4, one of our pool addresses), port p2, which is the
 * external endpoint of another IPv6 inside host's mapping.  As NAT44
 * hairpinning (nat.c) does it: the target T:t behind E2:p2 gets the packet
 * from the sender's external endpoint, PREFIX + E1 : p1 (the session's), as
 * IPv6, back out of the inside port; it passes only if T has a live
 * session to that endpoint (filtering address-and-port-dependent), which
 * it refreshes as an answer.  An echo request goes to the target its
 * session opened with (nat_hairpin_query_key), its answer comes back
 * through nat64_hairpin_answer.  The translation to IPv4 and back that RFC
 * 6146 describes is done as one IPv6 rewrite, the hop limit decremented
 * once (one router).  Only IPv6 hosts' mappings are targets: an IPv4 inside
 * host's endpoint is no_mapping, as is an endpoint nobody holds.  True if
 * it was sent (false: dropped, counted).
 */
static bool nat64_hairpin(struct nat *n, struct pkt *p, const struct ft_entry *e, uint32_t dst4,
			  uint64_t now)
{
	const struct nat_conf *nc = n->nc;
	const uint64_t u = e->user;
	const unsigned cls = nat_u_cls(u);
	uint8_t from[16];
	xlate64_embed(&nc->pref64, nc->pool->a[nat_u_addr(u)].addr, from);
	const uint16_t sport = sys_be16(nat_u_port(u));
	union flow_addr to;
	uint16_t dport = 0;
	if (cls == NAT_CLS_ICMP) {
		const struct ft_entry *s = ft_entry(n->cn.ft, conn2_partner(u));
		if (s->key.zone != NAT_ZONE_HAIRPIN) { /* a reload made its remote ours */
			nat_drop(n, p, NAT_DROP_NO_MAPPING);
			return false;
		}
		to = s->key.dst;
	} else {
		int32_t ai = nat_pool_find(nc->pool, dst4);
		const uint16_t p2 = sys_ld16(pkt_l4(p) + 2);
		struct nat_map_ent *m =
			ai < 0 ? NULL
			       : nat_map_find_ext(&n->map, (uint32_t)ai, sys_be16(p2), cls | NAT_MAP_V6);
		int32_t x = FT_MISS;
		int dir = -1;
		if (m) {
			/* The target's session to the sender, as it would send it. */
			struct flow_key t = e->key;
			t.src = m->int_addr;
			t.sport = sys_be16(m->int_port);
			memcpy(t.dst.v6, from, 16);
			t.dport = sport;
			t.zone = NAT_ZONE_IN;
			x = ft_lookup(n->cn.ft, &t, flow_hash(&t), now, &dir);
		}
		if (x < 0 || dir != FT_DIR_ORIG) {
			nat_drop(n, p, NAT_DROP_NO_MAPPING);
			return false;
		}
		nat_step(n, ft_entry(n->cn.ft, (uint32_t)x), p, true, now);
		to = m->int_addr;
		dport = sys_be16(m->int_port);
	}
	if (!nat_send(n, p, nc->in_port))
		return false;
	nat64_rewrite6(p, from, sport, to.v6, dport);
	n->c.translated_out++;
	n->c.hairpinned++;
	return true;
}

/* An ICMPv6 echo reply from the inside to PREFIX + one of our addresses:
 * the target of a hairpinned echo request answering the sender's external
 * endpoint, which the request's session's second entry is as the target
 * got it.  Back to the sender from the address it asked, with its
 * identifier. */
static void nat64_hairpin_answer(struct nat *n, struct pkt *p, uint64_t now)
{
	struct ft_entry *f = nat_hairpin_query_of(n, p, now);
	if (!f || f->key.family == FLOW_FAMILY_V4) {
		nat_drop(n, p, NAT_DROP_NO_MAPPING);
		return;
	}
	nat_step(n, f, p, true, now);
	if (!nat_send(n, p, n->nc->in_port))
		return;
	nat64_rewrite6(p, f->key.dst.v6, f->key.sport, f->key.src.v6, 0);
	n->c.translated_out++;
	n->c.hairpinned++;
}

/*
 * From the inside, an ICMPv6 error about a hairpinned packet (as NAT44's
 * nat_icmp_error_hairpin, nat.c): the quote is the packet as the erring
 * host H got it, from PREFIX + the sender's external endpoint.  Back
 * inside to the sender S as from H's external endpoint, the quote as S
 * sent it, its transport checksum following; outer hop limit one less,
 * the ICMPv6 checksum computed whole (the incoming one was verified).
 */
static void nat64_icmp_error_hairpin(struct nat *n, struct pkt *p, const struct xlate_inner *q,
				     uint64_t now)
{
	const struct nat_conf *nc = n->nc;
	uint8_t e_h[16], s_addr[16];
	uint16_t h_port = 0, s_port = 0;
	bool ok = false;
	if (q->key.proto != IPPROTO_ICMPV6_) {
		int32_t x = conn2_lookup_quote(&n->cn, q, NAT_ZONE_IN, FT_DIR_REPLY, now);
		int32_t ai = nat_pool_find(nc->pool, xlate64_extract(&nc->pref64, q->key.src.v6));
		unsigned cls = (q->key.proto == IPPROTO_TCP_ ? NAT_CLS_TCP : NAT_CLS_UDP) | NAT_MAP_V6;
		struct nat_map_ent *m =
			ai < 0 ? NULL
			       : nat_map_find_ext(&n->map, (uint32_t)ai, sys_be16(q->key.sport), cls);
		uint64_t u = x >= 0 ? ft_entry(n->cn.ft, (uint32_t)x)->user : 0;
		if (m && (u & NAT_U_HAIRPIN)) {
			xlate64_embed(&nc->pref64, nc->pool->a[nat_u_addr(u)].addr, e_h);
			h_port = sys_be16(nat_u_port(u));
			memcpy(s_addr, m->int_addr.v6, 16);
			s_port = sys_be16(m->int_port);
			ok = true;
		}
	} else if (flow_icmp_tag_is_request(q->key.dport)) {
		/* H was asked: the query session's second entry. */
		int32_t x = conn2_lookup_quote(&n->cn, q, NAT_ZONE_HAIRPIN, FT_DIR_ORIG, now);
		const struct ft_entry *f =
			x >= 0 ? conn2_first_of(&n->cn, (uint32_t)x, conn2_tick(now)) : NULL;
		if (f && f->key.family == FLOW_FAMILY_V6) {
			memcpy(e_h, f->key.dst.v6, 16);
			memcpy(s_addr, f->key.src.v6, 16);
			h_port = s_port = f->key.sport;
			ok = true;
		}
	} else {
		/* H asked: its own query session. */
		int32_t x = conn2_lookup_quote(&n->cn, q, NAT_ZONE_IN, FT_DIR_REPLY, now);
		const struct ft_entry *f = x >= 0 ? ft_entry(n->cn.ft, (uint32_t)x) : NULL;
		const struct ft_entry *s =
			f && (f->user & NAT_U_HAIRPIN) ? ft_entry(n->cn.ft, conn2_partner(f->user)) : NULL;
		if (s && s->key.zone == NAT_ZONE_HAIRPIN) {
			memcpy(e_h, s->key.src.v6, 16);
			memcpy(s_addr, s->key.dst.v6, 16);
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
	uint8_t *ip = pkt_l3(p), *ic = pkt_l4(p);
	nat64_rewrite6_at(p->data + q->ip, p->data + q->l4, q->avail, q->key.proto, s_addr, s_port,
			  e_h, h_port);
	memcpy(ip + 8, e_h, 16);
	memcpy(ip + 24, s_addr, 16);
	ip[7]--;
	uint32_t plen = p->l3_len - XLATE64_V6_HLEN;
	sys_st16(ic + 2, 0);
	sys_st16(ic + 2, csum_fold(csum_partial(ic, plen, csum_pseudo_v6(e_h, s_addr,
									  IPPROTO_ICMPV6_, plen))));
	n->c.icmp_errors_out++;
	n->c.hairpinned++;
}

/* (nat64.h) Out of line: no packet of an established session has them. */
__attribute__((noinline)) enum conn2_cold nat64_cold_ext(struct nat *n, struct pkt *p,
							    uint64_t now)
{
	p->nf_data = 0; /* not a noted first fragment (nat_frag_burst_end_) */
	if (!xlate64_match(&n->nc->pref64, pkt_l3(p) + 24))
		return CONN2_IN_TURN; /* nat64_out: not_prefix, or `ipv6 pass` as it came */
	if (p->flags & PKT_F_FRAG) {
		/* A later one decided, a first one in its turn (nat_frag.h). */
		const uint8_t *fh = xlate64_frag_hdr(p);
		if (!fh) { /* cannot happen: the parser flagged one */
			nat_drop(n, p, NAT_DROP_NAT64_FRAGMENT);
			return CONN2_DECIDED;
		}
		return nat_frag_cold6(n, p, fh, now) ? CONN2_DECIDED : CONN2_IN_TURN;
	}
	switch (xlate64_skip_ext(p)) {
	case XLATE64_EXT_OK:
		n->c.nat64_ext_skipped++;
		return nat64_cold(n, p, now);
	case XLATE64_EXT_ROUTE:
		nat64_route_refuse(n, p, now);
		return CONN2_DECIDED;
	default:
		nat_drop(n, p, NAT_DROP_NAT64_IPV6_EXT);
		return CONN2_DECIDED;
	}
}

void nat64_route_refuse(struct nat *n, struct pkt *p, uint64_t now)
{
	int at = xlate64_route_pointer(p);
	if (at >= 0 && nat_icmp_error(n, p, 4, 0, sys_be32((uint32_t)at), now) == NF_REPLY_SENT)
		n->c.nat64_param_problem_sent++;
	nat_drop(n, p, NAT_DROP_NAT64_IPV6_ROUTE);
}

/* Why inside IPv6 packet `p` is not translated, the first reason of the
 * order nat64.h gives; NAT_DROP_COUNT if it is (*dst: its IPv4
 * destination), an ICMPv6 error (type < 128) included. */
static enum nat_drop nat64_out_check(const struct nat_conf *nc, const struct pkt *p,
				     uint32_t *dst)
{
	const uint8_t *ip = pkt_l3(p);
	if (!xlate64_match(&nc->pref64, ip + 24))
		return NAT_DROP_NAT64_NOT_PREFIX;
	*dst = xlate64_extract(&nc->pref64, ip + 24);
	if (p->flags & PKT_F_FRAG_LATER) /* cannot happen: nat_frag_cold6 decides them */
		return NAT_DROP_NAT64_FRAGMENT;
	if (p->flags & PKT_F_IPV6_EXT)
		return NAT_DROP_NAT64_IPV6_EXT;
	if (xlate64_match(&nc->pref64, ip + 8) || !xlate64_v4_ok(&nc->pref64, *dst))
		return NAT_DROP_NAT64_BAD_ADDR;
	if (ip[7] <= 1)
		return NAT_DROP_NAT64_HOP_LIMIT;
	if (!(p->flags & PKT_F_L4))
		return NAT_DROP_UNSUPPORTED;
	const uint8_t *l4 = pkt_l4(p);
	switch (p->l4_proto) {
	case IPPROTO_TCP_:
		return NAT_DROP_COUNT;
	case IPPROTO_UDP_: /* RFC 8200 8.1: no checksum is not allowed */
		return sys_ld16(l4 + 6) ? NAT_DROP_COUNT : NAT_DROP_BAD_CHECKSUM;
	case IPPROTO_ICMPV6_:
		/* Echo requests and errors; an echo reply opens nothing; ND,
		 * MLD... stay inside. */
		/* An echo reply only answers a hairpinned request
		 * (nat64_hairpin_answer). */
		return l4[0] <= 128 ? NAT_DROP_COUNT
		       : l4[0] == 129 ? (nat_pool_find(nc->pool, *dst) >= 0 ? NAT_DROP_COUNT
									   : NAT_DROP_UNSUPPORTED)
				      : NAT_DROP_ICMP_UNKNOWN;
	default:
		return NAT_DROP_UNSUPPORTED;
	}
}

void nat64_out(struct nat *n, struct pkt *p, const struct flow_key *k, uint32_t hash, int32_t x,
	       int dir, uint64_t now)
{
	const struct nat_conf *nc = n->nc;
	uint32_t dst = 0;
	enum nat_drop why = nat64_out_check(nc, p, &dst);
	if (why == NAT_DROP_NAT64_NOT_PREFIX && nc->ipv6_pass) {
		nat_other(n, p, nc->out_port);
		return;
	}
	if (why != NAT_DROP_COUNT) {
		nat_drop(n, p, why);
		return;
	}
	struct flow_key fk;
	const bool frag = p->flags & PKT_F_FRAG;
	if (frag) {
		/* A first fragment, left in turn (nat_frag_cold6): keyed here. */
		if (flow_key_from_pkt(p, NAT_ZONE_IN, &fk) != 0) {
			nat_drop(n, p, NAT_DROP_UNSUPPORTED);
			return;
		}
		k = &fk;
		hash = flow_hash(&fk);
		x = ft_lookup(n->cn.ft, &fk, hash, now, &dir);
	} else if (!k) {
		/* Not keyed (nat64_cold), yet it passed: an ICMPv6 error, or
		 * the answer to a hairpinned echo request. */
		if (p->l4_proto == IPPROTO_ICMPV6_ && pkt_l4(p)[0] == 129)
			nat64_hairpin_answer(n, p, now);
		else
			nat64_icmp_error_out(n, p, now);
		return;
	}
	if (x >= 0 && dir != FT_DIR_ORIG) {
		nat_drop(n, p, NAT_DROP_INVALID); /* inside host posing as the remote */
		return;
	}
	if (x < 0) {
		/* The outside key: pool address:port (nat_new's) -> dst. */
		uint8_t proto = k->proto == IPPROTO_ICMPV6_ ? IPPROTO_ICMP_ : k->proto;
		struct flow_key ok;
		memset(&ok, 0, sizeof(ok));
		ok.family = FLOW_FAMILY_V4;
		ok.proto = proto;
		ok.dst.v4 = dst;
		ok.dport = proto == IPPROTO_ICMP_ ? flow_icmp_tag(IPPROTO_ICMP_, 8) : k->dport;
		if (nat_pool_find(nc->pool, dst) >= 0)
			ok.zone = NAT_ZONE_HAIRPIN; /* nat_open: a hairpinned session */
		if ((x = nat_new(n, p, k, hash, now, &ok)) < 0)
			return;
	}
	struct ft_entry *e = ft_entry(n->cn.ft, (uint32_t)x);
	nat_step(n, e, p, false, now);
	if (unlikely(e->user & NAT_U_HAIRPIN)) {
		/* A first fragment leaves as one again, as translated to IPv4
		 * and back: the datagram's 16-bit identification; its later
		 * fragments follow (nat_frag.h, NAT_FRAG_XL_66). */
		int rc;
		if (nat64_hairpin(n, p, e, dst, now) && frag &&
		    (rc = xlate64_v6_first_frag(p, nat_frag_id4(&n->frag, p))))
			nat64_failed(n, p, rc);
		return;
	}
	if (!nat_send(n, p, nc->out_port))
		return;
	uint64_t u = e->user;
	/* A fragment keeps its datagram's identification (RFC 7915 5.1.1). */
	const uint16_t fid = frag ? nat_frag_id4(&n->frag, p) : 0;
	int rc = xlate64_6to4(p, nc->pool->a[nat_u_addr(u)].addr, dst, sys_be16(nat_u_port(u)),
			      frag ? sys_be16(fid) : nat64_ip_id(n));
	if (rc) {
		nat64_failed(n, p, rc);
		return;
	}
	if (frag)
		xlate64_v4_first_frag(p, fid);
	n->c.translated_out++;
	n->c.nat64_out++;
}

uint64_t nat64_rebind_user(const struct nat_conf *nc, const struct ft_entry *e)
{
	uint32_t remote = xlate64_extract(&nc->pref64, e->key.dst.v6);
	uint64_t u = e->user & ~NAT_U_HAIRPIN;
	return nat_pool_find(nc->pool, remote) >= 0 ? u | NAT_U_HAIRPIN : u;
}

/* What stops an IPv4 packet from the outside on its way to IPv6. */
static enum nat_drop nat64_v4_check(const struct pkt *p)
{
	/* A first fragment (the later ones are nat_frag.h's) of TCP, or of
	 * UDP with a checksum: an ICMPv6 checksum, or one computed for UDP,
	 * needs the whole datagram. */
	if ((p->flags & PKT_F_FRAG) &&
	    (p->l4_proto == IPPROTO_ICMP_ ||
	     (p->l4_proto == IPPROTO_UDP_ && sys_ld16(pkt_l4(p) + 6) == 0)))
		return NAT_DROP_NAT64_FRAGMENT;
	if (xlate64_v4_source_route(p))
		return NAT_DROP_NAT64_IPV4_OPTIONS;
	if (pkt_l3(p)[8] <= 1)
		return NAT_DROP_NAT64_HOP_LIMIT;
	return NAT_DROP_COUNT;
}

void nat64_in(struct nat *n, struct pkt *p, struct ft_entry *e, uint64_t now)
{
	enum nat_drop why = nat64_v4_check(p);
	if (why != NAT_DROP_COUNT) {
		nat_drop(n, p, why);
		return;
	}
	nat_step(n, e, p, true, now);
	if (!nat_send(n, p, n->nc->in_port))
		return;
	if (p->l4_proto == IPPROTO_UDP_ && sys_ld16(pkt_l4(p) + 6) == 0)
		n->c.nat64_udp_csum_computed++;
	const bool frag = p->flags & PKT_F_FRAG;
	const uint16_t fid = sys_ld16(pkt_l3(p) + 4);
	/* From the address the host sent to, to the host. */
	int rc = xlate64_4to6(p, e->key.dst.v6, e->key.src.v6, e->key.sport);
	if (!rc && frag)
		rc = xlate64_v6_first_frag(p, fid); /* RFC 7915 4.1 */
	if (rc) {
		nat64_failed(n, p, rc);
		return;
	}
	n->c.translated_in++;
	n->c.nat64_in++;
}

void nat64_icmp_error_in(struct nat *n, struct pkt *p, const struct xlate_inner *q,
			 const struct ft_entry *e)
{
	const struct nat_conf *nc = n->nc;
	enum nat_drop why = nat64_v4_check(p);
	/* The reporting router, as the host can see it (RFC 6052 3.1: not
	 * through the well-known prefix if it is not global). */
	uint32_t router = sys_ld32(pkt_l3(p) + 12);
	if (why == NAT_DROP_COUNT && !xlate64_v4_ok(&nc->pref64, router))
		why = NAT_DROP_NAT64_BAD_ADDR;
	if (why != NAT_DROP_COUNT) {
		nat_drop(n, p, why);
		return;
	}
	if (!nat_send(n, p, nc->in_port))
		return;
	uint8_t osrc[16];
	xlate64_embed(&nc->pref64, router, osrc);
	int rc = xlate64_icmp_4to6(p, q, osrc, e->key.src.v6, e->key.src.v6, e->key.dst.v6,
				   e->key.sport);
	if (rc) {
		nat64_failed(n, p, rc);
		return;
	}
	n->c.icmp_errors_in++;
}
