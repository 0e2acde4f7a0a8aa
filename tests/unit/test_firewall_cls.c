/* SPDX-License-Identifier: MIT */
/*
 * test_firewall_cls.c - the fast classifier (fw_cls.c) answers exactly what
 * the linear reference (fw_match.c) answers.
 *
 * Random rule sets written as config text (so they go through the real
 * compiler) use every match kind: ports, families, protocol lists, prefixes,
 * address lists, negations, sets, port ranges and lists, TCP flags.  Keys
 * are drawn mostly inside random rules (at their edges too) and partly at
 * random, then classified one by one and in bursts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "nf/firewall/fw_cls.h"
#include "nf/firewall/fw_cls_int.h"
#include "nf/firewall/fw_match.h"
#include "nf/firewall/fw_rules.h"

static uint64_t rng = 0x243f6a8885a308d3ull;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}
static unsigned rn(unsigned n) { return (unsigned)(rnd() % n); }

/* A small address universe so random rules and keys collide often. */
static const uint32_t v4base[4] = {0x0a000000, 0x0a010000, 0xc0a80000, 0xcb007100};
static const uint64_t v6base[3] = {0x20010db800000000ull, 0x20010db800010000ull,
				   0xfd00000000000000ull};

static uint32_t rand_v4(void)
{
	return v4base[rn(4)] | (uint32_t)(rnd() & (rn(3) ? 0x3ff : 0xffff));
}

