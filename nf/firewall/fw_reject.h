/* SPDX-License-Identifier: MIT */
/*
 * fw_reject.h - the answer to a rejected packet: a TCP RST for TCP (RFC
 * 9293 3.10.7.1: from a closed port), otherwise an ICMP destination
 * unreachable (port unreachable for UDP, administratively prohibited for
 * other protocols; RFC 792 / RFC 4443 3.1), sent back out of the ingress
 * port with the Ethernet addresses swapped and any VLAN tags kept.
 *
 * The ICMP error quotes as much of the packet as fits in 576 bytes (IPv4,
 * RFC 1812 4.3.2.3) or 1280 (IPv6, RFC 4443 2.4(c)).  No answer is due, and
 * the packet is simply dropped, for: a RST, an ICMP error (RFC 1122
 * 3.2.2), a later fragment, and traffic to or from multicast, broadcast or
 * unspecified addresses (RFC 1122 3.2.2, RFC 4443 2.4(e)).
 */
#ifndef NFB_FW_REJECT_H
#define NFB_FW_REJECT_H

#include "nfb/pkt.h"

enum fw_reject_result {
	FW_REJECT_SENT,
	FW_REJECT_NOT_DUE,  /* see above: drop silently */
	FW_REJECT_NO_BUF,   /* the pool was empty */
};

/* Build the answer to parsed packet `p` in a buffer from `pool`; on
 * FW_REJECT_SENT *out holds it, parsed, checksummed, out_port = p->port. */
enum fw_reject_result fw_reject_build(struct pkt_pool *pool, const struct pkt *p,
				      struct pkt **out);

#endif
