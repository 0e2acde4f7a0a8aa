/* SPDX-License-Identifier: MIT */
/*
 * test_lb_maglev.c - the load balancer's Maglev tables (nf/lb/lb_maglev.h)
 * alone: weights honoured, a removed backend moves its own slots and few
 * others, tables independent of config order; and through the function:
 * connection affinity across reloads (a removed backend drains, a changed
 * table does not move existing connections), a bad reload changes nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "dataplane/parse.h"
#include "nf/lb/lb.h"
#include "nf/lb/lb_maglev.h"
#include "tests/lib/nf_conf.h"
#include "tests/lib/nf_udp.h"

#define SEC 1000000000ull
#define M 65521u

static uint16_t table_a[M], table_b[M];

static void backends(struct lb_maglev_in *in, uint32_t n, const uint32_t *w)
{
	for (uint32_t i = 0; i < n; i++)
		in[i] = (struct lb_maglev_in){.addr = 0x0a000101u + i, .port = 8080, .id = (uint16_t)i,
					      .weight = w ? w[i] : 1};
}

static void count(const uint16_t *t, uint32_t m, uint32_t *per, uint32_t n)
{
	memset(per, 0, n * sizeof(*per));
	for (uint32_t i = 0; i < m; i++) {
		assert_true(t[i] < n);
		per[t[i]]++;
	}
}

static void test_weights(void **state)
{
	(void)state;
	struct lb_maglev_in in[4];
	const uint32_t w[4] = {1, 2, 3, 4};
	backends(in, 4, w);
	assert_int_equal(lb_maglev_fill(table_a, M, in, 4), 0);
	uint32_t per[4];
	count(table_a, M, per, 4);
	/* Turns are whole rounds of 10 slots: each share is exact to within
	 * its weight. */
	for (int i = 0; i < 4; i++) {
		double want = (double)M * w[i] / 10;
		assert_true(per[i] >= want - w[i] && per[i] <= want + w[i]);
	}
	/* Weight 0 takes nothing; all zero is an empty table. */
	in[1].weight = 0;
	assert_int_equal(lb_maglev_fill(table_a, 4099, in, 4), 0);
	for (uint32_t i = 0; i < 4099; i++)
		assert_int_not_equal(table_a[i], 1);
	for (int i = 0; i < 4; i++)
		in[i].weight = 0;
	assert_int_equal(lb_maglev_fill(table_a, 4099, in, 4), 0);
	for (uint32_t i = 0; i < 4099; i++)
		assert_int_equal(table_a[i], LB_MAGLEV_EMPTY);
	/* Sizes: primes in range only. */
	assert_int_equal(lb_maglev_fill(table_a, 4097, in, 4), -SYS_EINVAL);
	assert_int_equal(lb_maglev_fill(table_a, 5, in, 4), -SYS_EINVAL);
	assert_true(lb_is_prime(65521) && !lb_is_prime(65535) && lb_is_prime(7));
}

/* Remove one backend of N: its slots go to the others, and only a small
 * fraction of the others' slots move (Maglev trades exact minimal
 * disruption for balance; the paper's refill shuffles a few). */
static void test_minimal_disruption(void **state)
{
	(void)state;
	static const uint32_t ns[] = {3, 5, 10, 40};
	for (unsigned t = 0; t < 4; t++) {
		uint32_t n = ns[t];
		struct lb_maglev_in in[40], less[40];
		backends(in, n, NULL);
		assert_int_equal(lb_maglev_fill(table_a, M, in, n), 0);
		uint32_t gone = n / 2, k = 0;
		for (uint32_t i = 0; i < n; i++)
			if (i != gone)
				less[k++] = in[i]; /* ids kept: same backends, one fewer */
		assert_int_equal(lb_maglev_fill(table_b, M, less, n - 1), 0);
		uint32_t own = 0, others_moved = 0;
		for (uint32_t i = 0; i < M; i++) {
			assert_int_not_equal(table_b[i], gone);
			if (table_a[i] == gone)
				own++;
			else if (table_a[i] != table_b[i])
				others_moved++;
		}
		/* Its own share moved (~1/N of all) ... */
		assert_true(own >= M / n - 1 && own <= M / n + 1);
		/* ... and of the rest, under 2 % moved (measured: see the
		 * message when it fails). */
		if (others_moved * 50 > M - own)
			fail_msg("N=%u: %u of %u other slots moved", n, others_moved, M - own);
		print_message("N=%u: removing one moves its %u slots and %u (%.2f%%) of the others\n", n,
			      own, others_moved, 100.0 * others_moved / (M - own));
	}
}

