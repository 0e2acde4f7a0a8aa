/* SPDX-License-Identifier: MIT */
/*
 * parse.h - header parsing and validation.
 *
 * parse_pkt() walks Ethernet, up to two VLAN tags (802.1Q 0x8100, 802.1ad
 * 0x88a8), then ARP, IPv4 (options allowed; fragments flagged) or IPv6
 * (extension headers walked up to PARSE_IPV6_EXT_MAX; fragments flagged), then
 * TCP, UDP, ICMP or ICMPv6.  It fills pkt.l3, l3_off, l3_len, l4_proto,
 * l4_off and flags.
 *
 * Every length is checked against pkt.len before a byte is read.  A frame that
 * is truncated or inconsistent returns a PARSE_ERR_* reason (> 0); the caller
 * drops it and counts it under that reason.  Parsing never reads past
 * data + len.  Ethertypes and IP protocols we do not interpret are not
 * errors: the packet is returned as PARSE_OK with what was understood
 * (pkt.l3 == PKT_L3_NONE, or no PKT_F_L4).
 *
 * Frames with an Ethernet padding tail (IP total length < frame) are fine;
 * pkt.l3_len records the IP length.  Checksums are not verified here: that is
 * a function's choice (csum.h), and costs a pass over the payload.
 *
 * What the fields mean after PARSE_OK:
 *  - flags: the parser clears and sets PKT_F_VLAN..PKT_F_L4; it keeps
 *    PKT_F_GENERATED.  hash, port, out_port and the nf_* fields are untouched.
 *  - vlan_tci: the outer tag's TCI in host byte order (0 if untagged).
 *  - l3_len: IP total length (IPv4), 40 + payload length (IPv6), or the
 *    ARP length the parser required (see ARP below); 0 otherwise.
 *  - l4_off / l4_proto: for IP packets, where the upper-layer payload starts
 *    (after options and walked extension headers) and its protocol number,
 *    even without PKT_F_L4 (unknown protocol, ESP, no-next-header 59, later
 *    fragment).  PKT_F_L4 promises a complete TCP (data offset included),
 *    UDP (8 bytes), ICMP (8 bytes) or ICMPv6 header (4 bytes, 8 for echo
 *    request/reply, which carry the identifier) inside the IP packet.
 *    ICMPv6 after IPv4 or ICMP after IPv6 is "a protocol we do not
 *    interpret".
 *  - Every length after the IP header is bounded by the IP packet, not the
 *    frame: padding is never parsed as headers.
 * After an error the fields hold whatever was understood before it.
 *
 * Decisions:
 *  - Checks run outside-in; the first failure is the reason.  Frames longer
 *    than PARSE_FRAME_MAX are OVERSIZED whatever they hold.
 *  - ARP (RFC 826): needs 8 + 2 * (hln + pln) bytes; Ethernet/IPv4 ARP
 *    (hrd 1, pro 0x0800) needs at least 28 whatever hln/pln say, so a
 *    function that checked hrd and pro can read the IPv4 fields.
 *  - IPv4 fragments: PKT_F_FRAG if MF or offset is set; PKT_F_FRAG_LATER
 *    and no L4 parsing if offset != 0.  A first fragment must hold its
 *    whole L4 header (tiny fragments, RFC 1858 3.2 / RFC 7112 5): if not,
 *    the L4 reason is returned (TCP_TRUNC, TCP_DOFF, UDP_TRUNC, ICMP_TRUNC,
 *    ICMP6_TRUNC).  In a first fragment the UDP length is checked for >= 8
 *    only: it covers the whole datagram.  Same rules for IPv6 fragments.
 *  - IPv6: at most PARSE_IPV6_EXT_MAX extension headers (hop-by-hop,
 *    routing, fragment, destination options, AH) are walked; one more is
 *    IPV6_EXT_DEPTH.  A fragment header with offset 0 and M clear is an
 *    atomic fragment (RFC 6946) and parses as a whole packet (no
 *    PKT_F_FRAG).  Jumbograms (RFC 2675: payload length 0 with hop-by-hop)
 *    are unsupported, since they exceed PARSE_FRAME_MAX by definition, and
 *    return IPV6_PLEN; UDP length 0 (jumbo UDP) is UDP_LEN.
 *  - A third VLAN tag is VLAN_DEPTH without reading it.
 *
 * Cost (hosted, -O3, warm): untagged IPv4 (20-byte header) or IPv6 (no
 * extension header) with sound TCP/UDP takes a fast path of about 40
 * instructions, ~6 TSC cycles beyond the call; tagged packets and the rest
 * take the complete parser, about 90-110 instructions.
 */
