/* SPDX-License-Identifier: MIT */
/*
 * lb_icmp6.h - ICMPv6 errors (RFC 4443: unreachable, packet too big, time
 * exceeded, parameter problem) about an IPv6 nat-mode connection, as
 * nf/xlate.h does them for IPv4: the quoted packet is translated (an
 * address and a port, its transport checksum when the quote holds it)
 * and so is the outer address that is the vip or the backend.  The
 * outer ICMPv6 checksum is then computed again (its pseudo-header and
 * the quote both changed; a cold path).
 */
#ifndef NFB_LB_ICMP6_H
#define NFB_LB_ICMP6_H

#include "nf/xlate.h"

/* True if `p` is an ICMPv6 error quoting an IPv6 TCP or UDP packet
 * (no extension headers) with its ports, inside the outer packet; `in`
 * then says where (struct xlate_inner, the key as the quote is, zone 0). */
bool lb_icmp6_inner(const struct pkt *p, struct xlate_inner *in);

/* The outer source (outer_src) or destination becomes outer_addr (NULL:
 * unchanged); the quote's source (inner_src) or destination address and
 * port become addr/port. */
void lb_icmp6_rewrite(struct pkt *p, const struct xlate_inner *in, bool outer_src,
		      const uint8_t *outer_addr, bool inner_src, const uint8_t *addr, uint16_t port);

#endif
