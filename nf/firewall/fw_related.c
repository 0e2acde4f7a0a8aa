/* SPDX-License-Identifier: MIT */
/*
 * fw_related.c - the packet an ICMP/ICMPv6 error quotes (RFC 792, RFC 4443
 * 2.4(c)): its addresses, protocol and ports, read with every length
 * checked against the outer IP packet, since the quote is attacker-chosen
 * bytes the parser did not look into.
 */
#include "dataplane/parse.h"
#include "nf/firewall/fw.h"

#define V6_EXT_MAX 8

static bool inner_ports(const uint8_t *l4, uint32_t avail, uint8_t proto, bool v4, struct flow_key *k)
{
	switch (proto) {
	case IPPROTO_TCP_:
	case IPPROTO_UDP_:
		if (avail < 4)
			return false;
		k->sport = sys_ld16(l4);
		k->dport = sys_ld16(l4 + 2);
		return true;
	case IPPROTO_ICMP_:
	case IPPROTO_ICMPV6_:
		/* Only query flows are tracked (flow.c keys them by identifier
		 * and query tag). */
		if (avail < 8 || (proto == IPPROTO_ICMP_) != v4)
			return false;
		k->dport = flow_icmp_tag(proto, l4[0]);
		if (!k->dport)
			return false;
		k->sport = sys_ld16(l4 + 4);
		return true;
	default:
		return true; /* other protocols are tracked without ports */
	}
}

bool fw_related_key(const struct pkt *p, struct flow_key *k)
{
	memset(k, 0, sizeof(*k));
	uint32_t end = (uint32_t)p->l3_off + p->l3_len;
	if (end > p->len)
		end = p->len;
	uint32_t in = (uint32_t)p->l4_off + 8;
	const uint8_t *d = p->data;
	if (p->l3 == PKT_L3_IPV4) {
		if (in + 20 > end)
			return false;
		const struct ipv4_hdr *ip = (const struct ipv4_hdr *)(d + in);
		const struct ipv4_hdr *outer = (const struct ipv4_hdr *)pkt_l3(p);
		uint32_t ihl = (uint32_t)(ip->ver_ihl & 15) * 4;
		if ((ip->ver_ihl >> 4) != 4 || ihl < 20 || in + ihl > end)
			return false;
		if (sys_ld32(&ip->src) != sys_ld32(&outer->dst))
			return false;
		k->family = FLOW_FAMILY_V4;
		k->src.v4 = sys_ld32(&ip->src);
		k->dst.v4 = sys_ld32(&ip->dst);
		k->proto = ip->proto;
		if (sys_be16(sys_ld16(&ip->frag_off)) & IPV4_OFFMASK)
			return false; /* a later fragment quotes no ports */
		return inner_ports(d + in + ihl, end - (in + ihl), k->proto, true, k);
	}
	if (in + 40 > end)
		return false;
	const struct ipv6_hdr *ip = (const struct ipv6_hdr *)(d + in);
	const struct ipv6_hdr *outer = (const struct ipv6_hdr *)pkt_l3(p);
	if ((d[in] >> 4) != 6 || memcmp(ip->src, outer->dst, 16) != 0)
		return false;
	k->family = FLOW_FAMILY_V6;
	memcpy(k->src.v6, ip->src, 16);
	memcpy(k->dst.v6, ip->dst, 16);
	uint8_t nh = ip->next;
	uint32_t off = in + 40;
	for (unsigned i = 0; i < V6_EXT_MAX; i++) {
		if (nh != 0 && nh != 43 && nh != 44 && nh != 60 && nh != 51)
			break;
		if (off + 8 > end)
			return false;
		const uint8_t *h = d + off;
		if (nh == 44 && (sys_be16(sys_ld16(h + 2)) & 0xfff8u))
			return false;
		uint32_t len = nh == 44 ? 8 : nh == 51 ? ((uint32_t)h[1] + 2) * 4 : ((uint32_t)h[1] + 1) * 8;
		nh = h[0];
		off += len;
	}
	if (off > end)
		return false;
	k->proto = nh;
	return inner_ports(d + off, end - off, nh, false, k);
}
