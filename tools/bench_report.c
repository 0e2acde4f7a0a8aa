/* SPDX-License-Identifier: MIT */
/* bench_report.c - nfbox bench's table, JSON, CSV and plot (bench_report.h). */
#define _GNU_SOURCE
#include "tools/bench_report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "topology/hostsys.h"

#define PROG "nfbox bench"

static double mpps(double pps) { return pps / 1e6; }

static void row(FILE *to, const char *what, const struct rfc_trial *t, double pps, bool skipped)
{
	if (!t->offered) {
		fprintf(to, "  %-4s        %s\n", what, skipped ? "not searched (--mrr-only)" : "none found");
		return;
	}
	fprintf(to, "  %-4s %9.3f Mpps %8.3f Gb/s   loss %.4f %%  (trial of %.1f s)\n", what, mpps(pps),
		rfc_l1_bps(t, pps) / 1e9, 100 * rfc_loss(t), t->secs);
}

void bench_report_table(const struct bench_report *b, FILE *to)
{
	const struct rfc_result *r = b->r;
	fprintf(to, "nfbox bench %s: %s\n", b->target, b->traffic);
	row(to, "NDR", &r->ndr, rfc_offered_pps(&r->ndr), b->mrr_only);
	row(to, "PDR", &r->pdr, rfc_offered_pps(&r->pdr), b->mrr_only);
	row(to, "MRR", &r->mrr, rfc_received_pps(&r->mrr), false);
	fprintf(to, "  NDR: highest offered rate without loss; PDR: with at most %.2f %% loss; MRR: received\n"
		    "  at the highest offered rate (%.3f Mpps offered); Gb/s at layer 1 (+20 B per frame);\n"
		    "  %d trials%s\n",
		100 * b->pdr_loss, mpps(rfc_offered_pps(&r->mrr)), r->trials,
		r->generator_bound ? "; nothing lost at full speed: the generator, not the target, is the limit" : "");
	if (b->n_lat) {
		fprintf(to, "  latency, round trip through the target (a probe every ms):\n"
			    "    load          offered Mpps  probes  back    p50 us    p90 us    p99 us    max us\n");
		for (int i = 0; i < b->n_lat; i++) {
			const struct bench_latency *l = &b->lat[i];
			fprintf(to, "    %3.0f %% of %s  %12.3f  %6llu  %6llu", l->load_pct, l->of, mpps(l->pps),
				l->probes, l->back);
			if (l->back)
				fprintf(to, "  %8.1f  %8.1f  %8.1f  %8.1f\n", l->p50_us, l->p90_us, l->p99_us,
					l->max_us);
			else
				fprintf(to, "  none came back with its tail\n");
		}
	} else if (b->lat_none) {
		fprintf(to, "  latency: %s\n", b->lat_none);
	}
	if (b->ports && *b->ports) {
		fprintf(to, "  the target's port counters at the end:\n");
		for (const char *l = b->ports; *l;) {
			const char *e = strchr(l, '\n');
			int n = e ? (int)(e - l) : (int)strlen(l);
			fprintf(to, "    %.*s\n", n, l);
			l += n + (e ? 1 : 0);
		}
	}
}

static void json_rate(FILE *to, const char *key, const struct rfc_trial *t, double pps, bool last)
{
	fprintf(to, "  \"%s\": {\"mpps\": %.6f, \"gbps\": %.6f, \"loss_pct\": %.6f, \"secs\": %.3f}%s\n", key,
		t->offered ? mpps(pps) : 0, t->offered ? rfc_l1_bps(t, pps) / 1e9 : 0, 100 * rfc_loss(t),
		t->secs, last ? "" : ",");
}

static void json_str(FILE *to, const char *s)
{
	fputc('"', to);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(to, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(to, "\\u%04x", *s);
		else
			fputc(*s, to);
	}
	fputc('"', to);
}

