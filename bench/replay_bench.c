/* SPDX-License-Identifier: MIT */
/*
 * replay_bench - cycles per packet of a function, hosted, from memory.
 *
 *   replay_bench NF TRACE.pcap [--config FILE] [--laps N] [--flows N]
 *                [--lap-gap S] [--label TEXT] [--csv FILE] [--stats FILE]
 *
 * The trace is loaded into buffers once (mem_port.h) and fed on port 0 to
 * the real main loop (dataplane/loop.c: parse, function, TX queueing,
 * timers), port 1 being a sink.  One warm-up lap, then N timed laps over the
 * whole trace; each lap's TSC cycles / packets is one sample.  Prints the
 * median and the best sample, and Mpps from the median lap's wall time.
 * Cycles are TSC ticks (constant rate), i.e. wall time in units of the TSC
 * clock, not core clock cycles.  Run it pinned: taskset -c N.
 *
 * --lap-gap S: the function's clock jumps S seconds between laps, so the
 * flows of one lap have expired when the next begins: every lap opens all
 * its flows anew and reaps the previous lap's (connection churn: new
 * connections per second are 1 / the time per packet of a SYN trace).
 * --stats FILE: the function's counters after the last lap.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dataplane/stats.h"
#include "drivers/pcap/mem_port.h"
#include "tools/cfgfile.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void write_to(void *ctx, const char *s, size_t n)
{
	fwrite(s, 1, n, ctx);
}

static double wall(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	const char *nf_name = NULL, *trace = NULL, *config = NULL, *label = NULL, *csv = NULL;
	const char *stats_file = NULL;
	unsigned laps = 9;
	unsigned long flows = 1ul << 20;
	double lap_gap = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--config") && i + 1 < argc)
			config = argv[++i];
		else if (!strcmp(a, "--laps") && i + 1 < argc)
			laps = (unsigned)atoi(argv[++i]);
		else if (!strcmp(a, "--flows") && i + 1 < argc)
			flows = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(a, "--lap-gap") && i + 1 < argc)
			lap_gap = atof(argv[++i]);
		else if (!strcmp(a, "--label") && i + 1 < argc)
			label = argv[++i];
		else if (!strcmp(a, "--csv") && i + 1 < argc)
			csv = argv[++i];
		else if (!strcmp(a, "--stats") && i + 1 < argc)
			stats_file = argv[++i];
		else if (a[0] != '-' && !nf_name)
			nf_name = a;
		else if (a[0] != '-' && !trace)
			trace = a;
		else {
			fprintf(stderr, "usage: replay_bench NF TRACE.pcap [--config FILE] [--laps N] "
					"[--flows N] [--lap-gap S] [--label TEXT] [--csv FILE] "
					"[--stats FILE]\n");
			return 2;
		}
	}
	if (!nf_name || !trace || laps < 1) {
		fprintf(stderr, "replay_bench: need NF and TRACE (laps >= 1)\n");
		return 2;
	}
	const struct nf_ops *nf = nf_find(nf_name);
	if (!nf) {
		fprintf(stderr, "replay_bench: unknown function '%s'\n", nf_name);
		return 2;
	}
	char err[512];
	struct port ports[2];
	struct port *pp[2] = { &ports[0], &ports[1] };
	struct memport *in = memport_open(&ports[0], 0, trace, 1u << 24, err, sizeof(err));
	if (!in) {
		fprintf(stderr, "replay_bench: %s\n", err);
		return 1;
	}
	struct memport *out = memport_open(&ports[1], 1, NULL, 0, err, sizeof(err));
	struct pkt_pool *pool = pkt_pool_create(4096);
	struct nf_env env = { .pool = pool, .n_ports = 2, .flow_capacity = (uint32_t)flows };
	struct cfg *cfg = NULL;
	struct app app = { 0 };
	if (!out || !pool || cfgfile_parse("replay_bench", config, &cfg, stderr) ||
	    cfgfile_app_init("replay_bench", &app, nf, &env, pp, 2, cfg, stderr)) {
		fprintf(stderr, "replay_bench: cannot set up %s\n", nf_name);
		return 1;
	}

	uint32_t n = memport_trace_len(in);
	double *cyc = calloc(laps, sizeof(double)), *secs = calloc(laps, sizeof(double));
	/* The clock the function sees advances with the TSC, as in the image. */
	uint64_t t0 = sys_rdtsc();
	double w0 = wall();
	uint64_t skew = 0; /* ns the function's clock is ahead of the TSC's */
	for (unsigned lap = 0; lap <= laps; lap++) {
		uint64_t received = 0;
		if (lap)
			skew += (uint64_t)(lap_gap * 1e9);
		uint64_t c0 = sys_rdtsc();
		double s0 = wall();
		while (received < n)
			received += app_poll(&app, sys_rdtsc() - t0 + skew);
		uint64_t c1 = sys_rdtsc();
		double s1 = wall();
		if (lap == 0)
			continue; /* warm-up: caches, branch predictors, flow tables */
		cyc[lap - 1] = (double)(c1 - c0) / (double)received;
		secs[lap - 1] = (s1 - s0) / (double)received;
	}
	double tsc_ghz = (double)(sys_rdtsc() - t0) / (wall() - w0) / 1e9;
	qsort(cyc, laps, sizeof(double), cmp_double);
	qsort(secs, laps, sizeof(double), cmp_double);
	double med = cyc[laps / 2], best = cyc[0];
	double mpps = 1e-6 / secs[laps / 2];
	double avg_len = (double)memport_trace_bytes(in) / n;
	printf("%-28s %9u pkts %7.0f B  %7.1f cyc/pkt (best %5.1f)  %7.2f Mpps  tx %llu\n",
	       label ? label : trace, n, avg_len, med, best, mpps,
	       (unsigned long long)memport_tx_count(out));
	if (csv) {
		FILE *f = fopen(csv, "a");
		if (f) {
			fprintf(f, "%s,%s,%u,%.0f,%.1f,%.1f,%.3f,%.3f\n", nf_name,
				label ? label : trace, n, avg_len, med, best, mpps, tsc_ghz);
			fclose(f);
		}
	}
	if (stats_file) {
		FILE *f = fopen(stats_file, "w");
		if (f) {
			static char sbuf[1 << 16];
			struct stats_writer w;
			stats_init_stream(&w, sbuf, sizeof(sbuf), STATS_TEXT, write_to, f);
			loop_stats(&app.loop, &w);
			stats_finish(&w);
			fclose(f);
		}
	}
	app_fini(&app);
	memport_close(in);
	memport_close(out);
	pkt_pool_destroy(pool);
	free(cyc);
	free(secs);
	return 0;
}
