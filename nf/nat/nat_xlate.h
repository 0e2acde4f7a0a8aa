/* SPDX-License-Identifier: MIT */
/*
 * nat_xlate.h - rewriting IPv4 headers in place, with every checksum the
 * change touches updated incrementally (RFC 1624, dataplane/csum.h): the IP
 * header's, TCP's and UDP's (their pseudo-header holds the addresses; a UDP
 * checksum of 0, "none", stays 0), ICMP's (no pseudo-header; the echo
 * identifier plays the port).
 *
 * ICMP errors (RFC 5508 REQ-3/4): the quoted packet is the translated
 * one, so the quote is translated too - its address, port or identifier,
 * its IP header checksum and, when the quote is long enough to hold it,
 * its transport checksum - and the outer ICMP checksum follows every
 * changed word of the quote.
 */
#ifndef NFB_NAT_XLATE_H
#define NFB_NAT_XLATE_H

#include "dataplane/flow.h"
#include "dataplane/parse.h"

/* Rewrite the source (src = true) or destination address and port of a
 * parsed IPv4 TCP/UDP/ICMP-echo packet with a complete L4 header.  For
 * ICMP the "port" is the identifier whichever side is rewritten. */
void nat_rewrite(struct pkt *p, bool src, uint32_t addr_be, uint16_t port_be);

/* The packet an ICMPv4 error quotes. */
struct nat_inner {
	uint32_t ip;     /* offset of the quoted IP header from pkt.data */
	uint32_t l4;     /* offset of its transport header */
	uint32_t avail;  /* bytes of the quote from l4 on */
	struct flow_key key; /* keyed as the quoted packet itself, zone 0 */
};

/* True if `p` is an ICMPv4 error (destination unreachable, time exceeded,
 * parameter problem, source quench) that the NAT can translate: it quotes
 * an IPv4 TCP, UDP or ICMP echo packet, not a later fragment, with the 8
 * bytes of ports RFC 792 promises, inside the outer packet. */
bool nat_icmp_inner(const struct pkt *p, struct nat_inner *in);

/* Translate an ICMP error: the outer source (outer_src) or destination
 * becomes `outer_addr`; the quote's source (inner_src) or destination
 * address and port become `addr`/`port`. */
void nat_icmp_rewrite(struct pkt *p, const struct nat_inner *in, bool outer_src,
		      uint32_t outer_addr, bool inner_src, uint32_t addr, uint16_t port);

#endif
