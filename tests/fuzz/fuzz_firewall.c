/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer: packets through a configured firewall.
 *
 * Input (nf_harness.h): one byte of options (bit 0: the stateless
 * config), then records that become bursts of up to 8 frames, each burst
 * at its own time (so timeouts, the fragment table and the log limiter are
 * exercised), with expire() between bursts.  The configs use every
 * feature: sets, reject, log, fragments, a flow table of 16 so it fills
 * up, short timeouts.
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
#include "tests/fuzz/nf_harness.h"

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!pool)
		pool = fuzz_setup(cfgs, configs, 2);
	if (size < 1)
		return 0;
	const struct nf_ops *nf = nf_find("firewall");
	void *st = fuzz_nf_start(nf, pool, cfgs[data[0] & 1]);
	void *one = fuzz_nf_start(nf, pool, cfgs[data[0] & 1]);
	struct fuzz_feed f;
	struct fuzz_burst fb;
	fuzz_feed_init(&f, data, size);
	while (fuzz_next_burst(&f, pool, &fb)) {
		/* The same packets, one by one, through the other firewall
		 * (which also sees the burst's time when no packet parsed). */
		struct nf_batch b0 = {.pkts = fb.pkts, .n = 0, .port = fb.port, .out_all = NF_OUT_PER_PKT};
		nf->process(one, &b0, f.now);
		uint16_t single[FUZZ_BURST_MAX];
		for (uint16_t i = 0; i < fb.n; i++) {
			struct pkt *q = pkt_alloc(pool);
			q->data = fb.pkts[i]->data;
			q->len = fb.pkts[i]->len;
			q->port = fb.pkts[i]->port;
			if (parse_pkt(q) != PARSE_OK)
				abort();
			struct nf_batch b1 = {.pkts = &q, .n = 1, .port = fb.port, .out_all = NF_OUT_PER_PKT};
			nf->process(one, &b1, f.now);
			single[i] = fuzz_out(&b1, 0);
			pkt_free(q);
			for (uint16_t j = 0; j < b1.n_emit; j++)
				pkt_free(b1.emit[j]);
		}
		uint16_t burst[FUZZ_BURST_MAX], n = fb.n;
		fuzz_burst_run(nf, st, &fb, f.now, burst);
		nf->expire(one, f.now);
		for (uint16_t i = 0; i < n; i++) {
			if (burst[i] != single[i]) {
				fprintf(stderr, "DIFF pkt %u of %u: burst %u single %u\n", i, n, burst[i], single[i]);
				abort();
			} /* a burst decided otherwise than its packets alone */
		}
	}
	static char buf[1 << 16], buf1[1 << 16];
	const char *a = fuzz_stats(nf, st, buf, sizeof(buf));
	const char *a1 = fuzz_stats(nf, one, buf1, sizeof(buf1));
	if (strcmp(a, a1)) {
		fprintf(stderr, "BURST\n%s\nSINGLE\n%s\n", a, a1);
		abort();
	} /* counters differ between bursts and single packets */
	nf->destroy(st);
	nf->destroy(one);
	return 0;
}