static void put_v4(char *b, size_t n, uint32_t a, unsigned len)
{
	a = len ? a & (~0u << (32 - len)) : 0;
	snprintf(b, n, "%u.%u.%u.%u/%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255, len);
}

static void put_v6(char *b, size_t n, uint64_t hi, uint64_t lo, unsigned len)
{
	if (len < 64) {
		hi = len ? hi & (~0ull << (64 - len)) : 0;
		lo = 0;
	} else if (len < 128) {
		lo = len > 64 ? lo & (~0ull << (128 - len)) : 0;
	}
	snprintf(b, n, "%x:%x:%x:%x:%x:%x:%x:%x/%u", (unsigned)(hi >> 48), (unsigned)(hi >> 32) & 0xffff,
		 (unsigned)(hi >> 16) & 0xffff, (unsigned)hi & 0xffff, (unsigned)(lo >> 48),
		 (unsigned)(lo >> 32) & 0xffff, (unsigned)(lo >> 16) & 0xffff, (unsigned)lo & 0xffff, len);
}

static void rand_prefix(char *b, size_t n, int fam)
{
	if (fam == 4) {
		static const unsigned lens[] = {8, 16, 20, 24, 28, 30, 32, 32};
		put_v4(b, n, rand_v4(), lens[rn(8)]);
	} else {
		static const unsigned lens[] = {16, 32, 48, 56, 64, 80, 120, 128};
		put_v6(b, n, v6base[rn(3)] | (rnd() & 0xff00ff), rnd() & 0xf0f, lens[rn(8)]);
	}
}

static void rand_addr(char *b, size_t n, int fams)
{
	int fam = fams == 3 ? (rn(2) ? 4 : 6) : fams == 1 ? 4 : 6;
	char p[64];
	switch (rn(7)) {
	case 0:
		snprintf(b, n, "@s%u", rn(3));
		return;
	case 1:
		snprintf(b, n, "!@s%u", rn(3));
		return;
	case 2: {
		char q[64];
		rand_prefix(p, sizeof(p), fam);
		rand_prefix(q, sizeof(q), fams == 3 && rn(2) ? 10 - fam : fam);
		snprintf(b, n, "%s{ %s %s }", rn(3) ? "" : "!", p, q);
		return;
	}
	case 3:
		rand_prefix(p, sizeof(p), fam);
		snprintf(b, n, "!%s", p);
		return;
	default:
		rand_prefix(p, sizeof(p), fam);
		snprintf(b, n, "%s", p);
	}
}

static void rand_ports(char *b, size_t n)
{
	unsigned a = rn(3) ? rn(1100) : rn(65536), c = a + rn(rn(2) ? 10 : 5000);
	if (c > 65535)
		c = 65535;
	switch (rn(5)) {
	case 0:
		snprintf(b, n, "%u", a);
		break;
	case 1:
		snprintf(b, n, "%u-%u", a, c);
		break;
	case 2:
		snprintf(b, n, "{ %u %u-%u %u }", rn(1100), a, c, rn(65536));
		break;
	case 3:
		snprintf(b, n, "!%u-%u", a, c);
		break;
	default:
		snprintf(b, n, "!{ 0-1023 %u }", a);
	}
}

/* One random rule; `fams` of its addresses decided up front so it parses. */
static size_t rand_rule(char *b, size_t n)
{
	static const char *const actions[] = {"accept", "drop", "reject"};
	size_t o = (size_t)snprintf(b, n, "%s", actions[rn(3)]);
	int fams = 3;
	if (rn(4) == 0)
		o += (size_t)snprintf(b + o, n - o, " from %s", rn(2) ? "inside" : "outside");
	if (rn(5) == 0) {
		fams = rn(2) ? 1 : 2;
		o += (size_t)snprintf(b + o, n - o, fams == 1 ? " ip" : " ip6");
	}
	int proto = rn(6); /* 0 any, 1 tcp, 2 udp, 3 {tcp udp}, 4 icmp, 5 number */
	bool ports = proto >= 1 && proto <= 3 && rn(3);
	if (proto == 4 && fams != 3)
		proto = 0;
	static const char *const pname[] = {"", " proto tcp", " proto udp", " proto { tcp udp }",
					     " proto icmp", " proto 47"};
	o += (size_t)snprintf(b + o, n - o, "%s", pname[proto]);
	if (proto == 4)
		fams = 1;
	char a[160];
	if (rn(3)) {
		rand_addr(a, sizeof(a), fams);
		o += (size_t)snprintf(b + o, n - o, " src %s", a);
		if (strchr(a, '@') == NULL)
			fams = (strchr(a, ':') ? 2 : 0) | (strchr(a, '.') ? 1 : 0);
	}
	if (rn(3)) {
		rand_addr(a, sizeof(a), fams);
		o += (size_t)snprintf(b + o, n - o, " dst %s", a);
	}
	if (ports && rn(2)) {
		rand_ports(a, sizeof(a));
		o += (size_t)snprintf(b + o, n - o, " sport %s", a);
	}
	if (ports && rn(3)) {
		rand_ports(a, sizeof(a));
		o += (size_t)snprintf(b + o, n - o, " dport %s", a);
	}
	if (proto == 1 && rn(4) == 0)
		o += (size_t)snprintf(b + o, n - o, rn(2) ? " flags syn !ack" : " flags S/SAF");
	o += (size_t)snprintf(b + o, n - o, "\n");
	return o;
}

static struct cfg_errors errs;

static struct fw_rules *random_rules(unsigned n_rules)
{
	size_t cap = 256 + (size_t)n_rules * 300, o = 0;
	char *text = malloc(cap);
	o += (size_t)snprintf(text, cap, "port 0 name inside\nport 1 name outside\n");
	for (int s = 0; s < 3; s++) {
		o += (size_t)snprintf(text + o, cap - o, "set s%d {", s);
		for (int i = 0; i < 6; i++) {
			char p[64];
			rand_prefix(p, sizeof(p), i & 1 ? 4 : 6); /* both families */
			o += (size_t)snprintf(text + o, cap - o, " %s", p);
		}
		o += (size_t)snprintf(text + o, cap - o, " }\n");
	}
	for (unsigned i = 0; i < n_rules; i++)
		o += rand_rule(text + o, cap - o);
	cfg_errors_init(&errs);
	struct cfg *cfg = NULL;
	struct fw_rules *rs = NULL;
	if (cfg_parse("rand.conf", text, o, NULL, NULL, &cfg, &errs) ||
	    fw_rules_compile(cfg, &errs, &rs)) {
		fprintf(stderr, "random config rejected: %s\n%.*s\n", cfg_errors_get(&errs, 0), (int)o, text);
		fail();
	}
	cfg_free(cfg);
	free(text);
	rs->cls = fw_cls_build(rs);
	assert_non_null(rs->cls);
	return rs;
}

static uint64_t pick(uint64_t lo, uint64_t hi)
{
	switch (rn(4)) {
	case 0:
		return lo;
	case 1:
		return hi;
	default:
		return lo + (hi > lo ? rnd() % (hi - lo + 1) : 0);
	}
}

/* A key near rule `r` where possible (a listed prefix, a port of a range). */
static void rand_key(const struct fw_rules *rs, struct fw_key *k)
{
	memset(k, 0, sizeof(*k));
	const struct fw_rule *r = &rs->rules[rn(rs->n_rules)];
	k->fam = (r->fams == FW_FAM_ANY) ? (rn(2) ? FW_FAM_V4 : FW_FAM_V6) : r->fams;
	if (rn(8) == 0)
		k->fam = rn(2) ? FW_FAM_V4 : FW_FAM_V6;
	bool v6 = k->fam == FW_FAM_V6;
	const struct fw_addr_match *ms[2] = {&r->src, &r->dst};
	uint64_t *as[2] = {k->src, k->dst};
	for (int i = 0; i < 2; i++) {
		if (v6) {
			as[i][0] = v6base[rn(3)] | (rnd() & 0xff00ff);
			as[i][1] = rnd() & 0xf0f;
		} else {
			as[i][0] = rand_v4();
		}
		if (ms[i]->kind == FW_ADDR_LIST && rn(3)) {
			const struct fw_prefix *p = &ms[i]->pfx[rn(ms[i]->n)];
			if ((p->family == CFG_AF_V6) == v6) {
				uint64_t hi = sys_be64(sys_ld64(p->a)), lo = sys_be64(sys_ld64(p->a + 8));
				if (!v6) {
					uint64_t a = sys_be32(sys_ld32(p->a));
					as[i][0] = pick(a, a | (0xffffffffull >> p->len));
				} else {
					as[i][0] = p->len >= 64 ? hi : pick(hi, hi | (~0ull >> p->len));
					as[i][1] = p->len <= 64 ? rnd() : p->len >= 128 ? lo
							: pick(lo, lo | (~0ull >> (p->len - 64)));
				}
			}
		}
	}
	static const uint8_t protos[] = {6, 17, 1, 58, 47, 6, 17, 132};
	k->proto = protos[rn(8)];
	if (!r->any_proto && rn(4)) {
		for (unsigned p = rn(256), i = 0; i < 256; i++, p = (p + 1) & 255)
			if ((r->proto[p >> 6] >> (p & 63)) & 1) {
				k->proto = (uint8_t)p;
				break;
			}
	}
	if (k->proto == 6 || k->proto == 17) {
		k->sport = (uint16_t)rn(65536);
		k->dport = (uint16_t)(rn(2) ? rn(1100) : rn(65536));
		if (!r->sport.any && rn(2)) {
			const struct fw_range16 *x = &r->sport.r[rn(r->sport.n)];
			k->sport = (uint16_t)pick(x->lo, x->hi);
		}
		if (!r->dport.any && rn(2)) {
			const struct fw_range16 *x = &r->dport.r[rn(r->dport.n)];
			k->dport = (uint16_t)pick(x->lo, x->hi);
		}
		if (k->proto == 6)
			k->tcp_flags = (uint8_t)rnd();
	}
	k->in_port = (uint8_t)rn(2);
}

static unsigned long total_keys, total_hits;
static unsigned long path_runs[FW_CLS_PATHS];

/* The widest path by the compiler's own CPU check (libgcc: CPUID and
 * XGETBV), to catch fw_cls's check refusing a path this host has. */
static enum fw_cls_path widest_path(void)
{
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
	    __builtin_cpu_supports("avx512vl"))
		return FW_CLS_AVX512;
	return __builtin_cpu_supports("avx2") ? FW_CLS_AVX2 : FW_CLS_SSE;
}

