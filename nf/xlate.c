/* SPDX-License-Identifier: MIT */
/* xlate.c - header rewriting with incremental checksums (see xlate.h). */
#include "nf/xlate.h"

#include "dataplane/csum.h"

/* IPv4 header offsets (byte pointers: no address of a packed member). */
#define IP_CSUM 10
#define IP_SRC 12
#define IP_DST 16

/* Replace a 16-bit word at `at`, folding the change into the checksum at
 * `sum` (NULL: none). */
static inline void put16(uint8_t *at, uint16_t v, uint8_t *sum)
{
	uint16_t old = sys_ld16(at);
	sys_st16(at, v);
	if (sum)
		sys_st16(sum, csum_update16(sys_ld16(sum), old, v));
}

/* Where a transport header keeps the port of side `src`, and its checksum.
 * Returns false for what has neither. */
static inline bool l4_fields(uint8_t proto, bool src, uint32_t *port, uint32_t *sum)
{
	switch (proto) {
	case IPPROTO_TCP_:
		*port = src ? 0 : 2;
		*sum = 16;
		return true;
	case IPPROTO_UDP_:
		*port = src ? 0 : 2;
		*sum = 6;
		return true;
	case IPPROTO_ICMP_:
		*port = 4; /* the echo identifier */
		*sum = 2;
		return true;
	default:
		return false;
	}
}

bool xlate_icmp_inner(const struct pkt *p, struct xlate_inner *in)
{
	if (p->l3 != PKT_L3_IPV4 || p->l4_proto != IPPROTO_ICMP_ || !(p->flags & PKT_F_L4) ||
	    (p->flags & PKT_F_FRAG) || !xlate_icmp_is_error(pkt_l4(p)[0]))
		return false;
	uint32_t end = SYS_MIN((uint32_t)p->l3_off + p->l3_len, (uint32_t)p->len);
	uint32_t ipo = (uint32_t)p->l4_off + 8;
	const uint8_t *d = p->data;
	if (ipo + 20 > end)
		return false;
	const struct ipv4_hdr *ip = (const struct ipv4_hdr *)(d + ipo);
	uint32_t ihl = (uint32_t)(ip->ver_ihl & 15) * 4;
	if ((ip->ver_ihl >> 4) != 4 || ihl < 20 || ipo + ihl + 8 > end)
		return false;
	if (sys_be16(sys_ld16(&ip->frag_off)) & IPV4_OFFMASK)
		return false; /* a later fragment quotes no ports */
	memset(&in->key, 0, sizeof(in->key));
	in->ip = ipo;
	in->l4 = ipo + ihl;
	in->avail = end - in->l4;
	const uint8_t *l4 = d + in->l4;
	in->key.family = FLOW_FAMILY_V4;
	in->key.proto = ip->proto;
	in->key.src.v4 = sys_ld32(&ip->src);
	in->key.dst.v4 = sys_ld32(&ip->dst);
	switch (ip->proto) {
	case IPPROTO_TCP_:
	case IPPROTO_UDP_:
		in->key.sport = sys_ld16(l4);
		in->key.dport = sys_ld16(l4 + 2);
		return true;
	case IPPROTO_ICMP_:
		if (!xlate_icmp_query(l4[0]))
			return false;
		in->key.sport = sys_ld16(l4 + 4);
		in->key.dport = flow_icmp_tag(IPPROTO_ICMP_, l4[0]);
		return true;
	default:
		return false;
	}
}

void xlate_icmp_rewrite(struct pkt *p, const struct xlate_inner *in, bool outer_src,
		      uint32_t outer_addr, bool inner_src, uint32_t addr, uint16_t port)
{
	uint8_t *oip = pkt_l3(p);
	uint8_t *icmp_sum = pkt_l4(p) + 2;
	uint8_t *oa = oip + (outer_src ? IP_SRC : IP_DST);
	uint32_t old = sys_ld32(oa);
	sys_st32(oa, outer_addr);
	sys_st16(oip + IP_CSUM, csum_update32(sys_ld16(oip + IP_CSUM), old, outer_addr));

	/* The quote: each changed word also changes the ICMP checksum, which
	 * covers it (every field below sits at an even offset from the ICMP
	 * header: the quote starts 8 bytes in and IP headers are 4-byte
	 * multiples). */
	uint8_t *iip = p->data + in->ip;
	uint8_t proto = in->key.proto;
	uint8_t *ia = iip + (inner_src ? IP_SRC : IP_DST);
	uint32_t old_a = sys_ld32(ia);
	sys_st32(ia, addr);
	sys_st16(icmp_sum, csum_update32(sys_ld16(icmp_sum), old_a, addr));
	put16(iip + IP_CSUM, csum_update32(sys_ld16(iip + IP_CSUM), old_a, addr), icmp_sum);

	uint8_t *l4 = p->data + in->l4;
	uint32_t po, so;
	if (!l4_fields(proto, inner_src, &po, &so))
		return;
	uint16_t old_p = sys_ld16(l4 + po);
	put16(l4 + po, port, icmp_sum);
	if (in->avail < so + 2)
		return; /* the quote stops before the transport checksum */
	uint16_t sum = sys_ld16(l4 + so);
	if (proto == IPPROTO_ICMP_) {
		put16(l4 + so, csum_update16(sum, old_p, port), icmp_sum);
		return;
	}
	if (proto == IPPROTO_UDP_ && sum == 0)
		return;
	sum = csum_update32(csum_update16(sum, old_p, port), old_a, addr);
	if (proto == IPPROTO_UDP_ && sum == 0)
		sum = 0xffff;
	put16(l4 + so, sum, icmp_sum);
}
