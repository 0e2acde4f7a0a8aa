/* SPDX-License-Identifier: MIT */
/*
 * test_firewall_lpm.c - set membership (fw_lpm4.c, fw_lpm6.c) against the
 * prefix-by-prefix reference (fw_set.c), on edge cases and on random sets
 * of every shape: few and many prefixes, short and long, nested and
 * adjacent, probed at random addresses and at every prefix's edges.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nf/firewall/fw_set.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int cmp4(const void *a, const void *b)
{
	const struct cfg_prefix4 *x = a, *y = b;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return (int)x->len - (int)y->len;
}

static int cmp6(const void *a, const void *b)
{
	const struct cfg_prefix6 *x = a, *y = b;
	int c = memcmp(x->addr, y->addr, 16);
	return c ? c : (int)x->len - (int)y->len;
}

static uint32_t mask4(uint32_t a, unsigned len)
{
	return len ? a & (~0u << (32 - len)) : 0;
}

/* A set as cfg_parse leaves it: sorted, exact duplicates removed. */
static struct fw_set *make_set(struct cfg_prefix4 *v4, uint32_t n4, struct cfg_prefix6 *v6,
			       uint32_t n6)
{
	qsort(v4, n4, sizeof(*v4), cmp4);
	qsort(v6, n6, sizeof(*v6), cmp6);
	uint32_t w = 0;
	for (uint32_t i = 0; i < n4; i++)
		if (!w || cmp4(&v4[w - 1], &v4[i]))
			v4[w++] = v4[i];
	n4 = w;
	w = 0;
	for (uint32_t i = 0; i < n6; i++)
		if (!w || cmp6(&v6[w - 1], &v6[i]))
			v6[w++] = v6[i];
	n6 = w;
	struct cfg_set cs = {.name = "t", .n4 = n4, .n6 = n6, .v4 = v4, .v6 = v6};
	struct fw_set *s = fw_set_build(&cs);
	assert_non_null(s);
	return s;
}

static void check4(const struct fw_set *s, uint32_t a)
{
	bool want = fw_set_has4_ref(s, a), got = fw_set_has4(s, a);
	if (want != got) {
		fprintf(stderr, "v4 %u.%u.%u.%u: lpm %d, reference %d\n", a >> 24, (a >> 16) & 255,
			(a >> 8) & 255, a & 255, got, want);
		fail();
	}
}

static void edges4(const struct fw_set *s)
{
	for (uint32_t i = 0; i < s->n4; i++) {
		uint32_t lo = s->v4[i].addr;
		uint32_t hi = lo | (uint32_t)(0xffffffffull >> s->v4[i].len);
		check4(s, lo);
		check4(s, hi);
		check4(s, lo - 1);
		check4(s, hi + 1);
		check4(s, lo + (uint32_t)(rnd() % ((uint64_t)hi - lo + 1)));
	}
}

static void test_v4_edge_cases(void **state)
{
	(void)state;
	struct cfg_prefix4 v[] = {
		{0x0a000000, 8},  {0x0a010203, 32}, /* nested */
		{0xc0a80000, 24}, {0xc0a80100, 24}, /* adjacent */
		{0xc0a80280, 25}, {0xc0a80300, 31},
		{0xffffffff, 32}, {0x00000000, 32},
		{0x64400000, 10}, {0xac100000, 12},
	};
	struct cfg_prefix6 none[1];
	struct fw_set *s = make_set(v, sizeof(v) / sizeof(v[0]), none, 0);
	edges4(s);
	for (int i = 0; i < 200000; i++)
		check4(s, (uint32_t)rnd());
	assert_true(fw_set_has4(s, 0x0affffff));
	assert_true(fw_set_has4(s, 0xc0a801ff));
	assert_false(fw_set_has4(s, 0xc0a8027f));
	assert_true(fw_set_has4(s, 0xc0a80301));
	assert_false(fw_set_has4(s, 0xc0a80302));
	assert_false(fw_set_has6(s, 0, 0));
	fw_set_free(s);

	struct cfg_prefix4 all[] = {{0, 0}};
	s = make_set(all, 1, none, 0);
	assert_true(fw_set_has4(s, 0));
	assert_true(fw_set_has4(s, 0xffffffff));
	fw_set_free(s);
}

