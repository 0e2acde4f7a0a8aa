/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer: packets through a configured firewall.
 *
 * Input: one byte of options (bit 0: the stateless config), then records
 *   [port:u8][dt:u8 in 50 ms units][len:u16 little endian][len bytes]
 * until the input runs out.  Frames that parse go to process() in bursts
 * of up to 8, each burst at its own time (so timeouts, the fragment table
 * and the log limiter are exercised), with expire() between bursts.  The
 * configs use every feature: sets, reject, log, fragments, a flow table of
 * 16 so it fills up, short timeouts.
 *
 * Every frame is copied to a heap buffer of exactly its length, so ASan
 * reports any read past its end (the firewall reads ICMP quotes and IPv6
 * extension headers the parser did not validate).
 *
 * A second firewall gets the same packets one at a time: a burst must
 * decide exactly as its packets would in order (the fast path, the bulk
 * lookup and the up-front classification are shortcuts, not semantics),
 * so every verdict and, at the end, every counter must agree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "dataplane/nf.h"
#include "dataplane/parse.h"
#include "dataplane/stats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const configs[2] = {
	"port 0 name inside\nport 1 name outside\n"
	"default drop log\n"
	"timeout tcp-established 20 tcp-transitory 3 tcp-closed 1 udp 2 icmp 1 other 2 fragment 1\n"
	"set bl { 198.51.100.0/24 203.0.113.7 2001:db8:bad::/48 10.9.0.0/16 }\n"
	"drop from outside src @bl\n"
	"accept from inside proto tcp dport { 22 80 443 8000-8080 }\n"
	"accept from inside proto udp\n"
	"accept proto icmp\n"
	"accept ip6 proto icmp6\n"
	"reject from outside proto tcp dport 23\n"
	"reject from outside proto udp dport 69\n"
	"reject from outside proto 47\n"
	"accept proto tcp flags S/SA sport 1024-65535 dst !10.0.0.0/8 log\n"
	"drop src 10.0.0.0/8 dst !10.0.0.0/8 sport 1-1023 log\n",
	"port 0 name inside\nport 1 name outside\n"
	"stateful off\ndefault reject\nnon-ip drop\n"
	"set good { 10.0.0.0/8 2001:db8::/32 }\n"
	"accept src @good dst !@good\n"
	"accept proto tcp flags syn !ack\n"
	"drop proto udp sport !{ 0-1023 }\n",
};

static struct cfg *cfgs[2];
static struct pkt_pool *pool;

static void setup(void)
{
	static struct cfg_errors errs;
	for (int i = 0; i < 2; i++) {
		cfg_errors_init(&errs);
		if (cfg_parse("fuzz.conf", configs[i], strlen(configs[i]), NULL, NULL, &cfgs[i], &errs))
			abort();
	}
	pool = pkt_pool_create(256);
	if (!pool)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!pool)
		setup();
	if (size < 1)
		return 0;
	const struct nf_ops *nf = nf_find("firewall");
	struct nf_env env = {.pool = pool, .n_ports = 2, .flow_capacity = 16};
	void *st = nf->create(&env), *one = nf->create(&env);
	static struct cfg_errors errs;
	cfg_errors_init(&errs);
	if (!st || nf->configure(st, cfgs[data[0] & 1], &errs))
		abort();
	if (!one || nf->configure(one, cfgs[data[0] & 1], &errs))
		abort();
	size_t off = 1;
	uint64_t now = 1000000000ull;
	while (off + 4 <= size) {
		struct pkt *pkts[8];
		uint8_t *frames[8];
		uint16_t n = 0;
		uint8_t burst_port = data[off] & 1;
		now += (uint64_t)data[off + 1] * 50000000ull;
		while (n < 8 && off + 4 <= size) {
			uint8_t port = data[off];
			if ((port & 1) != burst_port)
				break; /* a burst comes from one port (nf.h) */
			size_t len = (size_t)data[off + 2] | ((size_t)data[off + 3] << 8);
			off += 4;
			if (len > size - off)
				len = size - off;
			if (len > PKT_DATA_ROOM)
				len = PKT_DATA_ROOM;
			struct pkt *p = pkt_alloc(pool);
			frames[n] = malloc(len ? len : 1);
			memcpy(frames[n], data + off, len);
			off += len;
			p->data = frames[n];
			p->len = (uint16_t)len;
			p->port = port & 1;
			if (parse_pkt(p) != PARSE_OK) {
				pkt_free(p);
				free(frames[n]);
				continue;
			}
			pkts[n++] = p;
			if (port & 0x80)
				break; /* end of burst */
		}
		/* The same packets, one by one, through the other firewall
		 * (which also sees the burst's time when no packet parsed). */
		struct nf_batch b0 = {.pkts = pkts, .n = 0, .port = burst_port, .out_all = NF_OUT_PER_PKT};
		nf->process(one, &b0, now);
		uint16_t single[8];
		for (uint16_t i = 0; i < n; i++) {
			struct pkt *q = pkt_alloc(pool);
			q->data = pkts[i]->data;
			q->len = pkts[i]->len;
			q->port = pkts[i]->port;
			if (parse_pkt(q) != PARSE_OK)
				abort();
			struct nf_batch b1 = {.pkts = &q, .n = 1, .port = burst_port, .out_all = NF_OUT_PER_PKT};
			nf->process(one, &b1, now);
			single[i] = b1.out_all != NF_OUT_PER_PKT ? b1.out_all : q->out_port;
			pkt_free(q);
			for (uint16_t j = 0; j < b1.n_emit; j++)
				pkt_free(b1.emit[j]);
		}
		struct nf_batch b = {.pkts = pkts, .n = n, .port = burst_port, .out_all = NF_OUT_PER_PKT};
		nf->process(st, &b, now);
		for (uint16_t i = 0; i < n; i++) {
			uint16_t out = b.out_all != NF_OUT_PER_PKT ? b.out_all : pkts[i]->out_port;
			if (out != PKT_DROP && (out > 1 || out == burst_port))
				abort(); /* only the two ports exist, and never back */
			if (out != single[i]) {
				fprintf(stderr, "DIFF pkt %u of %u: burst %u single %u\n", i, n, out, single[i]);
				abort();
			} /* a burst decided otherwise than its packets alone */
			pkt_free(pkts[i]);
			free(frames[i]);
		}
		for (uint16_t i = 0; i < b.n_emit; i++) {
			if (parse_pkt(b.emit[i]) != PARSE_OK)
				abort(); /* generated packets are well formed */
			pkt_free(b.emit[i]);
		}
		nf->expire(st, now);
		nf->expire(one, now);
	}
	static char buf[1 << 16], buf1[1 << 16];
	struct stats_writer w;
	stats_init(&w, buf, sizeof(buf), STATS_TEXT);
	nf->stats(st, &w);
	const char *a = stats_finish(&w);
	stats_init(&w, buf1, sizeof(buf1), STATS_TEXT);
	nf->stats(one, &w);
	if (strcmp(a, stats_finish(&w))) {
		fprintf(stderr, "BURST\n%s\nSINGLE\n%s\n", a, buf1);
		abort();
	} /* counters differ between bursts and single packets */
	nf->destroy(st);
	nf->destroy(one);
	return 0;
}