static void compare(unsigned n_rules, unsigned n_keys)
{
	struct fw_rules *rs = random_rules(n_rules);
	struct fw_key *keys = calloc(n_keys, sizeof(*keys));
	int32_t *got = calloc(n_keys, sizeof(*got));
	for (unsigned i = 0; i < n_keys; i++)
		rand_key(rs, &keys[i]);
	/* Every path this CPU runs gives the same answers, bit for bit (and
	 * each of them the reference's, below). */
	enum fw_cls_path built = fw_cls_path_of(rs->cls);
	assert_int_equal(built, widest_path());
	fw_cls_classify_burst(rs->cls, keys, n_keys, got);
	int32_t *other = calloc(n_keys, sizeof(*other));
	for (int p = 0; p < FW_CLS_PATHS; p++) {
		if (!fw_cls_path_ok((enum fw_cls_path)p))
			continue;
		assert_int_equal(fw_cls_use_path(rs->cls, (enum fw_cls_path)p), 0);
		memset(other, 0x55, n_keys * sizeof(*other));
		fw_cls_classify_burst(rs->cls, keys, n_keys, other);
		path_runs[p]++;
		for (unsigned i = 0; i < n_keys; i++)
			if (other[i] != got[i]) {
				fprintf(stderr, "%u rules, key %u: %s path %d, %s path %d\n", n_rules, i,
					fw_cls_path_name(built), got[i], fw_cls_path_name((enum fw_cls_path)p),
					other[i]);
				fail();
			}
	}
	assert_int_equal(fw_cls_use_path(rs->cls, built), 0);
	free(other);
	unsigned hits = 0;
	for (unsigned i = 0; i < n_keys; i++) {
		int32_t want = fw_ref_classify(rs, &keys[i]);
		int32_t one = fw_cls_classify(rs->cls, &keys[i]);
		hits += want >= 0;
		if (want != one || want != got[i]) {
			char d[160];
			fw_cls_describe(rs->cls, d, sizeof(d));
			fprintf(stderr, "%u rules (%s), key %u: reference %d, classify %d, burst %d\n",
				n_rules, d, i, want, one, got[i]);
			if (want >= 0)
				fprintf(stderr, "  reference rule at %s\n", rs->rules[want].where);
			if (one >= 0)
				fprintf(stderr, "  classify rule at %s\n", rs->rules[one].where);
			fail();
		}
	}
	total_keys += n_keys;
	total_hits += hits;
	free(keys);
	free(got);
	fw_rules_free(rs);
}