/* A backend's preferences hang on its address and port only: listing the
 * backends in another order gives the same table up to the turn order. */
static void test_order_and_identity(void **state)
{
	(void)state;
	struct lb_maglev_in in[8], rev[8];
	backends(in, 8, NULL);
	for (int i = 0; i < 8; i++)
		rev[i] = in[7 - i];
	assert_int_equal(lb_maglev_fill(table_a, M, in, 8), 0);
	assert_int_equal(lb_maglev_fill(table_b, M, rev, 8), 0);
	uint32_t same = 0;
	for (uint32_t i = 0; i < M; i++)
		same += table_a[i] == table_b[i];
	assert_true(same > M * 9 / 10);
}

/* ---- through the function ---------------------------------------------------- */
static const struct nf_ops *nf;
static struct pkt_pool *pkts;

/* UDP src:sport -> dst:dport into `port`; returns the out port, and in
 * `addr`/`xport` the destination (to the servers) or source (to the
 * clients) it left with. */
static uint16_t udp1(void *st, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
		     uint16_t port, uint64_t now, uint32_t *addr, uint16_t *xport)
{
	uint16_t out;
	struct pkt *p = nf_udp1(nf, st, pkts, src, dst, sport, dport, port, now, &out);
	if (out != PKT_DROP) {
		*addr = sys_ntohl(sys_ld32(pkt_l3(p) + (port == 0 ? 16 : 12)));
		*xport = sys_ntohs(sys_ld16(pkt_l4(p) + (port == 0 ? 2 : 0)));
	}
	pkt_free(p);
	return out;
}

#define VIP 0xcb00710au   /* 203.0.113.10 */
#define CL 0xc6336400u    /* 198.51.100.0 + i */
#define BE 0x0a000100u    /* 10.0.1.0 + i */
#define NCONN 400

static const char *conf4 = "vip dns 203.0.113.10 proto udp port 53 table-size 4099\n"
			   "backend dns 10.0.1.1 port 5353\nbackend dns 10.0.1.2 port 5353\n"
			   "backend dns 10.0.1.3 port 5353\nbackend dns 10.0.1.4 port 5353\n";
/* 10.0.1.3 removed, 10.0.1.1 weighted up: both change the table. */
static const char *conf3 = "vip dns 203.0.113.10 proto udp port 53 table-size 4099\n"
			   "backend dns 10.0.1.1 port 5353 weight 3\nbackend dns 10.0.1.2 port 5353\n"
			   "backend dns 10.0.1.4 port 5353\n";

