/* SPDX-License-Identifier: MIT */
/*
 * fw_lpm6.c - IPv6 set membership: one hash table of (length, masked
 * prefix), probed once per distinct length (see fw_lpm.h).
 *
 * A bucket is one cache line holding three prefixes; a probe hashes the
 * masked address with its length (CRC32C, the instruction flow.c uses) and
 * walks buckets linearly until one has a free slot, so a miss usually costs
 * one line.  The table is sized to at most half full.  Prefixes covered by
 * a shorter one of the set are dropped while building (the sorted order
 * puts the cover first), which also removes lengths nobody needs.
 */
#include "nf/firewall/fw_lpm.h"

#define SLOTS 3
#define EMPTY 0xffu

struct bucket {
	uint64_t hi[SLOTS], lo[SLOTS];
	uint8_t len[SLOTS]; /* EMPTY: free */
	uint8_t pad[64 - 6 * 8 - SLOTS];
};
_Static_assert(sizeof(struct bucket) == 64, "one cache line per bucket");

struct fw_lpm6 {
	struct bucket *b;
	uint32_t mask;        /* buckets - 1 */
	uint32_t n;
	uint32_t n_lens;
	uint8_t lens[129];    /* present lengths, longest first */
	uint64_t mhi[129], mlo[129]; /* their masks */
	uint64_t *bloom;      /* NULL for small sets */
	uint32_t bloom_shift; /* word = hash * golden >> shift */
};

#define BLOOM_MIN 4096 /* prefixes below which the table stays in cache */

static inline uint32_t bloom_word(const struct fw_lpm6 *l, uint32_t h)
{
	return (uint32_t)(((uint64_t)h * 0x9e3779b97f4a7c15ull) >> l->bloom_shift);
}

static inline uint64_t bloom_bits(uint32_t h)
{
	return (1ull << (h & 63)) | (1ull << ((h >> 6) & 63));
}

static inline uint64_t ld_be64(const uint8_t *p)
{
	return sys_be64(sys_ld64(p));
}

static inline void mask_addr(uint64_t *hi, uint64_t *lo, unsigned len)
{
	if (len < 64) {
		*hi = len ? *hi & ~(~0ull >> len) : 0;
		*lo = 0;
	} else if (len < 128) {
		*lo = len > 64 ? *lo & ~(~0ull >> (len - 64)) : 0;
	}
}

static inline uint32_t hash6(uint64_t hi, uint64_t lo, unsigned len)
{
	uint64_t h = __builtin_ia32_crc32di(0x2545f491u + len, hi);
	return (uint32_t)__builtin_ia32_crc32di(h, lo);
}

/* True if `p` lies inside `c` (c no longer than p). */
static bool covers(const struct cfg_prefix6 *c, const struct cfg_prefix6 *p)
{
	if (c->len > p->len)
		return false;
	uint64_t chi = ld_be64(c->addr), clo = ld_be64(c->addr + 8);
	uint64_t phi = ld_be64(p->addr), plo = ld_be64(p->addr + 8);
	mask_addr(&phi, &plo, c->len);
	return chi == phi && clo == plo;
}

static bool probe(const struct fw_lpm6 *l, uint64_t hi, uint64_t lo, unsigned len, bool insert)
{
	uint32_t i = hash6(hi, lo, len) & l->mask;
	for (;;) {
		struct bucket *b = &l->b[i];
		for (unsigned s = 0; s < SLOTS; s++) {
			if (b->len[s] == EMPTY) {
				if (insert) {
					b->hi[s] = hi;
					b->lo[s] = lo;
					b->len[s] = (uint8_t)len;
				}
				return false;
			}
			if (b->len[s] == len && b->hi[s] == hi && b->lo[s] == lo)
				return true;
		}
		i = (i + 1) & l->mask;
	}
}

struct fw_lpm6 *fw_lpm6_build(const struct cfg_prefix6 *p, uint32_t n)
{
	struct fw_lpm6 *l = sys_alloc(sizeof(*l), SYS_CACHE_LINE);
	if (!l)
		return NULL;
	uint32_t buckets = 1;
	while ((uint64_t)buckets * SLOTS < (uint64_t)n * 2)
		buckets <<= 1;
	l->b = sys_alloc((size_t)buckets * sizeof(struct bucket), SYS_CACHE_LINE);
	if (!l->b) {
		sys_free(l);
		return NULL;
	}
	memset(l->b, 0xff, (size_t)buckets * sizeof(struct bucket));
	l->mask = buckets - 1;

