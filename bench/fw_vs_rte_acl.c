/* SPDX-License-Identifier: MIT */
/*
 * fw_vs_rte_acl - the firewall's rule classifier side by side with DPDK's
 * rte_acl: the same rules, the same packets, the same run.
 *
 *   fw_vs_rte_acl [--rules 10,1000,10000] [--packets N] [--reps N] [--csv FILE]
 *                 [--families mix,random]
 *                 [--acl-alg scalar|sse|avx2|avx512x16|avx512x32]
 *                 [--path sse|avx2|avx512]
 *   fw_vs_rte_acl --emit mix|random N     print N rules as firewall config
 *
 * Rules are IPv4 5-tuple rules rte_acl can express (one prefix per address,
 * one range per port, a protocol or any), in two families:
 *   mix      what firewall rule sets look like: destinations are servers
 *            and subnets (long prefixes), sources mostly wide, destination
 *            ports well-known services or the ephemeral range, protocols
 *            mostly tcp/udp;
 *   random   ClassBench-style: prefix lengths and port ranges drawn at
 *            random around a pool of nested networks, so rules overlap.
 * Packets are drawn as a ClassBench trace is: pick a rule, pick a point in
 * its box (and 1 in 8 entirely at random, which mostly hit the default).
 * By default 4096 of them: their keys stay in cache, as the headers of a
 * just-received burst do (with --packets 65536 both sides mostly measure
 * streaming their key arrays from memory).
 *
 * Our side goes through the real path: the rules are written as config
 * text, parsed (config/), compiled (fw_rules.c) and the classifier built
 * (fw_cls.c); it classifies prepared `struct fw_key`s with
 * fw_cls_classify_burst.  rte_acl gets the rules with priority by order
 * and classifies prepared 13-byte tuples (network order, as l3fwd-acl lays
 * them out) with rte_acl_classify in bursts of the same size, with every
 * classify algorithm this CPU supports; its best is reported.  Both answers
 * are checked equal for every packet before anything is timed.
 *
 * Reported: TSC cycles per packet (ours with the path it used: the
 * widest this CPU has, or --path), median and best of --reps passes over
 * all the packets (caches warm; ours and rte_acl alternate pass by pass so
 * a busy shared machine slows both alike), and the ratios ours / rte_acl
 * (below 1: we are faster), build times, and table sizes: ours
 * (fw_cls_memory) and what rte_acl_build left allocated on the DPDK heap.
 * Run pinned: taskset -c N.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_acl.h>
#include <rte_eal.h>
#include <rte_malloc.h>

#include "config/config.h"
#include "nf/firewall/fw_cls.h"
#include "nf/firewall/fw_match.h"
#include "nf/firewall/fw_rules.h"

#define BURST 32

/* ---- rules ---------------------------------------------------------------- */
struct rule {
	uint32_t src, dst;       /* host order, host bits zero */
	uint8_t slen, dlen;
	uint16_t sp_lo, sp_hi, dp_lo, dp_hi;
	int proto;               /* -1: any */
	int action;              /* 0 accept, 1 drop */
};

static uint64_t rng = 0x853c49e6748fea9bull;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}
static uint32_t rn(uint32_t n) { return (uint32_t)(rnd() % n); }

static uint32_t pmask(unsigned len) { return len ? ~0u << (32 - len) : 0; }

/* Draw from a weighted table {value, weight}. */
static unsigned draw(const unsigned (*t)[2], unsigned n)
{
	unsigned total = 0;
	for (unsigned i = 0; i < n; i++)
		total += t[i][1];
	unsigned x = rn(total);
	for (unsigned i = 0; i < n; i++) {
		if (x < t[i][1])
			return t[i][0];
		x -= t[i][1];
	}
	return t[n - 1][0];
}

/* Networks rules are carved from: a few hundred /16s and, inside some,
 * /24s, so prefixes nest and overlap as in real rule sets. */
static uint32_t nets16[256], nets24[1024];

