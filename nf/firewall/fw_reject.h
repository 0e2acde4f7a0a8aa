/* SPDX-License-Identifier: MIT */
/*
 * fw_reject.h - the answer to a rejected packet: a TCP RST for TCP (RFC
 * 9293 3.10.7.1: from a closed port), otherwise an ICMP destination
 * unreachable (port unreachable for UDP, administratively prohibited for
 * other protocols; RFC 792 / RFC 4443 3.1), sent back out of the ingress
 * port with the Ethernet addresses swapped and any VLAN tags kept, built
 * by nf/reply.h, which says when no answer is due (the packet is then
 * simply dropped) and how much an ICMP error quotes.
 */
#ifndef NFB_FW_REJECT_H
#define NFB_FW_REJECT_H

#include "nf/reply.h"

/* Build the answer to parsed packet `p` in a buffer from `pool`; on
 * NF_REPLY_SENT *out holds it, parsed, checksummed, out_port = p->port. */
enum nf_reply_result fw_reject_build(struct pkt_pool *pool, const struct pkt *p,
				      struct pkt **out);

#endif
