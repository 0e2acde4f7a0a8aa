/* SPDX-License-Identifier: MIT */
/*
 * fw_set_bench - cost of one address-set lookup (fw_lpm.h) by set size.
 *
 *   fw_set_bench [--sizes 10,1000,100000,1000000] [--lookups N] [--csv FILE]
 *
 * Sets look like blocklists: IPv4 70% hosts, 25% /24, 4% /20-/22, 1% /16;
 * IPv6 /32, /48, /64 and /128; all at random places.
 * Lookups are random addresses (nearly all misses, the common case of a
 * blocklist) and addresses inside the set's prefixes (hits).  Reported: TSC
 * cycles per lookup, median of 9 passes, for a dependent chain of lookups
 * (latency: the next address depends on the last answer, as in a packet
 * path that waits for the verdict) and for independent ones (throughput),
 * plus the set's memory.  Run pinned: taskset -c N.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nf/firewall/fw_lpm.h"

static uint64_t rng = 0x9fb21c651e98df25ull;
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
	return x->addr != y->addr ? (x->addr < y->addr ? -1 : 1) : (int)x->len - (int)y->len;
}

static int cmp6(const void *a, const void *b)
{
	const struct cfg_prefix6 *x = a, *y = b;
	int c = memcmp(x->addr, y->addr, 16);
	return c ? c : (int)x->len - (int)y->len;
}

static inline uint64_t tsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

#define PASSES 9

struct result {
	double dep_miss, ind_miss, dep_hit, ind_hit;
};

static double med(double *v)
{
	qsort(v, PASSES, sizeof(*v), cmp_d);
	return v[PASSES / 2];
}

static void bench4(uint32_t n, uint32_t lookups, struct result *r, size_t *mem)
{
	struct cfg_prefix4 *p = malloc((size_t)n * sizeof(*p));
	for (uint32_t i = 0; i < n; i++) {
		/* 70% hosts, 25% /24, 4% /20-/22, 1% /16 */
		unsigned x = (unsigned)(rnd() % 100);
		unsigned len = x < 70 ? 32 : x < 95 ? 24 : x < 99 ? 20 + (unsigned)(rnd() % 3) : 16;
		p[i].len = (uint8_t)len;
		p[i].addr = (uint32_t)rnd() & (~0u << (32 - len));
	}
	qsort(p, n, sizeof(*p), cmp4);
	struct fw_lpm4 *l = fw_lpm4_build(p, n);
	*mem = fw_lpm4_memory(l);
	uint32_t *miss = malloc((size_t)lookups * 4), *hit = malloc((size_t)lookups * 4);
	for (uint32_t i = 0; i < lookups; i++) {
		miss[i] = (uint32_t)rnd();
		const struct cfg_prefix4 *x = &p[rnd() % n];
		hit[i] = x->addr | ((uint32_t)rnd() & (uint32_t)(0xffffffffull >> x->len));
	}
	double s[4][PASSES];
	uint32_t *sets[2] = {miss, hit};
	volatile uint32_t sink = 0;
	for (int h = 0; h < 2; h++) {
		for (int pass = 0; pass < PASSES; pass++) {
			uint32_t *a = sets[h], acc = 0;
			uint64_t t0 = tsc();
			for (uint32_t i = 0; i < lookups; i++)
				acc += fw_lpm4_lookup(l, a[i] ^ (acc & 1)); /* chained */
			uint64_t t1 = tsc();
			for (uint32_t i = 0; i < lookups; i++)
				acc += fw_lpm4_lookup(l, a[i]);
			uint64_t t2 = tsc();
			sink += acc;
			s[2 * h][pass] = (double)(t1 - t0) / lookups;
			s[2 * h + 1][pass] = (double)(t2 - t1) / lookups;
		}
	}
	(void)sink;
	r->dep_miss = med(s[0]);
	r->ind_miss = med(s[1]);
	r->dep_hit = med(s[2]);
	r->ind_hit = med(s[3]);
	fw_lpm4_free(l);
	free(p);
	free(miss);
	free(hit);
}

static void put6(uint8_t *a, uint64_t hi, uint64_t lo)
{
	for (int i = 0; i < 8; i++) {
		a[i] = (uint8_t)(hi >> (56 - 8 * i));
		a[8 + i] = (uint8_t)(lo >> (56 - 8 * i));
	}
}

