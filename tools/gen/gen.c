/* SPDX-License-Identifier: MIT */
/* gen.c - the DPDK generator and counter (gen.h). */
#include "tools/gen/gen.h"

#include <pcap/pcap.h>
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
#define N_UDP_TEMPLATES 4096u

/* One UDP/IPv4 frame of `len` bytes without FCS, of flow `flow`. */
static void fill_udp(uint8_t *b, uint16_t len, uint32_t seq, unsigned flow)
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

/* The pool holds the templates and, besides, enough for both ports' RX
 * rings and bursts in flight. */
static int pool(struct gen *g, uint32_t templates)
{
	g->tmpl = calloc(templates, sizeof(*g->tmpl));
	if (!g->tmpl)
		return -1;
	g->mp = rte_pktmbuf_pool_create("gen", templates + 4 * RING + 1024, 256, 0,
					RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	return g->mp ? 0 : -1;
}

static uint8_t *add_template(struct gen *g, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(g->mp);
	if (!m)
		return NULL;
	uint8_t *b = (uint8_t *)rte_pktmbuf_append(m, len);
	if (!b) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	g->tmpl[g->n_tmpl++] = m;
	return b;
}

int gen_init_udp(struct gen *g, bool imix, unsigned size, unsigned flows)
{
	/* IMIX 7:4:1 of 64/570/1518-byte frames (with FCS). */
	static const uint16_t imix_len[12] = {60, 566, 60, 60, 566, 60, 1514, 60, 566, 60, 566, 60};
	if (pool(g, N_UDP_TEMPLATES) < 0)
		return -1;
	for (uint32_t i = 0; i < N_UDP_TEMPLATES; i++) {
		uint16_t len = imix ? imix_len[i % 12] : (uint16_t)(size >= 64 && size <= 1518 ? size - 4 : 60);
		uint8_t *b = add_template(g, len);
		if (!b)
			return -1;
		fill_udp(b, len, i, i % (flows ? flows : 1));
	}
	return 0;
}

/* The frames of `pc`, copied into templates; *n counts them (with
 * copy false only counts and checks). */
static int read_frames(struct gen *g, pcap_t *pc, const char *path, unsigned size, bool copy, uint32_t *n,
		       char *err, size_t errlen)
{
	const uint16_t room = (uint16_t)(RTE_MBUF_DEFAULT_BUF_SIZE - RTE_PKTMBUF_HEADROOM);
	struct pcap_pkthdr *h;
	const u_char *d;
	int r;
	*n = 0;
	while (*n < GEN_MAX_TEMPLATES && (r = pcap_next_ex(pc, &h, &d)) == 1) {
		unsigned long long k = ++*n;
		if (h->caplen != h->len) {
			snprintf(err, errlen, "%s: frame %llu was cut to %u of %u bytes when captured", path, k,
				 h->caplen, h->len);
			return -1;
		}
		if (h->caplen < 14 || h->caplen > room) {
			snprintf(err, errlen, "%s: frame %llu has %u bytes (14..%u)", path, k, h->caplen, room);
			return -1;
		}
		uint32_t len = h->caplen;
		if (size) {
			if (len > size - 4) {
				snprintf(err, errlen, "%s: frame %llu has %u bytes, more than --frame-size %u (with FCS)",
					 path, k, len + 4, size);
				return -1;
			}
			len = size - 4; /* Ethernet padding: IP lengths say where the packet ends */
		}
		if (!copy)
			continue;
		uint8_t *b = add_template(g, (uint16_t)len);
		if (!b) {
			snprintf(err, errlen, "no buffer for frame %llu", k);
			return -1;
		}
		memcpy(b, d, h->caplen);
		memset(b + h->caplen, 0, len - h->caplen);
	}
	if (*n < GEN_MAX_TEMPLATES && r == PCAP_ERROR) {
		snprintf(err, errlen, "%s: %s", path, pcap_geterr(pc));
		return -1;
	}
	if (!*n) {
		snprintf(err, errlen, "%s: no frames", path);
		return -1;
	}
	return 0;
}

static pcap_t *open_pcap(const char *path, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(path, ebuf);
	if (!pc) {
		snprintf(err, errlen, "%s", ebuf);
		return NULL;
	}
	if (pcap_datalink(pc) != DLT_EN10MB) {
		snprintf(err, errlen, "%s: not an Ethernet capture (link type %d)", path, pcap_datalink(pc));
		pcap_close(pc);
		return NULL;
	}
	return pc;
}

int gen_init_pcap(struct gen *g, const char *path, unsigned size, char *err, size_t errlen)
{
	/* Two passes: count (and check) first, so the pool fits the trace. */
	uint32_t n;
	pcap_t *pc = open_pcap(path, err, errlen);
	if (!pc)
		return -1;
	int rc = read_frames(g, pc, path, size, false, &n, err, errlen);
	pcap_close(pc);
	if (rc < 0)
		return -1;
	if (pool(g, n) < 0) {
		snprintf(err, errlen, "no memory for %u frames", n);
		return -1;
	}
	if (!(pc = open_pcap(path, err, errlen)))
		return -1;
	rc = read_frames(g, pc, path, size, true, &n, err, errlen);
	pcap_close(pc);
	return rc;
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

int gen_ports(struct gen *g)
{
	if (rte_eth_dev_count_avail() < 2)
		return -1;
	return port_setup(0, g->mp) < 0 || port_setup(1, g->mp) < 0 ? -1 : 0;
}

static bool link_up(uint16_t port)
{
	struct rte_eth_link l;
	return rte_eth_link_get_nowait(port, &l) == 0 && l.link_status == RTE_ETH_LINK_UP;
}

/* Latency probes: a template's copy with a trailer after its last byte
 * (past the IP datagram: Ethernet padding, which functions forward as it
 * is), found again at the tail of what comes back. */
#define PROBE_MAGIC 0x6e66627870726f62ull /* "nfbxprob" */
#define PROBE_EVERY_US 1000
#define PROBE_MAX 200000u

struct probes {
	uint64_t *cycles; /* round trips of the probes back so far */
	uint32_t n_back;
	uint64_t sent, every, next_at;
};

struct probe_trailer {
	uint64_t magic, tsc;
};

/* A probe in place of template m (whose reference we own), or m itself
 * if no buffer is free. */
static struct rte_mbuf *make_probe(struct gen *g, struct rte_mbuf *m, uint64_t now)
{
	struct rte_mbuf *p = rte_pktmbuf_alloc(g->mp);
	if (!p)
		return m;
	uint8_t *d = (uint8_t *)rte_pktmbuf_append(p, (uint16_t)(m->pkt_len + sizeof(struct probe_trailer)));
	if (!d) {
		rte_pktmbuf_free(p);
		return m;
	}
	memcpy(d, rte_pktmbuf_mtod(m, const void *), m->pkt_len); /* templates are one segment */
	struct probe_trailer tr = {PROBE_MAGIC, now};
	memcpy(d + m->pkt_len, &tr, sizeof(tr));
	rte_pktmbuf_free(m);
	return p;
}

static void probe_back(struct probes *pr, struct rte_mbuf *m, uint64_t now)
{
	struct probe_trailer tr;
	if (m->pkt_len < sizeof(tr) + 14)
		return;
	const struct probe_trailer *t = rte_pktmbuf_read(m, m->pkt_len - sizeof(tr), sizeof(tr), &tr);
	if (!t || t->magic != PROBE_MAGIC || t->tsc > now || pr->n_back == PROBE_MAX)
		return;
	pr->cycles[pr->n_back++] = now - t->tsc;
}

/* Received frames on port 1 freed (probes timed); how many. */
static uint16_t rx_port1(struct probes *pr)
{
	struct rte_mbuf *rx[BURST];
	uint16_t r = rte_eth_rx_burst(1, 0, rx, BURST);
	if (r && pr) {
		uint64_t now = rte_rdtsc();
		for (uint16_t i = 0; i < r; i++)
			probe_back(pr, rx[i], now);
	}
	if (r)
		rte_pktmbuf_free_bulk(rx, r);
	return r;
}

static uint64_t drain(double secs, struct probes *pr)
{
	struct rte_mbuf *rx[BURST];
	uint64_t n = 0, end = rte_rdtsc() + (uint64_t)(secs * (double)rte_get_tsc_hz());
	while (rte_rdtsc() < end) {
		n += rx_port1(pr);
		uint16_t r0 = rte_eth_rx_burst(0, 0, rx, BURST);
		if (r0)
			rte_pktmbuf_free_bulk(rx, r0);
	}
	return n;
}

uint64_t gen_drain(double secs) { return drain(secs, NULL); }

static bool stopped(const struct gen *g) { return g->stop && *g->stop; }

/* One trial; with `pr`, one frame every pr->every cycles is a probe. */
static int run_trial(struct gen *g, double rate, double secs, struct rfc_trial *t, struct probes *pr)
{
	struct rte_mbuf *tx[BURST];
	const uint64_t hz = rte_get_tsc_hz();
	const uint64_t t0 = rte_rdtsc(), end = t0 + (uint64_t)(secs * (double)hz);
	const double per_cycle = rate / (double)hz;
	uint64_t now;

	memset(t, 0, sizeof(*t));
	t->rate = rate;
	g->refused = 0;
	while ((now = rte_rdtsc()) < end && !stopped(g)) {
		uint32_t want = BURST;
		if (rate > 0) {
			double due = (double)(now - t0) * per_cycle;
			want = due > (double)t->offered ? (uint32_t)(due - (double)t->offered) : 0;
			if (want > BURST)
				want = BURST;
		}
		if (want) {
			for (uint32_t i = 0; i < want; i++) {
				struct rte_mbuf *m = g->tmpl[g->next];
				if (++g->next == g->n_tmpl)
					g->next = 0;
				rte_mbuf_refcnt_update(m, 1);
				tx[i] = m;
				t->bytes += m->pkt_len + 4u;
			}
			bool probe = false;
			if (pr && now >= pr->next_at) {
				struct rte_mbuf *p = make_probe(g, tx[0], now);
				probe = p != tx[0];
				tx[0] = p;
				t->bytes += probe ? sizeof(struct probe_trailer) : 0;
				pr->next_at = now + pr->every;
			}
			uint16_t sent = rte_eth_tx_burst(0, 0, tx, (uint16_t)want);
			for (uint32_t i = sent; i < want; i++)
				rte_pktmbuf_free(tx[i]); /* our extra reference, or the probe */
			if (probe && sent)
				pr->sent++; /* a refused probe is no sample */
			t->offered += want;
			g->refused += want - sent;
		}
		t->received += rx_port1(pr);
	}
	t->secs = (double)(rte_rdtsc() - t0) / (double)hz;
	t->received += drain(0.05, pr);
	drain(0.05, NULL); /* late frames: neither counted nor carried over */
	return stopped(g) ? -1 : 0;
}

int gen_trial(void *gp, double rate, double secs, struct rfc_trial *t)
{
	return run_trial(gp, rate, secs, t, NULL);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The value at quantile q of n sorted samples (nearest rank). */
static double quantile_us(const uint64_t *v, uint32_t n, double q)
{
	uint32_t i = (uint32_t)(q * n + 0.999999);
	i = i ? i - 1 : 0;
	return (double)v[i < n ? i : n - 1] * 1e6 / (double)rte_get_tsc_hz();
}

int gen_latency_trial(struct gen *g, double rate, double secs, struct rfc_trial *t, struct gen_latency *l)
{
	struct probes pr = {.every = rte_get_tsc_hz() / (1000000 / PROBE_EVERY_US)};
	pr.cycles = calloc(PROBE_MAX, sizeof(*pr.cycles));
	if (!pr.cycles)
		return -1;
	int rc = run_trial(g, rate, secs, t, &pr);
	memset(l, 0, sizeof(*l));
	l->probes = pr.sent;
	l->back = pr.n_back;
	if (pr.n_back) {
		qsort(pr.cycles, pr.n_back, sizeof(*pr.cycles), cmp_u64);
		l->p50_us = quantile_us(pr.cycles, pr.n_back, 0.50);
		l->p90_us = quantile_us(pr.cycles, pr.n_back, 0.90);
		l->p99_us = quantile_us(pr.cycles, pr.n_back, 0.99);
		l->max_us = quantile_us(pr.cycles, pr.n_back, 1.0);
	}
	free(pr.cycles);
	return rc;
}

int gen_wait(struct gen *g, double timeout, char *err, size_t errlen)
{
	uint64_t hz = rte_get_tsc_hz(), give_up = rte_rdtsc() + (uint64_t)(timeout * (double)hz);
	while (!(link_up(0) && link_up(1))) {
		if (rte_rdtsc() > give_up || stopped(g)) {
			snprintf(err, errlen, "the target did not attach to both vhost-user ports within %.0f s",
				 timeout);
			return -1;
		}
		usleep(10000);
	}
	struct rfc_trial w;
	do {
		if (gen_trial(g, 10000, 0.2, &w) < 0 || rte_rdtsc() > give_up) {
			snprintf(err, errlen,
				 "no frame came back on port 1 within %.0f s of 10 kpps into port 0: the target "
				 "drops or does not forward these frames",
				 timeout);
			return -1;
		}
	} while (w.received == 0);
	return 0;
}

void gen_close(struct gen *g)
{
	uint16_t ports = rte_eth_dev_count_avail(); /* closing one lowers it */
	for (uint16_t p = 0; p < 2 && p < ports; p++) {
		rte_eth_dev_stop(p);
		rte_eth_dev_close(p);
	}
	free(g->tmpl);
	g->tmpl = NULL;
	rte_eal_cleanup();
}
