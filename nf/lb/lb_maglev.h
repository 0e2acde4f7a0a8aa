/* SPDX-License-Identifier: MIT */
/*
 * lb_maglev.h - Maglev consistent hashing (Eisenbud et al., NSDI 2016)
 * with weights, and the 5-tuple hash that indexes it.
 *
 * A VIP's lookup table has M slots, M prime; each slot names a backend.
 * Every backend has a permutation of the slots, (offset + j * skip) mod M,
 * where offset and skip come from a hash of the backend's own address and
 * port only - not of its position in the config - so a backend's
 * preferences do not change when others come or go.  Filling takes turns:
 * in each round a backend of weight W claims its next W preferred free
 * slots, until the table is full.  Slots end up in proportion to the
 * weights (to within a slot per backend per round), and removing one
 * backend of N moves about 1/N of the slots: mostly its own, plus the few
 * the refill shuffles (the paper measures this; tests/unit/test_lb_maglev.c
 * checks our numbers).
 *
 * Both hashes are splitmix64's finaliser over fixed inputs, written out so
 * tests/gen/make_lb_golden.py can compute the same tables and choices.
 */
#ifndef NFB_LB_MAGLEV_H
#define NFB_LB_MAGLEV_H

#include "nfb/sys.h"

#define LB_MAGLEV_MIN 7u
#define LB_MAGLEV_MAX 65521u       /* largest prime below 2^16 */
#define LB_MAGLEV_DEFAULT 4099u    /* > 100 slots per backend up to 40 backends */
#define LB_MAGLEV_EMPTY 0xffffu

static inline uint64_t lb_mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* The hash of a new connection's 5-tuple (host-order addresses and ports):
 * which slot of the VIP's table picks its backend. */
static inline uint32_t lb_tuple_hash(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
				     uint8_t proto)
{
	uint64_t a = (uint64_t)src << 32 | dst;
	uint64_t b = (uint64_t)sport << 24 | (uint64_t)dport << 8 | proto;
	return (uint32_t)(lb_mix64(a ^ lb_mix64(b + 0x9e3779b97f4a7c15ull)) >> 32);
}

/* An IPv6 address (network order) folded to the 32 bits the hashes take:
 * hi, lo its two 64-bit halves read big-endian; an IPv4 address is its
 * host-order value. */
static inline uint32_t lb_fold128(uint64_t hi, uint64_t lo)
{
	return (uint32_t)(lb_mix64(hi ^ lb_mix64(lo ^ 0x5851f42d4c957f2dull)) >> 32);
}
static inline uint32_t lb_fold_addr(uint8_t family, const void *a)
{
	const uint8_t *b = a;
	if (family == 4)
		return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	uint64_t hi = 0, lo = 0;
	for (int i = 0; i < 8; i++) {
		hi = hi << 8 | b[i];
		lo = lo << 8 | b[8 + i];
	}
	return lb_fold128(hi, lo);
}

static inline uint32_t lb_maglev_slot(uint32_t hash, uint32_t m)
{
	return (uint32_t)(((uint64_t)hash * m) >> 32);
}

/* One candidate of a table: host-order address and port, weight >= 1,
 * and the value the table stores for it. */
struct lb_maglev_in {
	uint32_t addr;
	uint16_t port;
	uint16_t id;
	uint32_t weight;
};

bool lb_is_prime(uint32_t m);

/* Fill table[0..m) (m prime, LB_MAGLEV_MIN..LB_MAGLEV_MAX) from n
 * candidates; with n == 0 every slot is LB_MAGLEV_EMPTY.  Cold path:
 * O(m * log m) expected, scratch memory from sys_alloc.  Returns 0 or
 * -SYS_ENOMEM / -SYS_EINVAL. */
int lb_maglev_fill(uint16_t *table, uint32_t m, const struct lb_maglev_in *in, uint32_t n);

#endif
