/* SPDX-License-Identifier: MIT */
/*
 * test_rfc2544.c - the NDR/PDR/MRR search (tools/rfc2544.c) against
 * simulated targets whose limits are known: it must find them to its
 * precision, see a generator-bound set-up as such, ride out losses that do
 * not repeat (someone else's burst), never report an unconfirmed NDR, and
 * stop on a trial that cannot run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tools/rfc2544.h"

/* A target that carries `cap` frames/s and drops the rest, behind a
 * generator that offers at most `gen` frames/s.  Every `burst_every`-th
 * trial (if set) loses 1 % more, whatever its rate. */
struct sim {
	double cap, gen;
	int burst_every;
	int n;         /* trials run */
	int fail_at;   /* this trial cannot run (0: never) */
	double conf_cap; /* cap of the longer confirmation trials (0: cap) */
};

static int sim_trial(void *ctx, double rate, double secs, struct rfc_trial *t)
{
	struct sim *s = ctx;
	if (++s->n == s->fail_at)
		return -1;
	double r = rate > 0 && rate < s->gen ? rate : s->gen;
	double cap = secs > 2.5 && s->conf_cap > 0 ? s->conf_cap : s->cap;
	t->secs = secs;
	t->offered = (uint64_t)(r * secs);
	double got = r < cap ? r : cap;
	if (s->burst_every && s->n % s->burst_every == 0)
		got *= 0.99;
	t->received = (uint64_t)(got * secs);
	t->bytes = t->offered * 64;
	return 0;
}

static struct rfc_opts opts(void)
{
	struct rfc_opts o;
	rfc_opts_init(&o);
	return o;
}

static void finds_the_limits(void **state)
{
	(void)state;
	struct sim s = {.cap = 1e6, .gen = 3e6};
	struct rfc_opts o = opts();
	struct rfc_result r;
	assert_int_equal(rfc2544_search(&o, sim_trial, &s, &r), 0);
	assert_false(r.generator_bound);
	assert_true(rfc_received_pps(&r.mrr) > 0.999e6 && rfc_received_pps(&r.mrr) < 1.001e6);
	assert_true(rfc_offered_pps(&r.mrr) > 2.99e6);
	double ndr = rfc_offered_pps(&r.ndr), pdr = rfc_offered_pps(&r.pdr);
	assert_true(ndr <= 1e6 && ndr >= 1e6 * (1 - 2 * o.precision));
	assert_true(pdr >= ndr && pdr <= 1e6 / (1 - o.pdr_loss) + 1);
	assert_true(rfc_loss(&r.pdr) <= o.pdr_loss);
	assert_true(rfc_loss(&r.ndr) == 0);
	/* The NDR is a confirmation trial: 3 x duration. */
	assert_true(r.ndr.secs > 2.9);
	/* Every trial is a point, in order: warm-up, MRR, then PDR, NDR, confirm. */
	assert_int_equal(r.n_points, r.trials);
	assert_int_equal(r.trials, s.n);
	assert_int_equal(r.points[0].phase, RFC_WARMUP);
	assert_int_equal(r.points[1].phase, RFC_MRR);
	assert_int_equal(r.points[2].phase, RFC_PDR);
	assert_int_equal(r.points[r.n_points - 1].phase, RFC_CONFIRM);
	/* L1 rate of 64-byte frames: 84 bytes on the wire. */
	assert_true(rfc_l1_bps(&r.ndr, 1e6) > 671e6 && rfc_l1_bps(&r.ndr, 1e6) < 673e6);
	free(r.points);
}

static void generator_bound(void **state)
{
	(void)state;
	struct sim s = {.cap = 5e6, .gen = 2e6};
	struct rfc_opts o = opts();
	struct rfc_result r;
	assert_int_equal(rfc2544_search(&o, sim_trial, &s, &r), 0);
	assert_true(r.generator_bound);
	assert_true(rfc_offered_pps(&r.ndr) > 1.99e6);
	assert_true(rfc_offered_pps(&r.pdr) > 1.99e6);
	assert_int_equal(r.trials, 2); /* warm-up and MRR: nothing to search */
	free(r.points);
}

