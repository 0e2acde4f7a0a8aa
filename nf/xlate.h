/* SPDX-License-Identifier: MIT */
/*
 * xlate.h - rewriting IPv4 headers in place (shared by nf/nat and nf/lb),
 * with every checksum the change touches updated incrementally (RFC 1624,
 * dataplane/csum.h): the IP header's, TCP's and UDP's (their pseudo-header holds the addresses; a UDP
 * checksum of 0, "none", stays 0), ICMP's (no pseudo-header; the echo
 * identifier plays the port).
 *
 * ICMP errors (RFC 5508 REQ-3/4): the quoted packet is the translated
 * one, so the quote is translated too - its address, port or identifier,
 * its IP header checksum and, when the quote is long enough to hold it,
 * its transport checksum - and the outer ICMP checksum follows every
 * changed word of the quote.
 */
#ifndef NFB_NF_XLATE_H
#define NFB_NF_XLATE_H

#include "dataplane/csum.h"
#include "dataplane/flow.h"
#include "dataplane/parse.h"

/* Rewrite the source (src = true) or destination address of a parsed
 * IPv4 packet and its header checksum, nothing else; returns the change's
 * checksum delta (csum.h), which a transport checksum over the
 * pseudo-header needs too.  Alone, it translates a later fragment
 * (PKT_F_FRAG_LATER): the transport header and its checksum travel in the
 * first fragment, whose rewrite updated that checksum for the whole
 * datagram. */
static inline __attribute__((always_inline)) uint64_t xlate_rewrite_addr(struct pkt *p, bool src,
									 uint32_t addr_be)
{
	uint8_t *ip = pkt_l3(p);
	uint8_t *ap = ip + (src ? 12 : 16);
	uint32_t old_a = sys_ld32(ap);
	sys_st32(ap, addr_be);
	uint64_t da = csum_delta32(old_a, addr_be);
	sys_st16(ip + 10, csum_apply(sys_ld16(ip + 10), da));
	return da;
}

/* Rewrite the source (src = true) or destination address and port of a
 * parsed IPv4 TCP/UDP/ICMP-query packet with a complete L4 header, `proto`
 * being its p->l4_proto (a caller that knows it passes a constant: the
 * offsets and tests below fold away).  For ICMP the "port" is the
 * identifier whichever side is rewritten.  Inline: the fast path of every
 * connection; the address's checksum delta is computed once for the IP
 * and the TCP/UDP checksum.  In a first fragment the transport checksum
 * covers the whole datagram: the incremental update is right for it. */
static inline __attribute__((always_inline)) void
xlate_rewrite_proto(struct pkt *p, uint8_t proto, bool src, uint32_t addr_be, uint16_t port_be)
{
	uint8_t *l4 = pkt_l4(p);
	uint64_t da = xlate_rewrite_addr(p, src, addr_be);
	/* TCP and UDP: ports at 0/2, checksum at 16/6; ICMP echo: the
	 * identifier at 4 and a checksum at 2 without pseudo-header. */
	uint32_t po = proto == IPPROTO_ICMP_ ? 4 : src ? 0 : 2;
	uint32_t so = proto == IPPROTO_TCP_ ? 16 : proto == IPPROTO_UDP_ ? 6 : 2;
	uint16_t old_p = sys_ld16(l4 + po);
	sys_st16(l4 + po, port_be);
	uint16_t sum = sys_ld16(l4 + so);
	uint64_t dp = csum_delta16(old_p, port_be);
	if (proto == IPPROTO_ICMP_) {
		sys_st16(l4 + so, csum_apply(sum, dp));
		return;
	}
	if (proto == IPPROTO_UDP_ && sum == 0)
		return; /* no checksum (RFC 768): stays none */
	sum = csum_apply(sum, da + dp);
	if (proto == IPPROTO_UDP_ && sum == 0)
		sum = 0xffff;
	sys_st16(l4 + so, sum);
}

/* The same, the protocol read from the packet. */
static inline void xlate_rewrite(struct pkt *p, bool src, uint32_t addr_be, uint16_t port_be)
{
	xlate_rewrite_proto(p, p->l4_proto, src, addr_be, port_be);
}

/* The ICMPv4 queries translated (RFC 5508 REQ-1), requests and replies:
 * echo 8/0 and timestamp 13/14 (RFC 792).  Information 15/16 and address
 * mask 17/18 are deprecated (RFC 6918) and not. */
static inline bool xlate_icmp_query(uint8_t type)
{
	return type == 0 || type == 8 || type == 13 || type == 14;
}