#ifndef NFB_PARSE_H
#define NFB_PARSE_H

#include "nfb/pkt.h"

#define PARSE_IPV6_EXT_MAX 8    /* extension headers walked before giving up */
#define PARSE_FRAME_MAX 9216    /* larger frames are "oversized" */

/* X-macro so names and the enum never drift apart. */
#define PARSE_ERRORS(X)                                                         \
	X(OK, "ok")                                                             \
	X(RUNT, "frame shorter than an Ethernet header (incl. zero length)")   \
	X(OVERSIZED, "frame longer than the largest supported frame")          \
	X(VLAN_TRUNC, "truncated VLAN tag")                                    \
	X(VLAN_DEPTH, "more than two VLAN tags")                               \
	X(ARP_TRUNC, "truncated ARP")                                          \
	X(IPV4_TRUNC, "truncated IPv4 header")                                 \
	X(IPV4_VERSION, "IPv4 ethertype but version is not 4")                 \
	X(IPV4_IHL, "IPv4 IHL below 5 or past the frame")                      \
	X(IPV4_TOTLEN, "IPv4 total length below IHL or past the frame")        \
	X(IPV4_FRAG, "IPv4 fragment offset+length beyond 65535")               \
	X(IPV6_TRUNC, "truncated IPv6 header")                                 \
	X(IPV6_VERSION, "IPv6 ethertype but version is not 6")                 \
	X(IPV6_PLEN, "IPv6 payload length past the frame")                     \
	X(IPV6_EXT_TRUNC, "IPv6 extension header runs past the packet")        \
	X(IPV6_EXT_DEPTH, "too many IPv6 extension headers")                   \
	X(TCP_TRUNC, "truncated TCP header")                                   \
	X(TCP_DOFF, "TCP data offset below 5 or past the packet")              \
	X(UDP_TRUNC, "truncated UDP header")                                   \
	X(UDP_LEN, "UDP length below 8 or past the packet")                    \
	X(ICMP_TRUNC, "truncated ICMP header")                                 \
	X(ICMP6_TRUNC, "truncated ICMPv6 header")

enum parse_result {
#define PARSE_ENUM_(name, text) PARSE_ERR_##name,
	PARSE_ERRORS(PARSE_ENUM_)
#undef PARSE_ENUM_
	PARSE_ERR_COUNT
};
#define PARSE_OK PARSE_ERR_OK

/* Parse one frame; returns PARSE_OK or the reason it is malformed.  The
 * complete parser; parse_pkt() below is the same with the common case
 * inlined into the caller's loop. */
enum parse_result parse_pkt_full(struct pkt *p);
static inline enum parse_result parse_pkt(struct pkt *p);

/* Short stable identifier ("ipv4_ihl") and a human sentence, per reason. */
const char *parse_err_name(enum parse_result r);
const char *parse_err_text(enum parse_result r);

/* Counters per reason, kept by whoever drops (the main loop). */
struct parse_counters {
	uint64_t by_reason[PARSE_ERR_COUNT]; /* [PARSE_OK] counts good packets */
};

/* ---- wire header layouts (packed; read through pkt_l3/pkt_l4) ----------- */
#define ETH_HLEN 14
#define ETH_TYPE_IPV4 0x0800
#define ETH_TYPE_ARP 0x0806
#define ETH_TYPE_VLAN 0x8100
#define ETH_TYPE_QINQ 0x88a8
#define ETH_TYPE_IPV6 0x86dd

#define IPPROTO_ICMP_ 1
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17
#define IPPROTO_ICMPV6_ 58

struct eth_hdr {
	uint8_t dst[6], src[6];
	uint16_t type;
} __attribute__((packed));

struct ipv4_hdr {
	uint8_t ver_ihl, tos;
	uint16_t total_len, id, frag_off;
	uint8_t ttl, proto;
	uint16_t csum;
	uint32_t src, dst;
} __attribute__((packed));
#define IPV4_MF 0x2000
#define IPV4_OFFMASK 0x1fff

struct ipv6_hdr {
	uint32_t ver_tc_flow;
	uint16_t payload_len;
	uint8_t next, hop_limit;
	uint8_t src[16], dst[16];
} __attribute__((packed));

struct tcp_hdr {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t doff_res, flags;
	uint16_t window, csum, urg;
} __attribute__((packed));
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20
#define TCP_ECE 0x40
#define TCP_CWR 0x80

struct udp_hdr {
	uint16_t sport, dport, len, csum;
} __attribute__((packed));

