/* SPDX-License-Identifier: MIT */
/*
 * test_lb_encap.c - the load balancer's encapsulation (nf/lb/lb_encap.h)
 * and its IPv6 vips: pkt_push_front / pkt_pull_front; IPIP, IP6IP6 and
 * GUE headers field by field with their checksums summed here
 * independently (a plain RFC 1071 loop, not dataplane/csum.c); the mtu
 * decisions; and an IPv6 vip end to end: nat rewrite checked by
 * csum_verify, a backend set down and up by address, the Maglev choice
 * consistent per flow.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/csum.h"
#include "dataplane/parse.h"
#include "dataplane/stats.h"
#include "nf/lb/lb.h"
#include "nf/lb/lb_encap.h"
#include "tests/lib/nf_conf.h"

static struct pkt_pool *pool;
static const struct nf_ops *nf;

/* RFC 1071, the slow obvious way. */
static uint16_t ref_sum(const uint8_t *b, size_t n, uint32_t acc)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		acc += (uint32_t)b[i] << 8 | b[i + 1];
	if (n & 1)
		acc += (uint32_t)b[n - 1] << 8;
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}

static uint16_t rd16(const uint8_t *b) { return (uint16_t)(b[0] << 8 | b[1]); }

static const uint8_t V6A[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0x0c, [15] = 7};
static const uint8_t V6B[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0x10, [15] = 0x10};

/* Ethernet + IPv4 (DF as asked, id 0x1234, tos 0xb8) or IPv6 (tc 0xb8,
 * flow 0x12345) + UDP with `payload` bytes; checksummed and parsed. */
static struct pkt *mk(bool v6, bool df, uint32_t payload)
{
	static uint8_t f[2000];
	memset(f, 0, sizeof(f));
	for (int i = 0; i < 12; i++)
		f[i] = (uint8_t)(0x10 + i);
	uint32_t l3 = 14, ipl = v6 ? 40 : 20, n = l3 + ipl + 8 + payload;
	if (v6) {
		f[12] = 0x86, f[13] = 0xdd;
		uint8_t *ip = f + l3;
		sys_st32(ip, sys_be32(6u << 28 | 0xb8u << 20 | 0x12345));
		sys_st16(ip + 4, sys_be16((uint16_t)(8 + payload)));
		ip[6] = IPPROTO_UDP_, ip[7] = 9;
		memcpy(ip + 8, V6A, 16);
		memcpy(ip + 24, V6B, 16);
	} else {
		f[12] = 0x08;
		struct ipv4_hdr ip = {.ver_ihl = 0x45, .tos = 0xb8, .ttl = 9, .proto = IPPROTO_UDP_,
				      .id = sys_be16(0x1234), .frag_off = df ? sys_be16(0x4000) : 0,
				      .total_len = sys_be16((uint16_t)(28 + payload)),
				      .src = sys_be32(0xc6336407), .dst = sys_be32(0xcb00710a)};
		memcpy(f + l3, &ip, 20);
	}
	uint8_t *u = f + l3 + ipl;
	sys_st16(u, sys_be16(40000));
	sys_st16(u + 2, sys_be16(53));
	sys_st16(u + 4, sys_be16((uint16_t)(8 + payload)));
	for (uint32_t i = 0; i < payload; i++)
		u[8 + i] = (uint8_t)(i * 7);
	struct pkt *p = pkt_alloc(pool);
	assert_non_null(p);
	assert_int_equal(pkt_set_data(p, f, n), 0);
	assert_int_equal(parse_pkt(p), PARSE_OK);
	assert_int_equal(csum_fill(p), 0);
	return p;
}

static void test_push_pull_front(void **state)
{
	(void)state;
	struct pkt *p = mk(false, false, 10);
	uint8_t *d0 = p->data;
	uint16_t len = p->len;
	uint32_t room = pkt_headroom(p);
	assert_ptr_equal(pkt_push_front(p, 48), d0 - 48);
	assert_int_equal(p->len, len + 48);
	assert_int_equal(pkt_headroom(p), room - 48);
	assert_null(pkt_push_front(p, room - 47)); /* one more than is left */
	assert_ptr_equal(p->data, d0 - 48);       /* unchanged */
	assert_ptr_equal(pkt_pull_front(p, 48), d0);
	assert_int_equal(p->len, len);
	assert_null(pkt_pull_front(p, (uint32_t)len + 1));
	assert_ptr_equal(pkt_push_front(p, room), pkt_buf_start(p));
	pkt_free(p);
}

