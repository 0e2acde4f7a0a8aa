/* SPDX-License-Identifier: MIT */
/* nat_pool.c - port allocation on external addresses (see nat_pool.h). */
#include "nf/nat/nat_pool.h"

struct nat_pool *nat_pool_create(const uint32_t *addrs, const uint16_t *lo, const uint16_t *hi,
				 uint32_t n)
{
	struct nat_pool *p = sys_alloc(sizeof(*p), 8);
	if (!p)
		return NULL;
	p->a = sys_alloc((size_t)(n ? n : 1) * sizeof(*p->a), 8);
	p->by_addr = sys_alloc((size_t)(n ? n : 1) * sizeof(*p->by_addr), 8);
	if (!p->a || !p->by_addr) {
		nat_pool_free(p);
		return NULL;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct nat_pool_addr *a = &p->a[i];
		a->addr = addrs[i];
		a->lo = lo[i];
		a->hi = hi[i];
		a->words = ((uint32_t)hi[i] - lo[i] + 1 + 63) / 64;
		a->bits = sys_alloc((size_t)a->words * NAT_CLS_COUNT * 8, 8);
		p->n = i + 1; /* so nat_pool_free releases what exists */
		if (!a->bits) {
			nat_pool_free(p);
			return NULL;
		}
	}
	/* Insertion sort: pools are at most a few thousand addresses and
	 * built once per configure. */
	for (uint32_t i = 0; i < n; i++) {
		uint32_t j = i;
		while (j > 0 && sys_be32(addrs[p->by_addr[j - 1]]) > sys_be32(addrs[i])) {
			p->by_addr[j] = p->by_addr[j - 1];
			j--;
		}
		p->by_addr[j] = i;
	}
	return p;
}

void nat_pool_free(struct nat_pool *p)
{
	if (!p)
		return;
	for (uint32_t i = 0; p->a && i < p->n; i++)
		sys_free(p->a[i].bits);
	sys_free(p->a);
	sys_free(p->by_addr);
	sys_free(p);
}

static inline uint64_t *bitmap(struct nat_pool_addr *a, unsigned cls)
{
	return a->bits + (size_t)cls * a->words;
}

bool nat_pool_take(struct nat_pool *p, uint32_t ai, unsigned cls, uint16_t port)
{
	struct nat_pool_addr *a = &p->a[ai];
	if (port < a->lo || port > a->hi)
		return false;
	uint32_t off = (uint32_t)port - a->lo;
	uint64_t *w = &bitmap(a, cls)[off / 64], m = 1ull << (off % 64);
	if (*w & m)
		return false;
	*w |= m;
	a->used[cls]++;
	return true;
}

bool nat_pool_release(struct nat_pool *p, uint32_t ai, unsigned cls, uint16_t port)
{
	struct nat_pool_addr *a = &p->a[ai];
	if (port < a->lo || port > a->hi)
		return false;
	uint32_t off = (uint32_t)port - a->lo;
	uint64_t *w = &bitmap(a, cls)[off / 64], m = 1ull << (off % 64);
	if (!(*w & m))
		return false;
	*w &= ~m;
	a->used[cls]--;
	return true;
}

int32_t nat_pool_alloc(struct nat_pool *p, uint32_t ai, unsigned cls, uint16_t want)
{
	struct nat_pool_addr *a = &p->a[ai];
	uint32_t size = (uint32_t)a->hi - a->lo + 1;
	if (a->used[cls] >= size)
		return -SYS_ENOSPC;
	if (nat_pool_take(p, ai, cls, want))
		return want;
	/* First free bit at or after the cursor, wrapping once.  Bits past
	 * `size` in the last word are never set but must not be chosen. */
	const uint64_t *bm = bitmap(a, cls);
	uint32_t start = a->cursor[cls] < size ? a->cursor[cls] : 0;
	for (uint32_t step = 0; step <= a->words; step++) {
		uint32_t wi = (start / 64 + step) % a->words;
		uint64_t free = ~bm[wi];
		if (step == 0)
			free &= ~0ull << (start % 64);      /* below the cursor: later */
		if (step == a->words)
			free &= (start % 64) ? ~(~0ull << (start % 64)) : 0; /* the wrap's rest */
		while (free) {
			uint32_t off = wi * 64 + (uint32_t)__builtin_ctzll(free);
			if (off >= size)
				break;
			uint16_t port = (uint16_t)(a->lo + off);
			nat_pool_take(p, ai, cls, port);
			a->cursor[cls] = off + 1;
			return port;
		}
	}
	return -SYS_ENOSPC; /* unreachable while `used` is right */
}

int32_t nat_pool_find(const struct nat_pool *p, uint32_t addr)
{
	uint32_t lo = 0, hi = p->n, want = sys_be32(addr);
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2, v = sys_be32(p->a[p->by_addr[mid]].addr);
		if (v == want)
			return (int32_t)p->by_addr[mid];
		if (v < want)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}