static void make_nets(void)
{
	for (int i = 0; i < 256; i++)
		nets16[i] = ((uint32_t)rn(223) + 1) << 24 | (uint32_t)rn(256) << 16;
	for (int i = 0; i < 1024; i++)
		nets24[i] = nets16[rn(256)] | (uint32_t)rn(256) << 8;
}

static uint32_t addr_in_pool(unsigned len)
{
	uint32_t a = len > 16 ? nets24[rn(1024)] | (uint32_t)rn(256) : nets16[rn(256)] | (uint32_t)rn(65536);
	if (len < 16 && rn(2))
		a = (uint32_t)rnd();
	return a & pmask(len);
}

static const unsigned well_known[] = {20, 21, 22, 23, 25, 53, 67, 80, 110, 123, 135, 137, 139,
				      143, 161, 389, 443, 445, 465, 514, 587, 636, 993, 995,
				      1433, 1521, 1723, 3306, 3389, 5060, 5432, 5900, 8080, 8443};

static void rule_mix(struct rule *r)
{
	static const unsigned slen[][2] = {{0, 40}, {8, 4}, {12, 4}, {16, 12}, {20, 4},
					   {24, 18}, {28, 4}, {32, 14}};
	static const unsigned dlen[][2] = {{0, 4}, {16, 8}, {24, 28}, {26, 4}, {28, 8},
					   {30, 4}, {32, 44}};
	static const unsigned proto[][2] = {{6, 60}, {17, 25}, {1, 5}, {256, 10}};
	r->slen = (uint8_t)draw(slen, 8);
	r->dlen = (uint8_t)draw(dlen, 7);
	if (!r->slen && !r->dlen)
		r->dlen = 24; /* no rule is "from anywhere to anywhere" */
	r->src = addr_in_pool(r->slen);
	r->dst = addr_in_pool(r->dlen);
	unsigned p = draw(proto, 4);
	r->proto = p == 256 ? -1 : (int)p;
	r->sp_lo = 0, r->sp_hi = 65535, r->dp_lo = 0, r->dp_hi = 65535;
	if (r->proto == 6 || r->proto == 17) {
		unsigned k = rn(100);
		if (k < 45) {
			r->dp_lo = r->dp_hi = (uint16_t)well_known[rn(sizeof(well_known) / sizeof(well_known[0]))];
		} else if (k < 55) {
			r->dp_lo = 1024;
		} else if (k < 65) {
			r->dp_lo = (uint16_t)(1024 + rn(60000));
			r->dp_hi = (uint16_t)(r->dp_lo + rn(64));
		} else if (k < 72) {
			r->dp_lo = r->dp_hi = (uint16_t)rn(65536);
		}
		k = rn(100);
		if (k < 8) {
			r->sp_lo = 1024;
		} else if (k < 12) {
			r->sp_lo = r->sp_hi = (uint16_t)well_known[rn(8)];
		}
	}
	r->action = (int)rn(2);
}

static void rule_random(struct rule *r)
{
	r->slen = (uint8_t)(rn(4) == 0 ? 0 : 8 + rn(25));
	r->dlen = (uint8_t)(rn(8) == 0 && r->slen ? 0 : 8 + rn(25));
	r->src = addr_in_pool(r->slen);
	r->dst = addr_in_pool(r->dlen);
	static const unsigned proto[][2] = {{6, 45}, {17, 35}, {1, 5}, {47, 3}, {256, 12}};
	unsigned p = draw(proto, 5);
	r->proto = p == 256 ? -1 : (int)p;
	r->sp_lo = 0, r->sp_hi = 65535, r->dp_lo = 0, r->dp_hi = 65535;
	if (r->proto == 6 || r->proto == 17) {
		/* ClassBench's port classes: wildcard, high, low, arbitrary
		 * range, exact. */
		for (int f = 0; f < 2; f++) {
			uint16_t lo = 0, hi = 65535;
			switch (rn(f ? 5 : 8)) {
			case 0:
				lo = 1024;
				break;
			case 1:
				hi = 1023;
				break;
			case 2:
				lo = (uint16_t)rn(65536);
				hi = (uint16_t)(lo + rn(65536 - lo));
				break;
			case 3:
				lo = hi = (uint16_t)rn(65536);
				break;
			case 4:
				lo = hi = (uint16_t)well_known[rn(sizeof(well_known) / sizeof(well_known[0]))];
				break;
			default:
				break;
			}
			if (f) {
				r->dp_lo = lo;
				r->dp_hi = hi;
			} else {
				r->sp_lo = lo;
				r->sp_hi = hi;
			}
		}
	}
	r->action = (int)rn(2);
}

