/* SPDX-License-Identifier: MIT */
/*
 * lb_v6.h - what nat mode needs for IPv6: rewriting a parsed IPv6 TCP/UDP
 * packet's source or destination address and port, the transport
 * checksum updated incrementally (RFC 1624; IPv6 has no header checksum,
 * the pseudo-header holds the addresses, RFC 8200 8.1).  Not for packets
 * with a routing header (their pseudo-header uses its final address):
 * the balancer does not take those (lb.c).
 */
#ifndef NFB_LB_V6_H
#define NFB_LB_V6_H

#include "dataplane/csum.h"
#include "dataplane/parse.h"

static inline void lb_rewrite_v6(struct pkt *p, bool src, const uint8_t addr[16], uint16_t port_be)
{
	uint8_t *a = pkt_l3(p) + (src ? 8 : 24);
	uint8_t *l4 = pkt_l4(p);
	uint8_t *sp = l4 + (p->l4_proto == IPPROTO_TCP_ ? 16 : 6);
	uint8_t *pp = l4 + (src ? 0 : 2);
	uint16_t sum = csum_update128(sys_ld16(sp), a, addr);
	sum = csum_update16(sum, sys_ld16(pp), port_be);
	if (p->l4_proto == IPPROTO_UDP_ && sum == 0)
		sum = 0xffff; /* 0 is "none", which IPv6 forbids */
	memcpy(a, addr, 16);
	sys_st16(pp, port_be);
	sys_st16(sp, sum);
}

#endif
