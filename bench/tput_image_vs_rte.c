/* SPDX-License-Identifier: MIT */
/*
 * tput_image_vs_rte - a rate-controlled packet generator and counter over
 * vhost-user, to find the no-drop rate (NDR) of whatever forwards between
 * its two ports: an nfbox image (fwd, firewall), or (the fabric limit) a
 * DPDK testpmd virtio_user io-forwarder.  bench/image_tput.sh runs them
 * side by side.
 *
 * It owns two vhost-user server sockets (DPDK net_vhost, the first two
 * --vdev ports): it transmits on port 0 and counts what arrives on port 1,
 * all on the one EAL lcore (pin it: --lcores 0@CPU).  Frames are prebuilt
 * templates sent by reference (refcount), so the generator's cost per frame
 * is the vhost enqueue/dequeue copy, not building packets.
 *
 * The generator and its trials are tools/gen/gen.c (as nfbox-gen's, which
 * `nfbox bench` drives); the search is tools/rfc2544.c, the one every
 * nfbox bench runs: warm-up, an unpaced trial for the maximum offered and
 * receive rates (MRR), then the highest rate with at most 0.5 % loss
 * (PDR) and with none (NDR), retried at the boundary, the NDR confirmed.
 *
 * Usage: tput_image_vs_rte [EAL args] -- --size 64|imix [--duration S]
 *        [--flows N] [--label NAME] [--csv FILE] [--link-timeout S] [--verbose]
 *        [--ping N [--gap-ms G]] [--load S [--load-rate PPS]]
 * --ping: instead of the search, send N single frames G ms apart (default
 * 20: long enough for an idle DUT to halt) and report the round-trip time
 * of each: how fast an idle DUT wakes up for a frame.
 * --load: instead of the search, one unpaced trial of S seconds (what a DUT
 * does under sustained load, e.g. whether it takes interrupts); after the
 * pings and 2 s of silence if both are given; --load-rate paces it (a
 * steady stream a DUT drains faster than it comes: what RX coalescing is
 * for).
 * Sizes are Ethernet frame sizes with FCS (64 B = 60 bytes handed to the
 * device); IMIX is 64/570/1518 in the ratio 7:4:1.
 * --flows N (1..4096, default 1): UDP 10.0.0.1:1024+i -> 10.0.1.1:4096 for
 * flow i; frames go round the flows, so after the warm-up every flow a
 * stateful DUT tracks is established.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "tools/gen/gen.h"
#include "tools/rfc2544.h"

#define BURST 32

static volatile bool stop_now;
static void on_signal(int sig) { (void)sig; stop_now = true; }

struct opts {
	bool imix;
	unsigned flows;
	double duration;
	double link_timeout;
	const char *label;
	const char *csv;
	bool verbose;
	int ping;
	double gap_ms;
	double load;
	double load_rate; /* frames/s of the --load trial, 0: unpaced */
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* N single frames, `gap_ms` apart; RTT of each (frames that do not come
 * back within 100 ms are lost). */
static int ping(struct gen *g, const struct opts *o)
{
	const uint64_t hz = rte_get_tsc_hz();
	uint64_t *rtt = calloc((size_t)o->ping, sizeof(*rtt));
	int back = 0;
	struct rte_mbuf *rx[BURST];
	if (!rtt)
		return 1;
	for (int i = 0; i < o->ping && !stop_now; i++) {
		gen_drain(o->gap_ms / 1000.0);
		struct rte_mbuf *m = g->tmpl[g->next];
		g->next = (g->next + 1) % g->n_tmpl;
		rte_mbuf_refcnt_update(m, 1);
		uint64_t t0 = rte_rdtsc();
		if (rte_eth_tx_burst(0, 0, &m, 1) != 1) {
			rte_pktmbuf_free(m);
			continue;
		}
		while (rte_rdtsc() - t0 < hz / 10) {
			uint16_t r = rte_eth_rx_burst(1, 0, rx, BURST);
			if (r) {
				rtt[back++] = (rte_rdtsc() - t0) * 1000000 / hz;
				rte_pktmbuf_free_bulk(rx, r);
				break;
			}
		}
	}
	qsort(rtt, (size_t)back, sizeof(*rtt), cmp_u64);
	printf("%-24s ping: %d sent, %d back, RTT median %" PRIu64 " us, p90 %" PRIu64
	       " us, max %" PRIu64 " us (gap %.0f ms)\n",
	       o->label, o->ping, back, back ? rtt[back / 2] : 0, back ? rtt[back * 9 / 10] : 0,
	       back ? rtt[back - 1] : 0, o->gap_ms);
	free(rtt);
	return back == o->ping ? 0 : 1;
}

static void show(void *ctx, int k, enum rfc_phase phase, const struct rfc_trial *t)
{
	const struct opts *o = ctx;
	if (!o->verbose)
		return;
	fprintf(stderr, "  %2d %-7s rate %9.0f  offered %8.3f Mpps  recv %8.3f Mpps  loss %.4f%%\n", k,
		rfc_phase_name(phase), t->rate, rfc_offered_pps(t) / 1e6, rfc_received_pps(t) / 1e6,
		rfc_loss(t) * 100);
}