/* "portN.KEY VALUE" lines as {"portN": {"KEY": VALUE, ...}, ...}. */
static void json_ports(FILE *to, const char *ports)
{
	fprintf(to, "  \"ports\": {");
	char cur[256] = "";
	bool first_port = true, first_key = true;
	for (const char *l = ports ? ports : ""; *l;) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) : strlen(l);
		char line[256];
		snprintf(line, sizeof(line), "%.*s", (int)(n < 255 ? n : 255), l);
		l += n + (e ? 1 : 0);
		char *dot = strchr(line, '.'), *sp = strchr(line, ' ');
		if (!dot || !sp || sp < dot)
			continue;
		*dot = *sp = '\0';
		char *end;
		unsigned long long v = strtoull(sp + 1, &end, 10);
		if (end == sp + 1)
			continue;
		if (strcmp(cur, line) != 0) {
			fprintf(to, "%s%s\n    \"%s\": {", first_key ? "" : "}", first_port ? "" : ",", line);
			snprintf(cur, sizeof(cur), "%s", line);
			first_port = false;
			first_key = true;
		}
		fprintf(to, "%s\"%s\": %llu", first_key ? "" : ", ", dot + 1, v);
		first_key = false;
	}
	fprintf(to, "%s\n  },\n", first_port ? "" : "}");
}

/* "latency": [per load], or null and "latency_none": why. */
static void json_latency(FILE *to, const struct bench_report *b)
{
	if (!b->n_lat) {
		fprintf(to, "  \"latency\": null,\n  \"latency_none\": ");
		json_str(to, b->lat_none ? b->lat_none : "not measured");
		fprintf(to, ",\n");
		return;
	}
	fprintf(to, "  \"latency\": [");
	for (int i = 0; i < b->n_lat; i++) {
		const struct bench_latency *l = &b->lat[i];
		fprintf(to, "%s\n    {\"load_pct\": %.0f, \"of\": \"%s\", \"mpps\": %.6f, \"probes\": %llu, "
			    "\"back\": %llu",
			i ? "," : "", l->load_pct, l->of, mpps(l->pps), l->probes, l->back);
		if (l->back)
			fprintf(to, ", \"p50_us\": %.3f, \"p90_us\": %.3f, \"p99_us\": %.3f, \"max_us\": %.3f}",
				l->p50_us, l->p90_us, l->p99_us, l->max_us);
		else
			fprintf(to, ", \"p50_us\": null, \"p90_us\": null, \"p99_us\": null, \"max_us\": null}");
	}
	fprintf(to, "\n  ],\n");
}

void bench_report_json(const struct bench_report *b, FILE *to)
{
	const struct rfc_result *r = b->r;
	fprintf(to, "{\n  \"target\": ");
	json_str(to, b->target);
	fprintf(to, ",\n  \"traffic\": ");
	json_str(to, b->traffic);
	fprintf(to, ",\n  \"pdr_loss_pct\": %.4f,\n  \"mrr_only\": %s,\n  \"generator_bound\": %s,\n  \"trials\": %d,\n",
		100 * b->pdr_loss, b->mrr_only ? "true" : "false", r->generator_bound ? "true" : "false",
		r->trials);
	json_rate(to, "ndr", &r->ndr, rfc_offered_pps(&r->ndr), false);
	json_rate(to, "pdr", &r->pdr, rfc_offered_pps(&r->pdr), false);
	json_rate(to, "mrr", &r->mrr, rfc_received_pps(&r->mrr), false);
	json_ports(to, b->ports);
	json_latency(to, b);
	fprintf(to, "  \"points\": [");
	for (int i = 0; i < r->n_points; i++) {
		const struct rfc_point *p = &r->points[i];
		fprintf(to, "%s\n    {\"phase\": \"%s\", \"offered_mpps\": %.6f, \"received_mpps\": %.6f, "
			    "\"loss_pct\": %.6f, \"secs\": %.3f}",
			i ? "," : "", rfc_phase_name(p->phase), mpps(rfc_offered_pps(&p->t)),
			mpps(rfc_received_pps(&p->t)), 100 * rfc_loss(&p->t), p->t.secs);
	}
	fprintf(to, "\n  ]\n}\n");
}

