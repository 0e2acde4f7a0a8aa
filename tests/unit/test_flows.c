/* SPDX-License-Identifier: MIT */
/*
 * test_flows.c - the flow dump's rounds (nf/flows.h) over real functions:
 * a dump in small chunks returns every flow once, also when flows are
 * deleted between chunks (the cursor is a table position, not a pointer);
 * the NAT's and LB's connections show once each with their mapping; fwd
 * answers that it keeps no flows; a round's lines are the protocol's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nf/firewall/fw.h"
#include "nf/flows.h"
#include "tests/lib/nf_conf.h"
#include "tests/lib/nf_udp.h"

static struct pkt_pool *pkts;

/* What the rounds of one dump said. */
struct dump {
	char text[1 << 16];
	size_t len;
	unsigned rounds;
	unsigned seen[65536]; /* by original source port */
	unsigned flows;
	char last[80];        /* the last "flows ..." line that ends a round */
};

static void out(void *ctx, const char *s, size_t n)
{
	struct dump *d = ctx;
	assert_true(d->len + n < sizeof(d->text));
	memcpy(d->text + d->len, s, n);
	d->len += n;
	d->text[d->len] = '\0';
}

/* One round from *pos; the lines are counted into d.  Returns true when
 * the round says more follow (*pos moved). */