static size_t put_rule(char *b, size_t n, const struct rule *r)
{
	size_t o = (size_t)snprintf(b, n, "%s", r->action ? "drop" : "accept");
	if (r->proto >= 0)
		o += (size_t)snprintf(b + o, n - o, " proto %d", r->proto);
	if (r->slen)
		o += (size_t)snprintf(b + o, n - o, " src %u.%u.%u.%u/%u", r->src >> 24, (r->src >> 16) & 255,
				      (r->src >> 8) & 255, r->src & 255, r->slen);
	if (r->dlen)
		o += (size_t)snprintf(b + o, n - o, " dst %u.%u.%u.%u/%u", r->dst >> 24, (r->dst >> 16) & 255,
				      (r->dst >> 8) & 255, r->dst & 255, r->dlen);
	if (r->sp_lo || r->sp_hi != 65535)
		o += (size_t)snprintf(b + o, n - o, " sport %u-%u", r->sp_lo, r->sp_hi);
	if (r->dp_lo || r->dp_hi != 65535)
		o += (size_t)snprintf(b + o, n - o, " dport %u-%u", r->dp_lo, r->dp_hi);
	o += (size_t)snprintf(b + o, n - o, "\n");
	return o;
}

/* ---- packets ---------------------------------------------------------------- */
struct tuple {
	uint8_t proto;
	uint32_t src, dst;       /* network order */
	uint16_t sport, dport;   /* network order */
} __attribute__((packed));

static void make_packet(const struct rule *rules, uint32_t n, struct fw_key *k, struct tuple *t)
{
	memset(k, 0, sizeof(*k));
	uint32_t src = (uint32_t)rnd(), dst = (uint32_t)rnd();
	uint16_t sp = (uint16_t)rn(65536), dp = (uint16_t)rn(65536);
	static const uint8_t protos[] = {6, 17, 6, 17, 1, 47};
	uint8_t proto = protos[rn(6)];
	if (rn(8)) {
		/* Skewed towards early rules, as ClassBench's Pareto draw. */
		uint32_t i = rn(4) ? rn(n) : rn(n / 8 + 1);
		const struct rule *r = &rules[i];
		src = (r->src & pmask(r->slen)) | ((uint32_t)rnd() & ~pmask(r->slen));
		dst = (r->dst & pmask(r->dlen)) | ((uint32_t)rnd() & ~pmask(r->dlen));
		sp = (uint16_t)(r->sp_lo + rn((uint32_t)r->sp_hi - r->sp_lo + 1));
		dp = (uint16_t)(r->dp_lo + rn((uint32_t)r->dp_hi - r->dp_lo + 1));
		if (r->proto >= 0)
			proto = (uint8_t)r->proto;
	}
	if (proto != 6 && proto != 17)
		sp = dp = 0; /* what fw_key_from_pkt gives packets without ports */
	k->fam = FW_FAM_V4;
	k->src[0] = src;
	k->dst[0] = dst;
	k->sport = sp;
	k->dport = dp;
	k->proto = proto;
	t->proto = proto;
	t->src = __builtin_bswap32(src);
	t->dst = __builtin_bswap32(dst);
	t->sport = __builtin_bswap16(sp);
	t->dport = __builtin_bswap16(dp);
}