/* The ICMPv4 errors translated: every error (flow_icmp_is_error) but
 * redirect, which a NAT has no business passing on. */
static inline bool xlate_icmp_is_error(uint8_t type)
{
	return flow_icmp_is_error(1, type) && type != 5;
}

/* The packet an ICMPv4 error quotes. */
struct xlate_inner {
	uint32_t ip;     /* offset of the quoted IP header from pkt.data */
	uint32_t l4;     /* offset of its transport header */
	uint32_t avail;  /* bytes of the quote from l4 on */
	struct flow_key key; /* keyed as the quoted packet itself, zone 0 */
};

/* True if `p` is an ICMPv4 error (destination unreachable, time exceeded,
 * parameter problem, source quench) that can be translated: it quotes
 * an IPv4 TCP, UDP or ICMP echo packet, not a later fragment, with the 8
 * bytes of ports RFC 792 promises, inside the outer packet. */
bool xlate_icmp_inner(const struct pkt *p, struct xlate_inner *in);

/* Translate an ICMP error: the outer source (outer_src) or destination
 * becomes `outer_addr`; the quote's source (inner_src) or destination
 * address and port become `addr`/`port`. */
void xlate_icmp_rewrite(struct pkt *p, const struct xlate_inner *in, bool outer_src,
		      uint32_t outer_addr, bool inner_src, uint32_t addr, uint16_t port);

/* The flow key (in `zone`) and flow_hash of a parsed, unfragmented IPv4
 * TCP, UDP or ICMP echo packet; for ICMP the identifier is the source
 * "port" and the destination port the query tag (flow_icmp_tag), as
 * flow_key_from_pkt makes them.  Built as 64-bit words: the hot path of
 * every per-connection function. */
static inline void xlate_key_v4(const struct pkt *p, uint16_t zone, struct flow_key *k,
				uint32_t *hash)
{
	const uint8_t *l3 = pkt_l3(p);
	uint64_t s = sys_ld32(l3 + 12), d = sys_ld32(l3 + 16);
	const uint8_t *l4 = pkt_l4(p);
	uint32_t ports = p->l4_proto == IPPROTO_ICMP_
				 ? sys_ld16(l4 + 4) | (uint32_t)flow_icmp_tag(IPPROTO_ICMP_, l4[0]) << 16
				 : sys_ld32(l4);
	uint64_t tail = ports | (uint64_t)p->l4_proto << 32 | (uint64_t)FLOW_FAMILY_V4 << 40 |
			(uint64_t)zone << 48;
	uint64_t *w = (uint64_t *)k;
	w[0] = s;
	w[1] = 0;
	w[2] = d;
	w[3] = 0;
	w[4] = tail;
	*hash = flow_hash_v4_words(s, d, tail);
}

/* The same for a parsed IPv6 TCP, UDP or ICMPv6 echo packet with its
 * header (the caller checked: no extension header, not a fragment), as
 * flow_key_from_pkt makes it: the addresses as they sit in the header,
 * the ICMPv6 identifier and query tag in the ports. */
static inline void xlate_key_v6(const struct pkt *p, uint16_t zone, struct flow_key *k,
				uint32_t *hash)
{
	const uint8_t *l4 = pkt_l4(p);
	uint32_t ports = p->l4_proto == IPPROTO_ICMPV6_
				 ? sys_ld16(l4 + 4) | (uint32_t)flow_icmp_tag(IPPROTO_ICMPV6_, l4[0]) << 16
				 : sys_ld32(l4);
	memcpy(k, pkt_l3(p) + 8, 32); /* source and destination, in key order */
	((uint64_t *)k)[4] = ports | (uint64_t)p->l4_proto << 32 | (uint64_t)FLOW_FAMILY_V6 << 40 |
			     (uint64_t)zone << 48;
	*hash = flow_hash_v6(k);
}

/* A connection's TCP state as two bits of the caller's per-entry word:
 * `replied` (the answering side has spoken) and `closing` (FIN or RST
 * seen).  Both set-and-not-closing is "established".  A new SYN from the
 * opening side on a closing connection starts it over (the 5-tuple is
 * reused). */
static inline uint64_t xlate_tcp_step(uint64_t u, uint8_t flags, bool from_answerer,
				      uint64_t replied, uint64_t closing)
{
	if (!from_answerer && (flags & (TCP_SYN | TCP_ACK | TCP_RST | TCP_FIN)) == TCP_SYN &&
	    (u & closing))
		u &= ~(closing | replied);
	if (from_answerer)
		u |= replied;
	if (flags & (TCP_FIN | TCP_RST))
		u |= closing;
	return u;
}

#endif