struct icmp_hdr {
	uint8_t type, code;
	uint16_t csum;
	uint32_t rest;
} __attribute__((packed));

/* ---- the inline fast path --------------------------------------------------- */

/* Flags owned by the parser: cleared on entry, so a re-parse (after a
 * rewrite) starts clean.  PKT_F_GENERATED belongs to whoever made the
 * packet and is kept. */
#define PARSE_FLAGS                                                                     \
	(PKT_F_VLAN | PKT_F_QINQ | PKT_F_FRAG | PKT_F_FRAG_LATER | PKT_F_IPV4_OPTS |     \
	 PKT_F_IPV6_EXT | PKT_F_L4)
#define IPV4_HLEN 20
#define TCP_HLEN 20
#define UDP_HLEN 8

/* The fast paths' transport check: a sound UDP or TCP header of `avail`
 * bytes at l4 (parse_udp and parse_tcp's tests, unfragmented). */
static inline bool parse_l4_fast_(const uint8_t *l4, uint32_t avail, uint8_t proto)
{
	if (proto == IPPROTO_UDP_)
		return avail >= UDP_HLEN &&
		       (uint32_t)sys_be16(sys_ld16(l4 + 4)) - UDP_HLEN <= avail - UDP_HLEN;
	if (proto == IPPROTO_TCP_)
		return avail >= TCP_HLEN && (uint32_t)(l4[12] >> 4) * 4 - TCP_HLEN <= avail - TCP_HLEN;
	return false;
}

/* The fast path's metadata: untagged, l3 at 14, a complete L4 header. */
static inline enum parse_result parse_fast_done_(struct pkt *p, uint8_t l3, uint8_t proto,
						 uint32_t l4, uint32_t l3_len)
{
	p->flags = (uint16_t)((p->flags & ~PARSE_FLAGS) | PKT_F_L4);
	p->l3 = l3;
	p->l4_proto = proto;
	p->l3_off = (uint16_t)ETH_HLEN;
	p->l4_off = (uint16_t)l4;
	p->l3_len = (uint16_t)l3_len;
	p->vlan_tci = 0;
	return PARSE_OK;
}

/*
 * The fast path: an untagged IPv4 packet with a 20-byte header, not a
 * fragment, or an untagged IPv6 packet without extension headers, carrying
 * a sound UDP or TCP header - nearly every packet of a forwarding benchmark
 * and most of real traffic (IPv6: what a NAT64's inside sends).  It makes
 * the same checks as parse_pkt_full() in fewer instructions (each range
 * check is one unsigned compare; ethertype, version and IHL are one 24-bit
 * compare) and writes the metadata once.  Anything else, including every
 * error, goes to parse_pkt_full(), which starts over and finds the exact
 * reason.
 */
static inline enum parse_result parse_pkt(struct pkt *p)
{
	const uint8_t *d = p->data;
	uint32_t len = p->len;
	const uint32_t l3 = ETH_HLEN, l4 = ETH_HLEN + IPV4_HLEN, l4_6 = ETH_HLEN + 40;

	/* 34 <= len <= PARSE_FRAME_MAX */
	if (likely(len - l4 <= PARSE_FRAME_MAX - l4)) {
		uint32_t w = sys_ld32(d + 12) & 0x00ffffffu;
		if (likely(w == 0x00450008u)) { /* bytes 12..14 are 08 00 45 */
			uint32_t tot = sys_be16(sys_ld16(d + l3 + 2));
			uint32_t avail = tot - IPV4_HLEN; /* wraps if tot < 20: fails below */
			uint8_t proto = d[l3 + 9];
			if (likely(avail <= len - l4) &&
			    likely(!(sys_ld16(d + l3 + 6) & SYS_BE16(IPV4_MF | IPV4_OFFMASK))) &&
			    likely(parse_l4_fast_(d + l4, avail, proto)))
				return parse_fast_done_(p, PKT_L3_IPV4, proto, l4, tot);
		} else if ((w & 0x00f0ffffu) == 0x0060dd86u && len >= l4_6) {
			/* 86 dd, version 6; the payload inside the frame, the
			 * next header UDP or TCP (no extension header). */
			uint32_t plen = sys_be16(sys_ld16(d + l3 + 4));
			uint8_t proto = d[l3 + 6];
			if (likely(plen <= len - l4_6) && likely(parse_l4_fast_(d + l4_6, plen, proto)))
				return parse_fast_done_(p, PKT_L3_IPV6, proto, l4_6, 40 + plen);
		}
	}
	return parse_pkt_full(p);
}

#endif
