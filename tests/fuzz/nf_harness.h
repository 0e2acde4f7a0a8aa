/* SPDX-License-Identifier: MIT */
/*
 * What the packet-path fuzz targets (fuzz_firewall, fuzz_nat, fuzz_lb)
 * share: their input format, how it becomes bursts, and the checks every
 * network function must pass whatever it is.
 *
 * Input: one byte of options (the target decides what its bits mean),
 * then records
 *   [port:u8][dt:u8 in 50 ms units][len:u16 little endian][len bytes]
 * until the input runs out.  Frames that parse form bursts of up to
 * FUZZ_BURST_MAX from one port (nf.h); bit 7 of a record's port byte ends
 * its burst.  Each burst moves the clock by its first record's dt, so
 * timeouts and tables that age are exercised.
 *
 * Every frame is copied into its pool buffer at the default headroom (a
 * function may grow it in front, pkt_push_front) with the bytes after it
 * poisoned, so ASan reports any read past its end (the functions read
 * ICMP error quotes and IPv6 extension headers the parser did not
 * validate).
 */
#ifndef NFBOX_TESTS_FUZZ_NF_HARNESS_H
#define NFBOX_TESTS_FUZZ_NF_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "dataplane/nf.h"
#include "nfb/pkt.h"

#define FUZZ_BURST_MAX 8

struct fuzz_feed {
	const uint8_t *data;
	size_t size, off;
	uint64_t now;
};

struct fuzz_burst {
	struct pkt *pkts[FUZZ_BURST_MAX];
	uint8_t *frames[FUZZ_BURST_MAX]; /* where pkts[i]->data pointed when it came */
	uint16_t n;
	uint8_t port;
};

/* Parse n config texts into cfgs and create the packet pool; aborts on
 * any error (the configs are the target's own). */
struct pkt_pool *fuzz_setup(struct cfg **cfgs, const char *const *texts, unsigned n);
/* Create the function with a flow table of 16 (so it fills up) and two
 * ports, configured with cfg; aborts if either fails, or if a packet of
 * the last input is not back in the pool (destroy frees what a function
 * kept). */
void *fuzz_nf_start(const struct nf_ops *nf, struct pkt_pool *pool, const struct cfg *cfg);
/* Start reading data past its options byte. */
void fuzz_feed_init(struct fuzz_feed *f, const uint8_t *data, size_t size);
/* The next burst (possibly empty: no frame parsed) and its time in f->now;
 * false when the input is used up. */
bool fuzz_next_burst(struct fuzz_feed *f, struct pkt_pool *pool, struct fuzz_burst *b);
/* Where process() sent packet i of a batch. */
static inline uint16_t fuzz_out(const struct nf_batch *nb, uint16_t i)
{
	return nb->out_all != NF_OUT_PER_PKT ? nb->out_all : nb->pkts[i]->out_port;
}
/* A function that may send a packet back out of port P it came in on (the
 * NAT's hairpinning, inside to inside) sets this to P; -1: none. */
extern int fuzz_back_port;
/* The burst through process() at `now`, then expire(): aborts unless every
 * packet went to the other port (or, from fuzz_back_port, that one), was
 * dropped or kept (NF_KEPT), every generated or released packet parses
 * and every released one goes to the other port (the same).  Each packet's out port goes to out[i] if out is not NULL.
 * Frees the burst's packets but the kept ones, their frames, and the
 * generated and released packets. */
void fuzz_burst_run(const struct nf_ops *nf, void *st, struct fuzz_burst *b, uint64_t now,
		    uint16_t *out);
/* The function's counters as text, in buf. */
const char *fuzz_stats(const struct nf_ops *nf, void *st, char *buf, size_t size);

#endif