static struct lb_encap en4(bool gue)
{
	struct lb_encap e = {.gue = gue, .outer_family = FLOW_FAMILY_V4,
			     .gue_port = sys_be16(6080), .flow_hash = 0xabcd1234};
	e.src.v4 = sys_be32(0xc0000264); /* 192.0.2.100 */
	e.dst.v4 = sys_be32(0x0a000401); /* 10.0.4.1 */
	return e;
}

static struct lb_encap en6(bool gue)
{
	struct lb_encap e = {.gue = gue, .outer_family = FLOW_FAMILY_V6,
			     .gue_port = sys_be16(6080), .flow_hash = 0xabcd1234};
	memcpy(e.src.v6, V6A, 16);
	e.src.v6[15] = 0x99;
	memcpy(e.dst.v6, V6B, 16);
	e.dst.v6[15] = 0x42;
	return e;
}

/* The outer IPv4 header: every field, the checksum summed here. */
static void check_outer4(const uint8_t *o, uint8_t proto, uint32_t inner, bool df, uint16_t id,
			 uint8_t tos)
{
	assert_int_equal(o[0], 0x45);
	assert_int_equal(o[1], tos);
	assert_int_equal(rd16(o + 2), 20 + inner);
	assert_int_equal(rd16(o + 4), id);
	assert_int_equal(rd16(o + 6), df ? 0x4000 : 0);
	assert_int_equal(o[8], LB_ENCAP_TTL);
	assert_int_equal(o[9], proto);
	assert_int_equal(ref_sum(o, 20, 0), 0xffff);
	assert_int_equal(rd16(o + 12), 0xc000);
	assert_int_equal(rd16(o + 16), 0x0a00);
}

static void test_ipip(void **state)
{
	(void)state;
	for (int df = 0; df < 2; df++) {
		struct pkt *p = mk(false, df, 100);
		uint8_t inner[200];
		memcpy(inner, pkt_l3(p), 128);
		struct lb_encap e = en4(false);
		assert_int_equal(lb_encap_push(p, &e, 1500), LB_ENCAP_OK);
		assert_int_equal(p->len, 14 + 20 + 128);
		assert_int_equal(rd16(p->data + 12), 0x0800);
		assert_int_equal(p->data[0], 0x10); /* MACs moved along */
		assert_int_equal(p->data[11], 0x1b);
		const uint8_t *o = p->data + 14;
		/* DF copied (RFC 2003 5.1); the ID kept only without it. */
		check_outer4(o, 4, 128, df, df ? 0 : 0x1234, 0xb8);
		assert_memory_equal(o + 20, inner, 128);
		assert_int_equal(p->l3, PKT_L3_IPV4);
		assert_int_equal(p->l4_proto, 4);
		pkt_free(p);
	}
}

static void test_ip6ip6(void **state)
{
	(void)state;
	struct pkt *p = mk(true, false, 100);
	uint8_t inner[200];
	memcpy(inner, pkt_l3(p), 148);
	struct lb_encap e = en6(false);
	assert_int_equal(lb_encap_push(p, &e, 1500), LB_ENCAP_OK);
	assert_int_equal(p->len, 14 + 40 + 148);
	assert_int_equal(rd16(p->data + 12), 0x86dd);
	const uint8_t *o = p->data + 14;
	/* version 6, traffic class copied, flow label from the flow hash */
	assert_int_equal(sys_be32(sys_ld32(o)), 6u << 28 | 0xb8u << 20 | (0xabcd1234 & 0xfffff));
	assert_int_equal(rd16(o + 4), 148);
	assert_int_equal(o[6], 41);
	assert_int_equal(o[7], LB_ENCAP_TTL);
	assert_memory_equal(o + 8, e.src.v6, 16);
	assert_memory_equal(o + 24, e.dst.v6, 16);
	assert_memory_equal(o + 40, inner, 148);
	pkt_free(p);
}

/* GUE: the UDP header and its checksum over the pseudo-header, summed
 * here; checksum 0 never sent. */
