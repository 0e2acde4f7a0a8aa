/* SPDX-License-Identifier: MIT */
/*
 * bench_report.h - what `nfbox bench` found, said four ways: a table on
 * stdout, JSON (--json), a CSV row (--csv) and a PNG of loss against
 * offered load with NDR and PDR marked (--plot, drawn by gnuplot).
 */
#ifndef NFB_TOOLS_BENCH_REPORT_H
#define NFB_TOOLS_BENCH_REPORT_H

#include <stdio.h>

#include "tools/rfc2544.h"

/* Latency at one load (an image target: tools/gen/gen.h's probes). */
struct bench_latency {
	const char *of;         /* "NDR", "PDR" or "MRR": the rate the load is a share of */
	double load_pct, pps;   /* that share, and the rate offered */
	unsigned long long probes, back;
	double p50_us, p90_us, p99_us, max_us;
};
#define BENCH_LAT_LOADS 3 /* 10, 50 and 90 % */

struct bench_report {
	const char *target;     /* as the user named it */
	const char *traffic;    /* "FILE.pcap (N frames)" or "64-byte UDP, 1 flow" */
	double pdr_loss;        /* the PDR's loss ratio */
	bool mrr_only;          /* NDR and PDR not searched */
	const struct rfc_result *r;
	const char *ports;      /* the target's port counter lines, or NULL */
	const struct bench_latency *lat; /* n_lat loads, or none: */
	int n_lat;
	const char *lat_none;   /* why there is no latency (n_lat 0) */
};

void bench_report_table(const struct bench_report *b, FILE *to);
void bench_report_json(const struct bench_report *b, FILE *to);
/* Appends one row (a header first if the file is new).  0 or -errno. */
int bench_report_csv(const struct bench_report *b, const char *path);
/* gnuplot draws `png` from the points; `workdir` holds its input.  0, or
 * -1 with the reason on stderr (gnuplot missing names its package). */
int bench_report_plot(const struct bench_report *b, const char *png, const char *workdir);

#endif
