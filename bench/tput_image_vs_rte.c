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
 * A trial offers `rate` frames/s for `duration` seconds, paced on the TSC in
 * bursts of at most 32; frames the DUT's ring refuses count as lost, like
 * frames that never come back (after a drain window).  The search, as RFC
 * 2544 / FD.io CSIT do it: one unpaced trial gives the maximum offered rate
 * and the maximum receive rate (MRR); then binary search for the highest
 * rate with zero loss (NDR) and with at most 0.5 % loss (PDR), to 0.5 %
 * precision.
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

#define BURST 32
#define RING 1024
#define N_TEMPLATES 4096
#define N_MBUFS 16384

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

struct trial {
	double rate;          /* asked */
	uint64_t attempted;   /* offered to the DUT */
	uint64_t refused;     /* not accepted by the DUT's RX ring */
	uint64_t received;
	uint64_t bytes;       /* bytes of attempted frames, FCS included */
	double secs;
};

static struct rte_mbuf *tmpl[N_TEMPLATES];
static uint32_t tmpl_next;

/* One UDP/IPv4 frame of `len` bytes without FCS, of flow `flow`. */
static void fill_frame(uint8_t *b, uint16_t len, uint32_t seq, unsigned flow)
{
	static const uint8_t hdr[] = {
		0x52, 0x54, 0x00, 0x00, 0x00, 0x11, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,
		0x45, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00, /* ...csum */
		10, 0, 0, 1, 10, 0, 1, 1,
		0x04, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, /* UDP 1024 -> 4096, no csum */
	};
	memcpy(b, hdr, sizeof(hdr));
	b[34] = (uint8_t)((1024 + flow) >> 8);
	b[35] = (uint8_t)(1024 + flow);
	uint16_t ip_len = (uint16_t)(len - 14), udp_len = (uint16_t)(len - 34);
	b[16] = (uint8_t)(ip_len >> 8);
	b[17] = (uint8_t)ip_len;
	b[38] = (uint8_t)(udp_len >> 8);
	b[39] = (uint8_t)udp_len;
	uint32_t sum = 0;
	for (int i = 14; i < 34; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = ~sum & 0xffff;
	b[24] = (uint8_t)(sum >> 8);
	b[25] = (uint8_t)sum;
	for (uint16_t i = 42; i < len; i++)
		b[i] = (uint8_t)(seq + i);
}

static int make_templates(struct rte_mempool *mp, bool imix, unsigned flows)
{
	/* IMIX 7:4:1 of 64/570/1518-byte frames (with FCS). */
	static const uint16_t imix_len[12] = {60, 566, 60, 60, 566, 60, 1514, 60, 566, 60, 566, 60};
	for (uint32_t i = 0; i < N_TEMPLATES; i++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
		if (!m)
			return -1;
		uint16_t len = imix ? imix_len[i % 12] : 60;
		uint8_t *b = (uint8_t *)rte_pktmbuf_append(m, len);
		if (!b)
			return -1;
		fill_frame(b, len, i, i % flows);
		tmpl[i] = m;
	}
	return 0;
}

static int port_setup(uint16_t port, struct rte_mempool *mp)
{
	struct rte_eth_conf conf;
	memset(&conf, 0, sizeof(conf));
	if (rte_eth_dev_configure(port, 1, 1, &conf) < 0 ||
	    rte_eth_rx_queue_setup(port, 0, RING, rte_eth_dev_socket_id(port), NULL, mp) < 0 ||
	    rte_eth_tx_queue_setup(port, 0, RING, rte_eth_dev_socket_id(port), NULL) < 0 ||
	    rte_eth_dev_start(port) < 0)
		return -1;
	return 0;
}

static bool link_up(uint16_t port)
{
	struct rte_eth_link l;
	return rte_eth_link_get_nowait(port, &l) == 0 && l.link_status == RTE_ETH_LINK_UP;
}

static uint64_t drain(uint16_t port, double secs)
{
	struct rte_mbuf *rx[BURST];
	uint64_t n = 0, end = rte_rdtsc() + (uint64_t)(secs * rte_get_tsc_hz());
	while (rte_rdtsc() < end) {
		uint16_t r = rte_eth_rx_burst(port, 0, rx, BURST);
		if (r) {
			rte_pktmbuf_free_bulk(rx, r);
			n += r;
		}
		uint16_t r0 = rte_eth_rx_burst(0, 0, rx, BURST);
		if (r0)
			rte_pktmbuf_free_bulk(rx, r0);
	}
	return n;
}

/* Offer `rate` frames/s (0: as fast as possible) on port 0 for `secs`;
 * count what port 1 receives, including a drain window after. */
static struct trial run_trial(double rate, double secs)
{
	struct trial t = {.rate = rate};
	struct rte_mbuf *tx[BURST], *rx[BURST];
	const uint64_t hz = rte_get_tsc_hz();
	const uint64_t t0 = rte_rdtsc(), end = t0 + (uint64_t)(secs * hz);
	const double per_cycle = rate / (double)hz;
	uint64_t now;

	while ((now = rte_rdtsc()) < end && !stop_now) {
		uint32_t want = BURST;
		if (rate > 0) {
			double due = (double)(now - t0) * per_cycle;
			want = due > (double)t.attempted ? (uint32_t)(due - (double)t.attempted) : 0;
			if (want > BURST)
				want = BURST;
		}
		if (want) {
			for (uint32_t i = 0; i < want; i++) {
				struct rte_mbuf *m = tmpl[tmpl_next++ & (N_TEMPLATES - 1)];
				rte_mbuf_refcnt_update(m, 1);
				tx[i] = m;
				t.bytes += m->pkt_len + 4u;
			}
			uint16_t sent = rte_eth_tx_burst(0, 0, tx, (uint16_t)want);
			for (uint32_t i = sent; i < want; i++)
				rte_pktmbuf_free(tx[i]); /* drops our extra reference */
			t.attempted += want;
			t.refused += want - sent;
		}
		uint16_t r = rte_eth_rx_burst(1, 0, rx, BURST);
		if (r) {
			rte_pktmbuf_free_bulk(rx, r);
			t.received += r;
		}
	}
	t.secs = (double)(rte_rdtsc() - t0) / (double)hz;
	t.received += drain(1, 0.05);
	drain(1, 0.05); /* late frames: neither counted nor carried over */
	return t;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* N single frames, `gap_ms` apart; RTT of each (frames that do not come
 * back within 100 ms are lost). */
static int ping(const struct opts *o)
{
	const uint64_t hz = rte_get_tsc_hz();
	uint64_t *rtt = calloc((size_t)o->ping, sizeof(*rtt));
	int back = 0;
	struct rte_mbuf *rx[BURST];
	if (!rtt)
		return 1;
	for (int i = 0; i < o->ping && !stop_now; i++) {
		drain(1, o->gap_ms / 1000.0);
		struct rte_mbuf *m = tmpl[tmpl_next++ & (N_TEMPLATES - 1)];
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

static double loss_of(const struct trial *t)
{
	if (!t->attempted)
		return 0;
	return t->received >= t->attempted ? 0.0
					   : (double)(t->attempted - t->received) / (double)t->attempted;
}

static void show(const struct opts *o, const char *what, const struct trial *t)
{
	if (!o->verbose)
		return;
	fprintf(stderr, "  %-6s rate %9.0f  offered %8.3f Mpps  recv %8.3f Mpps  refused %" PRIu64
			"  loss %.4f%%\n",
		what, t->rate, (double)t->attempted / t->secs / 1e6, (double)t->received / t->secs / 1e6,
		t->refused, loss_of(t) * 100);
}

/* Highest offered rate with loss <= max_loss, between lo (passes) and hi
 * (fails), to `prec` relative precision.  Returns the passing trial. */
static struct trial search(const struct opts *o, double lo, double hi, double max_loss,
			   struct trial best, const char *tag)
{
	for (int i = 0; i < 20 && (hi - lo) > hi * 0.005 && !stop_now; i++) {
		double mid = (lo + hi) / 2;
		struct trial t = run_trial(mid, o->duration);
		show(o, tag, &t);
		if (loss_of(&t) <= max_loss) {
			lo = mid;
			best = t;
		} else {
			hi = mid;
		}
	}
	return best;
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
			if (o.flows < 1 || o.flows > N_TEMPLATES) {
				fprintf(stderr, "tput: --flows 1..%d\n", N_TEMPLATES);
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
	struct rte_mempool *mp = rte_pktmbuf_pool_create("tput", N_MBUFS, 256, 0,
							 RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (!mp || make_templates(mp, o.imix, o.flows) < 0 || port_setup(0, mp) < 0 || port_setup(1, mp) < 0) {
		fprintf(stderr, "tput: port or pool set-up failed\n");
		return 1;
	}

	/* Wait for the DUT: both vhost devices started, then frames coming
	 * back (its forwarding loop runs). */
	uint64_t hz = rte_get_tsc_hz(), give_up = rte_rdtsc() + (uint64_t)(o.link_timeout * hz);
	while (!(link_up(0) && link_up(1))) {
		if (rte_rdtsc() > give_up || stop_now) {
			fprintf(stderr, "tput: %s: links not up\n", o.label);
			return 1;
		}
		usleep(10000);
	}
	struct trial w;
	do {
		w = run_trial(10000, 0.2);
		if (rte_rdtsc() > give_up || stop_now) {
			fprintf(stderr, "tput: %s: nothing comes back\n", o.label);
			return 1;
		}
	} while (w.received == 0);
	if (o.ping > 0 || o.load > 0) {
		int rc = 0;
		if (o.ping > 0)
			rc = ping(&o);
		fflush(stdout);
		if (o.load > 0) {
			if (o.ping > 0)
				drain(1, 2.0); /* idle: the DUT halts again */
			struct trial t = run_trial(o.load_rate, o.load);
			printf("%-24s load: %.1f s, offered %" PRIu64 ", received %" PRIu64
			       " (%.3f Mpps), refused %" PRIu64 "\n",
			       o.label, t.secs, t.attempted, t.received, (double)t.received / t.secs / 1e6,
			       t.refused);
			fflush(stdout);
			drain(1, 1.0); /* a quiet second before the ports go away */
		}
		for (uint16_t p = 0; p < 2; p++) {
			rte_eth_dev_stop(p);
			rte_eth_dev_close(p);
		}
		rte_eal_cleanup();
		return rc;
	}
	run_trial(0, 0.5); /* warm-up at full speed */

	struct trial max = run_trial(0, o.duration);
	show(&o, "max", &max);
	double max_rate = (double)max.attempted / max.secs;
	struct trial none = {0};
	struct trial ndr, pdr;
	if (loss_of(&max) == 0) {
		ndr = pdr = max; /* the generator, not the DUT, is the limit */
	} else {
		ndr = search(&o, 0, max_rate, 0.0, none, "ndr");
		double lo_pdr = ndr.attempted ? (double)ndr.attempted / ndr.secs : 0;
		pdr = search(&o, lo_pdr, max_rate, 0.005, ndr, "pdr");
	}

	double mrr = (double)max.received / max.secs;
	double ndr_pps = ndr.secs > 0 ? (double)ndr.attempted / ndr.secs : 0;
	double pdr_pps = pdr.secs > 0 ? (double)pdr.attempted / pdr.secs : 0;
	double avg_bytes = max.attempted ? (double)max.bytes / (double)max.attempted : 0;
	/* L1 bits: frame + FCS + preamble + inter-frame gap (20 B). */
	double gbps = ndr_pps * (avg_bytes + 20) * 8 / 1e9;
	printf("%-24s %-5s  NDR %7.3f Mpps (%6.2f Gb/s L1)  PDR %7.3f Mpps  MRR %7.3f Mpps  offered max %7.3f Mpps%s\n",
	       o.label, o.imix ? "imix" : "64", ndr_pps / 1e6, gbps, pdr_pps / 1e6, mrr / 1e6,
	       max_rate / 1e6, loss_of(&max) == 0 ? "  (generator-bound)" : "");
	if (o.csv) {
		FILE *f = fopen(o.csv, "a");
		if (f) {
			fprintf(f, "%s,%s,%.0f,%.0f,%.0f,%.0f,%.1f,%.2f,%d,%u\n", o.label,
				o.imix ? "imix" : "64", ndr_pps, pdr_pps, mrr, max_rate, avg_bytes + 4,
				o.duration, loss_of(&max) == 0, o.flows);
			fclose(f);
		}
	}
	for (uint16_t p = 0; p < 2; p++) {
		rte_eth_dev_stop(p);
		rte_eth_dev_close(p);
	}
	rte_eal_cleanup();
	return stop_now ? 130 : 0;
}
