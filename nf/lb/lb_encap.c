/* SPDX-License-Identifier: MIT */
/* lb_encap.c - IPIP, IP6IP6 and GUE encapsulation (see lb_encap.h). */
#include "nf/lb/lb_encap.h"

#include "dataplane/csum.h"
#include "dataplane/parse.h"

#define IPV4_DF 0x4000
#define IPPROTO_IPIP_ 4
#define IPPROTO_IPV6_ 41

enum lb_encap_result lb_encap_push(struct pkt *p, const struct lb_encap *e, uint32_t mtu)
{
	const uint8_t *in = pkt_l3(p);
	bool in4 = p->l3 == PKT_L3_IPV4;
	uint32_t inner = p->l3_len, ov = lb_encap_overhead(e);
	bool df = in4 ? (sys_be16(sys_ld16(in + 6)) & IPV4_DF) != 0 : true;
	if (inner + ov > mtu)
		return df ? LB_ENCAP_TOO_BIG : LB_ENCAP_TOO_BIG_NO_DF;
	uint8_t tos = in4 ? in[1] : (uint8_t)(sys_be32(sys_ld32(in)) >> 20);
	uint16_t id = in4 && !df ? sys_ld16(in + 4) : 0;
	uint32_t l2 = p->l3_off;
	p->len = (uint16_t)(l2 + inner); /* Ethernet padding goes */
	uint8_t *old = p->data, *d = pkt_push_front(p, ov);
	if (!d)
		return LB_ENCAP_NO_ROOM;
	memmove(d, old, l2);
	uint8_t *o = d + l2;
	uint32_t ohl = e->outer_family == FLOW_FAMILY_V4 ? 20 : 40;
	uint8_t next = e->gue ? IPPROTO_UDP_ : in4 ? IPPROTO_IPIP_ : IPPROTO_IPV6_;
	uint32_t payload = inner + (e->gue ? 8 : 0);
	sys_st16(o - 2, sys_be16(e->outer_family == FLOW_FAMILY_V4 ? ETH_TYPE_IPV4 : ETH_TYPE_IPV6));
	if (e->outer_family == FLOW_FAMILY_V4) {
		struct ipv4_hdr ip = {
			.ver_ihl = 0x45,
			.tos = tos,
			.total_len = sys_be16((uint16_t)(20 + payload)),
			.id = id,
			.frag_off = df ? sys_be16(IPV4_DF) : 0,
			.ttl = LB_ENCAP_TTL,
			.proto = next,
			.src = e->src.v4,
			.dst = e->dst.v4,
		};
		memcpy(o, &ip, sizeof(ip));
		sys_st16(o + 10, csum_ipv4_hdr(o, 20));
	} else {
		struct ipv6_hdr ip = {
			.ver_tc_flow = sys_be32(6u << 28 | (uint32_t)tos << 20 | (e->flow_hash & 0xfffff)),
			.payload_len = sys_be16((uint16_t)payload),
			.next = next,
			.hop_limit = LB_ENCAP_TTL,
		};
		memcpy(ip.src, e->src.v6, 16);
		memcpy(ip.dst, e->dst.v6, 16);
		memcpy(o, &ip, sizeof(ip));
	}
	if (e->gue) {
		uint8_t *u = o + ohl;
		struct udp_hdr uh = {
			.sport = sys_be16((uint16_t)(0xc000u | (e->flow_hash & 0x3fff))),
			.dport = e->gue_port,
			.len = sys_be16((uint16_t)payload),
		};
		memcpy(u, &uh, sizeof(uh));
		uint32_t sum = e->outer_family == FLOW_FAMILY_V4
				       ? csum_pseudo_v4(e->src.v4, e->dst.v4, IPPROTO_UDP_, payload)
				       : csum_pseudo_v6(e->src.v6, e->dst.v6, IPPROTO_UDP_, payload);
		uint16_t c = csum_fold(csum_partial(u, payload, sum));
		sys_st16(u + 6, c ? c : 0xffff);
	}
	parse_pkt(p);
	return LB_ENCAP_OK;
}
