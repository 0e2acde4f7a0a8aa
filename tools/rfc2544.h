/* SPDX-License-Identifier: MIT */
/*
 * rfc2544.h - the throughput search of RFC 2544 section 26.1 as FD.io CSIT
 * runs it, for any set-up that can run a trial at a rate: `nfbox bench`
 * (an image behind the DPDK generator), bench/tput_image_vs_rte (the same)
 * and bench/chain.bench.sh (a chain, its trials policed by OVS, through
 * `nfbox bench --trial-cmd`).  One search, so every table is searched alike.
 *
 * The search:
 *   1. warm-up: one unpaced trial of warmup seconds, discarded (the target
 *      leaves its idle path, caches and pages are touched);
 *   2. MRR: one unpaced trial: the maximum offered rate and the maximum
 *      receive rate.  No loss there: the generator, not the target, is the
 *      limit, and NDR = PDR = that rate;
 *   3. PDR: binary search over (0, max offered] for the highest rate whose
 *      loss is at most pdr_loss, to `precision` of the rate;
 *   4. NDR: the same for zero loss, below the PDR (+5 %);
 *   5. the NDR confirmed by one trial of 3 x duration, stepping down 2 %
 *      (at most 5 times) while it loses.
 * A rate fails only if it fails 1 + retries times: a loss that does not
 * repeat is someone else's burst on a shared machine, not the target's
 * limit (a rate that passed once really was carried).
 *
 * Rates are frames per second of what was offered (what the generator
 * tried to hand the target, refused frames included); loss = offered -
 * received over the whole trial, late frames included.
 */
#ifndef NFB_TOOLS_RFC2544_H
#define NFB_TOOLS_RFC2544_H

#include <stdbool.h>
#include <stdint.h>

struct rfc_trial {
	double rate;       /* asked for, frames/s; 0: unpaced */
	double secs;       /* how long frames were offered */
	uint64_t offered;  /* frames offered to the target */
	uint64_t received; /* frames back from it */
	uint64_t bytes;    /* of the offered frames, FCS included */
};

/* Runs one trial at `rate` frames/s (0: as fast as it can) for `secs`.
 * Returns 0, or -1 when trials cannot go on (the search stops with it). */
typedef int (*rfc_trial_fn)(void *ctx, double rate, double secs, struct rfc_trial *out);

enum rfc_phase { RFC_WARMUP, RFC_MRR, RFC_PDR, RFC_NDR, RFC_CONFIRM };
const char *rfc_phase_name(enum rfc_phase p);

struct rfc_opts {
	double duration;  /* seconds per trial (default 1) */
	double warmup;    /* seconds of the warm-up trial; 0: none */
	double pdr_loss;  /* PDR's loss ratio (default 0.005) */
	double precision; /* relative width where a search stops (default 0.01) */
	int retries;      /* extra tries before a rate fails (default 2) */
	bool mrr_only;    /* stop after the MRR trial (no NDR/PDR search) */
	/* Called after every trial (progress); may be NULL. */
	void (*progress)(void *ctx, int k, enum rfc_phase phase, const struct rfc_trial *t);
	void *progress_ctx;
};

/* One trial as the search saw it (the loss curve a plot draws). */
struct rfc_point {
	enum rfc_phase phase;
	struct rfc_trial t;
};

struct rfc_result {
	struct rfc_trial mrr;  /* the unpaced trial */
	struct rfc_trial ndr;  /* the passing trials that set NDR and PDR */
	struct rfc_trial pdr;
	bool generator_bound;  /* the unpaced trial lost nothing */
	int trials;            /* all of them, warm-up included */
	struct rfc_point *points; /* every trial, in order (free() it) */
	int n_points;
};

static inline double rfc_offered_pps(const struct rfc_trial *t)
{
	return t->secs > 0 ? (double)t->offered / t->secs : 0;
}
static inline double rfc_received_pps(const struct rfc_trial *t)
{
	return t->secs > 0 ? (double)t->received / t->secs : 0;
}
/* Loss ratio 0..1 (frames that came back twice never make it negative). */
double rfc_loss(const struct rfc_trial *t);
/* Bits per second at layer 1 (frame, FCS, preamble and gap: 20 bytes) of
 * frames offered at `pps` with t's mean size. */
double rfc_l1_bps(const struct rfc_trial *t, double pps);

/* The defaults (above); set what differs afterwards. */
void rfc_opts_init(struct rfc_opts *o);

/* Runs the whole search.  0, or -1 if a trial failed (r holds what was
 * found up to then). */
int rfc2544_search(const struct rfc_opts *o, rfc_trial_fn trial, void *ctx, struct rfc_result *r);

#endif
