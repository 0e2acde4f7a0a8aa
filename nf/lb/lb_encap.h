/* SPDX-License-Identifier: MIT */
/*
 * lb_encap.h - the encapsulating forwarding modes (Katran's model): the
 * client's packet, untouched, inside an outer IP header to the backend,
 * which decapsulates it and answers the client directly (so the balancer
 * keeps no reply path).
 *
 *   ipip    IPv4 in IPv4 (RFC 2003): outer protocol 4, +20 bytes
 *   ip6ip6  IPv6 in IPv6 (RFC 2473): outer next header 41, +40 bytes
 *   gue     GUE variant 1 (draft-ietf-intarea-gue 4.1, as Katran sends
 *           it): outer UDP to the vip's gue-port whose payload is the
 *           inner IP packet itself (its version nibble 4 or 6 is the
 *           variant), +28 over IPv4, +48 over IPv6.  Either inner family
 *           over either outer one.
 *
 * The outer family is the backend's; the header is built whole:
 *   IPv4: TOS copied from the inner TOS / traffic class (ECN included,
 *         RFC 6040 normal mode), TTL 64 (the tunnel's own hop count, RFC
 *         2003 3.1; the inner TTL is the client's, untouched as in nat
 *         mode), DF copied from an inner IPv4 packet (RFC 2003 5.1) and
 *         set for inner IPv6 (which nobody may fragment), ID the inner
 *         one when DF is clear, else 0 (RFC 6864), header checksum
 *         computed.
 *   IPv6: traffic class copied, flow label the low 20 bits of the flow's
 *         Maglev tuple hash (RFC 6438: the same per flow), hop limit 64.
 *   UDP:  source port 0xc000 | (tuple hash & 0x3fff) - one per flow, in
 *         the dynamic range, for ECMP entropy as Katran does; checksum
 *         computed over the whole datagram, IPv4 and IPv6 alike (RFC 768;
 *         RFC 8200 8.1 makes it mandatory over IPv6; a computed one over
 *         IPv4 costs a pass over the packet on a path that is not the
 *         IPv4 nat fast path, and lets the backend check the payload).
 *
 * The frame grows in its headroom (pkt_push_front): no copy but the L2
 * header moving forward; Ethernet padding after the inner packet is cut.
 */
#ifndef NFB_LB_ENCAP_H
#define NFB_LB_ENCAP_H

#include "dataplane/flow.h"
#include "nfb/pkt.h"

#define LB_ENCAP_TTL 64

struct lb_encap {
	bool gue;
	uint8_t outer_family;     /* FLOW_FAMILY_V4 / _V6 */
	union flow_addr src, dst; /* outer addresses, network order */
	uint16_t gue_port;        /* network order */
	uint32_t flow_hash;       /* lb_tuple_hash of the flow */
};

enum lb_encap_result {
	LB_ENCAP_OK,
	LB_ENCAP_TOO_BIG,       /* over the mtu; an ICMP error is due (DF, or IPv6) */
	LB_ENCAP_TOO_BIG_NO_DF, /* over the mtu, IPv4 with DF clear: not fragmented here */
	LB_ENCAP_NO_ROOM,       /* headroom short (a buffer not from our pools) */
};

/* Bytes the outer headers add. */
static inline uint32_t lb_encap_overhead(const struct lb_encap *e)
{
	return (e->outer_family == FLOW_FAMILY_V4 ? 20u : 40u) + (e->gue ? 8u : 0u);
}

/* Encapsulate parsed IPv4/IPv6 packet `p` as `e` says if the outer IP
 * packet stays within `mtu`; then p is parsed again (its outer headers). */
enum lb_encap_result lb_encap_push(struct pkt *p, const struct lb_encap *e, uint32_t mtu);

#endif
