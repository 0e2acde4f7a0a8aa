/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer: packets through a configured firewall.
 *
 * Input (nf_harness.h): one byte of options (bit 0: the stateless
 * config, bits 1-2: the classifier paths, below), then records that become bursts of up to 8 frames, each burst
 * at its own time (so timeouts, the fragment table and the log limiter are
 * exercised), with expire() between bursts.  The configs use every
 * feature: sets, reject, log, fragments, a flow table of 16 so it fills
 * up, short timeouts.
 *
 * A second firewall gets the same packets one at a time: a burst must
 * decide exactly as its packets would in order (the fast path, the bulk
 * lookup and the up-front classification are shortcuts, not semantics),
 * so every verdict and, at the end, every counter must agree.
 *
 * The two firewalls classify with different paths of fw_cls (SSE, AVX2,
 * AVX-512: every one this CPU has, each on both sides in turn), so the
 * oracle compares the paths with each other too.  Each firewall's
 * counters name the path it used; a path other than the one asked for
 * aborts, and so does a CPU whose AVX-512 (or AVX2) fw_cls refuses while
 * the compiler's own check finds it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "dataplane/nf.h"
#include "dataplane/parse.h"
#include "dataplane/stats.h"
#include "nf/firewall/fw_cls.h"
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

/* The classifier paths this CPU runs, narrowest first. */
static enum fw_cls_path paths[FW_CLS_PATHS];
static unsigned n_paths;

static void find_paths(void)
{
	__builtin_cpu_init();
	bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
		      __builtin_cpu_supports("avx512vl");
	bool avx2 = __builtin_cpu_supports("avx2");
	if (fw_cls_path_ok(FW_CLS_AVX512) != avx512 || fw_cls_path_ok(FW_CLS_AVX2) != avx2) {
		fprintf(stderr, "fw_cls paths disagree with the CPU: avx2 %d/%d avx512 %d/%d\n",
			fw_cls_path_ok(FW_CLS_AVX2), avx2, fw_cls_path_ok(FW_CLS_AVX512), avx512);
		abort();
	}
	for (int p = 0; p < FW_CLS_PATHS; p++)
		if (fw_cls_path_ok((enum fw_cls_path)p))
			paths[n_paths++] = (enum fw_cls_path)p;
	fprintf(stderr, "fuzz_firewall: classifier paths compared:");
	for (unsigned i = 0; i < n_paths; i++)
		fprintf(stderr, " %s", fw_cls_path_name(paths[i]));
	fprintf(stderr, "\n");
}

/* A firewall whose classifier uses path p. */
static void *start(const struct nf_ops *nf, const struct cfg *cfg, enum fw_cls_path p)
{
	if (fw_cls_default_path(p) != 0)
		abort();
	void *st = fuzz_nf_start(nf, pool, cfg);
	fw_cls_default_path(FW_CLS_PATHS);
	return st;
}

/* The counters' text without the classifier's line (it names the path),
 * after checking that line names `p`. */
static const char *without_path(const char *stats, enum fw_cls_path p, char *out, size_t size)
{
	const char *line = strstr(stats, "classifier");
	const char *end = line ? strchr(line, '\n') : NULL;
	char want[32];
	snprintf(want, sizeof(want), ", %s\n", fw_cls_path_name(p));
	if (!end || (size_t)(end + 1 - line) < strlen(want) ||
	    strncmp(end + 1 - strlen(want), want, strlen(want)) != 0) {
		fprintf(stderr, "the classifier did not use the %s path:\n%s\n", fw_cls_path_name(p), stats);
		abort();
	}
	snprintf(out, size, "%.*s%s", (int)(line - stats), stats, end + 1);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!pool) {
		pool = fuzz_setup(cfgs, configs, 2);
		find_paths();
	}
	if (size < 1)
		return 0;
	const struct nf_ops *nf = nf_find("firewall");
	unsigned sel = (unsigned)(data[0] >> 1) & 3;
	enum fw_cls_path p_burst = paths[sel % n_paths], p_one = paths[(sel + 1) % n_paths];
	void *st = start(nf, cfgs[data[0] & 1], p_burst);
	void *one = start(nf, cfgs[data[0] & 1], p_one);
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
	static char buf[1 << 16], buf1[1 << 16], cut[1 << 16], cut1[1 << 16];
	const char *a = without_path(fuzz_stats(nf, st, buf, sizeof(buf)), p_burst, cut, sizeof(cut));
	const char *a1 = without_path(fuzz_stats(nf, one, buf1, sizeof(buf1)), p_one, cut1, sizeof(cut1));
	if (strcmp(a, a1)) {
		fprintf(stderr, "BURST\n%s\nSINGLE\n%s\n", a, a1);
		abort();
	} /* counters differ between bursts and single packets */
	nf->destroy(st);
	nf->destroy(one);
	return 0;
}