static void test_affinity_across_reload(void **state)
{
	(void)state;
	struct nf_env env = {.pool = pkts, .n_ports = 2, .flow_capacity = 4096};
	struct lb *l = nf->create(&env);
	assert_non_null(l);
	assert_int_equal(nf_configure_text(nf, l, conf4), 0);
	static uint32_t first[NCONN];
	uint32_t a, per[5] = {0};
	uint16_t x;
	for (uint32_t i = 0; i < NCONN; i++) {
		assert_int_equal(udp1(l, CL + i % 50, VIP, (uint16_t)(1000 + i), 53, 0, 1 * SEC, &a, &x), 1);
		assert_int_equal(x, 5353);
		assert_true(a > BE && a <= BE + 4);
		first[i] = a;
		per[a - BE]++;
	}
	for (int b = 1; b <= 4; b++) /* equal weights: about 100 each */
		assert_true(per[b] > 60 && per[b] < 140);
	/* Replies come back from the vip. */
	assert_int_equal(udp1(l, first[7], CL + 7, 5353, 1007, 1, 2 * SEC, &a, &x), 0);
	assert_int_equal(a, VIP);
	assert_int_equal(x, 53);
	/* A bad reload changes nothing. */
	assert_int_not_equal(nf_configure_text(nf, l, "vip dns 203.0.113.10 proto udp port 53\n"), 0);
	assert_int_equal(l->cn.c.active, NCONN);

	assert_int_equal(nf_configure_text(nf, l, conf3), 0);
	assert_int_equal(l->cn.c.active, NCONN);
	assert_int_equal(l->cn.c.dropped_by_reload, 0);
	/* Every existing connection stays where it was, 10.0.1.3's included
	 * (draining). */
	for (uint32_t i = 0; i < NCONN; i++) {
		assert_int_equal(udp1(l, CL + i % 50, VIP, (uint16_t)(1000 + i), 53, 0, 3 * SEC, &a, &x), 1);
		assert_int_equal(a, first[i]);
	}
	union flow_addr a3 = lb_addr4(sys_htonl(BE + 3));
	int32_t drain = lb_conf_backend(l->lc, 0, FLOW_FAMILY_V4, &a3, sys_htons(5353));
	assert_true(drain >= 3);
	assert_true(l->lc->be[drain].draining);
	assert_int_equal(l->lc->be[drain].c.active, per[3]);
	assert_int_equal(l->lc->be[drain].c.conns, per[3]);
	/* New connections never go to the removed backend. */
	for (uint32_t i = 0; i < NCONN; i++) {
		assert_int_equal(udp1(l, CL + 100 + i % 50, VIP, (uint16_t)(3000 + i), 53, 0, 4 * SEC, &a, &x), 1);
		assert_int_not_equal(a, BE + 3);
	}
	/* Once its connections expire, the next reload forgets it. */
	nf->expire(l, 1000 * SEC);
	assert_int_equal(l->cn.c.active, 0);
	assert_int_equal(l->lc->be[drain].c.active, 0);
	assert_int_equal(nf_configure_text(nf, l, conf3), 0);
	assert_int_equal(l->lc->n_be, 3);
	assert_int_equal(ft_count(l->cn.ft), 0);
	assert_int_equal(ft_check(l->cn.ft), 0);
	nf->destroy(l);
}

/* A reload that removes a vip ends its connections; one that keeps it but
 * changes nothing else keeps them and their counters. */
static void test_reload_removes_vip(void **state)
{
	(void)state;
	struct nf_env env = {.pool = pkts, .n_ports = 2, .flow_capacity = 64};
	struct lb *l = nf->create(&env);
	assert_int_equal(nf_configure_text(nf, l, "vip a 203.0.113.10 proto udp port 53\nbackend a 10.0.1.1\n"
				      "vip b 203.0.113.11 proto udp port 53\nbackend b 10.0.1.2\n"), 0);
	uint32_t a;
	uint16_t x;
	assert_int_equal(udp1(l, CL, VIP, 1, 53, 0, 1 * SEC, &a, &x), 1);
	assert_int_equal(a, BE + 1);
	assert_int_equal(udp1(l, CL, VIP + 1, 1, 53, 0, 1 * SEC, &a, &x), 1);
	assert_int_equal(a, BE + 2);
	assert_int_equal(nf_configure_text(nf, l, "vip b 203.0.113.11 proto udp port 53\nbackend b 10.0.1.2\n"), 0);
	assert_int_equal(l->cn.c.active, 1);
	assert_int_equal(l->cn.c.dropped_by_reload, 1);
	struct lb_counters vc;
	lb_vip_counters(l->lc, 0, &vc);
	assert_int_equal(vc.conns, 1);
	assert_int_equal(vc.pkts_to_server, 1);
	assert_int_equal(ft_count(l->cn.ft), 2);
	/* The removed vip's traffic is non-vip now (dropped by default). */
	assert_int_equal(udp1(l, CL, VIP, 1, 53, 0, 2 * SEC, &a, &x), PKT_DROP);
	assert_int_equal(l->c.drop[LB_DROP_NON_VIP], 1);
	assert_int_equal(ft_check(l->cn.ft), 0);
	nf->destroy(l);
}