static void random_v4(uint32_t n, unsigned min_len, unsigned max_len)
{
	struct cfg_prefix4 *v = calloc(n, sizeof(*v));
	/* Cluster half of them under a few /12s so nesting and adjacency
	 * happen; the other half anywhere. */
	uint32_t hubs[4] = {(uint32_t)rnd(), (uint32_t)rnd(), (uint32_t)rnd(), (uint32_t)rnd()};
	for (uint32_t i = 0; i < n; i++) {
		unsigned len = min_len + (unsigned)(rnd() % (max_len - min_len + 1));
		uint32_t a = (uint32_t)rnd();
		if (i & 1)
			a = (hubs[i & 3] & 0xfff00000u) | (a & 0x000fffffu);
		v[i] = (struct cfg_prefix4){mask4(a, len), (uint8_t)len};
	}
	struct cfg_prefix6 none[1];
	struct fw_set *s = make_set(v, n, none, 0);
	edges4(s);
	for (int i = 0; i < 20000; i++) {
		uint32_t a = (uint32_t)rnd();
		if (i & 1)
			a = (hubs[i & 3] & 0xfff00000u) | (a & 0x000fffffu);
		check4(s, a);
	}
	fw_set_free(s);
	free(v);
}

static void test_v4_random(void **state)
{
	(void)state;
	random_v4(1, 0, 32);
	random_v4(10, 8, 32);
	random_v4(300, 16, 32);
	random_v4(3000, 20, 28);
	random_v4(3000, 24, 32);
	random_v4(2000, 1, 16);
}

static void check6(const struct fw_set *s, uint64_t hi, uint64_t lo)
{
	bool want = fw_set_has6_ref(s, hi, lo), got = fw_set_has6(s, hi, lo);
	if (want != got) {
		fprintf(stderr, "v6 %016llx%016llx: lpm %d, reference %d\n", (unsigned long long)hi,
			(unsigned long long)lo, got, want);
		fail();
	}
}

static void put6(uint8_t *a, uint64_t hi, uint64_t lo)
{
	for (int i = 0; i < 8; i++) {
		a[i] = (uint8_t)(hi >> (56 - 8 * i));
		a[8 + i] = (uint8_t)(lo >> (56 - 8 * i));
	}
}

static void mask6(uint64_t *hi, uint64_t *lo, unsigned len)
{
	if (len < 64) {
		*hi = len ? *hi & (~0ull << (64 - len)) : 0;
		*lo = 0;
	} else if (len < 128) {
		*lo = len > 64 ? *lo & (~0ull << (128 - len)) : 0;
	}
}

static void random_v6(uint32_t n)
{
	struct cfg_prefix6 *v = calloc(n, sizeof(*v));
	static const unsigned lens[] = {0, 16, 32, 33, 48, 56, 64, 80, 127, 128};
	uint64_t hub = rnd();
	for (uint32_t i = 0; i < n; i++) {
		unsigned len = lens[rnd() % 10];
		if (n > 1 && len == 0)
			len = 48;
		uint64_t hi = rnd(), lo = rnd();
		if (i & 1)
			hi = (hub & 0xffffffff00000000ull) | (hi & 0xffffffffull);
		mask6(&hi, &lo, len);
		put6(v[i].addr, hi, lo);
		v[i].len = (uint8_t)len;
	}
	struct cfg_prefix4 none[1];
	struct fw_set *s = make_set(none, 0, v, n);
	for (uint32_t i = 0; i < s->n6; i++) {
		uint64_t hi = 0, lo = 0;
		for (int k = 0; k < 8; k++) {
			hi = hi << 8 | s->v6[i].addr[k];
			lo = lo << 8 | s->v6[i].addr[8 + k];
		}
		check6(s, hi, lo);
		check6(s, hi, lo - 1);
		check6(s, hi, lo | 1);
		check6(s, hi | (rnd() >> (s->v6[i].len < 64 ? s->v6[i].len : 63)), rnd());
	}
	for (int i = 0; i < 20000; i++) {
		uint64_t hi = rnd();
		if (i & 1)
			hi = (hub & 0xffffffff00000000ull) | (hi & 0xffffffffull);
		check6(s, hi, rnd());
	}
	assert_false(fw_set_has4(s, 0x01020304));
	fw_set_free(s);
	free(v);
}

static void test_v6_random(void **state)
{
	(void)state;
	random_v6(1);
	random_v6(10);
	random_v6(1000);
	random_v6(5000);
}

/* Memory grows with the set; a tiny set stays tiny. */
static void test_memory(void **state)
{
	(void)state;
	struct cfg_prefix4 v[10];
	for (int i = 0; i < 10; i++)
		v[i] = (struct cfg_prefix4){0xc6336400u + (uint32_t)i * 256, 24};
	struct cfg_prefix6 none[1];
	struct fw_set *s = make_set(v, 10, none, 0);
	assert_true(fw_lpm4_memory(s->lpm4) < 64 * 1024);
	fw_set_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4_edge_cases),
		cmocka_unit_test(test_v4_random),
		cmocka_unit_test(test_v6_random),
		cmocka_unit_test(test_memory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
