/* SPDX-License-Identifier: MIT */
/*
 * csum.c - Internet checksum (RFC 1071) and incremental update (RFC 1624).
 *
 * Byte order: every 16-bit quantity here is "as it sits in memory", loaded
 * with a plain little-endian load.  RFC 1071 2(B) shows the one's complement
 * sum is byte-order independent: summing byte-swapped words gives the
 * byte-swapped sum, so storing the result back with a plain store puts the
 * right bytes on the wire and no swap is ever needed.  The same property
 * (RFC 1071 2(C)) lets us add 64-bit words and fold at the end.
 */
#include "dataplane/csum.h"

#include "dataplane/parse.h"

/*
 * The sum proper.  64-bit words are added into a 128-bit accumulator: the
 * compiler turns that into add/adc pairs, and the high half collects the
 * carries that RFC 1071's end-around carry adds back at the end.  Four
 * words per iteration keep the loads ahead of the adds.
 *
 * Parity: bytes are consumed in even-sized steps until the last one, so an
 * odd final byte lands in the low byte of its 16-bit word, as if padded
 * with a zero byte (RFC 1071 4.1).  A partial sum over an odd length can
 * therefore only be the last piece of a chained computation.
 */
uint32_t csum_partial(const void *buf, uint32_t len, uint32_t sum)
{
	const uint8_t *b = buf;
	unsigned __int128 acc = sum;

	while (len >= 32) {
		acc += sys_ld64(b);
		acc += sys_ld64(b + 8);
		acc += sys_ld64(b + 16);
		acc += sys_ld64(b + 24);
		b += 32;
		len -= 32;
	}
	while (len >= 8) {
		acc += sys_ld64(b);
		b += 8;
		len -= 8;
	}
	if (len & 4) {
		acc += sys_ld32(b);
		b += 4;
	}
	if (len & 2) {
		acc += sys_ld16(b);
		b += 2;
	}
	if (len & 1)
		acc += *b;

	uint64_t lo = (uint64_t)acc, hi = (uint64_t)(acc >> 64);
	uint64_t s = lo + hi;
	s += s < hi; /* end-around carry of the 64-bit addition */
	return csum_fold64_(s);
}

uint16_t csum_ipv4_hdr(const void *ip, uint32_t ihl_bytes)
{
	return csum_fold(csum_partial(ip, ihl_bytes, 0));
}

/* ---- whole packets -------------------------------------------------------- */

#define IP6_HOPOPTS 0
#define IP6_ROUTING 43
#define IP6_FRAGMENT 44
#define IP6_AH 51
#define IP6_DSTOPTS 60

/*
 * RFC 8200 8.1: with a Routing header, the pseudo-header uses the final
 * destination.  Until the last segment is reached (segments left > 0) that
 * address is in the routing header: the last address for types 0 and 2
 * (RFC 5095, RFC 6275 6.4), Segment List[0] for the SRH (RFC 8754 2 - the
 * list is stored in reverse).  parse_pkt() bounded every header we walk.
 */
static const uint8_t *ipv6_final_dst(const struct pkt *p)
{
	const uint8_t *ip = pkt_l3(p);
	const uint8_t *dst = ip + 24;

	if (!(p->flags & PKT_F_IPV6_EXT))
		return dst;
	const uint8_t *h = ip + 40;
	const uint8_t *end = pkt_l4(p);
	uint8_t next = ip[6];
	while (end - h >= 8) {
		uint32_t hlen;
		if (next == IP6_FRAGMENT)
			hlen = 8;
		else if (next == IP6_AH)
			hlen = ((uint32_t)h[1] + 2) * 4;
		else if (next == IP6_HOPOPTS || next == IP6_DSTOPTS || next == IP6_ROUTING)
			hlen = ((uint32_t)h[1] + 1) * 8;
		else
			break;
		if (hlen > (uint32_t)(end - h))
			break; /* bytes changed since parsing: stay inside */
		if (next == IP6_ROUTING && h[3] != 0 && hlen >= 24) {
			if (h[2] == 0 || h[2] == 2)
				return h + hlen - 16;
			if (h[2] == 4)
				return h + 8;
		}
		next = h[0];
		h += hlen;
	}
	return dst;
}

/* Where the checksum field sits in the L4 header, or -1. */
static int l4_csum_off(const struct pkt *p)
{
	switch (p->l4_proto) {
	case IPPROTO_TCP_:
		return 16;
	case IPPROTO_UDP_:
		return 6;
	case IPPROTO_ICMP_:
		return p->l3 == PKT_L3_IPV4 ? 2 : -1;
	case IPPROTO_ICMPV6_:
		return p->l3 == PKT_L3_IPV6 ? 2 : -1;
	default:
		return -1;
	}
}

