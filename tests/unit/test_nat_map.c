/* SPDX-License-Identifier: MIT */
/*
 * test_nat_map.c - the endpoint-independent mapping table
 * (nf/nat/nat_map.h) alone: find/add/del against a plain array as the
 * reference, through many collisions and deletions (backward shift must
 * keep every remaining mapping findable), and its size limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "nf/nat/nat_map.h"

#define MAX 300

struct ref {
	uint32_t addr;
	uint16_t port;
	uint8_t cls, live;
	uint16_t ext;
};

/* An IPv4 inside address as the map takes it (flow key form: the
 * address in the first 4 bytes, x86 being little-endian, the rest 0). */
#define V4(a) (&(union flow_addr){.u64 = {(uint32_t)(a), 0}})

static uint32_t rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*s >> 33);
}

static void check_all(struct nat_map *m, const struct ref *r, unsigned n)
{
	uint32_t live = 0;
	for (unsigned i = 0; i < n; i++) {
		struct nat_map_ent *e = nat_map_find(m, V4(r[i].addr), r[i].port, r[i].cls);
		/* The external index finds the same entry (external ports are
		 * unique in the reference, on 4 pool addresses). */
		struct nat_map_ent *x = r[i].cls < 3 ? nat_map_find_ext(m, r[i].ext % 4, r[i].ext, r[i].cls)
						     : NULL;
		if (!r[i].live) {
			assert_null(e);
			assert_null(x);
			continue;
		}
		live++;
		assert_non_null(e);
		assert_ptr_equal(x, e);
		assert_int_equal(e->ext_port, r[i].ext);
	}
	assert_int_equal(m->n, live);
}

static void test_against_reference(void **state)
{
	(void)state;
	struct nat_map m;
	assert_int_equal(nat_map_init(&m, MAX), 0);
	static struct ref r[4 * MAX];
	/* Few addresses and ports: many keys share home slots. */
	uint64_t s = 42;
	for (unsigned i = 0; i < 4 * MAX; i++)
		r[i] = (struct ref){.addr = 0x0a000000u + rnd(&s) % 7, .port = (uint16_t)(rnd(&s) % 40),
				    .cls = (uint8_t)(rnd(&s) % 3), .ext = (uint16_t)i};
	/* Duplicates in the reference: only the first counts. */
	for (unsigned i = 0; i < 4 * MAX; i++)
		for (unsigned j = 0; j < i; j++)
			if (r[j].addr == r[i].addr && r[j].port == r[i].port && r[j].cls == r[i].cls)
				r[i].cls = 255; /* never added */
	for (unsigned step = 0; step < 20000; step++) {
		unsigned i = rnd(&s) % (4 * MAX);
		if (r[i].cls == 255)
			continue;
		if (r[i].live) {
			struct nat_map_ent *e = nat_map_find(&m, V4(r[i].addr), r[i].port, r[i].cls);
			assert_non_null(e);
			nat_map_del(&m, e);
			r[i].live = 0;
		} else {
			struct nat_map_ent *e = nat_map_add(&m, V4(r[i].addr), r[i].port, r[i].cls, r[i].ext % 4u,
							   r[i].ext);
			if (m.n >= (m.mask + 1) / 2 && !e)
				continue; /* full: refused, as documented */
			assert_non_null(e);
			assert_int_equal(e->refs, 1);
			/* Adding it again is refused. */
			assert_null(nat_map_add(&m, V4(r[i].addr), r[i].port, r[i].cls, 0, 1));
			r[i].live = 1;
		}
		if (step % 97 == 0)
			check_all(&m, r, 4 * MAX);
	}
	check_all(&m, r, 4 * MAX);
	nat_map_clear(&m);
	for (unsigned i = 0; i < 4 * MAX; i++)
		r[i].live = 0;
	check_all(&m, r, 4 * MAX);
	nat_map_fini(&m);
}

/* Room for at least `max` mappings, never more than half the slots. */
static void test_capacity(void **state)
{
	(void)state;
	struct nat_map m;
	assert_int_equal(nat_map_init(&m, MAX), 0);
	uint32_t i = 0;
	while (nat_map_add(&m, V4(0x0a000000u + i), 1, 0, 0, 1))
		i++;
	assert_true(i >= MAX);
	assert_int_equal(i, (m.mask + 1) / 2);
	for (uint32_t k = 0; k < i; k++)
		assert_non_null(nat_map_find(&m, V4(0x0a000000u + k), 1, 0));
	assert_null(nat_map_find(&m, V4(0x0a000000u + i), 1, 0));
	nat_map_fini(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_against_reference),
		cmocka_unit_test(test_capacity),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
