/* SPDX-License-Identifier: MIT */
/*
 * flow.h - flow keys (IPv4/IPv6 5-tuple) and their hash.
 *
 * A key is 40 bytes, all of them significant: unused address bytes of an
 * IPv4 key and the padding are zero, so keys compare with a fixed-size
 * memcmp (or three vector compares).  Ports are in network byte order as in
 * the packet.  ICMP/ICMPv6 query messages (echo, and ICMPv4 timestamp,
 * information and address mask) key by their identifier, in sport, and a
 * query tag in dport (flow_icmp_tag): the request's type and the direction,
 * so a request and its reply share a flow but a request coming the other
 * way (which Linux conntrack drops too) does not.  Other ICMP messages
 * have ports 0.
 *
 * flow_hash() is symmetric: a key and its reverse (src<->dst, sport<->dport)
 * hash alike, so a table can find both directions of a flow with one entry
 * (flowtable.h).  It uses the SSE4.2 CRC32C instruction: a few cycles, and
 * the IPv4 case is inline.
 *
 * The reverse of an ICMP/ICMPv6 key swaps the addresses and turns the
 * query tag's direction around; the identifier stays in sport: exactly the
 * key the reply packet produces.  The hash orders the two addresses and,
 * separately, the two ports, with the tag's direction byte left out, so it
 * is symmetric under both kinds of reversal.  The price
 * is that a:1->b:2 and a:2->b:1 collide; the table tells them apart by key.
 */
#ifndef NFB_FLOW_H
#define NFB_FLOW_H

#include "nfb/pkt.h"

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

/* The key of the opposite direction (ICMP: addresses swapped, ports kept). */
void flow_key_reverse(const struct flow_key *k, struct flow_key *rev);

static inline bool flow_proto_has_id(uint8_t proto)
{
	return proto == 1 /* ICMP */ || proto == 58 /* ICMPv6 */;
}

/* The query tag of an ICMP (proto 1) or ICMPv6 (58) message of `type`, as
 * the dport it is stored in: the low byte (first in memory) the request's
 * type, the high byte FLOW_ICMP_REQUEST or FLOW_ICMP_REPLY; 0 for messages
 * that are no query (errors, router discovery...).  RFC 792 echo 8/0,
 * timestamp 13/14, information 15/16, RFC 950 address mask 17/18, RFC
 * 4443 echo 128/129. */
#define FLOW_ICMP_REQUEST 1
#define FLOW_ICMP_REPLY 2
#define FLOW_ICMP_DIR_FLIP ((FLOW_ICMP_REQUEST ^ FLOW_ICMP_REPLY) << 8)
static inline uint16_t flow_icmp_tag(uint8_t proto, uint8_t type)
{
	unsigned req, dir = FLOW_ICMP_REQUEST;
	if (proto == 1) {
		switch (type) {
		case 8: case 13: case 15: case 17: req = type; break;
		case 0: req = 8; dir = FLOW_ICMP_REPLY; break;
		case 14: case 16: case 18: req = type - 1u; dir = FLOW_ICMP_REPLY; break;
		default: return 0;
		}
	} else if (type == 128 || type == 129) {
		req = 128;
		dir = type == 128 ? FLOW_ICMP_REQUEST : FLOW_ICMP_REPLY;
	} else {
		return 0;
	}
	uint8_t b[2] = {(uint8_t)req, (uint8_t)dir};
	uint16_t tag;
	memcpy(&tag, b, 2);
	return tag;
}
/* True for the ICMP (proto 1) and ICMPv6 (58) error types, the ones that
 * quote a packet: RFC 792 unreachable 3, source quench 4, redirect 5,
 * time exceeded 11, parameter problem 12; RFC 4443 types below 128. */
static inline bool flow_icmp_is_error(uint8_t proto, uint8_t type)
{
	if (proto == 1)
		return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
	return proto == 58 && type < 128;
}

/* True for the request half of a query tag. */
static inline bool flow_icmp_tag_is_request(uint16_t tag)
{
	return ((const uint8_t *)&tag)[1] == FLOW_ICMP_REQUEST;
}

/* The last 8 bytes of a key (ports, proto, family, zone) as one word, and
 * that word for the reverse key: lets a table compare a key against the
 * reverse of another without building it. */
static inline uint64_t flow_key_tail(const struct flow_key *k)
{
	return ((const uint64_t *)k)[4];
}
static inline uint64_t flow_key_tail_reverse(uint64_t tail)
{
	uint8_t proto = (uint8_t)(tail >> 32);
	if (flow_proto_has_id(proto)) {
		/* A query: the other direction's tag; anything else as is. */
		if (tail & 0xff000000ull)
			tail ^= (uint64_t)FLOW_ICMP_DIR_FLIP << 16;
		return tail;
	}
	uint32_t ports = (uint32_t)tail;
	return (tail & 0xffffffff00000000ull) | (ports >> 16) | (ports << 16);
}

