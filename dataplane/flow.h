/* SPDX-License-Identifier: MIT */
/*
 * flow.h - flow keys (IPv4/IPv6 5-tuple) and their hash.
 *
 * A key is 40 bytes, all of them significant: unused address bytes of an
 * IPv4 key and the padding are zero, so keys compare with a fixed-size
 * memcmp (or three vector compares).  Ports are in network byte order as in
 * the packet; for ICMP/ICMPv6 echo the identifier is in sport and dport is
 * zero, so an echo and its reply share a flow.
 *
 * flow_hash() is symmetric: a key and its reverse (src<->dst, sport<->dport)
 * hash alike, so a table can find both directions of a flow with one entry
 * (flowtable.h).  It uses the SSE4.2 CRC32C instruction: a few cycles.
 */
#ifndef NFB_FLOW_H
#define NFB_FLOW_H

#include "dataplane/pkt.h"

#define FLOW_FAMILY_V4 4
#define FLOW_FAMILY_V6 6

union flow_addr {
	uint32_t v4;            /* network order, in the first 4 bytes */
	uint8_t v6[16];
	uint64_t u64[2];
};

struct flow_key {
	union flow_addr src;
	union flow_addr dst;
	uint16_t sport;         /* network order */
	uint16_t dport;         /* network order */
	uint8_t proto;          /* IP protocol */
	uint8_t family;         /* FLOW_FAMILY_V4 or FLOW_FAMILY_V6 */
	uint16_t zone;          /* caller-defined namespace (e.g. pre/post NAT) */
};
_Static_assert(sizeof(struct flow_key) == 40, "flow_key is 40 bytes, no holes");

/*
 * Build the key of a parsed packet.  Returns 0, or -SYS_EINVAL for packets
 * that have no flow (not IP).  Packets without L4 ports (later fragments,
 * other protocols) get ports 0.  `zone` is stored as given.
 */
int flow_key_from_pkt(const struct pkt *p, uint16_t zone, struct flow_key *k);

/* The key of the opposite direction. */
void flow_key_reverse(const struct flow_key *k, struct flow_key *rev);

static inline bool flow_key_eq(const struct flow_key *a, const struct flow_key *b)
{
	const uint64_t *x = (const uint64_t *)a, *y = (const uint64_t *)b;
	return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) |
		(x[4] ^ y[4])) == 0;
}

/* Symmetric 32-bit hash: flow_hash(k) == flow_hash(reverse(k)). */
uint32_t flow_hash(const struct flow_key *k);

/* Format "tcp 10.0.0.1:1234 -> 10.0.0.2:80" (or [v6]:port) into buf. */
int flow_key_format(const struct flow_key *k, char *buf, size_t size);

#endif
