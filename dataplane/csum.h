/* SPDX-License-Identifier: MIT */
/*
 * csum.h - Internet checksums (RFC 1071) and incremental update (RFC 1624).
 *
 * All values are in network byte order as they sit in the packet; sums are
 * folded 16-bit one's complement.  Full checksums cost a pass over the
 * bytes; functions that rewrite headers (NAT, LB) use the incremental forms,
 * which cost a few instructions regardless of packet size.
 */
#ifndef NFB_CSUM_H
#define NFB_CSUM_H

#include "nfb/pkt.h"

/* Unfolded 32-bit partial sum of `len` bytes, added to `sum`.  Pieces can be
 * chained (the result is the next call's `sum`) as long as every piece but
 * the last has an even length.  Any alignment. */
uint32_t csum_partial(const void *buf, uint32_t len, uint32_t sum);
/* Fold a 64-bit end-around-carry sum to 32 bits (still unfolded to 16). */
static inline uint32_t csum_fold64_(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32); /* at most 0x1_ffff_fffe */
	s = (s & 0xffffffffu) + (s >> 32); /* no carry left */
	return (uint32_t)s;
}

/* Fold to 16 bits without complementing. */
static inline uint16_t csum_fold32_(uint32_t s)
{
	s = (s & 0xffffu) + (s >> 16);
	s = (s & 0xffffu) + (s >> 16);
	return (uint16_t)s;
}

/* Fold a partial sum to 16 bits and complement it: the value to store.
 * Inline, like the pseudo-header sums below: NAT64 translates the
 * pseudo-header of every packet with them. */
static inline uint16_t csum_fold(uint32_t sum)
{
	return (uint16_t)~csum_fold32_(sum);
}

/* IPv4 header checksum over `ihl_bytes` (the csum field must be included as
 * stored; the result is 0 for a correct header when verifying). */
uint16_t csum_ipv4_hdr(const void *ip, uint32_t ihl_bytes);

/*
 * Pseudo-header partial sums (RFC 793 / RFC 8200 8.1).  `l4_len` in host
 * order, `proto` the IP protocol number.
 *
 * RFC 793 3.1 pseudo-header: src, dst, zero, protocol, TCP length.  Read as
 * memory words: [0, proto] loads as proto << 8; the length is a 16-bit
 * big-endian field, added as its byte swap.  A 32-bit value in the sum is
 * the same as its two 16-bit halves (2^16 == 1 mod 0xffff).
 */
static inline uint32_t csum_pseudo_v4(uint32_t src_be, uint32_t dst_be, uint8_t proto,
				      uint32_t l4_len)
{
	uint64_t s = (uint64_t)src_be + dst_be + ((uint32_t)proto << 8) +
		     sys_be16((uint16_t)l4_len);
	return csum_fold64_(s);
}

/* RFC 8200 8.1: src, dst, 32-bit upper-layer length, 3 zero bytes, next
 * header - the last as a 32-bit big-endian word [0, 0, 0, proto]. */
static inline uint32_t csum_pseudo_v6(const uint8_t src[16], const uint8_t dst[16],
				      uint8_t proto, uint32_t l4_len)
{
	uint64_t s = (uint64_t)sys_be32(l4_len) + ((uint32_t)proto << 24);
	s += sys_ld64(src) & 0xffffffffu;
	s += sys_ld64(src) >> 32;
	s += sys_ld64(src + 8) & 0xffffffffu;
	s += sys_ld64(src + 8) >> 32;
	s += sys_ld64(dst) & 0xffffffffu;
	s += sys_ld64(dst) >> 32;
	s += sys_ld64(dst + 8) & 0xffffffffu;
	s += sys_ld64(dst + 8) >> 32;
	return csum_fold64_(s);
}

/*
 * Compute and store the L4 checksum of a parsed packet (TCP, UDP, ICMP,
 * ICMPv6), and the IPv4 header checksum if IPv4.  Returns 0, or -SYS_EINVAL
 * if the packet has no complete L4 header.  A UDP result of 0 is stored
 * as 0xffff (RFC 768, RFC 8200 8.1).
 *
 * Details: the IPv4 header checksum is refreshed even when -SYS_EINVAL is
 * returned.  Fragments (PKT_F_FRAG) count as "no complete L4 header": their
 * L4 checksum covers the reassembled datagram.  UDP is summed over its own
 * length field, TCP/ICMP/ICMPv6 over the rest of the IP packet.  For IPv6
 * with a Routing header whose segments left is non-zero, the pseudo-header
 * uses the final destination from that header (RFC 8200 8.1; types 0, 2
 * and 4).  The packet must have parsed with PARSE_OK.
 */
int csum_fill(struct pkt *p);

/* Verify: returns true if the IPv4 header (if any) and the L4 checksum are
 * correct.  UDP/IPv4 with checksum 0 (none) counts as correct; UDP/IPv6
 * with checksum 0 does not (RFC 8200 8.1).  Packets with no checksummable
 * L4 (see csum_fill: fragments, other protocols) are judged by their IPv4
 * header alone (true for non-IPv4). */
bool csum_verify(const struct pkt *p);

/*
 * RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m').  Update a stored checksum when a
 * 16- or 32-bit field changes from `old` to `new` (network order).  The
 * result may differ from a full recompute only as 0x0000 vs 0xffff (the two
 * one's complement zeros); a UDP checksum of 0 ("none") must not be updated
 * at all, and an updated UDP checksum of 0 must be stored as 0xffff.
 *
 * Inline: a NAT or load balancer calls them per packet, and as calls they
 * cost more than the arithmetic (csum_update32 was 42 instructions a packet
 * in the NAT's fast path, most of it call and spill).
 *
 * csum_delta32() and csum_apply() split the update for a caller that
 * changes one field under several checksums (an address under the IP and
 * the TCP/UDP checksum): the delta is computed once, applied to each.
 */
/* Unfolded (~old + new) of a 32-bit field: the two halves at once, since
 * 2^16 == 1 mod 0xffff.  At most 2^33: a few deltas add without overflow. */
static inline uint64_t csum_delta32(uint32_t old_v, uint32_t new_v)
{
	return (uint64_t)(uint32_t)~old_v + new_v;
}
static inline uint64_t csum_delta16(uint16_t old_v, uint16_t new_v)
{
	return (uint64_t)(uint16_t)~old_v + new_v;
}
/* The stored checksum `csum` with an unfolded delta (sum of deltas) added. */
static inline uint16_t csum_apply(uint16_t csum, uint64_t delta)
{
	uint64_t s = (uint64_t)(uint16_t)~csum + delta;
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	/* 32 -> 16 bits with the end-around carry in one add: the high half
	 * of t + rotate(t, 16) is the folded sum. */
	uint32_t t = (uint32_t)s;
	t += (t >> 16) | (t << 16);
	return (uint16_t)~(t >> 16);
}
static inline uint16_t csum_update16(uint16_t csum, uint16_t old_v, uint16_t new_v)
{
	return csum_apply(csum, csum_delta16(old_v, new_v));
}
static inline uint16_t csum_update32(uint16_t csum, uint32_t old_v, uint32_t new_v)
{
	return csum_apply(csum, csum_delta32(old_v, new_v));
}
/* Same for a 128-bit field (IPv6 address), given as 16 bytes each. */
uint16_t csum_update128(uint16_t csum, const uint8_t old_v[16], const uint8_t new_v[16]);

#endif
