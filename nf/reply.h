/* SPDX-License-Identifier: MIT */
/*
 * reply.h - packets a function sends back to the sender of a packet it
 * got: the Ethernet addresses swapped (VLAN tags kept), IPv4 or IPv6 with
 * the addresses swapped, out of the ingress port.  The firewall's reject
 * answers (nf/firewall/fw_reject.h) and the load balancer's "too big"
 * errors (nf/lb/lb.c) are built here.
 *
 * An ICMP error quotes as much of the packet as fits in 576 bytes (IPv4,
 * RFC 1812 4.3.2.3) or 1280 (IPv6, RFC 4443 2.4(c)).  No answer is due
 * (nf_reply_due) for: a TCP RST, an ICMP error (RFC 1122 3.2.2), a later
 * fragment, and traffic to or from multicast, broadcast or unspecified
 * addresses (RFC 1122 3.2.2, RFC 4443 2.4(e)).
 */
#ifndef NFB_NF_REPLY_H
#define NFB_NF_REPLY_H

#include "nfb/pkt.h"

enum nf_reply_result {
	NF_REPLY_SENT,
	NF_REPLY_NOT_DUE, /* see above: drop silently */
	NF_REPLY_NO_BUF,  /* the pool was empty */
};

bool nf_reply_due(const struct pkt *p);

/* Write p's L2 header, addresses swapped, at d; returns its length. */
uint16_t nf_reply_l2(uint8_t *d, const struct pkt *p);
/* Write an IP header of p's family back to p's source (TTL 64, IPv4 DF)
 * for `l4_len` bytes of `proto` at d; returns its length (20 or 40). */
uint16_t nf_reply_ip(uint8_t *d, const struct pkt *p, uint8_t proto, uint32_t l4_len);
/* Pad `len` bytes at r->data to the Ethernet minimum, parse, checksum,
 * address it to p's ingress port.  False (r freed) if that failed. */
bool nf_reply_finish(struct pkt *r, uint32_t len, const struct pkt *p);

/* An ICMP (IPv4 `p`) or ICMPv6 (IPv6 `p`) error of type/code quoting p,
 * with `rest` (network order) as the 4 bytes after the checksum (the MTU
 * of frag-needed / packet too big).  On NF_REPLY_SENT *out holds it,
 * parsed, checksummed, out_port = p->port. */
enum nf_reply_result nf_reply_icmp_error(struct pkt_pool *pool, const struct pkt *p,
					 uint8_t type, uint8_t code, uint32_t rest,
					 struct pkt **out);

/* Answers at a bounded rate (RFC 4443 2.4(f), a MUST for ICMPv6 errors;
 * RFC 1812 4.3.2.8 for ICMP): a token bucket of NF_REPLY_BURST refilled
 * at NF_REPLY_PER_S, one per function, so a flood of packets that earn an
 * answer cannot turn the appliance into a reflector.  `now` in ns. */
#define NF_REPLY_PER_S 1000u
#define NF_REPLY_BURST 100u
struct nf_reply_limit {
	uint64_t at;     /* refilled up to this time */
	uint32_t tokens; /* answers left */
};
static inline void nf_reply_limit_init(struct nf_reply_limit *l)
{
	l->at = 0;
	l->tokens = NF_REPLY_BURST;
}
/* True (and a token taken) if an answer may go now. */
bool nf_reply_limit_take(struct nf_reply_limit *l, uint64_t now);

#endif