int main(int argc, char **argv)
{
	int eal = rte_eal_init(argc, argv);
	if (eal < 0) {
		fprintf(stderr, "tput: EAL init failed\n");
		return 1;
	}
	argc -= eal;
	argv += eal;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	struct opts o = {.duration = 1.0, .flows = 1, .link_timeout = 120, .label = "dut", .gap_ms = 20};
	static const struct option lo[] = {
		{"size", required_argument, NULL, 's'},   {"duration", required_argument, NULL, 'd'},
		{"label", required_argument, NULL, 'l'},  {"csv", required_argument, NULL, 'c'},
		{"link-timeout", required_argument, NULL, 't'}, {"verbose", no_argument, NULL, 'v'},
		{"ping", required_argument, NULL, 'p'},   {"gap-ms", required_argument, NULL, 'g'},
		{"load", required_argument, NULL, 'L'},   {"flows", required_argument, NULL, 'f'},
		{"load-rate", required_argument, NULL, 'R'},
		{NULL, 0, NULL, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			if (strcmp(optarg, "imix") == 0)
				o.imix = true;
			else if (strcmp(optarg, "64") != 0) {
				fprintf(stderr, "tput: --size 64|imix\n");
				return 2;
			}
			break;
		case 'd': o.duration = atof(optarg); break;
		case 'l': o.label = optarg; break;
		case 'c': o.csv = optarg; break;
		case 't': o.link_timeout = atof(optarg); break;
		case 'v': o.verbose = true; break;
		case 'p': o.ping = atoi(optarg); break;
		case 'g': o.gap_ms = atof(optarg); break;
		case 'L': o.load = atof(optarg); break;
		case 'R': o.load_rate = atof(optarg); break;
		case 'f':
			o.flows = (unsigned)atoi(optarg);
			if (o.flows < 1 || o.flows > 4096) {
				fprintf(stderr, "tput: --flows 1..4096\n");
				return 2;
			}
			break;
		default: return 2;
		}
	}
	if (rte_eth_dev_count_avail() < 2) {
		fprintf(stderr, "tput: needs two ports (--vdev net_vhost0,... --vdev net_vhost1,...)\n");
		return 1;
	}
	struct gen g = {.stop = &stop_now};
	char err[256];
	if (gen_init_udp(&g, o.imix, 64, o.flows) < 0 || gen_ports(&g) < 0) {
		fprintf(stderr, "tput: port or pool set-up failed\n");
		return 1;
	}
	/* Wait for the DUT: both vhost devices started, then frames coming
	 * back (its forwarding loop runs). */
	if (gen_wait(&g, o.link_timeout, err, sizeof(err)) < 0) {
		fprintf(stderr, "tput: %s: %s\n", o.label, err);
		return 1;
	}
	if (o.ping > 0 || o.load > 0) {
		int rc = 0;
		if (o.ping > 0)
			rc = ping(&g, &o);
		fflush(stdout);
		if (o.load > 0) {
			if (o.ping > 0)
				gen_drain(2.0); /* idle: the DUT halts again */
			struct rfc_trial t;
			gen_trial(&g, o.load_rate, o.load, &t);
			printf("%-24s load: %.1f s, offered %" PRIu64 ", received %" PRIu64
			       " (%.3f Mpps), refused %" PRIu64 "\n",
			       o.label, t.secs, t.offered, t.received, rfc_received_pps(&t) / 1e6, g.refused);
			fflush(stdout);
			gen_drain(1.0); /* a quiet second before the ports go away */
		}
		gen_close(&g);
		return rc;
	}

	struct rfc_opts ro;
	rfc_opts_init(&ro);
	ro.duration = o.duration;
	ro.warmup = 0.5;
	ro.progress = show;
	ro.progress_ctx = &o;
	struct rfc_result r;
	int found = rfc2544_search(&ro, gen_trial, &g, &r);
	const struct rfc_trial *max = &r.mrr;
	double max_rate = rfc_offered_pps(max), mrr = rfc_received_pps(max);
	double ndr_pps = rfc_offered_pps(&r.ndr), pdr_pps = rfc_offered_pps(&r.pdr);
	double avg_bytes = max->offered ? (double)max->bytes / (double)max->offered : 0;
	if (found == 0)
		printf("%-24s %-5s  NDR %7.3f Mpps (%6.2f Gb/s L1)  PDR %7.3f Mpps  MRR %7.3f Mpps  offered max "
		       "%7.3f Mpps%s\n",
		       o.label, o.imix ? "imix" : "64", ndr_pps / 1e6, rfc_l1_bps(&r.ndr, ndr_pps) / 1e9,
		       pdr_pps / 1e6, mrr / 1e6, max_rate / 1e6, r.generator_bound ? "  (generator-bound)" : "");
	if (found == 0 && o.csv) {
		FILE *f = fopen(o.csv, "a");
		if (f) {
			fprintf(f, "%s,%s,%.0f,%.0f,%.0f,%.0f,%.1f,%.2f,%d,%u\n", o.label, o.imix ? "imix" : "64",
				ndr_pps, pdr_pps, mrr, max_rate, avg_bytes, o.duration, r.generator_bound, o.flows);
			fclose(f);
		}
	}
	free(r.points);
	gen_close(&g);
	return stop_now ? 130 : found == 0 ? 0 : 1;
}
