/* SPDX-License-Identifier: MIT */
/*
 * xlate64.h - IP/ICMP translation between IPv6 and IPv4 (RFC 7915) in
 * place, and IPv4-embedded IPv6 addresses (RFC 6052).  No state: which
 * addresses and ports a packet gets is the caller's (nf/nat/nat64.c, the
 * stateful NAT64 of RFC 6146).
 *
 * A translated packet keeps its frame buffer: its IP header is replaced by
 * the other family's in place (pkt_resize_hdr moves the Ethernet header
 * into the headroom or forward by the 20 bytes of difference), the
 * ethertype before the IP header is rewritten, the payload does not move.
 * The parsed metadata (l3, l3_len, l4_off, l4_proto) is the translated
 * packet's; Ethernet padding after the IP packet is dropped.
 *
 * Header fields (RFC 7915 4.1 and 5.1): traffic class <-> TOS; flow label
 * 0; hop limit <-> TTL, decremented by one (the translator is a router:
 * the caller drops a packet that arrives with 1 or less); IPv4
 * identification the caller's (its generator), DF set when the IPv4 packet
 * exceeds 1260 bytes (it came from IPv6, whose minimum MTU is 1280, so a
 * smaller one may be fragmented on the IPv4 side); IPv4 options are not
 * carried.  Protocol 58 <-> 1; ICMPv6 echo 128/129 <-> ICMP echo 8/0.
 *
 * Checksums: TCP and UDP are updated incrementally (RFC 1624) for the
 * pseudo-header change (RFC 768/793 vs RFC 8200 8.1) and the port, so an
 * end-to-end corruption stays visible.  ICMP echo the same way (ICMPv4
 * has no pseudo-header, ICMPv6 has).  An IPv4 UDP packet with no checksum
 * (0) gets a computed one on its way to IPv6 (RFC 7915 4.5, RFC 6146
 * 3.4: a stateful translator has the whole packet).  ICMP errors are
 * rebuilt (outer and quoted headers both translated), so their ICMP
 * checksum is computed whole: the caller verifies the incoming one first.
 */
#ifndef NFB_NF_XLATE64_H
#define NFB_NF_XLATE64_H

#include "nf/xlate.h"

/* ---- RFC 6052 prefixes --------------------------------------------------- */
struct xlate64_prefix {
	uint8_t a[16];  /* the prefix, bits past len zero */
	uint8_t len;    /* 32, 40, 48, 56, 64 or 96 */
	bool wkp;       /* the well-known prefix 64:ff9b::/96 (RFC 6052 2.1) */
	uint8_t v4_at[4]; /* where the IPv4 address's bytes go (byte 8 never) */
};

/* The lengths RFC 6052 2.2 defines. */
static inline bool xlate64_prefix_len_ok(unsigned len)
{
	return len == 32 || len == 40 || len == 48 || len == 56 || len == 64 || len == 96;
}

/* Fill pf from an address and length (checked by the caller). */
void xlate64_prefix_set(struct xlate64_prefix *pf, const uint8_t a[16], uint8_t len);

/* True if v6 address `a` is in the prefix. */
bool xlate64_match(const struct xlate64_prefix *pf, const uint8_t a[16]);
/* The IPv4 address (network order) embedded in `a` (which matches).
 * Inline: NAT64's fast path takes every packet's destination from it. */
static inline uint32_t xlate64_extract(const struct xlate64_prefix *pf, const uint8_t a[16])
{
	if (pf->len == 96)
		return sys_ld32(a + 12);
	const uint8_t b[4] = {a[pf->v4_at[0]], a[pf->v4_at[1]], a[pf->v4_at[2]], a[pf->v4_at[3]]};
	return sys_ld32(b);
}
/* The IPv4-embedded IPv6 address of v4 (network order): prefix, address
 * around bits 64-71 (zero), suffix zero. */
