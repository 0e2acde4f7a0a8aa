/* SPDX-License-Identifier: MIT */
/* lb_icmp6.c - ICMPv6 errors of IPv6 nat-mode connections (see lb_icmp6.h). */
#include "nf/lb/lb_icmp6.h"

#include "dataplane/csum.h"

bool lb_icmp6_inner(const struct pkt *p, struct xlate_inner *in)
{
	if (p->l3 != PKT_L3_IPV6 || p->l4_proto != IPPROTO_ICMPV6_ ||
	    (p->flags & (PKT_F_L4 | PKT_F_FRAG | PKT_F_IPV6_EXT)) != PKT_F_L4 ||
	    !flow_icmp_is_error(IPPROTO_ICMPV6_, pkt_l4(p)[0]))
		return false;
	uint32_t end = SYS_MIN((uint32_t)p->l3_off + p->l3_len, (uint32_t)p->len);
	uint32_t ipo = (uint32_t)p->l4_off + 8;
	if (ipo + 40 + 8 > end)
		return false;
	const uint8_t *ip = p->data + ipo;
	if ((ip[0] >> 4) != 6 || (ip[6] != IPPROTO_TCP_ && ip[6] != IPPROTO_UDP_))
		return false;
	memset(&in->key, 0, sizeof(in->key));
	in->ip = ipo;
	in->l4 = ipo + 40;
	in->avail = end - in->l4;
	in->key.family = FLOW_FAMILY_V6;
	in->key.proto = ip[6];
	memcpy(in->key.src.v6, ip + 8, 16);
	memcpy(in->key.dst.v6, ip + 24, 16);
	in->key.sport = sys_ld16(p->data + in->l4);
	in->key.dport = sys_ld16(p->data + in->l4 + 2);
	return true;
}

void lb_icmp6_rewrite(struct pkt *p, const struct xlate_inner *in, bool outer_src,
		      const uint8_t *outer_addr, bool inner_src, const uint8_t *addr, uint16_t port)
{
	if (outer_addr)
		memcpy(pkt_l3(p) + (outer_src ? 8 : 24), outer_addr, 16);
	uint8_t *ia = p->data + in->ip + (inner_src ? 8 : 24);
	uint8_t *l4 = p->data + in->l4;
	uint8_t *pp = l4 + (inner_src ? 0 : 2);
	uint32_t so = in->key.proto == IPPROTO_TCP_ ? 16 : 6;
	if (in->avail >= so + 2) {
		uint16_t sum = csum_update128(sys_ld16(l4 + so), ia, addr);
		sum = csum_update16(sum, sys_ld16(pp), port);
		if (in->key.proto == IPPROTO_UDP_ && sum == 0)
			sum = 0xffff;
		sys_st16(l4 + so, sum);
	}
	memcpy(ia, addr, 16);
	sys_st16(pp, port);
	csum_fill(p); /* the ICMPv6 checksum over all of it */
}
