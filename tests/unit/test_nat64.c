/* SPDX-License-Identifier: MIT */
/*
 * test_nat64.c - the NAT's NAT64 sessions across a reload (nf/nat/nat64.h):
 * established packets go the bulk way, which trusts what the session's key
 * says, so a reload that makes a session's remote one of the pool's
 * addresses must still see its packets go the hairpinning way (nat64.h),
 * as they would before the session took the bulk way - dropped as
 * no_mapping here, no inside host holding that endpoint - and pass again
 * once the address leaves the pool.  The golden cases (nat64-*) cover the packets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/csum.h"
#include "dataplane/parse.h"
#include "nf/nat/nat.h"
#include "tests/lib/nf_conf.h"

#define SEC 1000000000ull

static const struct nf_ops *nf;
static struct pkt_pool *pkts;

/* 2001:db8:1::5 port 5000 -> 64:ff9b::192.0.2.10 port 53, UDP, through
 * the NAT from the inside (port 0); where it went. */
static uint16_t udp6_out(void *st, uint64_t now)
{
	static const uint8_t src[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 5};
	static const uint8_t dst[16] = {0, 0x64, 0xff, 0x9b, [12] = 192, 0, 2, 10};
	uint8_t f[14 + 40 + 8] = {[12] = 0x86, [13] = 0xdd};
	uint8_t *ip = f + 14, *u = ip + 40;
	ip[0] = 0x60;
	ip[5] = 8;
	ip[6] = IPPROTO_UDP_;
	ip[7] = 64;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
	sys_st16(u, sys_htons(5000));
	sys_st16(u + 2, sys_htons(53));
	sys_st16(u + 4, sys_htons(8));
	struct pkt *p = pkt_alloc(pkts);
	assert_non_null(p);
	assert_int_equal(pkt_set_data(p, f, sizeof(f)), 0);
	p->port = 0;
	assert_int_equal(parse_pkt(p), PARSE_OK);
	assert_int_equal(csum_fill(p), 0);
	struct pkt *pk[1] = {p};
	struct nf_batch b = {.pkts = pk, .n = 1, .port = 0, .out_all = NF_OUT_PER_PKT};
	nf->process(st, &b, now);
	uint16_t out = b.out_all != NF_OUT_PER_PKT ? b.out_all : p->out_port;
	if (out != PKT_DROP) {
		assert_int_equal(p->l3, PKT_L3_IPV4);
		assert_true(csum_verify(p));
	}
	pkt_free(p);
	return out;
}

static void test_reload_makes_remote_ours(void **state)
{
	(void)state;
	struct nf_env env = {.pool = pkts, .n_ports = 2, .flow_capacity = 64};
	struct nat *n = nf->create(&env);
	assert_non_null(n);
	const char *conf = "nat64\nsnat from 2001:db8:1::/48 to 198.51.100.1\n";
	const char *conf_ours = "nat64\nsnat from 2001:db8:1::/48 to { 198.51.100.1 192.0.2.10 }\n";
	assert_int_equal(nf_configure_text(nf, n, conf), 0);
	assert_int_equal(udp6_out(n, 1 * SEC), 1); /* opens the session */
	assert_int_equal(udp6_out(n, 2 * SEC), 1); /* established */
	assert_int_equal(nf_configure_text(nf, n, conf_ours), 0);
	assert_int_equal(n->cn.c.active, 1); /* kept: its address is still there */
	assert_int_equal(udp6_out(n, 3 * SEC), PKT_DROP);
	assert_int_equal(n->c.drop[NAT_DROP_NO_MAPPING], 1);
	assert_int_equal(nf_configure_text(nf, n, conf), 0);
	assert_int_equal(udp6_out(n, 4 * SEC), 1);
	assert_int_equal(n->c.nat64_out, 3);
	assert_int_equal(n->cn.c.created, 1);
	nf->destroy(n);
}

/* A session opened hairpinned (to PREFIX + a pool address) has no outside
 * key; a reload that takes that address out of the pool ends it (nothing
 * could answer it), and the next packet opens an ordinary session. */
static void test_reload_ends_stale_hairpin(void **state)
{
	(void)state;
	struct nf_env env = {.pool = pkts, .n_ports = 2, .flow_capacity = 64};
	struct nat *n = nf->create(&env);
	assert_non_null(n);
	const char *conf = "nat64\nsnat from 2001:db8:1::/48 to 198.51.100.1\n";
	const char *conf_ours = "nat64\nsnat from 2001:db8:1::/48 to { 198.51.100.1 192.0.2.10 }\n";
	assert_int_equal(nf_configure_text(nf, n, conf_ours), 0);
	assert_int_equal(udp6_out(n, 1 * SEC), PKT_DROP); /* nobody's endpoint */
	assert_int_equal(n->c.drop[NAT_DROP_NO_MAPPING], 1);
	assert_int_equal(n->cn.c.active, 1); /* the session stays (hole punching) */
	assert_int_equal(nf_configure_text(nf, n, conf), 0);
	assert_int_equal(n->cn.c.active, 0);
	assert_int_equal(n->cn.c.dropped_by_reload, 1);
	assert_int_equal(udp6_out(n, 2 * SEC), 1);
	assert_int_equal(n->cn.c.created, 2);
	nf->destroy(n);
}

int main(void)
{
	nf = nf_find("nat");
	pkts = pkt_pool_create(16);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reload_makes_remote_ours),
		cmocka_unit_test(test_reload_ends_stale_hairpin),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	pkt_pool_destroy(pkts);
	return rc;
}