/*
 * The L4 bytes a checksum covers and the matching pseudo-header sum.
 * Returns 1, or 0 when the packet has no checksummable L4 (no complete L4
 * header, or a fragment: the checksum covers the reassembled datagram), or
 * -1 when the UDP length no longer fits the IP packet (the bytes changed
 * after parsing; nothing beyond the packet is ever read).
 */
static int l4_span(const struct pkt *p, uint32_t *len_out, uint32_t *pseudo_out, int *off_out)
{
	if ((p->flags & (PKT_F_L4 | PKT_F_FRAG)) != PKT_F_L4)
		return 0;
	int off = l4_csum_off(p);
	if (off < 0)
		return 0;

	const uint8_t *ip = pkt_l3(p);
	const uint8_t *l4 = pkt_l4(p);
	uint32_t len = (uint32_t)p->l3_off + p->l3_len - p->l4_off;
	/* UDP covers its own length (RFC 768), which may be shorter than the
	 * IP payload; parse_pkt() checked it is within it, but it is read
	 * again here, so checked again. */
	if (p->l4_proto == IPPROTO_UDP_) {
		uint32_t ulen = sys_be16(sys_ld16(l4 + 4));
		if (ulen < 8 || ulen > len)
			return -1;
		len = ulen;
	}

	uint32_t pseudo = 0;
	if (p->l3 == PKT_L3_IPV4) {
		if (p->l4_proto != IPPROTO_ICMP_) /* RFC 792: no pseudo-header */
			pseudo = csum_pseudo_v4(sys_ld32(ip + 12), sys_ld32(ip + 16), p->l4_proto,
						len);
	} else {
		pseudo = csum_pseudo_v6(ip + 8, ipv6_final_dst(p), p->l4_proto, len);
	}
	*len_out = len;
	*pseudo_out = pseudo;
	*off_out = off;
	return 1;
}

/* IPv4 header length as validated by parse_pkt(), not re-read from a
 * byte that may have changed since; 0 if the metadata cannot be right. */
static inline uint32_t ipv4_hlen(const struct pkt *p)
{
	uint32_t h = (uint32_t)p->l4_off - p->l3_off;
	return h >= 20 && h <= 60 && h <= p->l3_len ? h : 0;
}

int csum_fill(struct pkt *p)
{
	if (p->l3 == PKT_L3_IPV4) {
		uint8_t *ip = pkt_l3(p);
		uint32_t hlen = ipv4_hlen(p);
		if (!hlen)
			return -SYS_EINVAL;
		sys_st16(ip + 10, 0);
		sys_st16(ip + 10, csum_ipv4_hdr(ip, hlen));
	}

	uint32_t len, pseudo;
	int off;
	if (l4_span(p, &len, &pseudo, &off) <= 0)
		return -SYS_EINVAL;
	uint8_t *l4 = pkt_l4(p);
	sys_st16(l4 + off, 0);
	uint16_t c = csum_fold(csum_partial(l4, len, pseudo));
	/* RFC 768 / RFC 8200 8.1: a computed zero is sent as all ones, since
	 * zero means "no checksum" for UDP/IPv4 (and is invalid for IPv6). */
	if (c == 0 && p->l4_proto == IPPROTO_UDP_)
		c = 0xffff;
	sys_st16(l4 + off, c);
	return 0;
}

bool csum_verify(const struct pkt *p)
{
	if (p->l3 == PKT_L3_IPV4) {
		const uint8_t *ip = pkt_l3(p);
		uint32_t hlen = ipv4_hlen(p);
		if (!hlen || csum_ipv4_hdr(ip, hlen) != 0)
			return false;
	}

	uint32_t len, pseudo;
	int off;
	int span = l4_span(p, &len, &pseudo, &off);
	if (span <= 0)
		return span == 0;
	const uint8_t *l4 = pkt_l4(p);
	if (p->l4_proto == IPPROTO_UDP_ && sys_ld16(l4 + 6) == 0)
		return p->l3 == PKT_L3_IPV4; /* RFC 768 "none"; RFC 8200 8.1 forbids it */
	/* Summing the stored checksum with the data gives all ones when right. */
	return csum_fold(csum_partial(l4, len, pseudo)) == 0;
}

/* ---- RFC 1624 ------------------------------------------------------------- */

/* Eqn. 3: HC' = ~(~HC + ~m + m'), one's complement throughout. */
uint16_t csum_update128(uint16_t csum, const uint8_t old_v[16], const uint8_t new_v[16])
{
	uint64_t s = (uint16_t)~csum;
	for (int i = 0; i < 16; i += 4)
		s += (uint64_t)(uint32_t)~sys_ld32(old_v + i) + sys_ld32(new_v + i);
	return (uint16_t)~csum_fold32_(csum_fold64_(s));
}
