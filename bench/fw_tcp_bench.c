/* SPDX-License-Identifier: MIT */
/*
 * fw_tcp_bench - the firewall's established-TCP fast path, both directions.
 *
 *   fw_tcp_bench [--flows N,N,...] [--laps N] [--csv FILE]
 *
 * replay_bench feeds one port only, so its traces are UDP: a TCP flow
 * never gets past SYN_SENT without its SYN+ACK coming back.  This bench
 * drives the firewall's nf_ops directly.  Per flow count: every flow is
 * opened with a real handshake (SYN, SYN+ACK, ACK, window scale 7 both
 * ways), then each lap sends, per flow, one 6-byte data segment from the
 * inside (port 0, bursts of 32) and the outside's ACK of it (port 1);
 * with fewer than 32 flows, several segments per flow.
 * Between laps (untimed) the sequence and acknowledgement numbers move on
 * by the segment, so every timed packet is new, in-window data or a new
 * ACK, as on a real connection (no retransmissions).
 *
 * Timed: nf->process() only (no parse, no TX queueing; packets are parsed
 * once), TSC cycles per packet, median and best of the laps.  Run pinned:
 * taskset -c N.  Under callgrind, --toggle-collect=fw_process gives
 * instructions per packet of the same work.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "dataplane/nf.h"
#include "dataplane/parse.h"

#define BURST 32
#define PAYLOAD 6

static const struct nf_ops *nf;
static struct pkt_pool *pool;

/* Ethernet + IPv4 + TCP (with MSS and window-scale options on SYNs) and
 * PAYLOAD bytes of data on data segments. */
