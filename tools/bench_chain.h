/* SPDX-License-Identifier: MIT */
/*
 * bench_chain.h - `nfbox bench CHAINFILE`: a chain brought up with `nfbox
 * chain up`, its generator inside the chain's own OVS (no third poller on
 * two cores):
 *
 *   gen (OpenFlow port 1: DPDK net_pcap replaying the trace forever,
 *        infinite_rx, policed by OVS ingress policing) -> f1 -> ... -> fN
 *
 * offered = frames OVS handed (or tried to hand: ring full) to f1's input
 * port; received = frames OVS got from fN's output port.  A trial: the
 * policer set, the trace let in (its drop flow removed), 0.3 s to settle,
 * SECS seconds, the trace stopped, 0.3 s to drain; loss over the whole
 * trial.  Policing is in kbit/s: one trial at a known rate calibrates
 * kbit/s per frame/s.  The OVS PMD on the chain's OVS core is generator,
 * policer, counter and every hop.
 */
#ifndef NFB_TOOLS_BENCH_CHAIN_H
#define NFB_TOOLS_BENCH_CHAIN_H

#include <stdbool.h>

#include "tools/rfc2544.h"
#include "topology/chain.h"

struct bench_chain {
	const char *file;
	struct chain c;
	struct chain_paths p;
	bool parsed, up;
	unsigned p_in, p_out;   /* OVS ports: f1's input, fN's output */
	double kbps_per_pps;
	double frame_bytes;     /* mean, FCS included */
	char trace[300];
	char mgmt[300];
};

/* Parse, bring up, add the generator port on `trace` (a pcap of Ethernet
 * frames), calibrate.  Messages on stderr.  0 or -1 (then call stop). */
int bench_chain_start(struct bench_chain *b, const char *file, const char *trace, double frame_bytes);
/* rfc_trial_fn */
int bench_chain_trial(void *b, double rate, double secs, struct rfc_trial *t);
/* The chain's OVS port counters as "portN.KEY VALUE" lines (malloc'd). */
char *bench_chain_ports(struct bench_chain *b);
/* Chain down (if we brought it up). */
void bench_chain_stop(struct bench_chain *b);

#endif