/* Every third trial loses 1 % at any rate: retries find the real limit. */
static void rides_out_bursts(void **state)
{
	(void)state;
	struct sim s = {.cap = 1e6, .gen = 3e6, .burst_every = 3};
	struct rfc_opts o = opts();
	struct rfc_result r;
	assert_int_equal(rfc2544_search(&o, sim_trial, &s, &r), 0);
	double ndr = rfc_offered_pps(&r.ndr);
	assert_true(ndr <= 1e6 && ndr >= 1e6 * (1 - 2 * o.precision));
	free(r.points);

	/* Without retries the same bursts drag the NDR down. */
	struct sim s0 = {.cap = 1e6, .gen = 3e6, .burst_every = 3};
	o.retries = 0;
	assert_int_equal(rfc2544_search(&o, sim_trial, &s0, &r), 0);
	assert_true(rfc_offered_pps(&r.ndr) < 0.98e6);
	free(r.points);
}

/* Bursts hit two PDR trials (0.75 and 0.375 Mpps, below the 1 Mpps
 * limit): the PDR search ends near 0.375; the NDR search, bounded by 1.05x
 * that, ends above it, and the PDR, whose bound a zero-loss rate meets
 * too, is raised to it. */
static int noisy_pdr_trial(void *ctx, double rate, double secs, struct rfc_trial *t)
{
	struct sim *s = ctx;
	int rc = sim_trial(ctx, rate, secs, t);
	if (s->n == 4 || s->n == 5)
		t->received = t->offered * 9 / 10;
	return rc;
}

static void pdr_never_below_ndr(void **state)
{
	(void)state;
	struct sim s = {.cap = 1e6, .gen = 3e6};
	struct rfc_opts o = opts();
	o.retries = 0;
	struct rfc_result r;
	assert_int_equal(rfc2544_search(&o, noisy_pdr_trial, &s, &r), 0);
	assert_true(rfc_offered_pps(&r.ndr) > 0.38e6);
	assert_true(rfc_offered_pps(&r.pdr) >= rfc_offered_pps(&r.ndr));
	/* The PDR search's own best was lower: it came from the NDR. */
	double pdr_search = 0;
	for (int i = 0; i < r.n_points; i++)
		if (r.points[i].phase == RFC_PDR && rfc_loss(&r.points[i].t) <= o.pdr_loss &&
		    rfc_offered_pps(&r.points[i].t) > pdr_search)
			pdr_search = rfc_offered_pps(&r.points[i].t);
	assert_true(pdr_search < rfc_offered_pps(&r.ndr));
	free(r.points);
}

/* A target that loses over long trials below the short trials' limit:
 * the confirmation steps down 2 % at a time to what holds. */
static void confirmation_steps_down(void **state)
{
	(void)state;
	struct sim s = {.cap = 1e6, .gen = 3e6, .conf_cap = 0.95e6};
	struct rfc_opts o = opts();
	struct rfc_result r;
	assert_int_equal(rfc2544_search(&o, sim_trial, &s, &r), 0);
	double ndr = rfc_offered_pps(&r.ndr);
	assert_true(ndr <= 0.95e6 && ndr > 0.90e6);
	assert_true(r.ndr.secs > 2.9);
	free(r.points);

	/* Never confirmed within five steps: no NDR rather than a wrong one. */
	struct sim s2 = {.cap = 1e6, .gen = 3e6, .conf_cap = 0.5e6};
	assert_int_equal(rfc2544_search(&o, sim_trial, &s2, &r), 0);
	assert_int_equal(r.ndr.offered, 0);
	free(r.points);
}

static void mrr_only(void **state)
{
	(void)state;
	struct sim s = {.cap = 1e6, .gen = 3e6};
	struct rfc_opts o = opts();
	o.mrr_only = true;
	struct rfc_result r;
	assert_int_equal(rfc2544_search(&o, sim_trial, &s, &r), 0);
	assert_int_equal(r.trials, 2);
	assert_true(rfc_received_pps(&r.mrr) > 0.999e6);
	assert_int_equal(r.ndr.offered, 0);
	assert_int_equal(r.pdr.offered, 0);
	free(r.points);
}

static void stops_when_a_trial_fails(void **state)
{
	(void)state;
	struct sim s = {.cap = 1e6, .gen = 3e6, .fail_at = 5};
	struct rfc_opts o = opts();
	struct rfc_result r;
	assert_int_equal(rfc2544_search(&o, sim_trial, &s, &r), -1);
	assert_int_equal(s.n, 5);
	assert_int_equal(r.trials, 4);
	free(r.points);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(finds_the_limits),
		cmocka_unit_test(generator_bound),
		cmocka_unit_test(rides_out_bursts),
		cmocka_unit_test(confirmation_steps_down),
		cmocka_unit_test(mrr_only),
		cmocka_unit_test(pdr_never_below_ndr),
		cmocka_unit_test(stops_when_a_trial_fails),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