int bench_report_csv(const struct bench_report *b, const char *path)
{
	struct stat st;
	bool fresh = stat(path, &st) != 0 || st.st_size == 0;
	FILE *f = fopen(path, "a");
	if (!f)
		return -errno;
	const struct rfc_result *r = b->r;
	if (fresh)
		fprintf(f, "target,traffic,ndr_pps,pdr_pps,mrr_pps,offered_max_pps,ndr_gbps_l1,pdr_loss_pct,"
			   "generator_bound,trials,lat_load,lat_p50_us,lat_p99_us\n");
	/* Latency at the middle load (50 %), empty if none. */
	const struct bench_latency *l = b->n_lat > 1 && b->lat[1].back ? &b->lat[1] : NULL;
	char lat[96] = ",,";
	if (l)
		snprintf(lat, sizeof(lat), "%.0f%% %s,%.3f,%.3f", l->load_pct, l->of, l->p50_us, l->p99_us);
	fprintf(f, "%s,\"%s\",%.0f,%.0f,%.0f,%.0f,%.4f,%.3f,%d,%d,%s\n", b->target, b->traffic,
		rfc_offered_pps(&r->ndr), rfc_offered_pps(&r->pdr), rfc_received_pps(&r->mrr),
		rfc_offered_pps(&r->mrr), rfc_l1_bps(&r->ndr, rfc_offered_pps(&r->ndr)) / 1e9,
		100 * b->pdr_loss, r->generator_bound, r->trials, lat);
	return fclose(f) ? -errno : 0;
}

int bench_report_plot(const struct bench_report *b, const char *png, const char *workdir)
{
	const struct rfc_result *r = b->r;
	char dat[512], gp[512], log[512];
	snprintf(dat, sizeof(dat), "%s/points.dat", workdir);
	snprintf(gp, sizeof(gp), "%s/plot.gp", workdir);
	snprintf(log, sizeof(log), "%s/gnuplot.log", workdir);
	FILE *f = fopen(dat, "w");
	if (!f)
		return -1;
	for (int i = 0; i < r->n_points; i++)
		if (r->points[i].phase != RFC_WARMUP)
			fprintf(f, "%.6f %.6f\n", mpps(rfc_offered_pps(&r->points[i].t)),
				100 * rfc_loss(&r->points[i].t));
	fclose(f);
	if (!(f = fopen(gp, "w")))
		return -1;
	double ndr = mpps(rfc_offered_pps(&r->ndr)), pdr = mpps(rfc_offered_pps(&r->pdr));
	fprintf(f, "set terminal pngcairo size 960,540 font 'sans,11'\n"
		   "set output '%s'\n"
		   "set title \"nfbox bench %s: loss vs offered load\" noenhanced\n"
		   "set xlabel 'offered load (Mpps)'\nset ylabel 'loss (%%)'\n"
		   "set grid\nset key top left\nset yrange [0:*]\nset xrange [0:*]\n",
		png, b->target);
	if (ndr > 0)
		fprintf(f, "set arrow 1 from %.6f, graph 0 to %.6f, graph 1 nohead lc rgb '#1a9641' lw 2\n"
			   "set label 1 'NDR %.3f' at %.6f, graph 0.95 offset 0.5,0 tc rgb '#1a9641'\n",
			ndr, ndr, ndr, ndr);
	if (pdr > 0)
		fprintf(f, "set arrow 2 from %.6f, graph 0 to %.6f, graph 1 nohead lc rgb '#d7191c' lw 2 dt 2\n"
			   "set label 2 'PDR %.3f' at %.6f, graph 0.88 offset 0.5,0 tc rgb '#d7191c'\n",
			pdr, pdr, pdr, pdr);
	fprintf(f, "plot '%s' using 1:2 with points pt 7 ps 1.2 title 'trials'\n", dat);
	fclose(f);
	int rc = hostsys_runv(NULL, log, "gnuplot", gp, NULL);
	if (rc != 0) {
		if (rc == 127 || access("/usr/bin/gnuplot", X_OK) != 0)
			fprintf(stderr, PROG ": --plot needs gnuplot (Debian: gnuplot-nox)\n");
		else {
			fprintf(stderr, PROG ": gnuplot failed:\n");
			hostsys_tail_file(log, 5, stderr);
		}
		return -1;
	}
	return 0;
}
