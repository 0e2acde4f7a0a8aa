/* SPDX-License-Identifier: MIT */
/*
 * gen.h - a rate-controlled packet generator and counter over two DPDK
 * ports (vhost-user servers, net_vhost): it offers frames on port 0 and
 * counts what comes back on port 1, all on the calling lcore.  Used by
 * nfbox-gen (the generator `nfbox bench` drives) and bench/tput_image_vs_rte.
 *
 * Frames are prebuilt templates sent by reference (refcount), so the cost
 * per frame is the vhost enqueue/dequeue copy, not building packets.  A
 * trial offers `rate` frames/s for `secs` seconds, paced on the TSC in
 * bursts of at most 32; frames the target's ring refuses count as offered
 * and lost, like frames that never come back (after a 50 ms drain window).
 */
#ifndef NFB_TOOLS_GEN_H
#define NFB_TOOLS_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tools/rfc2544.h"

#define GEN_MAX_TEMPLATES 65536u

struct rte_mempool;

struct gen {
	struct rte_mempool *mp;
	struct rte_mbuf **tmpl; /* n_tmpl frames, sent round and round */
	uint32_t n_tmpl, next;
	uint64_t refused;       /* of the last trial: the target's ring full */
	volatile bool *stop;    /* set by a signal: trials end early */
};

/* Pool and templates: synthetic UDP/IPv4 frames of `size` bytes with FCS
 * (64..1518; or IMIX 64/570/1518 7:4:1), flow i = 10.0.0.1:1024+i ->
 * 10.0.1.1:4096, frames going round `flows` flows. */
int gen_init_udp(struct gen *g, bool imix, unsigned size, unsigned flows);
/* ... or the frames of a pcap file, in order (at most GEN_MAX_TEMPLATES;
 * frames longer than a buffer are refused), each padded with zeros to
 * `size` bytes with FCS if shorter (0: as they are; longer: refused).
 * err gets why not. */
int gen_init_pcap(struct gen *g, const char *path, unsigned size, char *err, size_t errlen);
/* Ports 0 and 1 configured and started.  -1 on failure. */
int gen_ports(struct gen *g);
/* Until both links are up and frames come back through the target;
 * 0, or -1 with err saying which did not happen within `timeout` s. */
int gen_wait(struct gen *g, double timeout, char *err, size_t errlen);
/* One trial (rfc_trial_fn-shaped); g->refused says how many the ring refused. */
int gen_trial(void *g, double rate, double secs, struct rfc_trial *t);
/* Latency through the target during a trial: one offered frame per
 * millisecond is a probe, a copy of its template with 16 bytes more after
 * its end (a magic number and the TSC when sent: Ethernet padding past
 * the IP datagram), timed when it comes back with that tail on port 1.
 * Probes that come back changed at the tail (a function that trims
 * padding or rewrites it) are not samples; `back` says how many were. */
struct gen_latency {
	uint64_t probes, back; /* sent, timed on return */
	double p50_us, p90_us, p99_us, max_us;
};
int gen_latency_trial(struct gen *g, double rate, double secs, struct rfc_trial *t, struct gen_latency *l);
/* Receive and free on both ports for `secs` seconds; frames seen on port 1. */
uint64_t gen_drain(double secs);
/* Ports stopped, EAL cleaned up. */
void gen_close(struct gen *g);

#endif