/* ---- rte_acl ------------------------------------------------------------------ */
RTE_ACL_RULE_DEF(acl_rule, 5);

static const struct rte_acl_field_def acl_fields[5] = {
	{.type = RTE_ACL_FIELD_TYPE_BITMASK, .size = 1, .field_index = 0, .input_index = 0,
	 .offset = offsetof(struct tuple, proto)},
	{.type = RTE_ACL_FIELD_TYPE_MASK, .size = 4, .field_index = 1, .input_index = 1,
	 .offset = offsetof(struct tuple, src)},
	{.type = RTE_ACL_FIELD_TYPE_MASK, .size = 4, .field_index = 2, .input_index = 2,
	 .offset = offsetof(struct tuple, dst)},
	{.type = RTE_ACL_FIELD_TYPE_RANGE, .size = 2, .field_index = 3, .input_index = 3,
	 .offset = offsetof(struct tuple, sport)},
	{.type = RTE_ACL_FIELD_TYPE_RANGE, .size = 2, .field_index = 4, .input_index = 3,
	 .offset = offsetof(struct tuple, dport)},
};

static struct rte_acl_ctx *acl_build(const struct rule *rules, uint32_t n, const char *name,
				     size_t *tables)
{
	struct rte_acl_param prm = {.name = name, .socket_id = 0,
				    .rule_size = RTE_ACL_RULE_SZ(5), .max_rule_num = n};
	struct rte_acl_ctx *ctx = rte_acl_create(&prm);
	if (!ctx)
		return NULL;
	struct acl_rule *ar = calloc(n, sizeof(*ar));
	struct rte_malloc_socket_stats before, after;
	for (uint32_t i = 0; i < n; i++) {
		const struct rule *r = &rules[i];
		ar[i].data.category_mask = 1;
		ar[i].data.priority = (int32_t)(n - i); /* earlier rules win */
		ar[i].data.userdata = i + 1;
		ar[i].field[0].value.u8 = r->proto < 0 ? 0 : (uint8_t)r->proto;
		ar[i].field[0].mask_range.u8 = r->proto < 0 ? 0 : 0xff;
		ar[i].field[1].value.u32 = r->src;
		ar[i].field[1].mask_range.u32 = r->slen;
		ar[i].field[2].value.u32 = r->dst;
		ar[i].field[2].mask_range.u32 = r->dlen;
		ar[i].field[3].value.u16 = r->sp_lo;
		ar[i].field[3].mask_range.u16 = r->sp_hi;
		ar[i].field[4].value.u16 = r->dp_lo;
		ar[i].field[4].mask_range.u16 = r->dp_hi;
	}
	struct rte_acl_config cfg = {.num_categories = 1, .num_fields = 5};
	memcpy(cfg.defs, acl_fields, sizeof(acl_fields));
	int rc = rte_acl_add_rules(ctx, (const struct rte_acl_rule *)ar, n);
	/* Its run-time tables: what rte_acl_build leaves allocated on the
	 * DPDK heap (the rules themselves were allocated by create). */
	rte_malloc_get_socket_stats(0, &before);
	rc = rc ? rc : rte_acl_build(ctx, &cfg);
	rte_malloc_get_socket_stats(0, &after);
	*tables = after.heap_allocsz_bytes - before.heap_allocsz_bytes;
	if (rc) {
		rte_acl_free(ctx);
		ctx = NULL;
	}
	free(ar);
	return ctx;
}

/* ---- timing ------------------------------------------------------------------------ */
static inline uint64_t tsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_d);
	return v[n / 2];
}

static double pass_ours(const struct fw_cls *c, const struct fw_key *k, uint32_t n, int32_t *out)
{
	uint64_t t0 = tsc();
	for (uint32_t i = 0; i < n; i += BURST)
		fw_cls_classify_burst(c, k + i, n - i < BURST ? n - i : BURST, out + i);
	return (double)(tsc() - t0) / n;
}

