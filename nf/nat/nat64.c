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
	if (p->flags & PKT_F_FRAG)
		return NAT_DROP_NAT64_FRAGMENT;
	if (p->flags & PKT_F_IPV6_EXT)
		return NAT_DROP_NAT64_IPV6_EXT;
	if (xlate64_match(&nc->pref64, ip + 8) || !xlate64_v4_ok(&nc->pref64, *dst))
		return NAT_DROP_NAT64_BAD_ADDR;
	if (nat_pool_find(nc->pool, *dst) >= 0)
		return NAT_DROP_NAT64_HAIRPIN;
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
		return l4[0] <= 128 ? NAT_DROP_COUNT
		       : l4[0] == 129 ? NAT_DROP_UNSUPPORTED
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
	if (!k) {
		/* Not keyed (nat64_cold), yet it passed: an ICMPv6 error. */
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
		if ((x = nat_new(n, p, k, hash, now, &ok)) < 0)
			return;
	}
	struct ft_entry *e = ft_entry(n->cn.ft, (uint32_t)x);
	nat_step(n, e, p, false, now);
	if (!nat_send(n, p, nc->out_port))
		return;
	uint64_t u = e->user;
	int rc = xlate64_6to4(p, nc->pool->a[nat_u_addr(u)].addr, dst, sys_be16(nat_u_port(u)),
			      nat64_ip_id(n));
	if (rc) {
		nat64_failed(n, p, rc);
		return;
	}
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
	if (p->flags & PKT_F_FRAG)
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
	/* From the address the host sent to, to the host. */
	int rc = xlate64_4to6(p, e->key.dst.v6, e->key.src.v6, e->key.sport);
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
