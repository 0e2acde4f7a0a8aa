/* SPDX-License-Identifier: MIT */
/*
 * fw_lpm4.c - IPv4 set membership in a 16-8-8 "two bits per child" trie
 * (see fw_lpm.h).
 *
 * Every level is an array of blocks; a block describes 64 children with two
 * masks: `in` (the whole child range is covered) and `part` (partly
 * covered: look at the next level).  The children marked `part` are
 * numbered in address order across the whole level, and `rank` holds the
 * number of them before the block, so the next-level index of child b is
 * rank + popcount(part & below(b)).  Level 1 has 1024 blocks (65536 /16s),
 * each level-2 node 4 blocks (256 /24s), each level-3 leaf a 256-bit map of
 * single addresses.
 *
 * Building: the sorted prefixes are merged into disjoint ranges, then the
 * three levels are written in address order in one sweep, so ranks come out
 * increasing without a second structure.  A first sweep only counts nodes
 * to size the arrays.
 */
#include "nf/firewall/fw_lpm.h"

struct blk {
	uint64_t in, part;
	uint32_t rank;
};

struct fw_lpm4 {
	struct blk l1[1024];
	struct blk *l2;       /* 4 blocks per partly covered /16 */
	uint64_t (*l3)[4];    /* 256 bits per partly covered /24 */
	uint32_t n2, n3;
};

struct range {
	uint32_t lo, hi;
};

static inline uint32_t pfx_last(uint32_t a, uint8_t len)
{
	return len == 0 ? 0xffffffffu : a | (uint32_t)(0xffffffffull >> len);
}

/* Merge sorted prefixes into sorted, disjoint, non-adjacent ranges. */
static uint32_t merge(const struct cfg_prefix4 *p, uint32_t n, struct range *out)
{
	uint32_t m = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t lo = p[i].addr, hi = pfx_last(p[i].addr, p[i].len);
		if (m && (uint64_t)lo <= (uint64_t)out[m - 1].hi + 1) {
			if (hi > out[m - 1].hi)
				out[m - 1].hi = hi;
		} else {
			out[m++] = (struct range){lo, hi};
		}
	}
	return m;
}

enum cover { C_NONE, C_FULL, C_PART };

/* Coverage of [lo, hi] by ranges r[*i..n); *i only moves forward, since
 * the caller asks about increasing, disjoint intervals. */
static enum cover cover(const struct range *r, uint32_t n, uint32_t *i, uint32_t lo, uint32_t hi)
{
	while (*i < n && r[*i].hi < lo)
		(*i)++;
	if (*i == n || r[*i].lo > hi)
		return C_NONE;
	/* Ranges are merged, so one range covers the interval or none does. */
	if (r[*i].lo <= lo && r[*i].hi >= hi)
		return C_FULL;
	return C_PART;
}

static void set_bits(uint64_t *w, uint32_t from, uint32_t to)
{
	for (uint32_t b = from; b <= to;) {
		uint32_t word = b >> 6, lo = b & 63;
		uint32_t hi = (to >> 6) == word ? (to & 63) : 63;
		uint64_t m = (hi - lo == 63) ? ~0ull : (((1ull << (hi - lo + 1)) - 1) << lo);
		w[word] |= m;
		b = (word << 6) + hi + 1;
		if (b == 0)
			break; /* wrapped past 2^32 - 1 */
	}
}

/* One sweep over the address space in /16 steps, jumping over the empty
 * stretches between ranges.  With l == NULL it only counts.  Ranks are
 * filled afterwards (set_ranks). */