static bool round1(const struct nf_ops *nf, void *st, uint64_t *pos, unsigned max, uint64_t now,
		   struct dump *d)
{
	d->len = 0;
	nf_flows_round(nf, st, *pos, max, now, out, d);
	d->rounds++;
	unsigned in_round = 0;
	bool more = false;
	char *save = NULL;
	for (char *l = strtok_r(d->text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		unsigned proto, sport;
		unsigned long long next;
		if (sscanf(l, "flow %u %*s %u", &proto, &sport) == 2) {
			assert_true(sport < 65536);
			d->seen[sport]++;
			d->flows++;
			in_round++;
		} else if (sscanf(l, "flows next %llu", &next) == 1) {
			assert_true(next > *pos);
			*pos = next;
			more = true;
			snprintf(d->last, sizeof(d->last), "%s", l);
		} else if (strncmp(l, "flows ", 6) == 0 && strncmp(l, "flows function ", 15) != 0) {
			snprintf(d->last, sizeof(d->last), "%s", l);
		} else {
			assert_true(strncmp(l, "flows function ", 15) == 0);
		}
	}
	assert_true(in_round <= (max ? max : NF_FLOWS_CHUNK));
	return more;
}

static void dump_all(const struct nf_ops *nf, void *st, unsigned max, uint64_t now, struct dump *d)
{
	uint64_t pos = 0;
	while (round1(nf, st, &pos, max, now, d))
		;
}

static const struct nf_ops *make(const char *name, const char *conf, void **st)
{
	const struct nf_ops *nf = nf_find(name);
	assert_non_null(nf);
	struct nf_env env = {.pool = pkts, .n_ports = 2, .flow_capacity = 256};
	*st = nf->create(&env);
	assert_non_null(*st);
	assert_int_equal(nf_configure_text(nf, *st, conf), 0);
	return nf;
}

#define IN 0x0a000001u  /* 10.0.0.1 */
#define SRV 0xc000020au /* 192.0.2.10 */
#define NOW 1000000000ull

static void udp(const struct nf_ops *nf, void *st, uint16_t sport, uint32_t dst, uint16_t port)
{
	uint16_t where;
	pkt_free(nf_udp1(nf, st, pkts, IN, dst, sport, 53, port, NOW, &where));
	assert_int_not_equal(where, PKT_DROP);
}

static const char *fw_conf = "port 0 name inside\nport 1 name outside\ndefault drop\n"
			     "accept from inside proto udp\n";

static void test_chunks_return_every_flow_once(void **state)
{
	(void)state;
	void *st;
	const struct nf_ops *nf = make("firewall", fw_conf, &st);
	for (uint16_t i = 0; i < 50; i++)
		udp(nf, st, (uint16_t)(1000 + i), SRV, 0);
	for (unsigned max = 1; max <= 64; max = max * 3 + 1) {
		struct dump *d = calloc(1, sizeof(*d));
		dump_all(nf, st, max, NOW, d);
		assert_int_equal(d->flows, 50);
		for (unsigned i = 0; i < 50; i++)
			assert_int_equal(d->seen[1000 + i], 1);
		assert_string_equal(d->last, "flows end");
		/* 50 flows in chunks of max: the last round may find nothing left. */
		assert_true(d->rounds >= (50 + max - 1) / max && d->rounds <= 50 / max + 1);
		free(d);
	}
	nf->destroy(st);
}

static void test_deleted_between_chunks(void **state)
{
	(void)state;
	void *st;
	const struct nf_ops *nf = make("firewall", fw_conf, &st);
	struct fw *fw = st;
	for (uint16_t i = 0; i < 40; i++)
		udp(nf, st, (uint16_t)(2000 + i), SRV, 0);
	struct dump *d = calloc(1, sizeof(*d));
	uint64_t pos = 0;
	assert_true(round1(nf, st, &pos, 10, NOW, d));
	assert_true(round1(nf, st, &pos, 10, NOW, d));
	assert_int_equal(d->flows, 20);
	/* Delete every third entry, on both sides of the cursor: the ones
	 * shown stay shown once, the ones ahead are not shown, and every
	 * other one still is, exactly once. */
	bool gone[65536] = {false};
	for (int32_t x = ft_next(fw->ft, 0); x >= 0; x = ft_next(fw->ft, (uint32_t)x + 1))
		if (x % 3 == 0) {
			gone[sys_ntohs(ft_entry(fw->ft, (uint32_t)x)->key.sport)] = true;
			ft_delete(fw->ft, (uint32_t)x);
		}
	unsigned behind = 0;
	for (unsigned p = 2000; p < 2040; p++)
		behind += gone[p] && d->seen[p];
	while (round1(nf, st, &pos, 10, NOW, d))
		;
	for (unsigned p = 2000; p < 2040; p++) {
		if (gone[p])
			assert_true(d->seen[p] <= 1);
		else
			assert_int_equal(d->seen[p], 1);
	}
	unsigned ngone = 0;
	for (unsigned p = 2000; p < 2040; p++)
		ngone += gone[p];
	assert_true(behind > 0 && behind < ngone); /* both sides were hit */
	assert_int_equal(d->flows, 40 - ngone + behind);
	free(d);
	nf->destroy(st);
}

static void test_expired_not_shown_and_times(void **state)
{
	(void)state;
	void *st;
	const struct nf_ops *nf = make("firewall", "port 0 name inside\nport 1 name outside\n"
						   "default drop\ntimeout udp 10\n"
						   "accept from inside proto udp\n", &st);
	udp(nf, st, 3000, SRV, 0);
	struct dump *d = calloc(1, sizeof(*d));
	uint64_t pos = 0;
	struct nf_flow f;
	memset(&f, 0, sizeof(f));
	assert_true(nf->flow_next(st, &pos, NOW + 4000000000ull, &f));
	/* Age 4 s, about 6 s left (timeouts round up to the ~1 ms tick). */
	assert_true(f.have & NF_FLOW_AGE);
	assert_true(f.age_ns >= 3998000000ull && f.age_ns <= 4002000000ull);
	assert_true(f.expires_ns >= 6000000000ull && f.expires_ns <= 6003000000ull);
	assert_string_equal(f.state, "oneway");
	char line[NF_FLOWS_LINE_MAX];
	nf_flow_encode(&f, line, sizeof(line));
	assert_memory_equal(line, "flow 17 10.0.0.1 3000 192.0.2.10 53 192.0.2.10 53 10.0.0.1 3000 oneway 600", 74);
	assert_false(nf->flow_next(st, &pos, NOW + 4000000000ull, &f));
	/* Past its timeout, before the wheel reaped it: not shown. */
	memset(d, 0, sizeof(*d));
	pos = 0;
	round1(nf, st, &pos, 0, NOW + 11000000000ull, d);
	assert_int_equal(d->flows, 0);
	assert_string_equal(d->last, "flows end");
	free(d);
	nf->destroy(st);
}

static void test_nat_and_lb_show_their_mapping(void **state)
{
	(void)state;
	void *st;
	const struct nf_ops *nf = make("nat", "port 0 name inside\nport 1 name outside\n"
					      "snat from 10.0.0.0/8 to 198.51.100.1 ports 1024-65535\n", &st);
	for (uint16_t i = 0; i < 7; i++)
		udp(nf, st, (uint16_t)(4000 + i), SRV, 0);
	struct dump *d = calloc(1, sizeof(*d));
	dump_all(nf, st, 2, NOW, d);
	assert_int_equal(d->flows, 7); /* one line per session, not per entry */
	nf->destroy(st);

	nf = make("lb", "vip dns 203.0.113.10 proto udp port 53\nbackend dns 10.0.1.1 port 5353\n", &st);
	memset(d, 0, sizeof(*d));
	for (uint16_t i = 0; i < 5; i++)
		udp(nf, st, (uint16_t)(5000 + i), 0xcb00710au, 0);
	uint64_t pos = 0;
	while (round1(nf, st, &pos, 3, NOW, d))
		;
	assert_int_equal(d->flows, 5);
	nf->destroy(st);
	free(d);
}

static void test_nat_line_has_mapping(void **state)
{
	(void)state;
	void *st;
	const struct nf_ops *nf = make("nat", "port 0 name inside\nport 1 name outside\n"
					      "snat from 10.0.0.0/8 to 198.51.100.1 ports 1024-65535\n", &st);
	udp(nf, st, 4500, SRV, 0);
	struct dump *d = calloc(1, sizeof(*d));
	dump_all(nf, st, 0, NOW, d);
	/* strtok_r cut the text at its newlines: the first line is whole. */
	assert_non_null(strstr(d->text, "flows function nat"));
	char line[NF_FLOWS_LINE_MAX];
	struct nf_flow f;
	uint64_t pos = 0;
	assert_true(nf->flow_next(st, &pos, NOW, &f));
	nf_flow_encode(&f, line, sizeof(line));
	assert_string_equal(line, "flow 17 10.0.0.1 4500 192.0.2.10 53 192.0.2.10 53 198.51.100.1 4500 "
				  "oneway 300001 nat 198.51.100.1 4500");
	free(d);
	nf->destroy(st);
}

static void test_fwd_keeps_no_flows(void **state)
{
	(void)state;
	void *st;
	const struct nf_ops *nf = make("fwd", "", &st);
	struct dump *d = calloc(1, sizeof(*d));
	uint64_t pos = 0;
	assert_false(round1(nf, st, &pos, 0, NOW, d));
	assert_string_equal(d->last, "flows none fwd keeps no flows");
	free(d);
	nf->destroy(st);
}

int main(void)
{
	pkts = pkt_pool_create(256);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chunks_return_every_flow_once),
		cmocka_unit_test(test_deleted_between_chunks),
		cmocka_unit_test(test_expired_not_shown_and_times),
		cmocka_unit_test(test_nat_and_lb_show_their_mapping),
		cmocka_unit_test(test_nat_line_has_mapping),
		cmocka_unit_test(test_fwd_keeps_no_flows),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	pkt_pool_destroy(pkts);
	return rc;
}
