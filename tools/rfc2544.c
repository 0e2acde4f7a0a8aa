/* SPDX-License-Identifier: MIT */
/* rfc2544.c - the NDR/PDR/MRR search (rfc2544.h says how it searches). */
#include "tools/rfc2544.h"

#include <stdlib.h>
#include <string.h>

const char *rfc_phase_name(enum rfc_phase p)
{
	static const char *const names[] = {
		[RFC_WARMUP] = "warmup", [RFC_MRR] = "mrr", [RFC_PDR] = "pdr",
		[RFC_NDR] = "ndr",       [RFC_CONFIRM] = "confirm",
	};
	return (unsigned)p < sizeof(names) / sizeof(names[0]) ? names[p] : "?";
}

double rfc_loss(const struct rfc_trial *t)
{
	if (!t->offered || t->received >= t->offered)
		return 0;
	return (double)(t->offered - t->received) / (double)t->offered;
}

double rfc_l1_bps(const struct rfc_trial *t, double pps)
{
	double mean = t->offered ? (double)t->bytes / (double)t->offered : 0;
	return pps * (mean + 20) * 8;
}

void rfc_opts_init(struct rfc_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->duration = 1;
	o->warmup = 1;
	o->pdr_loss = 0.005;
	o->precision = 0.01;
	o->retries = 2;
}

struct search {
	const struct rfc_opts *o;
	rfc_trial_fn trial;
	void *ctx;
	struct rfc_result *r;
	int cap; /* of r->points */
};

/* One trial, recorded and reported. */
static int run(struct search *s, enum rfc_phase phase, double rate, double secs, struct rfc_trial *t)
{
	memset(t, 0, sizeof(*t));
	if (s->trial(s->ctx, rate, secs, t) < 0)
		return -1;
	t->rate = rate;
	struct rfc_result *r = s->r;
	if (r->n_points == s->cap) {
		int cap = s->cap ? 2 * s->cap : 64;
		struct rfc_point *p = realloc(r->points, (size_t)cap * sizeof(*p));
		if (!p)
			return -1;
		r->points = p;
		s->cap = cap;
	}
	r->points[r->n_points++] = (struct rfc_point){.phase = phase, .t = *t};
	r->trials++;
	if (s->o->progress)
		s->o->progress(s->o->progress_ctx, r->trials, phase, t);
	return 0;
}

static bool passes(const struct rfc_trial *t, double max_loss)
{
	return t->offered > 0 && rfc_loss(t) <= max_loss;
}

/* Judges `rate`: 1 if one of 1 + retries trials passes (*t is it), 0 if
 * all fail (*t is the last), -1 if a trial could not run. */
static int judge(struct search *s, enum rfc_phase phase, double rate, double secs, double max_loss,
		 struct rfc_trial *t)
{
	for (int i = 0; i <= s->o->retries; i++) {
		if (run(s, phase, rate, secs, t) < 0)
			return -1;
		if (passes(t, max_loss))
			return 1;
	}
	return 0;
}

/* Highest rate in (lo, hi] judged to lose at most max_loss, to the
 * precision; *best keeps the passing trial (untouched if none passed). */
static int bisect(struct search *s, enum rfc_phase phase, double lo, double hi, double max_loss,
		  struct rfc_trial *best)
{
	for (int step = 0; step < 30 && hi - lo > s->o->precision * hi; step++) {
		double mid = (lo + hi) / 2;
		struct rfc_trial t;
		int ok = judge(s, phase, mid, s->o->duration, max_loss, &t);
		if (ok < 0)
			return -1;
		if (ok) {
			lo = mid;
			if (rfc_offered_pps(&t) > rfc_offered_pps(best))
				*best = t;
		} else {
			hi = mid;
		}
	}
	return 0;
}

int rfc2544_search(const struct rfc_opts *o, rfc_trial_fn trial, void *ctx, struct rfc_result *r)
{
	memset(r, 0, sizeof(*r));
	struct search s = {.o = o, .trial = trial, .ctx = ctx, .r = r};
	struct rfc_trial t;
	if (o->warmup > 0 && run(&s, RFC_WARMUP, 0, o->warmup, &t) < 0)
		return -1;
	if (run(&s, RFC_MRR, 0, o->duration, &r->mrr) < 0)
		return -1;
	double max = rfc_offered_pps(&r->mrr);
	if (o->mrr_only)
		return 0;
	if (r->mrr.offered && rfc_loss(&r->mrr) == 0) {
		r->generator_bound = true;
		r->ndr = r->pdr = r->mrr;
		return 0;
	}
	if (bisect(&s, RFC_PDR, 0, max, o->pdr_loss, &r->pdr) < 0)
		return -1;
	double hi = r->pdr.offered ? r->pdr.rate * 1.05 : max;
	if (hi > max)
		hi = max;
	if (bisect(&s, RFC_NDR, 0, hi, 0, &r->ndr) < 0)
		return -1;
	/* Confirm the NDR over a longer trial; step down while it loses. */
	double rate = r->ndr.rate;
	bool confirmed = false;
	for (int step = 0; step < 5 && r->ndr.offered && !confirmed; step++) {
		int ok = judge(&s, RFC_CONFIRM, rate, 3 * o->duration, 0, &t);
		if (ok < 0)
			return -1;
		if (ok) {
			r->ndr = t;
			confirmed = true;
		}
		rate *= 0.98;
	}
	if (!confirmed)
		memset(&r->ndr, 0, sizeof(r->ndr));
	/* A rate carried without loss also meets the PDR's bound: on a noisy
	 * machine the PDR search can end below an NDR found later. */
	if (rfc_offered_pps(&r->ndr) > rfc_offered_pps(&r->pdr))
		r->pdr = r->ndr;
	return 0;
}
