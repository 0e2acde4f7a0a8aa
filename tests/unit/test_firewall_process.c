/* SPDX-License-Identifier: MIT */
/*
 * test_firewall_process.c - the firewall through its nf_ops, packet by
 * packet: a reload keeps flow state and swaps the rules whole; a failed
 * reload changes nothing; generated answers (RST, ICMP, ICMPv6) carry
 * correct checksums (csum_verify, and tshark's opinion when installed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pcap/pcap.h>

#include "config/config.h"
#include "dataplane/csum.h"
#include "dataplane/nf.h"
#include "dataplane/parse.h"
#include "dataplane/stats.h"

static const struct nf_ops *nf;
static struct pkt_pool *pool;
static struct cfg_errors errs;

static void *make_fw_cap(const char *conf, uint32_t capacity)
{
	struct nf_env env = {.pool = pool, .n_ports = 2, .flow_capacity = capacity};
	void *st = nf->create(&env);
	assert_non_null(st);
	struct cfg *cfg = NULL;
	cfg_errors_init(&errs);
	assert_int_equal(cfg_parse("t.conf", conf, strlen(conf), NULL, NULL, &cfg, &errs), 0);
	assert_int_equal(nf->configure(st, cfg, &errs), 0);
	cfg_free(cfg);
	return st;
}

static void *make_fw(const char *conf) { return make_fw_cap(conf, 1024); }

static int reload(void *st, const char *conf)
{
	struct cfg *cfg = NULL;
	cfg_errors_init(&errs);
	if (cfg_parse("r.conf", conf, strlen(conf), NULL, NULL, &cfg, &errs))
		return -1;
	int rc = nf->configure(st, cfg, &errs);
	cfg_free(cfg);
	return rc;
}

/* Ethernet + IPv4 or IPv6 + TCP/UDP/ICMP, checksummed. */
static struct pkt *mk(int v6, uint8_t proto, const char *src, const char *dst, uint16_t sport,
		      uint16_t dport, uint8_t tcp_flags, uint16_t port)
{
	uint8_t f[256];
	memset(f, 0, sizeof(f));
	memcpy(f, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	uint32_t l4len = proto == IPPROTO_TCP_ ? 20 : 8 + 12;
	uint32_t off;
	if (!v6) {
		f[12] = 0x08;
		f[13] = 0x00;
		struct ipv4_hdr ip = {.ver_ihl = 0x45, .ttl = 64, .proto = proto,
				      .total_len = sys_htons((uint16_t)(20 + l4len))};
		unsigned a[4], b[4];
		sscanf(src, "%u.%u.%u.%u", &a[0], &a[1], &a[2], &a[3]);
		sscanf(dst, "%u.%u.%u.%u", &b[0], &b[1], &b[2], &b[3]);
		ip.src = sys_htonl(a[0] << 24 | a[1] << 16 | a[2] << 8 | a[3]);
		ip.dst = sys_htonl(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);
		memcpy(f + 14, &ip, 20);
		off = 34;
	} else {
		f[12] = 0x86;
		f[13] = 0xdd;
		struct ipv6_hdr ip = {.ver_tc_flow = sys_htonl(0x60000000u), .next = proto,
				      .hop_limit = 64, .payload_len = sys_htons((uint16_t)l4len)};
		ip.src[0] = 0x20, ip.src[1] = 0x01, ip.src[15] = (uint8_t)atoi(src);
		ip.dst[0] = 0x20, ip.dst[1] = 0x01, ip.dst[15] = (uint8_t)atoi(dst);
		memcpy(f + 14, &ip, 40);
		off = 54;
	}
	if (proto == IPPROTO_TCP_) {
		struct tcp_hdr t = {.sport = sys_htons(sport), .dport = sys_htons(dport),
				    .seq = sys_htonl(1000), .doff_res = 0x50, .flags = tcp_flags,
				    .window = sys_htons(512)};
		memcpy(f + off, &t, 20);
	} else if (proto == IPPROTO_UDP_) {
		struct udp_hdr u = {.sport = sys_htons(sport), .dport = sys_htons(dport),
				    .len = sys_htons((uint16_t)l4len)};
		memcpy(f + off, &u, 8);
	} else {
		f[off] = v6 ? 128 : 8; /* echo request */
		f[off + 4] = (uint8_t)(sport >> 8), f[off + 5] = (uint8_t)sport;
	}
	struct pkt *p = pkt_alloc(pool);
	assert_non_null(p);
	assert_int_equal(pkt_set_data(p, f, off + l4len), 0);
	p->port = port;
	assert_int_equal(parse_pkt(p), PARSE_OK);
	assert_int_equal(csum_fill(p), 0);
	return p;
}

/* Run one packet; returns its out port (PKT_DROP if dropped).  Generated
 * packets go to *gen (caller frees) or are freed. */
static uint16_t run1(void *st, struct pkt *p, uint64_t now, struct pkt **gen)
{
	struct pkt *pk[1] = {p};
	struct nf_batch b = {.pkts = pk, .n = 1, .port = p->port, .out_all = NF_OUT_PER_PKT};
	p->out_port = PKT_DROP;
	nf->process(st, &b, now);
	uint16_t out = b.out_all != NF_OUT_PER_PKT ? b.out_all : p->out_port;
	pkt_free(p);
	if (gen)
		*gen = NULL;
	for (uint16_t i = 0; i < b.n_emit; i++) {
		if (gen && !*gen)
			*gen = b.emit[i];
		else
			pkt_free(b.emit[i]);
	}
	return out;
}

#define SEC 1000000000ull

static void test_reload_keeps_flows(void **state)
{
	(void)state;
	void *st = make_fw("port 0 name inside\nport 1 name outside\n"
			   "default drop\naccept from inside proto udp\naccept from inside proto tcp\n");
	/* A UDP flow and a TCP flow opened from the inside. */
	assert_int_equal(run1(st, mk(0, 17, "10.0.0.1", "192.0.2.1", 1000, 53, 0, 0), 1 * SEC, NULL), 1);
	assert_int_equal(run1(st, mk(0, 6, "10.0.0.1", "192.0.2.1", 2000, 80, TCP_SYN, 0), 1 * SEC, NULL), 1);
	assert_int_equal(run1(st, mk(0, 6, "192.0.2.1", "10.0.0.1", 80, 2000, TCP_SYN | TCP_ACK, 1), 1 * SEC, NULL), 0);

	/* The new rules accept nothing: new flows die, known ones live on. */
	assert_int_equal(reload(st, "port 0 name inside\nport 1 name outside\ndefault drop\n"
				    "timeout udp 5\n"), 0);
	assert_int_equal(run1(st, mk(0, 17, "10.0.0.1", "192.0.2.1", 1000, 53, 0, 0), 2 * SEC, NULL), 1);
	assert_int_equal(run1(st, mk(0, 17, "192.0.2.1", "10.0.0.1", 53, 1000, 0, 1), 2 * SEC, NULL), 0);
	assert_int_equal(run1(st, mk(0, 6, "10.0.0.1", "192.0.2.1", 2000, 80, TCP_ACK, 0), 2 * SEC, NULL), 1);
	assert_int_equal(run1(st, mk(0, 17, "10.0.0.1", "192.0.2.1", 1001, 53, 0, 0), 2 * SEC, NULL), PKT_DROP);
	/* The new timeouts apply from the next packet of a flow: 5 s. */
	assert_int_equal(run1(st, mk(0, 17, "10.0.0.1", "192.0.2.1", 1000, 53, 0, 0), 6 * SEC, NULL), 1);
	assert_int_equal(run1(st, mk(0, 17, "10.0.0.1", "192.0.2.1", 1000, 53, 0, 0), 12 * SEC, NULL), PKT_DROP);

	/* A reload that fails leaves everything as it was. */
	assert_int_not_equal(reload(st, "accept proto udp\ndrop src @nope\n"), 0);
	assert_int_equal(run1(st, mk(0, 17, "10.0.0.1", "192.0.2.1", 1002, 53, 0, 0), 13 * SEC, NULL), PKT_DROP);
	assert_int_equal(run1(st, mk(0, 6, "192.0.2.1", "10.0.0.1", 80, 2000, TCP_ACK, 1), 13 * SEC, NULL), 0);

	char buf[16384];
	struct stats_writer w;
	stats_init(&w, buf, sizeof(buf), STATS_TEXT);
	nf->stats(st, &w);
	assert_non_null(strstr(stats_finish(&w), "firewall.flows_created 2\n"));
	nf->destroy(st);
}

static bool stats_has(void *st, const char *line)
{
	static char buf[16384];
	struct stats_writer w;
	stats_init(&w, buf, sizeof(buf), STATS_TEXT);
	nf->stats(st, &w);
	return strstr(stats_finish(&w), line) != NULL;
}

/* A flow whose timeout shrinks (established -> closing) is re-filed in the
 * timer wheel: expire() deletes it at the new deadline.  The table is big
 * enough for a 2^14-tick (17 s) wheel, so an entry the wheel re-filed for
 * its long established timeout sits 17 s ahead: without re-filing, the FIN's
 * 5 s deadline would be met only there. */
static void test_closing_flow_leaves_at_its_new_deadline(void **state)
{
	(void)state;
	void *st = make_fw_cap("port 0 name inside\nport 1 name outside\ndefault drop\n"
			       "accept from inside proto tcp\n"
			       "timeout tcp-established 1000 tcp-transitory 5 tcp-closed 2\n",
			       1u << 18);
	assert_int_equal(run1(st, mk(0, 6, "10.0.0.1", "192.0.2.1", 2000, 80, TCP_SYN, 0), 1 * SEC, NULL), 1);
	assert_int_equal(run1(st, mk(0, 6, "192.0.2.1", "10.0.0.1", 80, 2000, TCP_SYN | TCP_ACK, 1), 1 * SEC, NULL), 0);
	assert_int_equal(run1(st, mk(0, 6, "10.0.0.1", "192.0.2.1", 2000, 80, TCP_ACK, 0), 1 * SEC, NULL), 1);
	/* The wheel meets the entry at its SYN deadline (6 s), finds it
	 * established and re-files it as far as it reaches (about 23 s). */
	for (uint64_t t = 2 * SEC; t <= 8 * SEC; t += SEC)
		nf->expire(st, t);
	/* FIN at 10 s: fin_wait, tcp-transitory 5 s -> deadline 15 s. */
	assert_int_equal(run1(st, mk(0, 6, "10.0.0.1", "192.0.2.1", 2000, 80, TCP_FIN | TCP_ACK, 0), 10 * SEC, NULL), 1);
	for (uint64_t t = 11 * SEC; t < 15 * SEC - 2000000; t += SEC / 4) {
		nf->expire(st, t);
		assert_true(stats_has(st, "firewall.flows 1\n"));
	}
	nf->expire(st, 15 * SEC - 2000000); /* two ticks early */
	assert_true(stats_has(st, "firewall.flows 1\n"));
	nf->expire(st, 15 * SEC + 2000000);
	assert_true(stats_has(st, "firewall.flows 0\n"));
	assert_true(stats_has(st, "firewall.flows_expired 1\n"));
	nf->destroy(st);
}

/* The value of counter `key` (with the trailing space) in the stats. */
static unsigned long long stat_of(void *st, const char *key)
{
	static char buf[16384];
	struct stats_writer w;
	stats_init(&w, buf, sizeof(buf), STATS_TEXT);
	nf->stats(st, &w);
	const char *l = strstr(stats_finish(&w), key);
	assert_non_null(l);
	return strtoull(l + strlen(key), NULL, 10);
}

/* A SYN flood of 10x the table's capacity from spoofed outside sources,
 * while 16 established connections go on and 8 new ones open: the table
 * makes room by deleting unanswered flows (early drop), so no established
 * packet is dropped and every new connection gets through its handshake. */
static void test_syn_flood_early_drop(void **state)
{
	(void)state;
	const uint32_t cap = 64;
	void *st = make_fw_cap("port 0 name inside\nport 1 name outside\ndefault drop\n"
			       "accept from outside proto tcp dst 10.0.0.80 dport 80\n", cap);
	char cli[32];
	for (unsigned i = 0; i < 16; i++) {
		snprintf(cli, sizeof(cli), "198.51.100.%u", i + 1);
		assert_int_equal(run1(st, mk(0, 6, cli, "10.0.0.80", 3000, 80, TCP_SYN, 1), SEC, NULL), 0);
		assert_int_equal(run1(st, mk(0, 6, "10.0.0.80", cli, 80, 3000, TCP_SYN | TCP_ACK, 0), SEC, NULL), 1);
		assert_int_equal(run1(st, mk(0, 6, cli, "10.0.0.80", 3000, 80, TCP_ACK, 1), SEC, NULL), 0);
	}
	unsigned flood_passed = 0, opened = 0;
	for (unsigned i = 0; i < 10 * cap; i++) {
		snprintf(cli, sizeof(cli), "203.0.%u.%u", i / 250, i % 250 + 1);
		uint64_t now = 2 * SEC + i * 1000000ull;
		flood_passed += run1(st, mk(0, 6, cli, "10.0.0.80", (uint16_t)(1024 + i), 80, TCP_SYN, 1), now,
				     NULL) == 0;
		/* The established connections keep talking, both ways. */
		snprintf(cli, sizeof(cli), "198.51.100.%u", i % 16 + 1);
		assert_int_equal(run1(st, mk(0, 6, cli, "10.0.0.80", 3000, 80, TCP_ACK, 1), now, NULL), 0);
		assert_int_equal(run1(st, mk(0, 6, "10.0.0.80", cli, 80, 3000, TCP_ACK, 0), now, NULL), 1);
		if (i % 80 == 40) { /* a real client: SYN, 3 flood SYNs, SYN-ACK, ACK */
			snprintf(cli, sizeof(cli), "192.0.2.%u", ++opened);
			assert_int_equal(run1(st, mk(0, 6, cli, "10.0.0.80", 4000, 80, TCP_SYN, 1), now, NULL), 0);
			for (unsigned j = 0; j < 3; j++) {
				char sp[32];
				snprintf(sp, sizeof(sp), "203.1.%u.%u", i / 250, j + 1);
				run1(st, mk(0, 6, sp, "10.0.0.80", (uint16_t)(5000 + i), 80, TCP_SYN, 1), now, NULL);
			}
			assert_int_equal(run1(st, mk(0, 6, "10.0.0.80", cli, 80, 4000, TCP_SYN | TCP_ACK, 0), now, NULL), 1);
			assert_int_equal(run1(st, mk(0, 6, cli, "10.0.0.80", 4000, 80, TCP_ACK, 1), now, NULL), 0);
		}
	}
	assert_int_equal(opened, 8);
	unsigned long long early = stat_of(st, "firewall.flows_early_dropped ");
	unsigned long long full = stat_of(st, "firewall.drop_table_full ");
	/* Every SYN beyond the free slots took an unanswered flow's place,
	 * unless its home bucket held only answered flows. */
	assert_true(early >= 10 * cap + 8 * 3 - cap);
	assert_true(flood_passed >= 10 * cap * 9 / 10);
	assert_int_equal(flood_passed + full, 10 * cap - 0 /* each flood SYN passed or was refused */);
	assert_int_equal(stat_of(st, "firewall.flows "), cap);
	nf->destroy(st);
}

static void write_pcap(const char *path, struct pkt **p, unsigned n)
{
	pcap_t *h = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d = pcap_dump_open(h, path);
	assert_non_null(d);
	for (unsigned i = 0; i < n; i++) {
		struct pcap_pkthdr ph = {.caplen = p[i]->len, .len = p[i]->len};
		ph.ts.tv_sec = (long)i;
		pcap_dump((u_char *)d, &ph, p[i]->data);
	}
	pcap_dump_close(d);
	pcap_close(h);
}

static void test_reject_checksums(void **state)
{
	(void)state;
	void *st = make_fw("port 0 name inside\nport 1 name outside\ndefault reject\n");
	struct pkt *gen[8];
	unsigned n = 0;
	struct pkt *in[] = {
		mk(0, 6, "192.0.2.1", "10.0.0.1", 4000, 23, TCP_SYN, 1),
		mk(0, 6, "192.0.2.1", "10.0.0.1", 4000, 23, TCP_ACK | TCP_PSH, 1),
		mk(0, 17, "192.0.2.1", "10.0.0.1", 4000, 69, 0, 1),
		mk(0, 1, "192.0.2.1", "10.0.0.1", 7, 0, 0, 1),
		mk(1, 6, "5", "9", 4000, 23, TCP_SYN, 1),
		mk(1, 17, "5", "9", 4000, 69, 0, 1),
		mk(1, 58, "5", "9", 7, 0, 0, 1),
	};
	for (unsigned i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		struct pkt *g;
		assert_int_equal(run1(st, in[i], SEC, &g), PKT_DROP);
		assert_non_null(g);
		assert_int_equal(g->out_port, 1); /* back out of the ingress port */
		assert_true(csum_verify(g));
		gen[n++] = g;
	}
	/* tshark, when present, must find no bad checksum and no malformed
	 * packet in what we generate. */
	if (system("command -v tshark >/dev/null 2>&1") == 0) {
		char path[] = "/tmp/fw_reject_XXXXXX.pcap";
		int fd = mkstemps(path, 5);
		assert_true(fd >= 0);
		write_pcap(path, gen, n);
		char cmd[512];
		snprintf(cmd, sizeof(cmd),
			 "tshark -r %s -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE "
			 "-o udp.check_checksum:TRUE -Y '_ws.expert.severity >= warning || "
			 "_ws.malformed' 2>/dev/null | grep -ci 'checksum\\|malformed'", path);
		FILE *f = popen(cmd, "r");
		int bad = -1;
		assert_non_null(f);
		assert_int_equal(fscanf(f, "%d", &bad), 1);
		pclose(f);
		snprintf(cmd, sizeof(cmd), "tshark -r %s 2>/dev/null | grep -c 'Destination unreachable\\|Destination Unreachable\\|RST'", path);
		f = popen(cmd, "r");
		int good = -1;
		assert_int_equal(fscanf(f, "%d", &good), 1);
		pclose(f);
		remove(path);
		assert_int_equal(bad, 0);
		assert_int_equal(good, (int)n);
	}
	for (unsigned i = 0; i < n; i++)
		pkt_free(gen[i]);
	nf->destroy(st);
}

/* A batch longer than the firewall's chunk of 32: the first chunk is all
 * known flows (its verdicts could be batch-wide), the second holds a
 * packet the rules drop.  The verdicts must be per packet then, the fast
 * ones included. */
static void test_long_batch_mixed_verdicts(void **state)
{
	(void)state;
	void *st = make_fw("port 0 name inside\nport 1 name outside\n"
			   "default drop\naccept from inside proto udp dport 53\n");
	enum { N = 40 };
	struct pkt *pk[N];
	for (uint16_t i = 0; i < N; i++)
		assert_int_equal(run1(st, mk(0, 17, "10.0.0.1", "192.0.2.1", (uint16_t)(1000 + i), 53, 0, 0),
				      1 * SEC, NULL), 1);
	for (int round = 0; round < 2; round++) {
		for (uint16_t i = 0; i < N; i++) {
			/* Packet 35 (round 0) or 5 (round 1) is of no flow, and
			 * not to port 53: dropped. */
			bool bad = i == (round ? 5 : 35);
			pk[i] = mk(0, 17, "10.0.0.1", "192.0.2.1", (uint16_t)(1000 + i), bad ? 54 : 53, 0, 0);
			pk[i]->out_port = PKT_DROP;
		}
		struct nf_batch b = {.pkts = pk, .n = N, .port = 0, .out_all = NF_OUT_PER_PKT};
		nf->process(st, &b, 2 * SEC);
		assert_int_equal(b.out_all, NF_OUT_PER_PKT);
		for (uint16_t i = 0; i < N; i++) {
			bool bad = i == (round ? 5 : 35);
			assert_int_equal(pk[i]->out_port, bad ? PKT_DROP : 1);
			pkt_free(pk[i]);
		}
	}
	/* All known: one verdict for the batch. */
	for (uint16_t i = 0; i < N; i++)
		pk[i] = mk(0, 17, "10.0.0.1", "192.0.2.1", (uint16_t)(1000 + i), 53, 0, 0);
	struct nf_batch b = {.pkts = pk, .n = N, .port = 0, .out_all = NF_OUT_PER_PKT};
	nf->process(st, &b, 3 * SEC);
	assert_int_equal(b.out_all, 1);
	for (uint16_t i = 0; i < N; i++)
		pkt_free(pk[i]);
	assert_true(stats_has(st, "firewall.flows_created 40\n"));
	nf->destroy(st);
}

/* An IPv4 UDP fragment of 10.0.0.1:1000 -> 192.0.2.1:53, id 7: the first
 * (UDP header and 8 bytes, MF) or the later one (8 bytes at offset 16). */
static struct pkt *mk_frag(bool first)
{
	uint8_t f[64];
	memset(f, 0, sizeof(f));
	memcpy(f, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00", 14);
	struct ipv4_hdr ip = {.ver_ihl = 0x45, .ttl = 64, .proto = IPPROTO_UDP_, .id = sys_htons(7),
			      .total_len = sys_htons(20 + 16),
			      .frag_off = sys_htons(first ? IPV4_MF : 2),
			      .src = sys_htonl(0x0a000001u), .dst = sys_htonl(0xc0000201u)};
	memcpy(f + 14, &ip, 20);
	if (first) {
		struct udp_hdr u = {.sport = sys_htons(1000), .dport = sys_htons(53), .len = sys_htons(24)};
		memcpy(f + 34, &u, 8);
	}
	struct pkt *p = pkt_alloc(pool);
	assert_non_null(p);
	assert_int_equal(pkt_set_data(p, f, 60), 0);
	p->port = 0;
	assert_int_equal(parse_pkt(p), PARSE_OK);
	assert_true(p->flags & PKT_F_FRAG);
	return p;
}

/* A fragmented datagram on a flow already known both ways: its first
 * fragment must still be remembered, or its later fragments are dropped. */
static void test_fragments_of_a_known_flow(void **state)
{
	(void)state;
	void *st = make_fw("port 0 name inside\nport 1 name outside\n"
			   "default drop\naccept from inside proto udp dport 53\n");
	assert_int_equal(run1(st, mk(0, 17, "10.0.0.1", "192.0.2.1", 1000, 53, 0, 0), 1 * SEC, NULL), 1);
	assert_int_equal(run1(st, mk(0, 17, "192.0.2.1", "10.0.0.1", 53, 1000, 0, 1), 1 * SEC, NULL), 0);
	assert_int_equal(run1(st, mk_frag(true), 2 * SEC, NULL), 1);
	assert_int_equal(run1(st, mk_frag(false), 2 * SEC, NULL), 1);
	assert_true(stats_has(st, "firewall.frags_followed 1\n"));
	nf->destroy(st);
}

/* A datagram's fragments in one burst, its first fragment opening the
 * flow: the later one is judged after the first, as it would be alone
 * (stateful and stateless). */
static void test_fragments_in_one_burst(void **state)
{
	(void)state;
	for (int stateless = 0; stateless < 2; stateless++) {
		void *st = make_fw(stateless ? "port 0 name inside\nport 1 name outside\nstateful off\n"
					       "default drop\naccept from inside proto udp dport 53\n"
					     : "port 0 name inside\nport 1 name outside\n"
					       "default drop\naccept from inside proto udp dport 53\n");
		struct pkt *pk[3] = {mk(0, 17, "10.0.0.1", "192.0.2.1", 1001, 53, 0, 0), mk_frag(true),
				     mk_frag(false)};
		struct nf_batch b = {.pkts = pk, .n = 3, .port = 0, .out_all = NF_OUT_PER_PKT};
		nf->process(st, &b, 1 * SEC);
		for (int i = 0; i < 3; i++) {
			assert_int_equal(b.out_all != NF_OUT_PER_PKT ? b.out_all : pk[i]->out_port, 1);
			pkt_free(pk[i]);
		}
		assert_true(stats_has(st, "firewall.frags_followed 1\n"));
		nf->destroy(st);
	}
}

int main(void)
{
	nf = nf_find("firewall");
	pool = pkt_pool_create(64);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reload_keeps_flows),
		cmocka_unit_test(test_syn_flood_early_drop),
		cmocka_unit_test(test_closing_flow_leaves_at_its_new_deadline),
		cmocka_unit_test(test_reject_checksums),
		cmocka_unit_test(test_long_batch_mixed_verdicts),
		cmocka_unit_test(test_fragments_of_a_known_flow),
		cmocka_unit_test(test_fragments_in_one_burst),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	pkt_pool_destroy(pool);
	return rc;
}