static double pass_acl(const struct rte_acl_ctx *ctx, const uint8_t **data, uint32_t n,
		       uint32_t *res)
{
	uint64_t t0 = tsc();
	for (uint32_t i = 0; i < n; i += BURST)
		rte_acl_classify(ctx, data + i, res + i, n - i < BURST ? n - i : BURST, 1);
	return (double)(tsc() - t0) / n;
}

static const struct {
	enum rte_acl_classify_alg alg;
	const char *name;
} algs[] = {
	{RTE_ACL_CLASSIFY_SCALAR, "scalar"},       {RTE_ACL_CLASSIFY_SSE, "sse"},
	{RTE_ACL_CLASSIFY_AVX2, "avx2"},           {RTE_ACL_CLASSIFY_AVX512X16, "avx512x16"},
	{RTE_ACL_CLASSIFY_AVX512X32, "avx512x32"},
};

static const char *only_alg; /* --acl-alg: time this rte_acl algorithm only */
static const char *our_path; /* --path: our classifier's path (default: the widest) */

static int run(const char *family, uint32_t n_rules, uint32_t n_pkts, unsigned reps, FILE *csv)
{
	struct rule *rules = calloc(n_rules, sizeof(*rules));
	size_t cap = 64 + (size_t)n_rules * 128, o = 0;
	char *text = malloc(cap);
	for (uint32_t i = 0; i < n_rules; i++) {
		if (strcmp(family, "mix") == 0)
			rule_mix(&rules[i]);
		else
			rule_random(&rules[i]);
		o += put_rule(text + o, cap - o, &rules[i]);
	}

	/* Ours: config text -> rules -> classifier, timed as configure is. */
	static struct cfg_errors errs;
	cfg_errors_init(&errs);
	struct cfg *cfg = NULL;
	struct fw_rules *rs = NULL;
	struct timespec b0, b1;
	clock_gettime(CLOCK_MONOTONIC, &b0);
	if (cfg_parse("bench.conf", text, o, NULL, NULL, &cfg, &errs) ||
	    fw_rules_compile(cfg, &errs, &rs) || !(rs->cls = fw_cls_build(rs))) {
		fprintf(stderr, "fw_vs_rte_acl: our build failed: %s\n", cfg_errors_get(&errs, 0));
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &b1);
	for (int p = 0; our_path && p < FW_CLS_PATHS; p++)
		if (!strcmp(our_path, fw_cls_path_name((enum fw_cls_path)p)) &&
		    fw_cls_use_path(rs->cls, (enum fw_cls_path)p) != 0) {
			fprintf(stderr, "fw_vs_rte_acl: this CPU has no %s path\n", our_path);
			return 1;
		}
	if (our_path && strcmp(our_path, fw_cls_path_name(fw_cls_path_of(rs->cls)))) {
		fprintf(stderr, "fw_vs_rte_acl: --path sse, avx2 or avx512\n");
		return 1;
	}
	double our_build = (double)(b1.tv_sec - b0.tv_sec) + (double)(b1.tv_nsec - b0.tv_nsec) * 1e-9;
	char name[64];
	snprintf(name, sizeof(name), "acl-%s-%u", family, n_rules);
	clock_gettime(CLOCK_MONOTONIC, &b0);
	size_t acl_bytes = 0;
	struct rte_acl_ctx *ctx = acl_build(rules, n_rules, name, &acl_bytes);
	clock_gettime(CLOCK_MONOTONIC, &b1);
	double acl_build_s = (double)(b1.tv_sec - b0.tv_sec) + (double)(b1.tv_nsec - b0.tv_nsec) * 1e-9;
	if (!ctx) {
		fprintf(stderr, "fw_vs_rte_acl: rte_acl build failed\n");
		return 1;
	}

	struct fw_key *keys = calloc(n_pkts, sizeof(*keys));
	struct tuple *tup = calloc(n_pkts, sizeof(*tup));
	const uint8_t **data = calloc(n_pkts, sizeof(*data));
	int32_t *ours = calloc(n_pkts, sizeof(*ours));
	uint32_t *theirs = calloc(n_pkts, sizeof(*theirs));
	for (uint32_t i = 0; i < n_pkts; i++) {
		make_packet(rules, n_rules, &keys[i], &tup[i]);
		data[i] = (const uint8_t *)&tup[i];
	}

	/* Same answers, or the timing means nothing. */
	fw_cls_classify_burst(rs->cls, keys, n_pkts, ours);
	rte_acl_classify(ctx, data, theirs, n_pkts, 1);
	uint32_t matched = 0;
	for (uint32_t i = 0; i < n_pkts; i++) {
		int32_t t = (int32_t)theirs[i] - 1;
		matched += ours[i] >= 0;
		if (ours[i] != t || (i % 64 == 0 && fw_ref_classify(rs, &keys[i]) != ours[i])) {
			fprintf(stderr, "fw_vs_rte_acl: %s %u rules: packet %u: ours %d, rte_acl %d, reference %d\n",
				family, n_rules, i, ours[i], t, fw_ref_classify(rs, &keys[i]));
			return 1;
		}
	}

	/* rte_acl's best algorithm on this CPU (a short trial each), then
	 * both timed in alternation, pass by pass, so load changes on a
	 * shared machine hit both alike.  Median and best pass reported. */
	double best = 1e30;
	const char *best_name = "?";
	enum rte_acl_classify_alg best_alg = RTE_ACL_CLASSIFY_DEFAULT;
	for (size_t a = 0; a < sizeof(algs) / sizeof(algs[0]); a++) {
		if (only_alg && strcmp(only_alg, algs[a].name) != 0)
			continue;
		if (rte_acl_set_ctx_classify(ctx, algs[a].alg) != 0)
			continue;
		double t[3];
		for (int r = 0; r < 3; r++)
			t[r] = pass_acl(ctx, data, n_pkts, theirs);
		double tm = median(t, 3);
		if (tm < best) {
			best = tm;
			best_name = algs[a].name;
			best_alg = algs[a].alg;
		}
	}
	rte_acl_set_ctx_classify(ctx, best_alg);
	double so[64], sa[64];
	pass_ours(rs->cls, keys, n_pkts, ours); /* warm */
	pass_acl(ctx, data, n_pkts, theirs);
	for (unsigned r = 0; r < reps; r++) {
		so[r] = pass_ours(rs->cls, keys, n_pkts, ours);
		sa[r] = pass_acl(ctx, data, n_pkts, theirs);
	}
	double t_ours = median(so, reps), min_ours = so[0];
	best = median(sa, reps);
	double min_acl = sa[0];
	char desc[1024];
	int dl = fw_cls_describe(rs->cls, desc, sizeof(desc));
	if (dl > 0 && (size_t)dl < sizeof(desc) - 3) {
		memcpy(desc + dl, " | ", 4);
		fw_cls_describe_trees(rs->cls, desc + dl + 3, sizeof(desc) - (size_t)dl - 3);
	}
	printf("%-7s %6u rules %5.1f%% hit | ours %-6s %6.1f (best %6.1f) | rte_acl %6.1f (best %6.1f) %-9s |"
	       " ratio %4.2f (best %4.2f) | build %.3f s vs %.3f s | tables %zu KiB vs %zu KiB\n",
	       family, n_rules, 100.0 * matched / n_pkts, fw_cls_path_name(fw_cls_path_of(rs->cls)), t_ours, min_ours, best, min_acl, best_name,
	       t_ours / best, min_ours / min_acl, our_build, acl_build_s, fw_cls_memory(rs->cls) / 1024,
	       acl_bytes / 1024);
	if (getenv("FW_BENCH_VERBOSE"))
		printf("        %s\n", desc);
	if (csv)
		fprintf(csv, "%s,%u,%u,%s,%.1f,%.1f,%.1f,%.1f,%s,%.3f,%.3f,%.4f,%.4f,%zu,%zu\n", family,
			n_rules, n_pkts, fw_cls_path_name(fw_cls_path_of(rs->cls)), t_ours, min_ours, best,
			min_acl, best_name, t_ours / best, min_ours / min_acl, our_build, acl_build_s,
			fw_cls_memory(rs->cls), acl_bytes);
	rte_acl_free(ctx);
	cfg_free(cfg);
	fw_rules_free(rs);
	free(rules);
	free(text);
	free(keys);
	free(tup);
	free(data);
	free(ours);
	free(theirs);
	return 0;
}