	if (n >= BLOOM_MIN) {
		uint32_t words = 1, bits = 0;
		while (words < n / 4) {
			words <<= 1;
			bits++;
		}
		l->bloom = sys_alloc((size_t)words * 8, SYS_CACHE_LINE);
		l->bloom_shift = 64 - bits;
		if (!l->bloom) {
			fw_lpm6_free(l);
			return NULL;
		}
	}
	bool have[129] = {false};
	/* Sorted by (address, length): a prefix's covers come before it.  The
	 * last kept prefix is the only one that can cover the next, unless
	 * the next starts a new range: then nothing kept covers it either. */
	const struct cfg_prefix6 *last = NULL;
	for (uint32_t i = 0; i < n; i++) {
		if (last && covers(last, &p[i]))
			continue;
		uint64_t hi = ld_be64(p[i].addr), lo = ld_be64(p[i].addr + 8);
		mask_addr(&hi, &lo, p[i].len);
		if (!probe(l, hi, lo, p[i].len, false)) {
			probe(l, hi, lo, p[i].len, true);
			l->n++;
		}
		if (l->bloom) {
			uint32_t h = hash6(hi, lo, p[i].len);
			l->bloom[bloom_word(l, h)] |= bloom_bits(h);
		}
		have[p[i].len] = true;
		last = &p[i];
	}
	for (int len = 128; len >= 0; len--) {
		if (!have[len])
			continue;
		uint64_t hi = ~0ull, lo = ~0ull;
		mask_addr(&hi, &lo, (unsigned)len);
		l->mhi[l->n_lens] = hi;
		l->mlo[l->n_lens] = lo;
		l->lens[l->n_lens++] = (uint8_t)len;
	}
	return l;
}

void fw_lpm6_free(struct fw_lpm6 *l)
{
	if (!l)
		return;
	sys_free(l->b);
	sys_free(l->bloom);
	sys_free(l);
}

/* A bucket's three slots tested without branching on each: the only
 * branches left are "found" and "no free slot here" (both nearly always
 * predicted right: lookups mostly miss, and buckets are mostly not full). */
static inline int bucket_has(const struct bucket *b, uint64_t hi, uint64_t lo, unsigned len)
{
	int hit = 0, room = 0;
	for (unsigned s = 0; s < SLOTS; s++) {
		hit |= (b->len[s] == len) & (b->hi[s] == hi) & (b->lo[s] == lo);
		room |= b->len[s] == EMPTY;
	}
	return hit ? 1 : room ? 0 : -1;
}

#define LOOKUP_MAX_LENS 16

bool fw_lpm6_lookup(const struct fw_lpm6 *l, uint64_t ahi, uint64_t alo)
{
	/* Hash every length first and prefetch what each will read, so the
	 * cache misses of a large set overlap instead of adding up. */
	uint32_t hash[LOOKUP_MAX_LENS];
	unsigned n = l->n_lens < LOOKUP_MAX_LENS ? l->n_lens : LOOKUP_MAX_LENS;
	for (unsigned i = 0; i < n; i++) {
		hash[i] = hash6(ahi & l->mhi[i], alo & l->mlo[i], l->lens[i]);
		sys_prefetch(l->bloom ? (const void *)&l->bloom[bloom_word(l, hash[i])]
				      : (const void *)&l->b[hash[i] & l->mask]);
	}
	for (unsigned i = 0; i < l->n_lens; i++) {
		uint64_t hi = ahi & l->mhi[i], lo = alo & l->mlo[i];
		uint32_t h = i < n ? hash[i] : hash6(hi, lo, l->lens[i]);
		if (l->bloom && (l->bloom[bloom_word(l, h)] & bloom_bits(h)) != bloom_bits(h))
			continue;
		for (uint32_t at = h & l->mask;; at = (at + 1) & l->mask) {
			int r = bucket_has(&l->b[at], hi, lo, l->lens[i]);
			if (r > 0)
				return true;
			if (r == 0)
				break;
		}
	}
	return false;
}

size_t fw_lpm6_memory(const struct fw_lpm6 *l)
{
	size_t bloom = l->bloom ? (size_t)8 << (64 - l->bloom_shift) : 0;
	return sizeof(*l) + ((size_t)l->mask + 1) * sizeof(struct bucket) + bloom;
}