static void bench6(uint32_t n, uint32_t lookups, struct result *r, size_t *mem)
{
	static const unsigned lens[] = {32, 48, 48, 64, 64, 64, 128, 128};
	struct cfg_prefix6 *p = malloc((size_t)n * sizeof(*p));
	uint64_t (*ph)[2] = malloc((size_t)n * 16);
	for (uint32_t i = 0; i < n; i++) {
		unsigned len = lens[rnd() % 8];
		uint64_t hi = 0x2000000000000000ull | (rnd() >> 3), lo = rnd();
		if (len < 64) {
			hi &= ~0ull << (64 - len);
			lo = 0;
		} else if (len == 64) {
			lo = 0;
		}
		put6(p[i].addr, hi, lo);
		p[i].len = (uint8_t)len;
		ph[i][0] = hi;
		ph[i][1] = lo;
	}
	qsort(p, n, sizeof(*p), cmp6);
	struct fw_lpm6 *l = fw_lpm6_build(p, n);
	*mem = fw_lpm6_memory(l);
	uint64_t (*miss)[2] = malloc((size_t)lookups * 16), (*hit)[2] = malloc((size_t)lookups * 16);
	for (uint32_t i = 0; i < lookups; i++) {
		miss[i][0] = 0x2000000000000000ull | (rnd() >> 3);
		miss[i][1] = rnd();
		uint32_t j = (uint32_t)(rnd() % n);
		hit[i][0] = ph[j][0];
		hit[i][1] = ph[j][1];
	}
	double s[4][PASSES];
	uint64_t (*sets[2])[2] = {miss, hit};
	volatile uint32_t sink = 0;
	for (int h = 0; h < 2; h++) {
		for (int pass = 0; pass < PASSES; pass++) {
			uint64_t (*a)[2] = sets[h];
			uint32_t acc = 0;
			uint64_t t0 = tsc();
			for (uint32_t i = 0; i < lookups; i++)
				acc += fw_lpm6_lookup(l, a[i][0], a[i][1] ^ (acc & 1));
			uint64_t t1 = tsc();
			for (uint32_t i = 0; i < lookups; i++)
				acc += fw_lpm6_lookup(l, a[i][0], a[i][1]);
			uint64_t t2 = tsc();
			sink += acc;
			s[2 * h][pass] = (double)(t1 - t0) / lookups;
			s[2 * h + 1][pass] = (double)(t2 - t1) / lookups;
		}
	}
	(void)sink;
	r->dep_miss = med(s[0]);
	r->ind_miss = med(s[1]);
	r->dep_hit = med(s[2]);
	r->ind_hit = med(s[3]);
	fw_lpm6_free(l);
	free(p);
	free(ph);
	free(miss);
	free(hit);
}

int main(int argc, char **argv)
{
	const char *sizes = "10,1000,100000,1000000", *csv_path = NULL;
	uint32_t lookups = 1u << 20;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--sizes") && i + 1 < argc)
			sizes = argv[++i];
		else if (!strcmp(argv[i], "--lookups") && i + 1 < argc)
			lookups = (uint32_t)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--csv") && i + 1 < argc)
			csv_path = argv[++i];
		else {
			fprintf(stderr, "usage: fw_set_bench [--sizes 10,1000,...] [--lookups N] [--csv FILE]\n");
			return 2;
		}
	}
	FILE *csv = csv_path ? fopen(csv_path, "w") : NULL;
	if (csv)
		fprintf(csv, "family,entries,bytes,miss_chained,miss_independent,hit_chained,hit_independent\n");
	printf("%-4s %9s %10s | %-22s | %-22s   (TSC cycles per lookup: chained / independent)\n",
	       "fam", "entries", "memory", "random addresses (miss)", "addresses in the set");
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", sizes);
	for (int fam = 4; fam <= 6; fam += 2) {
		char list[256];
		snprintf(list, sizeof(list), "%s", buf);
		for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
			uint32_t n = (uint32_t)strtoul(tok, NULL, 0);
			struct result r;
			size_t mem;
			if (fam == 4)
				bench4(n, lookups, &r, &mem);
			else
				bench6(n, lookups, &r, &mem);
			printf("v%-3d %9u %8zu K | %8.1f / %8.1f    | %8.1f / %8.1f\n", fam, n, mem / 1024,
			       r.dep_miss, r.ind_miss, r.dep_hit, r.ind_hit);
			if (csv)
				fprintf(csv, "v%d,%u,%zu,%.1f,%.1f,%.1f,%.1f\n", fam, n, mem, r.dep_miss,
					r.ind_miss, r.dep_hit, r.ind_hit);
		}
	}
	if (csv)
		fclose(csv);
	return 0;
}
