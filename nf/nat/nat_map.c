/* SPDX-License-Identifier: MIT */
/* nat_map.c - the endpoint-independent mapping table (see nat_map.h). */
#include "nf/nat/nat_map.h"

int nat_map_init(struct nat_map *m, uint32_t max)
{
	uint32_t slots = 16;
	while (slots < 2 * (uint64_t)max && slots < (1u << 31))
		slots <<= 1;
	m->e = sys_alloc((size_t)slots * sizeof(*m->e), SYS_CACHE_LINE);
	m->by_ext = sys_alloc((size_t)slots * sizeof(*m->by_ext), SYS_CACHE_LINE);
	if (!m->e || !m->by_ext) {
		nat_map_fini(m);
		return -SYS_ENOMEM;
	}
	m->mask = slots - 1;
	nat_map_clear(m);
	return 0;
}

void nat_map_fini(struct nat_map *m)
{
	sys_free(m->e);
	sys_free(m->by_ext);
	m->e = NULL;
	m->by_ext = NULL;
}

void nat_map_clear(struct nat_map *m)
{
	memset(m->e, 0, ((size_t)m->mask + 1) * sizeof(*m->e));
	memset(m->by_ext, 0, ((size_t)m->mask + 1) * sizeof(*m->by_ext));
	m->n = 0;
}

static inline uint32_t slot_of(const struct nat_map *m, uint64_t addr, uint16_t port, unsigned cls)
{
	uint64_t h = addr * 0x9e3779b97f4a7c15ull ^
		     ((uint64_t)port << 2 | cls) * 0xc2b2ae3d27d4eb4full;
	return (uint32_t)(h >> 32) & m->mask;
}

/* The external index: the same hash over (address index, port, class). */
static inline uint32_t ext_slot_of(const struct nat_map *m, const struct nat_map_ent *e)
{
	return slot_of(m, e->ai, e->ext_port, e->cls);
}

/* The by_ext slot that holds mapping slot `ei`. */
static uint32_t ext_slot_holding(const struct nat_map *m, uint32_t ei)
{
	uint32_t i = ext_slot_of(m, &m->e[ei]);
	while (m->by_ext[i] != ei + 1)
		i = (i + 1) & m->mask;
	return i;
}

static void ext_add(struct nat_map *m, uint32_t ei)
{
	uint32_t i = ext_slot_of(m, &m->e[ei]);
	while (m->by_ext[i])
		i = (i + 1) & m->mask;
	m->by_ext[i] = ei + 1;
}

/* Backward-shift deletion, as nat_map_del does for the first table. */
static void ext_del(struct nat_map *m, uint32_t ei)
{
	uint32_t hole = ext_slot_holding(m, ei);
	for (uint32_t i = (hole + 1) & m->mask; m->by_ext[i]; i = (i + 1) & m->mask) {
		uint32_t home = ext_slot_of(m, &m->e[m->by_ext[i] - 1]);
		if (((i - home) & m->mask) >= ((i - hole) & m->mask)) {
			m->by_ext[hole] = m->by_ext[i];
			hole = i;
		}
	}
	m->by_ext[hole] = 0;
}

struct nat_map_ent *nat_map_find_ext(struct nat_map *m, uint32_t ai, uint16_t ext_port,
				     unsigned cls)
{
	for (uint32_t i = slot_of(m, ai, ext_port, cls); m->by_ext[i]; i = (i + 1) & m->mask) {
		struct nat_map_ent *e = &m->e[m->by_ext[i] - 1];
		if (e->ai == ai && e->ext_port == ext_port && e->cls == cls)
			return e;
	}
	return NULL;
}

/* An inside address as slot_of hashes it: an IPv4 one is its 4 bytes. */
static inline uint64_t addr_word(const union flow_addr *a)
{
	return a->u64[0] ^ a->u64[1] * 0xff51afd7ed558ccdull;
}

static inline bool is(const struct nat_map_ent *e, const union flow_addr *addr, uint16_t port,
		      unsigned cls)
{
	return e->used && e->int_addr.u64[0] == addr->u64[0] && e->int_addr.u64[1] == addr->u64[1] &&
	       e->int_port == port && e->cls == cls;
}

struct nat_map_ent *nat_map_find(struct nat_map *m, const union flow_addr *int_addr,
				 uint16_t int_port, unsigned cls)
{
	for (uint32_t i = slot_of(m, addr_word(int_addr), int_port, cls);; i = (i + 1) & m->mask) {
		struct nat_map_ent *e = &m->e[i];
		if (!e->used)
			return NULL;
		if (is(e, int_addr, int_port, cls))
			return e;
	}
}

struct nat_map_ent *nat_map_add(struct nat_map *m, const union flow_addr *int_addr,
				uint16_t int_port, unsigned cls, uint32_t ai, uint16_t ext_port)
{
	/* At most half full keeps probes short and guarantees a free slot. */
	if (m->n >= (m->mask + 1) / 2)
		return NULL;
	uint32_t i = slot_of(m, addr_word(int_addr), int_port, cls);
	for (; m->e[i].used; i = (i + 1) & m->mask)
		if (is(&m->e[i], int_addr, int_port, cls))
			return NULL;
	m->e[i] = (struct nat_map_ent){.int_addr = *int_addr, .int_port = int_port,
				       .cls = (uint8_t)cls, .used = 1, .ext_port = ext_port,
				       .ai = (uint16_t)ai, .refs = 1};
	ext_add(m, i);
	m->n++;
	return &m->e[i];
}

void nat_map_del(struct nat_map *m, struct nat_map_ent *e)
{
	/* Backward-shift deletion: later entries of the probe run move up so
	 * lookups never stop at the hole. */
	uint32_t hole = (uint32_t)(e - m->e);
	ext_del(m, hole);
	for (uint32_t i = (hole + 1) & m->mask; m->e[i].used; i = (i + 1) & m->mask) {
		const struct nat_map_ent *x = &m->e[i];
		uint32_t home = slot_of(m, addr_word(&x->int_addr), x->int_port, x->cls);
		/* x may fill the hole if its home is not in (hole, i]. */
		if (((i - home) & m->mask) >= ((i - hole) & m->mask)) {
			m->by_ext[ext_slot_holding(m, i)] = hole + 1; /* it moves */
			m->e[hole] = *x;
			hole = i;
		}
	}
	m->e[hole].used = 0;
	m->n--;
}