static void test_gue(void **state)
{
	(void)state;
	for (int outer6 = 0; outer6 < 2; outer6++)
		for (int in6 = 0; in6 < 2; in6++) {
			struct pkt *p = mk(in6, true, 333);
			uint32_t inner = p->l3_len;
			uint8_t saved[600];
			memcpy(saved, pkt_l3(p), inner);
			struct lb_encap e = outer6 ? en6(true) : en4(true);
			assert_int_equal(lb_encap_push(p, &e, 1500), LB_ENCAP_OK);
			uint32_t ohl = outer6 ? 40 : 20;
			const uint8_t *o = p->data + 14, *u = o + ohl;
			if (!outer6)
				check_outer4(o, 17, 8 + inner, true, 0, 0xb8);
			else
				assert_int_equal(o[6], 17);
			assert_int_equal(rd16(u), 0xc000 | (0xabcd1234 & 0x3fff));
			assert_int_equal(rd16(u + 2), 6080);
			assert_int_equal(rd16(u + 4), 8 + inner);
			assert_memory_equal(u + 8, saved, inner);
			uint32_t ps = 17 + 8 + inner;
			if (outer6)
				ps += ref_sum(o + 8, 32, 0);
			else
				ps += ref_sum(o + 12, 8, 0);
			assert_int_not_equal(rd16(u + 6), 0);
			assert_int_equal(ref_sum(u, 8 + inner, ps), 0xffff);
			assert_true(csum_verify(p)); /* the parser and csum.c agree */
			pkt_free(p);
		}
}

static void test_mtu(void **state)
{
	(void)state;
	struct lb_encap e = en4(true);
	/* 28 bytes of GUE over IPv4: 1372 fits in 1400, 1373 does not. */
	struct pkt *p = mk(false, true, 1372 - 28);
	assert_int_equal(lb_encap_push(p, &e, 1400), LB_ENCAP_OK);
	pkt_free(p);
	p = mk(false, true, 1373 - 28);
	uint8_t *d = p->data;
	assert_int_equal(lb_encap_push(p, &e, 1400), LB_ENCAP_TOO_BIG);
	assert_ptr_equal(p->data, d); /* untouched */
	pkt_free(p);
	p = mk(false, false, 1373 - 28);
	assert_int_equal(lb_encap_push(p, &e, 1400), LB_ENCAP_TOO_BIG_NO_DF);
	pkt_free(p);
	p = mk(true, false, 1400 - 48);
	assert_int_equal(lb_encap_push(p, &e, 1400), LB_ENCAP_TOO_BIG); /* IPv6: always */
	pkt_free(p);
	/* No headroom: nothing written. */
	p = mk(false, false, 10);
	p->data = pkt_buf_start(p) + 10;
	memmove(p->data, pkt_buf_start(p) + PKT_HEADROOM, p->len);
	assert_int_equal(lb_encap_push(p, &e, 1500), LB_ENCAP_NO_ROOM);
	pkt_free(p);
}

/* ---- an IPv6 vip through the function ------------------------------------- */
static struct lb *make(const char *text)
{
	struct nf_env env = {.pool = pool, .n_ports = 2, .flow_capacity = 4096};
	struct lb *l = nf->create(&env);
	assert_non_null(l);
	assert_int_equal(nf_configure_text(nf, l, text), 0);
	return l;
}

/* UDP from client [2001:db8:c::i]:sport to the vip; the last byte of
 * the backend it went to, or -1 if dropped. */
static int send6(struct lb *l, uint32_t i, uint16_t sport)
{
	struct pkt *p = mk(true, false, 8);
	uint8_t *ip = pkt_l3(p);
	ip[22] = (uint8_t)(i >> 8), ip[23] = (uint8_t)i;
	sys_st16(pkt_l4(p), sys_be16(sport));
	assert_int_equal(csum_fill(p), 0);
	p->port = 0;
	struct pkt *pk[1] = {p};
	struct nf_batch b = {.pkts = pk, .n = 1, .port = 0, .out_all = NF_OUT_PER_PKT};
	nf->process(l, &b, 1000);
	uint16_t out = b.out_all != NF_OUT_PER_PKT ? b.out_all : p->out_port;
	int r = -1;
	if (out == 1) {
		assert_true(csum_verify(p));
		assert_int_equal(rd16(pkt_l4(p) + 2), 5353);
		assert_int_equal(sys_ld32(ip + 24), sys_be32(0x20010db8));
		r = ip[39];
	}
	pkt_free(p);
	return r;
}