static inline bool flow_key_eq(const struct flow_key *a, const struct flow_key *b)
{
	const uint64_t *x = (const uint64_t *)a, *y = (const uint64_t *)b;
	return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) |
		(x[4] ^ y[4])) == 0;
}

/* True if `b` is the reverse of `a` (flow_key_reverse(a) == b). */
static inline bool flow_key_eq_reverse(const struct flow_key *a, const struct flow_key *b)
{
	const uint64_t *x = (const uint64_t *)a, *y = (const uint64_t *)b;
	return ((x[0] ^ y[2]) | (x[1] ^ y[3]) | (x[2] ^ y[0]) | (x[3] ^ y[1]) |
		(x[4] ^ flow_key_tail_reverse(y[4]))) == 0;
}

/* ---- hash ----------------------------------------------------------------
 * Symmetry comes from ordering: the smaller address goes first and, on its
 * own, the smaller port.  Pairing each port with its address would separate
 * a:1->b:2 from a:2->b:1, but then the ICMP reversal (ports kept) would not
 * be symmetric, and those collisions cost a key compare, not correctness.
 *
 * Arbitrary non-zero seed, so the all-zero key does not hash to 0, the value
 * pkt.hash holds while nobody has computed it. */
#define FLOW_HASH_SEED 0x9e3779b9u

/* CRC32C through the compiler builtin rather than <nmmintrin.h>: GCC 12's
 * intrinsics headers pull in <stdlib.h> (for _mm_malloc), which a -nostdinc
 * image build does not have.  Needs SSE4.2 (-march=x86-64-v2). */
static inline uint64_t flow_crc_(uint64_t crc, uint64_t v)
{
	return __builtin_ia32_crc32di(crc, v);
}

/* Ports ordered, then proto, family, zone: the key's last word, made
 * direction-free (test_flow pins the hash values of a few keys). */
static inline uint64_t flow_hash_meta_(uint64_t tail)
{
	/* An ICMP query tag's direction byte is not hashed (flow_icmp_tag). */
	if (unlikely(flow_proto_has_id((uint8_t)(tail >> 32))))
		tail &= ~0xff000000ull;
	uint32_t sp = (uint16_t)tail, dp = (uint16_t)(tail >> 16);
	uint64_t ports = sp < dp ? ((uint64_t)sp << 16 | dp) : ((uint64_t)dp << 16 | sp);
	return (tail & 0xffffffff00000000ull) | ports;
}

uint32_t flow_hash_v6(const struct flow_key *k);

/* Symmetric 32-bit hash: flow_hash(k) == flow_hash(reverse(k)).  All 32 bits
 * are mixed; tables may take the bucket from the high bits and a signature
 * from the low ones.  IPv4 is inline: two CRC32C steps, a few cycles. */
/* The IPv4 hash from the key's words: source and destination addresses
 * (zero-extended) and the last word (flow_key_tail).  For callers that hold
 * a key in registers (nf/firewall) and must not read it back from memory. */
static inline uint32_t flow_hash_v4_words(uint64_t s, uint64_t d, uint64_t tail)
{
	uint64_t addrs = s < d ? (s << 32 | d) : (d << 32 | s);
	return (uint32_t)flow_crc_(flow_crc_(FLOW_HASH_SEED, addrs), flow_hash_meta_(tail));
}

static inline uint32_t flow_hash(const struct flow_key *k)
{
	if (unlikely(k->family != FLOW_FAMILY_V4))
		return flow_hash_v6(k);
	return flow_hash_v4_words(k->src.v4, k->dst.v4, flow_key_tail(k));
}

/*
 * Format "tcp 10.0.0.1:1234 -> 10.0.0.2:80", "udp [2001:db8::1]:53 -> ...",
 * "icmp 10.0.0.1 -> 10.0.0.2 id 7", "proto 47 ..." and " zone N" when the
 * zone is not 0.  Returns what snprintf returns: the length of the whole
 * text, which was truncated if >= size.
 */
int flow_key_format(const struct flow_key *k, char *buf, size_t size);

/* One address of a key of `family`: "10.0.0.1", "2001:db8::1" (RFC 5952),
 * no brackets.  Returns what snprintf returns. */
int flow_addr_format(uint8_t family, const union flow_addr *a, char *buf, size_t size);

#endif
