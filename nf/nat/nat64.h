/* SPDX-License-Identifier: MIT */
/*
 * nat64.h - stateful NAT64 (RFC 6146) as a mode of the NAT (private to
 * nf/nat/): `nat64 [prefix PREFIX]` (nat_config.h) and snat rules with
 * IPv6 sources.
 *
 * An inside IPv6 host (an snat rule's IPv6 source) reaches IPv4 host X at
 * PREFIX+X (RFC 6052, default 64:ff9b::/96).  Its session is an ordinary
 * NAT session (nat.h, the same table, pools, mappings, timers and
 * counters): the inside entry is the IPv6 packet's key (family 6, zone
 * NAT_ZONE_IN; ICMPv6 echo keyed by identifier and tag), the outside entry
 * the translated packet's IPv4 key (pool address and port -> X), whose
 * reverse the replies are.  The headers are translated by nf/xlate64.h.
 *
 * What is dropped, counted (nat_stats.h): inside IPv6 not to the prefix
 * (nat64_not_prefix, unless `ipv6 pass`), a source inside the prefix or a
 * destination that is no translatable IPv4 address (nat64_bad_addr),
 * extension headers RFC 7915 5.1 does not skip (nat64_ipv6_ext: AH; hop-
 * by-hop, destination options, routing with no segments left and atomic
 * fragment headers are removed) or a routing header with segments left
 * (nat64_ipv6_route),
 * fragments of ICMP either way and of IPv4 UDP without a checksum
 * (nat64_fragment: their checksum needs the whole datagram; TCP and UDP
 * fragments are translated both ways by nat_frag.h's virtual reassembly,
 * a Fragment header <-> IPv4 fragment fields, RFC 7915 4.1 / 5.1.1), a
 * hop limit or
 * TTL of 1 or less (nat64_hop_limit; no ICMP error is sent), an IPv4
 * source route (nat64_ipv4_options), ICMP messages without counterpart
 * (nat64_icmp), IPv6 UDP with checksum 0 (bad_checksum).
 *
 * Hairpinning (RFC 6146 3.8): a destination PREFIX + one of our pool
 * addresses is another IPv6 inside host's external endpoint; its session
 * is marked NAT_U_HAIRPIN and its packets go back inside as IPv6
 * (nat64.c, nat64_hairpin), or are dropped as no_mapping.  ICMPv6 errors
 * about hairpinned packets go back inside to their sender
 * (nat64_icmp_error_hairpin).
 *
 * Established sessions go the NAT's bulk way (conn2.h) both ways: an
 * inside IPv6 packet that may be a session's (nat64_cold: TCP, UDP with a
 * checksum, echo request; no extension header, no fragment, hop limit > 1)
 * is keyed and looked up with the burst, and a hit translated by
 * nat64_fast_out; an IPv4 reply by nat64_fast_in.  What the checks above
 * say about a session's packet its key says already (the prefix and its
 * addresses were checked when the session opened, and a reload that
 * changes the prefix ends the session), except that a reload may make its
 * remote a pool address: such a session is marked NAT_U_HAIRPIN
 * (nat64_rebind_user) and its packets go the slow way, hairpinned.
 * Everything else goes the slow way in its turn, through every check in
 * the order above (nat64_out), so a drop's reason is as it always was.
 */
#ifndef NFB_NAT64_H
#define NFB_NAT64_H

#include "nf/nat/nat.h"
#include "nf/xlate64_pkt.h"

/* An IPv6 packet from the inside with NAT64 on (nat's `cold`): keyed if it
 * may be a session's packet, else left to nat64_out in its turn (it may
 * be an ICMPv6 error about a session an earlier packet opens).  One with
 * extension headers (not a fragment) to the prefix has those RFC 7915
 * skips removed first (xlate64_skip_ext), then goes on as any other, or
 * is dropped here (nat64_ipv6_ext, nat64_ipv6_route). */
enum conn2_cold nat64_cold_ext(struct nat *n, struct pkt *p, uint64_t now);

static inline enum conn2_cold nat64_cold(struct nat *n, struct pkt *p, uint64_t now)
{
	const unsigned f = p->flags & (PKT_F_L4 | PKT_F_FRAG | PKT_F_IPV6_EXT);
	if (f != PKT_F_L4 || pkt_l3(p)[7] <= 1) {
		/* Extension headers, fragments' too (a Fragment header): off
		 * the established sessions' way, which never has them. */
		if (unlikely(f & PKT_F_IPV6_EXT))
			return nat64_cold_ext(n, p, now);
		return CONN2_IN_TURN;
	}
	const uint8_t *l4 = pkt_l4(p);
	switch (p->l4_proto) {
	case IPPROTO_TCP_:
		return CONN2_KEY;
	case IPPROTO_UDP_:
		return sys_ld16(l4 + 6) ? CONN2_KEY : CONN2_IN_TURN;
	case IPPROTO_ICMPV6_:
		return l4[0] == 128 ? CONN2_KEY : CONN2_IN_TURN;
	default:
		return CONN2_IN_TURN;
	}
}