static void sweep(struct fw_lpm4 *l, const struct range *r, uint32_t n, uint32_t *n2,
		  uint32_t *n3)
{
	uint32_t i1 = 0, c2 = 0, c3 = 0;
	for (uint32_t h = 0; h < 65536; h++) {
		uint32_t base = h << 16;
		enum cover c = cover(r, n, &i1, base, base | 0xffff);
		if (c == C_NONE) {
			if (i1 == n)
				break;
			uint32_t next = r[i1].lo >> 16;
			if (next > h)
				h = next - 1; /* the loop's h++ lands on it */
			continue;
		}
		struct blk *b1 = l ? &l->l1[h >> 6] : NULL;
		if (c == C_FULL) {
			if (b1)
				b1->in |= 1ull << (h & 63);
			continue;
		}
		if (b1)
			b1->part |= 1ull << (h & 63);
		/* Children of this /16; i2 restarts at i1, which still points at
		 * the first range reaching into it. */
		uint32_t i2 = i1;
		for (uint32_t m = 0; m < 256; m++) {
			uint32_t b24 = base | (m << 8);
			struct blk *b2 = l ? &l->l2[c2 * 4 + (m >> 6)] : NULL;
			enum cover c24 = cover(r, n, &i2, b24, b24 | 0xff);
			if (c24 == C_FULL && b2)
				b2->in |= 1ull << (m & 63);
			if (c24 != C_PART)
				continue;
			if (b2) {
				b2->part |= 1ull << (m & 63);
				for (uint32_t k = i2; k < n && r[k].lo <= (b24 | 0xff); k++) {
					uint32_t lo = r[k].lo < b24 ? 0 : r[k].lo - b24;
					uint32_t hi = r[k].hi > (b24 | 0xff) ? 255 : r[k].hi - b24;
					set_bits(l->l3[c3], lo, hi);
				}
			}
			c3++;
		}
		c2++;
	}
	*n2 = c2;
	*n3 = c3;
}

/* rank = the number of `part` children in all blocks before, level-wide. */
static void set_ranks(struct blk *b, uint32_t n)
{
	uint32_t sum = 0;
	for (uint32_t i = 0; i < n; i++) {
		b[i].rank = sum;
		sum += (uint32_t)__builtin_popcountll(b[i].part);
	}
}

struct fw_lpm4 *fw_lpm4_build(const struct cfg_prefix4 *p, uint32_t n)
{
	struct range *r = sys_alloc((size_t)(n ? n : 1) * sizeof(*r), 8);
	struct fw_lpm4 *l = sys_alloc(sizeof(*l), SYS_CACHE_LINE);
	if (!r || !l)
		goto fail;
	uint32_t m = merge(p, n, r);
	uint32_t n2, n3;
	sweep(NULL, r, m, &n2, &n3);
	l->l2 = sys_alloc((size_t)(n2 ? n2 : 1) * 4 * sizeof(struct blk), SYS_CACHE_LINE);
	l->l3 = sys_alloc((size_t)(n3 ? n3 : 1) * sizeof(*l->l3), SYS_CACHE_LINE);
	if (!l->l2 || !l->l3)
		goto fail;
	l->n2 = n2;
	l->n3 = n3;
	sweep(l, r, m, &n2, &n3);
	set_ranks(l->l1, 1024);
	set_ranks(l->l2, n2 * 4);
	sys_free(r);
	return l;
fail:
	sys_free(r);
	fw_lpm4_free(l);
	return NULL;
}

void fw_lpm4_free(struct fw_lpm4 *l)
{
	if (!l)
		return;
	sys_free(l->l2);
	sys_free(l->l3);
	sys_free(l);
}

bool fw_lpm4_lookup(const struct fw_lpm4 *l, uint32_t addr)
{
	const struct blk *b = &l->l1[addr >> 22];
	uint64_t bit = 1ull << ((addr >> 16) & 63);
	if (b->in & bit)
		return true;
	if (!(b->part & bit))
		return false;
	uint32_t n2 = b->rank + (uint32_t)__builtin_popcountll(b->part & (bit - 1));
	b = &l->l2[n2 * 4 + ((addr >> 14) & 3)];
	bit = 1ull << ((addr >> 8) & 63);
	if (b->in & bit)
		return true;
	if (!(b->part & bit))
		return false;
	uint32_t n3 = b->rank + (uint32_t)__builtin_popcountll(b->part & (bit - 1));
	return (l->l3[n3][(addr >> 6) & 3] >> (addr & 63)) & 1;
}

size_t fw_lpm4_memory(const struct fw_lpm4 *l)
{
	return sizeof(*l) + (size_t)l->n2 * 4 * sizeof(struct blk) + (size_t)l->n3 * 32;
}