static void test_ipv6_vip_down_up(void **state)
{
	(void)state;
	struct lb *l = make("vip dns 2001:db8:10::10 proto udp port 53\n"
			    "backend dns 2001:db8:1::1 port 5353\nbackend dns 2001:db8:1::2 port 5353\n"
			    "backend dns 2001:db8:1::3 port 5353\n");
	int first[300], n[4] = {0};
	for (uint32_t i = 0; i < 300; i++) {
		first[i] = send6(l, i, 1000);
		assert_true(first[i] >= 1 && first[i] <= 3);
		n[first[i]]++;
		assert_int_equal(send6(l, i, 1000), first[i]); /* the same flow, the same backend */
	}
	assert_true(n[1] > 50 && n[2] > 50 && n[3] > 50);
	char ans[256];
	assert_int_equal(nf->control(l, "backend [2001:db8:1::2]:5353 down", ans, sizeof(ans)), 0);
	assert_non_null(strstr(ans, "backend [2001:db8:1::2]:5353 down (vip dns: was up)"));
	int moved = 0;
	for (uint32_t i = 0; i < 300; i++) {
		assert_int_equal(send6(l, i, 1000), first[i]); /* established stay */
		int b = send6(l, i, 2000);                      /* new ones avoid it */
		assert_true(b == 1 || b == 3);
	}
	assert_int_equal(nf->control(l, "backend 2001:db8:1::2 up", ans, sizeof(ans)), 0);
	for (uint32_t i = 0; i < 300; i++)
		moved += send6(l, i, 3000) == 2;
	assert_true(moved > 50);
	assert_int_equal(nf->control(l, "backend 2001:db8:1::9 down", ans, sizeof(ans)), -SYS_ENOENT);
	nf->destroy(l);
}

/* A reload keeps an IPv6 connection on its backend (affinity), also when
 * that backend leaves the config (draining); a vip that turns from nat to
 * an encapsulation ends its connections, counted. */
static void test_ipv6_reload_affinity(void **state)
{
	(void)state;
	const char *be3 = "backend dns 2001:db8:1::1 port 5353\nbackend dns 2001:db8:1::2 port 5353\n"
			  "backend dns 2001:db8:1::3 port 5353\n";
	char conf[512];
	snprintf(conf, sizeof(conf), "vip dns 2001:db8:10::10 proto udp port 53\n%s", be3);
	struct lb *l = make(conf);
	int first[100];
	for (uint32_t i = 0; i < 100; i++)
		first[i] = send6(l, i, 1000);
	/* 2001:db8:1::2 removed, the others reweighted. */
	assert_int_equal(nf_configure_text(nf, l, "vip dns 2001:db8:10::10 proto udp port 53\n"
						  "backend dns 2001:db8:1::1 port 5353 weight 5\n"
						  "backend dns 2001:db8:1::3 port 5353\n"),
			 0);
	for (uint32_t i = 0; i < 100; i++) {
		assert_int_equal(send6(l, i, 1000), first[i]);
		int b = send6(l, i, 2000);
		assert_true(b == 1 || b == 3);
	}
	assert_int_equal(l->cn.c.dropped_by_reload, 0);
	uint64_t active = l->cn.c.active;
	snprintf(conf, sizeof(conf),
		 "encap-source 2001:db8:ff::1\nvip dns 2001:db8:10::10 proto udp port 53 mode ip6ip6\n"
		 "backend dns 2001:db8:1::1\n");
	assert_int_equal(nf_configure_text(nf, l, conf), 0);
	assert_int_equal(l->cn.c.dropped_by_reload, active);
	assert_int_equal(l->cn.c.active, 0);
	nf->destroy(l);
}

static int setup(void **state)
{
	(void)state;
	pool = pkt_pool_create(64);
	nf = nf_find("lb");
	return pool && nf ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	pkt_pool_destroy(pool);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_push_pull_front), cmocka_unit_test(test_ipip),
		cmocka_unit_test(test_ip6ip6),          cmocka_unit_test(test_gue),
		cmocka_unit_test(test_mtu),             cmocka_unit_test(test_ipv6_vip_down_up),
		cmocka_unit_test(test_ipv6_reload_affinity),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