/* An IPv6 packet from the inside that did not go fast: key k (its
 * flow_hash, lookup x and dir) if nat64_cold keyed it, else NULL. */
void nat64_out(struct nat *n, struct pkt *p, const struct flow_key *k, uint32_t hash, int32_t x,
	       int dir, uint64_t now);

/* Inside IPv6 packet `p` with a routing header that still has segments
 * left (RFC 7915 5.1: not translated): dropped, and answered with an
 * ICMPv6 parameter problem (4/0) pointing at its Segments Left. */
void nat64_route_refuse(struct nat *n, struct pkt *p, uint64_t now);

/* The fast path (conn2.h's `fast`) of a keyed inside packet `p` that hit
 * NAT64 session `e` (user u, no TCP state change, not NAT_U_HAIRPIN):
 * refresh and translate, counted.  False leaves it to nat64_out. */
static inline bool nat64_fast_out(const struct nat_fast *fc, struct pkt *p, struct ft_entry *e,
				  uint64_t u)
{
	uint32_t src = fc->pool[nat_u_addr(u)].addr, dst = xlate64_extract(fc->pref64, pkt_l3(p) + 24);
	uint16_t port = sys_be16(nat_u_port(u)), id = (uint16_t)(*fc->ip_id + 1);
	e->deadline = fc->dl[nat_tmo(u)]; /* as nat_step: nothing else changes */
	/* The session's class is the packet's protocol (its key matched): a
	 * constant for the translation, as nat_rewrite does for NAT44. */
	int rc;
	switch (nat_u_cls(u)) {
	case NAT_CLS_TCP:
		rc = xlate64_6to4_proto(p, IPPROTO_TCP_, src, dst, port, id);
		break;
	case NAT_CLS_UDP:
		rc = xlate64_6to4_proto(p, IPPROTO_UDP_, src, dst, port, id);
		break;
	default:
		rc = xlate64_6to4_proto(p, IPPROTO_ICMPV6_, src, dst, port, id);
	}
	if (rc)
		return false; /* untouched: nat64_out takes (and counts) it */
	*fc->ip_id = id;
	fc->c->nat64_out++;
	return true;
}

/* An IPv4 packet from the outside answering NAT64 session `e` (its live
 * first entry). */
void nat64_in(struct nat *n, struct pkt *p, struct ft_entry *e, uint64_t now);

/* The fast path of a reply `p` to NAT64 session `e` (user u, answered
 * before, no TCP state change): false leaves it to nat64_in. */
static inline bool nat64_fast_in(const struct nat_fast *fc, struct pkt *p, struct ft_entry *e,
				 uint64_t u)
{
	/* nat64_in's drops and the UDP checksum it computes (and counts). */
	if ((p->flags & (PKT_F_FRAG | PKT_F_IPV4_OPTS)) || pkt_l3(p)[8] <= 1 ||
	    (p->l4_proto == IPPROTO_UDP_ && sys_ld16(pkt_l4(p) + 6) == 0))
		return false;
	e->deadline = fc->dl[nat_tmo(u)];
	/* From the address the host sent to, to the host. */
	const uint8_t *src = e->key.dst.v6, *dst = e->key.src.v6;
	int rc;
	switch (nat_u_cls(u)) {
	case NAT_CLS_TCP:
		rc = xlate64_4to6_proto(p, IPPROTO_TCP_, src, dst, e->key.sport);
		break;
	case NAT_CLS_UDP:
		rc = xlate64_4to6_proto(p, IPPROTO_UDP_, src, dst, e->key.sport);
		break;
	default:
		rc = xlate64_4to6_proto(p, IPPROTO_ICMP_, src, dst, e->key.sport);
	}
	if (rc)
		return false; /* untouched (no headroom): nat64_in drops it */
	fc->c->nat64_in++;
	return true;
}

/* An ICMPv4 error from the outside (checksum verified, addressed to the
 * quote's source) quoting a packet of NAT64 session `e`. */
void nat64_icmp_error_in(struct nat *n, struct pkt *p, const struct xlate_inner *q,
			 const struct ft_entry *e);

/* A reload kept NAT64 session `e` (config nc): its user word with
 * NAT_U_HAIRPIN set if its remote is one of nc's pool addresses now. */
uint64_t nat64_rebind_user(const struct nat_conf *nc, const struct ft_entry *e);

#endif