/* Packets and bytes are counted per backend; a vip's totals stay exact
 * across reloads that drop a backend (idle: its traffic stays with the
 * vip) or keep it draining (its connection lives on). */
static void test_vip_totals_across_reload(void **state)
{
	(void)state;
	struct nf_env env = {.pool = pkts, .n_ports = 2, .flow_capacity = 64};
	struct lb *l = nf->create(&env);
	assert_int_equal(nf_configure_text(nf, l, "vip a 203.0.113.10 proto udp port 53\nbackend a 10.0.1.1\n"
				      "backend a 10.0.1.2\nbackend a 10.0.1.3\n"), 0);
	uint32_t a, on[4] = {0};
	uint16_t x;
	/* Client ports until each backend has had a connection. */
	for (uint16_t sp = 1; sp < 200 && !(on[1] && on[2] && on[3]); sp++) {
		assert_int_equal(udp1(l, CL, VIP, sp, 53, 0, 1 * SEC, &a, &x), 1);
		on[a - BE]++;
		assert_int_equal(udp1(l, a, CL, 53, sp, 1, 1 * SEC, &a, &x), 0);
	}
	uint32_t n = on[1] + on[2] + on[3];
	struct lb_counters vc;
	lb_vip_counters(l->lc, 0, &vc);
	assert_int_equal(vc.pkts_to_server, n);
	assert_int_equal(vc.pkts_to_client, n);
	assert_int_equal(vc.bytes_to_server, 42ull * n);
	/* Expire them all, then one connection on 10.0.1.2 only. */
	nf->expire(l, 1000 * SEC);
	assert_int_equal(l->cn.c.active, 0);
	uint16_t sp = 1000;
	do {
		assert_int_equal(udp1(l, CL, VIP, ++sp, 53, 0, 1001 * SEC, &a, &x), 1);
		n++;
	} while (a != BE + 2);
	/* 10.0.1.3 goes (idle), 10.0.1.2 goes while in use (draining). */
	assert_int_equal(nf_configure_text(nf, l, "vip a 203.0.113.10 proto udp port 53\nbackend a 10.0.1.1\n"), 0);
	assert_int_equal(l->cn.c.active, 1);
	lb_vip_counters(l->lc, 0, &vc);
	assert_int_equal(vc.pkts_to_server, n);
	assert_int_equal(vc.bytes_to_server, 42ull * n);
	/* The draining connection still counts, once. */
	assert_int_equal(udp1(l, CL, VIP, sp, 53, 0, 1002 * SEC, &a, &x), 1);
	assert_int_equal(a, BE + 2);
	lb_vip_counters(l->lc, 0, &vc);
	assert_int_equal(vc.pkts_to_server, n + 1);
	/* A second identical reload changes nothing. */
	assert_int_equal(nf_configure_text(nf, l, "vip a 203.0.113.10 proto udp port 53\nbackend a 10.0.1.1\n"), 0);
	lb_vip_counters(l->lc, 0, &vc);
	assert_int_equal(vc.pkts_to_server, n + 1);
	assert_int_equal(vc.pkts_to_client, on[1] + on[2] + on[3]);
	nf->destroy(l);
}

int main(void)
{
	nf = nf_find("lb");
	pkts = pkt_pool_create(64);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_weights),
		cmocka_unit_test(test_minimal_disruption),
		cmocka_unit_test(test_order_and_identity),
		cmocka_unit_test(test_affinity_across_reload),
		cmocka_unit_test(test_reload_removes_vip),
		cmocka_unit_test(test_vip_totals_across_reload),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	pkt_pool_destroy(pkts);
	return rc;
}