static struct pkt *mk_tcp(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
			  uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win, uint32_t len,
			  uint16_t port)
{
	uint8_t f[128];
	memset(f, 0, sizeof(f));
	memcpy(f, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00", 14);
	uint32_t thl = (flags & TCP_SYN) ? 28 : 20;
	struct ipv4_hdr ip = {.ver_ihl = 0x45, .ttl = 64, .proto = IPPROTO_TCP_,
			      .total_len = sys_htons((uint16_t)(20 + thl + len)),
			      .src = sys_htonl(src), .dst = sys_htonl(dst)};
	memcpy(f + 14, &ip, 20);
	struct tcp_hdr t = {.sport = sys_htons(sport), .dport = sys_htons(dport),
			    .seq = sys_htonl(seq), .ack = sys_htonl(ack),
			    .doff_res = (uint8_t)((thl / 4) << 4), .flags = flags,
			    .window = sys_htons(win)};
	memcpy(f + 34, &t, 20);
	if (thl == 28)
		memcpy(f + 54, "\x02\x04\x05\xb4\x01\x03\x03\x07", 8); /* MSS 1460, NOP, WS 7 */
	uint32_t flen = 34 + thl + len;
	struct pkt *p = pkt_alloc(pool);
	if (!p || pkt_set_data(p, f, flen < 60 ? 60 : flen) || (p->port = port, parse_pkt(p)) != PARSE_OK) {
		fprintf(stderr, "fw_tcp_bench: cannot build a packet\n");
		exit(1);
	}
	return p;
}

static uint16_t run(void *st, struct pkt **pk, uint32_t n, uint16_t port, uint64_t now)
{
	struct nf_batch b = {.pkts = pk, .n = (uint16_t)n, .port = port, .out_all = NF_OUT_PER_PKT};
	nf->process(st, &b, now);
	uint16_t passed = 0;
	for (uint32_t i = 0; i < n; i++)
		passed += b.out_all != NF_OUT_PER_PKT ? b.out_all != PKT_DROP : pk[i]->out_port != PKT_DROP;
	return passed;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void set_seq(struct pkt *p, uint32_t seq, uint32_t ack)
{
	struct tcp_hdr *t = (struct tcp_hdr *)pkt_l4(p);
	t->seq = sys_htonl(seq);
	t->ack = sys_htonl(ack);
}

static int bench(uint32_t flows, unsigned laps, FILE *csv)
{
	struct nf_env env = {.pool = pool, .n_ports = 2, .flow_capacity = flows + flows / 4 + 64};
	void *st = nf->create(&env);
	static const char conf[] = "port 0 name inside\nport 1 name outside\ndefault drop\n"
				   "accept from inside proto tcp\n";
	struct cfg *cfg = NULL;
	struct cfg_errors errs;
	cfg_errors_init(&errs);
	if (!st || cfg_parse("bench.conf", conf, sizeof(conf) - 1, NULL, NULL, &cfg, &errs) ||
	    nf->configure(st, cfg, &errs)) {
		fprintf(stderr, "fw_tcp_bench: cannot set up the firewall\n");
		return 1;
	}
	cfg_free(cfg);
	uint32_t n = (flows + BURST - 1) / BURST * BURST;
	struct pkt **data = calloc(n, sizeof(*data)), **acks = calloc(n, sizeof(*acks));
	double *cyc = calloc(laps, sizeof(double));
	if (!data || !acks || !cyc)
		return 1;
	const uint32_t isn_c = 1000000, isn_s = 7000000;
	uint64_t now = 1000000000ull;
	for (uint32_t f = 0; f < n; f++) {
		uint32_t c = 0x0a000000u + f % flows, s = 0xc0000201u;
		uint16_t sp = 10000, dp = 80;
		struct pkt *h[3] = {
			mk_tcp(c, s, sp, dp, TCP_SYN, isn_c, 0, 64240, 0, 0),
			mk_tcp(s, c, dp, sp, TCP_SYN | TCP_ACK, isn_s, isn_c + 1, 65160, 0, 1),
			mk_tcp(c, s, sp, dp, TCP_ACK, isn_c + 1, isn_s + 1, 502, 0, 0),
		};
		unsigned ok = 0;
		for (int i = 0; i < 3; i++) {
			ok += run(st, &h[i], 1, h[i]->port, now);
			pkt_free(h[i]);
		}
		if (ok != 3 && f < flows) {
			fprintf(stderr, "fw_tcp_bench: handshake %u failed\n", f);
			return 1;
		}
		data[f] = mk_tcp(c, s, sp, dp, TCP_ACK | TCP_PSH, isn_c + 1, isn_s + 1, 502, PAYLOAD, 0);
		acks[f] = mk_tcp(s, c, dp, sp, TCP_ACK, isn_s + 1, isn_c + 1 + PAYLOAD, 509, 0, 1);
	}
	uint64_t dropped = 0;
	for (unsigned lap = 0; lap <= laps; lap++) {
		/* With fewer flows than a burst, a flow sends several segments
		 * per lap (copy f / flows). */
		uint32_t copies = n / flows;
		for (uint32_t f = 0; f < n; f++) {
			uint32_t off = (lap * copies + f / flows) * PAYLOAD;
			set_seq(data[f], isn_c + 1 + off, isn_s + 1);
			set_seq(acks[f], isn_s + 1, isn_c + 1 + off + PAYLOAD);
		}
		now += 1000000;
		uint64_t c0 = sys_rdtsc();
		for (uint32_t i = 0; i < n; i += BURST) {
			dropped += BURST - run(st, data + i, BURST, 0, now);
			dropped += BURST - run(st, acks + i, BURST, 1, now);
		}
		uint64_t c1 = sys_rdtsc();
		if (lap)
			cyc[lap - 1] = (double)(c1 - c0) / (2.0 * n);
	}
	qsort(cyc, laps, sizeof(double), cmp_double);
	printf("  %8u flows  %8.1f cycles/pkt median  %8.1f best  %llu dropped\n", flows,
	       cyc[laps / 2], cyc[0], (unsigned long long)dropped);
	if (csv)
		fprintf(csv, "%u,%u,%.2f,%.2f,%llu\n", flows, 2 * n, cyc[laps / 2], cyc[0],
			(unsigned long long)dropped);
	for (uint32_t f = 0; f < n; f++) {
		pkt_free(data[f]);
		pkt_free(acks[f]);
	}
	free(data);
	free(acks);
	free(cyc);
	nf->destroy(st);
	return dropped ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *flows_arg = "1,1000,65536", *csv_path = NULL;
	unsigned laps = 9;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--flows") && i + 1 < argc)
			flows_arg = argv[++i];
		else if (!strcmp(argv[i], "--laps") && i + 1 < argc)
			laps = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--csv") && i + 1 < argc)
			csv_path = argv[++i];
		else {
			fprintf(stderr, "usage: fw_tcp_bench [--flows N,N,...] [--laps N] [--csv FILE]\n");
			return 2;
		}
	}
	nf = nf_find("firewall");
	pool = pkt_pool_create(2 * 70000 + 64);
	if (!nf || !pool || laps < 1) {
		fprintf(stderr, "fw_tcp_bench: no firewall, no memory, or laps < 1\n");
		return 1;
	}
	FILE *csv = csv_path ? fopen(csv_path, "w") : NULL;
	if (csv)
		fprintf(csv, "flows,packets,cycles_median,cycles_best,dropped\n");
	printf("== firewall established TCP (data + ACK, both directions), nf->process only, TSC cycles/packet\n");
	int rc = 0;
	for (const char *s = flows_arg; *s;) {
		uint32_t fl = (uint32_t)strtoul(s, (char **)&s, 10);
		if (fl < 1 || fl > 65536) {
			fprintf(stderr, "fw_tcp_bench: flows must be 1..65536\n");
			return 2;
		}
		rc |= bench(fl, laps, csv);
		if (*s == ',')
			s++;
	}
	if (csv)
		fclose(csv);
	return rc;
}
