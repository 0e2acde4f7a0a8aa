/* SPDX-License-Identifier: MIT */
/*
 * xlate64_pkt.h - the per-packet part of IPv6 <-> IPv4 translation
 * (xlate64.h), inline: header building, metadata, the transport header's
 * incremental checksum, and the TCP/UDP/echo translations themselves,
 * which every packet of a NAT64 session takes (nf/nat/nat64.h) and
 * xlate64.c wraps for everyone else.  Private to nf/.
 */
#ifndef NFB_NF_XLATE64_PKT_H
#define NFB_NF_XLATE64_PKT_H

#include "dataplane/csum.h"
#include "nf/xlate64.h"

#define XLATE64_V6_HLEN 40
#define XLATE64_DF_ABOVE 1260 /* RFC 7915 5.1: DF set on IPv4 packets larger than this */

/* The header is built as the five 32-bit words it is, in memory order,
 * and its checksum summed from them in registers (RFC 1071: any word size,
 * either byte order): no pass over the stored bytes, no reading back. */
static inline void xlate64_put_v4(uint8_t *ip, uint8_t tos, uint32_t total, uint16_t id,
				  uint8_t ttl, uint8_t proto, uint32_t src, uint32_t dst)
{
	/* The words themselves, not a byte array read back as words: byte
	 * stores under a wider load defeat store forwarding (perf put its
	 * samples on those loads; replay_bench cycles stayed the same within
	 * this shared host's noise). */
	uint32_t w0 = sys_be32(0x45u << 24 | (uint32_t)tos << 16 | (total & 0xffffu));
	uint32_t w1 = sys_be32((uint32_t)id << 16 | (total > XLATE64_DF_ABOVE ? 0x4000u : 0));
	uint32_t w2 = sys_be32((uint32_t)ttl << 24 | (uint32_t)proto << 16); /* checksum 0 */
	uint64_t sum = (uint64_t)w0 + w1 + w2 + src + dst;
	sys_st32(ip, w0);
	sys_st32(ip + 4, w1);
	sys_st32(ip + 8, w2);
	sys_st16(ip + 10, csum_fold(csum_fold64_(sum)));
	sys_st32(ip + 12, src);
	sys_st32(ip + 16, dst);
}

static inline void xlate64_put_v6(uint8_t *ip, uint8_t tc, uint32_t plen, uint8_t next,
				  uint8_t hop, const uint8_t src[16], const uint8_t dst[16])
{
	sys_st32(ip, sys_be32(6u << 28 | (uint32_t)tc << 20));
	sys_st16(ip + 4, sys_be16((uint16_t)plen));
	ip[6] = next;
	ip[7] = hop;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
}

/* The translated packet's metadata; the frame ends with its IP packet. */
static inline void xlate64_set_meta(struct pkt *p, bool v6, uint32_t hlen, uint32_t l3_len,
				    uint8_t proto)
{
	uint8_t *ip = pkt_l3(p);
	sys_st16(ip - 2, v6 ? SYS_BE16(ETH_TYPE_IPV6) : SYS_BE16(ETH_TYPE_IPV4));
	p->l3 = v6 ? PKT_L3_IPV6 : PKT_L3_IPV4;
	p->l3_len = (uint16_t)l3_len;
	p->l4_off = (uint16_t)(p->l3_off + hlen);
	p->l4_proto = proto;
	p->len = (uint16_t)(p->l3_off + l3_len);
	p->flags &= (uint16_t)~(PKT_F_IPV4_OPTS | PKT_F_IPV6_EXT);
}

static inline uint8_t xlate64_proto_to6(uint8_t proto)
{
	return proto == IPPROTO_ICMP_ ? IPPROTO_ICMPV6_ : proto;
}

static inline uint8_t xlate64_proto_to4(uint8_t proto)
{
	return proto == IPPROTO_ICMPV6_ ? IPPROTO_ICMP_ : proto;
}

/* The unfolded delta that takes a checksum from covering pseudo-header sum
 * `from` to covering `to` (csum_pseudo_* results; 0: none, as ICMPv4):
 * to - from, the minus as 2^48 - 1 - from (2^48 == 1 mod 0xffff), so
 * never 0 and the update's result the same as folding both first. */
static inline uint64_t xlate64_pseudo_delta(uint32_t from, uint32_t to)
{
	return (uint64_t)to + (0xffffffffffffull - from);
}

/* A transport header at l4 (avail bytes of it present, >= 8) changes
 * family: its port on side `src` (ICMP: the echo identifier) becomes
 * `port`, an ICMP echo its type, and its checksum, when present, follows
 * the pseudo-header change ps_from -> ps_to.  `proto` is the IPv4
 * protocol number (TCP, UDP or ICMP).  A UDP checksum 0 stays 0. */
