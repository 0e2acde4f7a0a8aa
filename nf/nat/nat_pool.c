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
	a->used_wk[cls] += port < NAT_PORT_WELL_KNOWN_END;
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
	a->used_wk[cls] -= port < NAT_PORT_WELL_KNOWN_END;
	return true;
}

/* The first free offset in [from, to] (inclusive) whose bit is also set in
 * `mask` (a parity pattern or all ones), or -1. */
static int32_t first_free(const uint64_t *bm, uint32_t from, uint32_t to, uint64_t mask)
{
	for (uint32_t wi = from / 64; wi <= to / 64; wi++) {
		uint64_t free = ~bm[wi] & mask;
		if (wi == from / 64)
			free &= ~0ull << (from % 64);
		if (wi == to / 64 && to % 64 != 63)
			free &= ~(~0ull << (to % 64 + 1));
		if (free)
			return (int32_t)(wi * 64 + (uint32_t)__builtin_ctzll(free));
	}
	return -1;
}

/* Offsets [*wlo, *whi] of the ports a session of inside port `want` may
 * get: the whole range for ICMP identifiers, else the ports of want's
 * class (1-1023 or 1024-65535) the range holds, or the whole range when it
 * holds none of them (the config chose so). */
static void class_window(const struct nat_pool_addr *a, unsigned cls, uint16_t want,
			 uint32_t *wlo, uint32_t *whi)
{
	uint32_t lo = a->lo, hi = a->hi;
	if (cls != NAT_CLS_ICMP) {
		uint32_t clo = want < NAT_PORT_WELL_KNOWN_END ? 1 : NAT_PORT_WELL_KNOWN_END;
		uint32_t chi = want < NAT_PORT_WELL_KNOWN_END ? NAT_PORT_WELL_KNOWN_END - 1 : 65535;
		if (SYS_MAX(lo, clo) <= SYS_MIN(hi, chi)) {
			lo = SYS_MAX(lo, clo);
			hi = SYS_MIN(hi, chi);
		}
	}
	*wlo = lo - a->lo;
	*whi = hi - a->lo;
}

/* Ports in use in window [wlo, whi] (offsets): the window is all of the
 * range, or the range's well-known ports, or the others (class_window). */
static uint32_t window_used(const struct nat_pool_addr *a, unsigned cls, uint32_t wlo, uint32_t whi)
{
	uint32_t lo = a->lo + wlo, hi = a->lo + whi;
	if (lo <= a->lo && hi >= a->hi)
		return a->used[cls];
	return hi < NAT_PORT_WELL_KNOWN_END ? a->used_wk[cls] : a->used[cls] - a->used_wk[cls];
}

int32_t nat_pool_alloc(struct nat_pool *p, uint32_t ai, unsigned cls, uint16_t want)
{
	struct nat_pool_addr *a = &p->a[ai];
	uint32_t size = (uint32_t)a->hi - a->lo + 1;
	if (a->used[cls] >= size)
		return -SYS_ENOSPC;
	if (nat_pool_take(p, ai, cls, want))
		return want;
	uint32_t wlo, whi;
	class_window(a, cls, want, &wlo, &whi);
	/* A full window is known without a scan of its bitmap (a flood
	 * against a full pool asks for every packet). */
	if (window_used(a, cls, wlo, whi) > whi - wlo)
		return -SYS_ENOSPC;
	/* Offsets of want's parity: port = lo + off, so off's parity is
	 * want's xor lo's.  ICMP identifiers have no parity to keep. */
	uint64_t same = ((want ^ a->lo) & 1) ? 0xaaaaaaaaaaaaaaaaull : 0x5555555555555555ull;
	if (cls == NAT_CLS_ICMP)
		same = ~0ull;
	/* From the cursor to the window's end, then from its start: a port
	 * just released is not handed out again at once. */
	uint32_t start = a->cursor[cls] >= wlo && a->cursor[cls] <= whi ? a->cursor[cls] : wlo;
	const uint64_t *bm = bitmap(a, cls);
	const uint64_t masks[2] = {same, ~0ull};
	for (unsigned m = 0; m < 2; m++) {
		int32_t off = first_free(bm, start, whi, masks[m]);
		if (off < 0 && start > wlo)
			off = first_free(bm, wlo, start - 1, masks[m]);
		if (off >= 0) {
			uint16_t port = (uint16_t)(a->lo + (uint32_t)off);
			nat_pool_take(p, ai, cls, port);
			a->cursor[cls] = (uint32_t)off + 1;
			return port;
		}
	}
	return -SYS_ENOSPC; /* want's class has no free port left */
}

bool nat_pool_take_for(struct nat_pool *p, uint32_t ai, unsigned cls, uint16_t want, uint16_t port)
{
	struct nat_pool_addr *a = &p->a[ai];
	uint32_t wlo, whi;
	class_window(a, cls, want, &wlo, &whi);
	if (port < a->lo + wlo || port > a->lo + whi)
		return false;
	return nat_pool_take(p, ai, cls, port);
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