int main(int argc, char **argv)
{
	const char *counts = "10,1000,10000", *csv_path = NULL, *families = "mix,random";
	const char *emit_family = NULL;
	uint32_t emit_rules = 0;
	uint32_t n_pkts = 4096;
	unsigned reps = 9;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--rules") && i + 1 < argc)
			counts = argv[++i];
		else if (!strcmp(argv[i], "--packets") && i + 1 < argc)
			n_pkts = (uint32_t)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
			reps = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--csv") && i + 1 < argc)
			csv_path = argv[++i];
		else if (!strcmp(argv[i], "--families") && i + 1 < argc)
			families = argv[++i];
		else if (!strcmp(argv[i], "--acl-alg") && i + 1 < argc)
			only_alg = argv[++i];
		else if (!strcmp(argv[i], "--path") && i + 1 < argc)
			our_path = argv[++i];
		else if (!strcmp(argv[i], "--emit") && i + 2 < argc) {
			emit_family = argv[++i];
			emit_rules = (uint32_t)strtoul(argv[++i], NULL, 0);
		}
		else {
			fprintf(stderr, "usage: fw_vs_rte_acl [--rules 10,1000,10000] [--packets N] "
					"[--reps N] [--families mix,random] [--csv FILE] [--acl-alg ALG] [--path sse|avx2|avx512]\n");
			return 2;
		}
	}
	if (reps < 1 || reps > 63)
		reps = 9;
	if (emit_family) {
		/* The rules of a run as a firewall config, for replay benches. */
		make_nets();
		char line[256];
		for (uint32_t i = 0; i < emit_rules; i++) {
			struct rule r;
			if (strcmp(emit_family, "mix") == 0)
				rule_mix(&r);
			else
				rule_random(&r);
			put_rule(line, sizeof(line), &r);
			fputs(line, stdout);
		}
		return 0;
	}
	/* EAL on the CPU we are pinned to, without hugepages or devices. */
	char lcore[16];
	snprintf(lcore, sizeof(lcore), "%d", sched_getcpu());
	char *eal[] = {argv[0], "-l", lcore, "--no-huge", "-m", "1024", "--no-pci",
		       "--log-level=error", "--force-max-simd-bitwidth=512", "--no-telemetry", NULL};
	if (rte_eal_init(10, eal) < 0) {
		fprintf(stderr, "fw_vs_rte_acl: rte_eal_init failed\n");
		return 1;
	}
	FILE *csv = csv_path ? fopen(csv_path, "w") : NULL;
	if (csv)
		fprintf(csv, "family,rules,packets,ours_path,ours_cycles_median,ours_cycles_best,rte_acl_cycles_median,"
			     "rte_acl_cycles_best,rte_acl_alg,ratio_median,ratio_best,ours_build_s,"
			     "rte_acl_build_s,ours_bytes,rte_acl_bytes\n");
	make_nets();
	int rc = 0;
	char fams[64];
	snprintf(fams, sizeof(fams), "%s", families);
	for (char *f = strtok(fams, ","); f && !rc; f = strtok(NULL, ",")) {
		char cs[128];
		snprintf(cs, sizeof(cs), "%s", counts);
		char *save = NULL;
		for (char *c = strtok_r(cs, ",", &save); c && !rc; c = strtok_r(NULL, ",", &save))
			rc = run(f, (uint32_t)strtoul(c, NULL, 0), n_pkts, reps, csv);
	}
	if (csv)
		fclose(csv);
	rte_eal_cleanup();
	return rc;
}