void xlate64_embed(const struct xlate64_prefix *pf, uint32_t v4, uint8_t out[16]);
/* May v4 (network order) be reached through the prefix?  Never 0/8,
 * 127/8, 224/4 and above (multicast, reserved, broadcast); through the
 * well-known prefix no non-global address either (RFC 6052 3.1: 10/8,
 * 100.64/10, 169.254/16, 172.16/12, 192.168/16). */
bool xlate64_v4_ok(const struct xlate64_prefix *pf, uint32_t v4);

/* ---- packets ---------------------------------------------------------------- */
/* Why a packet was not translated. */
enum xlate64_err {
	XLATE64_OK = 0,
	XLATE64_NO_ROOM,     /* headroom short (never with this dataplane's buffers) */
	XLATE64_ICMP,        /* an ICMP type, code or pointer with no counterpart */
	XLATE64_QUOTE,       /* an ICMP error whose quote cannot be translated */
};

/* RFC 7915 5.1: the IPv6 extension headers a translator skips - hop-by-
 * hop options, destination options, a routing header with no segments
 * left, and an atomic fragment header (RFC 6946: offset 0, M clear; its
 * identification is not carried, as RFC 8021 deprecates them) - are
 * removed from parsed IPv6 packet `p` (not a fragment), so it is an IPv6
 * packet without extension headers: the fixed header moves forward over
 * them (with the L2 header), its payload length and next header follow,
 * and so do the metadata (l3_len, l4_off, len, PKT_F_IPV6_EXT cleared).
 * Nothing is removed if any header is of another kind (AH: it covers the
 * addresses, which translation changes; XLATE64_EXT_OTHER) or a routing
 * header still has segments to visit (XLATE64_EXT_ROUTE: the packet is
 * not for the destination it names). */
enum xlate64_ext_err {
	XLATE64_EXT_OK = 0,
	XLATE64_EXT_OTHER,
	XLATE64_EXT_ROUTE,
};
int xlate64_skip_ext(struct pkt *p);
/* For XLATE64_EXT_ROUTE: the offset of the routing header's Segments Left
 * from the start of the IPv6 header, the pointer of the ICMPv6 parameter
 * problem RFC 7915 5.1 asks for; -1 if p has no such header. */
int xlate64_route_pointer(const struct pkt *p);
/* What xlate64_skip_ext would say, nothing changed (a later fragment: the
 * headers up to its Fragment header). */
int xlate64_ext_check(const struct pkt *p);

/* ---- fragments (RFC 7915 4.1 / 5.1.1) ---------------------------------------- */
/* The Fragment header of a parsed IPv6 fragment (PKT_F_FRAG), or NULL. */
const uint8_t *xlate64_frag_hdr(const struct pkt *p);

/* After xlate64_6to4 of a first fragment: the IPv4 header says MF, offset
 * 0, no DF, identification the low 16 bits of the Fragment header's
 * (`id`, network order, as in the header). */
void xlate64_v4_first_frag(struct pkt *p, uint32_t id);

/* After xlate64_4to6 of an IPv4 first fragment: a Fragment header (offset
 * 0, M set, identification `id`, the IPv4 one, network order) follows the
 * IPv6 header.  XLATE64_NO_ROOM if the headroom is short. */
int xlate64_v6_first_frag(struct pkt *p, uint16_t id);

/* A later IPv6 fragment (PKT_F_FRAG_LATER, hop limit > 1) to an IPv4 one
 * from src to dst (network order): its offset, M and identification's low
 * 16 bits carried, TTL the hop limit less one, no DF; extension headers
 * before the Fragment header dropped (xlate64_skip_ext's kinds, which the
 * caller checked). */
int xlate64_frag_6to4(struct pkt *p, uint32_t src, uint32_t dst);

/* A later IPv4 fragment (TTL > 1) to an IPv6 one from src to dst with a
 * Fragment header: offset, MF and identification (high 16 bits zero)
 * carried; options dropped.  XLATE64_NO_ROOM if the headroom is short. */