static void test_small(void **state)
{
	(void)state;
	for (int i = 0; i < 200; i++)
		compare(1 + rn(12), 300);
	/* The keys are aimed: many must match some rule, or the test is weak. */
	assert_true(total_hits > total_keys / 4);
}

static void test_medium(void **state)
{
	(void)state;
	for (int i = 0; i < 20; i++)
		compare(50 + rn(300), 3000);
}

/* The paths: the widest is what a build picks, the others can be chosen,
 * and every one the CPU has was compared above. */
static void test_paths(void **state)
{
	(void)state;
	enum fw_cls_path w = widest_path();
	fprintf(stderr, "classifier paths on this CPU: sse%s%s (compared %lu, %lu, %lu times)\n",
		w >= FW_CLS_AVX2 ? " avx2" : "", w >= FW_CLS_AVX512 ? " avx512" : "", path_runs[0],
		path_runs[1], path_runs[2]);
	for (int p = 0; p < FW_CLS_PATHS; p++) {
		assert_int_equal(fw_cls_path_ok((enum fw_cls_path)p), p <= (int)w);
		if (p <= (int)w)
			assert_true(path_runs[p] >= 220);
		else
			assert_int_equal(path_runs[p], 0);
	}
	struct fw_rules *rs = random_rules(20);
	assert_int_equal(fw_cls_path_of(rs->cls), w);
	assert_int_equal(fw_cls_use_path(rs->cls, FW_CLS_PATHS), -SYS_ENOTSUP);
	assert_int_equal(fw_cls_path_of(rs->cls), w);
	fw_rules_free(rs);
	/* A default path holds for classifiers built later, until reset. */
	assert_int_equal(fw_cls_default_path(FW_CLS_SSE), 0);
	rs = random_rules(20);
	assert_int_equal(fw_cls_path_of(rs->cls), FW_CLS_SSE);
	char d[160];
	fw_cls_describe(rs->cls, d, sizeof(d));
	assert_non_null(strstr(d, ", sse"));
	fw_rules_free(rs);
	assert_int_equal(fw_cls_default_path(FW_CLS_PATHS), 0);
	rs = random_rules(20);
	assert_int_equal(fw_cls_path_of(rs->cls), w);
	fw_rules_free(rs);
}

static void test_large(void **state)
{
	(void)state;
	compare(2000, 20000);
}

static void test_empty(void **state)
{
	(void)state;
	cfg_errors_init(&errs);
	struct cfg *cfg = NULL;
	struct fw_rules *rs = NULL;
	assert_int_equal(cfg_parse("e.conf", "", 0, NULL, NULL, &cfg, &errs), 0);
	assert_int_equal(fw_rules_compile(cfg, &errs, &rs), 0);
	rs->cls = fw_cls_build(rs);
	struct fw_key k = {.fam = FW_FAM_V4, .proto = 6};
	assert_int_equal(fw_cls_classify(rs->cls, &k), -1);
	k.fam = FW_FAM_V6;
	int32_t out;
	fw_cls_classify_burst(rs->cls, &k, 1, &out);
	assert_int_equal(out, -1);
	cfg_free(cfg);
	fw_rules_free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_small),
		cmocka_unit_test(test_medium),
		cmocka_unit_test(test_large),
		cmocka_unit_test(test_paths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