static inline __attribute__((always_inline)) void
xlate64_l4(uint8_t *l4, uint32_t avail, uint8_t proto, bool to6, bool src, uint16_t port,
	   uint32_t ps_from, uint32_t ps_to)
{
	uint32_t po, so;
	uint64_t d = 0;
	if (proto == IPPROTO_ICMP_) {
		uint16_t old = sys_ld16(l4);
		uint8_t t = l4[0];
		l4[0] = to6 ? (t == 8 ? 128 : 129) : (t == 128 ? 8 : 0);
		d += csum_delta16(old, sys_ld16(l4));
		po = 4;
		so = 2;
	} else {
		po = src ? 0 : 2;
		so = proto == IPPROTO_TCP_ ? 16 : 6;
	}
	uint16_t old_p = sys_ld16(l4 + po);
	sys_st16(l4 + po, port);
	d += csum_delta16(old_p, port);
	if (avail < so + 2)
		return; /* a quote cut before the checksum */
	uint16_t sum = sys_ld16(l4 + so);
	if (proto == IPPROTO_UDP_ && sum == 0)
		return;
	sum = csum_apply(sum, d + xlate64_pseudo_delta(ps_from, ps_to));
	if (proto == IPPROTO_UDP_ && sum == 0)
		sum = 0xffff;
	sys_st16(l4 + so, sum);
}

/* xlate64_6to4 with the packet's IPv6 protocol `next` as the caller knows
 * it (a constant folds the transport header's offsets and tests away). */
static inline __attribute__((always_inline)) int
xlate64_6to4_proto(struct pkt *p, uint8_t next, uint32_t src, uint32_t dst, uint16_t sport,
		   uint16_t ip_id)
{
	/* What the IPv4 header overwrites is read first, the addresses only
	 * as their pseudo-header sum. */
	const uint8_t *h6 = pkt_l3(p);
	uint32_t plen = sys_be16(sys_ld16(h6 + 4));
	uint8_t tc = (uint8_t)(sys_be32(sys_ld32(h6)) >> 20), hop = h6[7];
	uint8_t proto = xlate64_proto_to4(next);
	uint32_t ps6 = csum_pseudo_v6(h6 + 8, h6 + 24, next, plen);
	uint32_t at = p->l3_off;
	if (pkt_resize_hdr(p, at, XLATE64_V6_HLEN, IPV4_HLEN))
		return XLATE64_NO_ROOM;
	uint8_t *ip = p->data + at;
	xlate64_put_v4(ip, tc, IPV4_HLEN + plen, ip_id, (uint8_t)(hop - 1), proto, src, dst);
	xlate64_l4(ip + IPV4_HLEN, plen, proto, false, true, sport, ps6,
		   proto == IPPROTO_ICMP_ ? 0 : csum_pseudo_v4(src, dst, proto, plen));
	xlate64_set_meta(p, false, IPV4_HLEN, IPV4_HLEN + plen, proto);
	return XLATE64_OK;
}

/* xlate64_4to6 with the packet's IPv4 protocol `proto` as the caller knows
 * it. */
static inline __attribute__((always_inline)) int
xlate64_4to6_proto(struct pkt *p, uint8_t proto, const uint8_t src[16], const uint8_t dst[16],
		   uint16_t dport)
{
	const uint8_t *ip4 = pkt_l3(p);
	uint32_t ihl = (uint32_t)p->l4_off - p->l3_off;
	uint8_t tos = ip4[1], ttl = ip4[8];
	uint32_t s4 = sys_ld32(ip4 + 12), d4 = sys_ld32(ip4 + 16);
	uint32_t l4len = p->l3_len - ihl;
	uint32_t at = p->l3_off;
	if (pkt_resize_hdr(p, at, ihl, XLATE64_V6_HLEN))
		return XLATE64_NO_ROOM;
	uint8_t *ip = p->data + at;
	uint8_t next = xlate64_proto_to6(proto);
	xlate64_put_v6(ip, tos, l4len, next, (uint8_t)(ttl - 1), src, dst);
	uint8_t *l4 = ip + XLATE64_V6_HLEN;
	uint32_t ps6 = csum_pseudo_v6(src, dst, next, l4len);
	xlate64_l4(l4, l4len, proto, true, false, dport,
		   proto == IPPROTO_ICMP_ ? 0 : csum_pseudo_v4(s4, d4, proto, l4len), ps6);
	if (proto == IPPROTO_UDP_ && sys_ld16(l4 + 6) == 0) {
		/* No checksum: IPv6 requires one (RFC 8200 8.1); computed
		 * over the UDP length (RFC 7915 4.5). */
		uint32_t ulen = sys_be16(sys_ld16(l4 + 4));
		uint16_t c = csum_fold(csum_partial(l4, ulen, csum_pseudo_v6(src, dst, next, ulen)));
		sys_st16(l4 + 6, c ? c : 0xffff);
	}
	xlate64_set_meta(p, true, XLATE64_V6_HLEN, XLATE64_V6_HLEN + l4len, next);
	return XLATE64_OK;
}

#endif