int xlate64_frag_4to6(struct pkt *p, const uint8_t src[16], const uint8_t dst[16]);

/* A later IPv6 fragment (hop limit > 1) of a hairpinned datagram (RFC
 * 6146 3.8): as translated to IPv4 and back in one hop - from src to dst,
 * flow label 0, hop limit less one, extension headers before the Fragment
 * header dropped, the identification's low 16 bits kept (the high ones
 * zero), offset and M carried.  XLATE64_NO_ROOM if the headroom is short. */
int xlate64_frag_6to6(struct pkt *p, const uint8_t src[16], const uint8_t dst[16]);

/* Translate a parsed IPv6 TCP, UDP or ICMPv6 echo packet (no extension
 * header, no fragment, hop limit > 1) to IPv4 from src to dst (network
 * order); its source port (ICMP: identifier) becomes `sport` (network
 * order); identification `ip_id`. */
int xlate64_6to4(struct pkt *p, uint32_t src, uint32_t dst, uint16_t sport, uint16_t ip_id);

/* Translate a parsed IPv4 TCP, UDP or ICMP echo packet (not a fragment,
 * TTL > 1) to IPv6 from src to dst; its destination port (ICMP:
 * identifier) becomes `dport`. */
int xlate64_4to6(struct pkt *p, const uint8_t src[16], const uint8_t dst[16], uint16_t dport);

/* True if an IPv4 header's options hold an unexpired source route (LSRR
 * or SSRR with its pointer inside the route): RFC 7915 4.1 drops those;
 * other options are ignored. */
bool xlate64_v4_source_route(const struct pkt *p);

/* ICMP error type/code/rest-of-header mapping (RFC 7915 4.2, 5.2), for
 * the unit tests and xlate64_icmp_*: false if the message is not
 * translated.  rest: bytes 4-7 of the ICMP header (MTU, pointer).
 * inner_len: the quoted IPv4 packet's total length, for the RFC 1191
 * plateau when a router reports MTU 0. */
bool xlate64_icmp4_map(uint8_t type, uint8_t code, const uint8_t rest[4], uint16_t inner_len,
		       uint8_t *type6, uint8_t *code6, uint8_t rest6[4]);
bool xlate64_icmp6_map(uint8_t type, uint8_t code, const uint8_t rest[4], uint8_t *type4,
		       uint8_t *code4, uint8_t rest4[4]);

/* The packet an ICMPv6 error quotes (xlate_icmp_inner for IPv6): an IPv6
 * TCP, UDP or ICMPv6 echo packet without extension headers, with 8 bytes
 * of its transport header.  `key` is the quote's own, zone 0. */
bool xlate64_icmp6_inner(const struct pkt *p, struct xlate_inner *in);

/* An ICMPv4 error (quote `q`, xlate_icmp_inner) to ICMPv6: outer from
 * osrc to odst, the quote from qsrc to qdst with its source port (ICMP:
 * identifier) `qsport`.  The result is at most 1280 bytes (the quote is
 * cut). */
int xlate64_icmp_4to6(struct pkt *p, const struct xlate_inner *q, const uint8_t osrc[16],
		      const uint8_t odst[16], const uint8_t qsrc[16], const uint8_t qdst[16],
		      uint16_t qsport);

/* An ICMPv6 error (quote `q`, xlate64_icmp6_inner) to ICMPv4: outer from
 * osrc to odst (identification ip_id), the quote from qsrc to qdst with
 * its destination port (identifier) `qdport`.  The result is at most 576
 * bytes (RFC 1812 4.3.2.3; the quote is cut). */
int xlate64_icmp_6to4(struct pkt *p, const struct xlate_inner *q, uint32_t osrc, uint32_t odst,
		      uint32_t qsrc, uint32_t qdst, uint16_t qdport, uint16_t ip_id);

#endif
