/* SPDX-License-Identifier: MIT */
/*
 * tsc_vs_core - how many core clock cycles one TSC tick is on this host,
 * without a PMU (this VM has none: `perf stat` counts no cycles).
 *
 * Every "cycles/packet" in the benches is TSC ticks.  The TSC runs at a
 * fixed rate; the core's clock need not (boost, power states, the host
 * scheduling the vCPU).  A chain of dependent 64-bit adds retires one add
 * per core cycle on every x86-64 core of the last decade (latency 1), so
 * timing N of them in TSC ticks gives core cycles per tick = N / ticks.
 * Trials that the host interrupts come out slow: the best of many is the
 * core's speed when it runs, the median what a bench sees.
 *
 *   tsc_vs_core [--trials N] [--adds N] [--csv FILE]
 *
 * Run pinned (taskset -c N), once on a quiet machine and once with the
 * other core busy.  Prints a table; the CSV row has the same columns.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

static uint64_t rdtsc_ordered(void)
{
	_mm_lfence();
	uint64_t t = __rdtsc();
	_mm_lfence();
	return t;
}

/* `n` dependent adds (unrolled 64 at a time): n core cycles. */
static uint64_t add_chain(uint64_t n, uint64_t x)
{
	for (uint64_t i = 0; i < n; i += 64) {
#define A4 "add %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\t"
#define A16 A4 A4 A4 A4
		__asm__ volatile(A16 A16 A16 A16 : "+r"(x) : "r"(i | 1));
#undef A16
#undef A4
	}
	return x;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* TSC ticks per second against CLOCK_MONOTONIC over `secs`. */
static double tsc_hz(double secs)
{
	double t0 = now_s();
	uint64_t c0 = rdtsc_ordered();
	while (now_s() - t0 < secs)
		;
	double t1 = now_s();
	uint64_t c1 = rdtsc_ordered();
	return (double)(c1 - c0) / (t1 - t0);
}

int main(int argc, char **argv)
{
	unsigned trials = 201;
	uint64_t adds = 1u << 20;
	const char *csv = NULL;
	static const struct option lo[] = {
		{"trials", 1, NULL, 't'}, {"adds", 1, NULL, 'a'}, {"csv", 1, NULL, 'c'}, {0, 0, 0, 0}};
	int c;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 't':
			trials = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'a':
			adds = strtoull(optarg, NULL, 10) & ~63ull;
			break;
		case 'c':
			csv = optarg;
			break;
		default:
			fprintf(stderr, "usage: tsc_vs_core [--trials N] [--adds N] [--csv FILE]\n");
			return 2;
		}
	}
	if (trials < 3 || adds < 64) {
		fprintf(stderr, "tsc_vs_core: --trials >= 3, --adds >= 64\n");
		return 2;
	}
	double *ratio = malloc(trials * sizeof(*ratio));
	if (!ratio)
		return 1;
	double hz = tsc_hz(0.2);
	uint64_t sink = add_chain(adds, 1); /* warm up: the clock ramps */
	for (unsigned i = 0; i < trials; i++) {
		uint64_t t0 = rdtsc_ordered();
		sink = add_chain(adds, sink);
		uint64_t t1 = rdtsc_ordered();
		ratio[i] = (double)adds / (double)(t1 - t0); /* core cycles per tick */
	}
	qsort(ratio, trials, sizeof(*ratio), cmp_double);
	double best = ratio[trials - 1], med = ratio[trials / 2], worst = ratio[0];
	(void)sink; /* the asm is volatile: nothing is optimised away */
	printf("TSC %.3f GHz; %u trials of %llu dependent adds (1 core cycle each)\n", hz / 1e9, trials,
	       (unsigned long long)adds);
	printf("%-26s %10s %10s %10s\n", "", "best", "median", "worst");
	printf("%-26s %10.3f %10.3f %10.3f\n", "core cycles per TSC tick", best, med, worst);
	printf("%-26s %10.3f %10.3f %10.3f\n", "core clock (GHz)", best * hz / 1e9, med * hz / 1e9, worst * hz / 1e9);
	printf("a bench's N TSC cycles/packet are N x %.2f core cycles (median)\n", med);
	if (csv) {
		FILE *f = fopen(csv, "a");
		if (!f) {
			perror(csv);
			return 1;
		}
		fseek(f, 0, SEEK_END);
		if (ftell(f) == 0)
			fprintf(f, "tsc_ghz,trials,adds,core_per_tsc_best,core_per_tsc_median,core_per_tsc_worst\n");
		fprintf(f, "%.4f,%u,%llu,%.4f,%.4f,%.4f\n", hz / 1e9, trials, (unsigned long long)adds, best, med,
			worst);
		fclose(f);
	}
	free(ratio);
	return 0;
}
