/* SPDX-License-Identifier: MIT */
/*
 * test_nat_pool.c - port allocation on external addresses (nf/nat/nat_pool.h)
 * alone, and through the NAT: exhaustion is an answer, released ports come
 * back (on expiry, from the timer wheel, exactly once), port preservation,
 * the rotating cursor, sessions surviving a reload that keeps their port;
 * endpoint-independent mappings and their session counts.
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
#include "nf/nat/nat.h"
#include "tests/lib/nf_conf.h"
#include "tests/lib/nf_udp.h"

#define SEC 1000000000ull

static struct nat_pool *pool2(uint16_t lo, uint16_t hi)
{
	uint32_t addrs[2] = {sys_htonl(0xc6336401), sys_htonl(0xc6336402)};
	uint16_t l[2] = {lo, lo}, h[2] = {hi, hi};
	struct nat_pool *p = nat_pool_create(addrs, l, h, 2);
	assert_non_null(p);
	return p;
}

static void test_preserve_and_exhaust(void **state)
{
	(void)state;
	struct nat_pool *p = pool2(2000, 2003);
	assert_int_equal(nat_pool_alloc(p, 0, NAT_CLS_UDP, 2002), 2002);      /* kept */
	assert_int_equal(nat_pool_alloc(p, 0, NAT_CLS_UDP, 2002), 2000);      /* taken: first free */
	assert_int_equal(nat_pool_alloc(p, 0, NAT_CLS_UDP, 80), 2001);        /* out of range */
	assert_int_equal(nat_pool_alloc(p, 0, NAT_CLS_UDP, 80), 2003);
	assert_int_equal(nat_pool_used(p, 0, NAT_CLS_UDP), 4);
	assert_int_equal(nat_pool_alloc(p, 0, NAT_CLS_UDP, 2001), -SYS_ENOSPC);
	assert_int_equal(nat_pool_alloc(p, 0, NAT_CLS_UDP, 9), -SYS_ENOSPC);
	/* Classes and addresses are separate. */
	assert_int_equal(nat_pool_alloc(p, 0, NAT_CLS_TCP, 2002), 2002);
	assert_int_equal(nat_pool_alloc(p, 1, NAT_CLS_UDP, 2002), 2002);
	assert_int_equal(nat_pool_used(p, 1, NAT_CLS_UDP), 1);
	nat_pool_free(p);
}

static void test_release_and_reuse(void **state)
{
	(void)state;
	struct nat_pool *p = pool2(100, 299); /* 200 ports: more than 3 words */
	/* Inside port 1 is odd: the odd ports first, then the even ones. */
	for (int i = 0; i < 100; i++)
		assert_int_equal(nat_pool_alloc(p, 1, NAT_CLS_TCP, 1), 101 + 2 * i);
	for (int i = 0; i < 100; i++)
		assert_int_equal(nat_pool_alloc(p, 1, NAT_CLS_TCP, 1), 100 + 2 * i);
	assert_int_equal(nat_pool_alloc(p, 1, NAT_CLS_TCP, 1), -SYS_ENOSPC);
	assert_true(nat_pool_release(p, 1, NAT_CLS_TCP, 150));
	assert_false(nat_pool_release(p, 1, NAT_CLS_TCP, 150)); /* twice: no-op */
	assert_false(nat_pool_release(p, 1, NAT_CLS_TCP, 99));  /* out of range */
	assert_int_equal(nat_pool_used(p, 1, NAT_CLS_TCP), 199);
	/* The only free port is found wherever the cursor is (it wraps). */
	assert_int_equal(nat_pool_alloc(p, 1, NAT_CLS_TCP, 1), 150);
	/* Released ports are not handed out again at once: the cursor moves on. */
	assert_true(nat_pool_release(p, 1, NAT_CLS_TCP, 120));
	assert_true(nat_pool_release(p, 1, NAT_CLS_TCP, 200));
	assert_int_equal(nat_pool_alloc(p, 1, NAT_CLS_TCP, 1), 200);
	assert_int_equal(nat_pool_alloc(p, 1, NAT_CLS_TCP, 1), 120);
	/* take: exactly that port or nothing. */
	assert_false(nat_pool_take(p, 1, NAT_CLS_TCP, 120));
	assert_true(nat_pool_release(p, 1, NAT_CLS_TCP, 120));
	assert_true(nat_pool_take(p, 1, NAT_CLS_TCP, 120));
	assert_int_equal(nat_pool_find(p, sys_htonl(0xc6336402)), 1);
	assert_int_equal(nat_pool_find(p, sys_htonl(0xc6336403)), -1);
	nat_pool_free(p);
}

/* RFC 4787 REQ-3a and REQ-4: the class of the inside port is kept while
 * the range holds ports of it, its parity where possible; ICMP
 * identifiers have neither. */
static void test_class_and_parity(void **state)
{
	(void)state;
	struct nat_pool *p = pool2(1, 65535);
	assert_int_equal(nat_pool_alloc(p, 0, NAT_CLS_UDP, 5004), 5004);
	assert_int_equal(nat_pool_alloc(p, 0, NAT_CLS_UDP, 5004), 1024); /* even, >= 1024 */
	assert_int_equal(nat_pool_alloc(p, 0, NAT_CLS_UDP, 5005), 5005);
	assert_int_equal(nat_pool_alloc(p, 0, NAT_CLS_UDP, 5005), 1025);
	assert_int_equal(nat_pool_alloc(p, 0, NAT_CLS_UDP, 123), 123);
	assert_int_equal(nat_pool_alloc(p, 0, NAT_CLS_UDP, 123), 1);     /* well-known, odd */
	assert_int_equal(nat_pool_alloc(p, 0, NAT_CLS_UDP, 124), 124);
	assert_int_equal(nat_pool_alloc(p, 0, NAT_CLS_UDP, 124), 2);
	nat_pool_free(p);

	/* 24 well-known ports, 7 others: a class used up is refused, never
	 * served from the other class. */
	p = pool2(1000, 1030);
	static const int high[7] = {1024, 1026, 1028, 1030, 1025, 1027, 1029};
	for (int i = 0; i < 7; i++)
		assert_int_equal(nat_pool_alloc(p, 0, NAT_CLS_TCP, 40000), high[i]);
	assert_int_equal(nat_pool_alloc(p, 0, NAT_CLS_TCP, 40000), -SYS_ENOSPC);
	assert_int_equal(nat_pool_alloc(p, 0, NAT_CLS_TCP, 80), 1000);
	for (int i = 0; i < 23; i++)
		assert_true(nat_pool_alloc(p, 0, NAT_CLS_TCP, 80) < 1024);
	assert_int_equal(nat_pool_alloc(p, 0, NAT_CLS_TCP, 80), -SYS_ENOSPC);
	nat_pool_free(p);

	/* A range without well-known ports serves them all (tested above
	 * with 2000-2003 and port 80); ICMP identifiers in order. */
	p = pool2(100, 103);
	assert_int_equal(nat_pool_alloc(p, 0, NAT_CLS_ICMP, 100), 100);
	assert_int_equal(nat_pool_alloc(p, 0, NAT_CLS_ICMP, 100), 101);
	assert_int_equal(nat_pool_alloc(p, 0, NAT_CLS_ICMP, 100), 102);
	nat_pool_free(p);
}

/* take_for (the NAT's port reclaim: the port a session just gave back)
 * keeps the inside port's class; a full class window is refused at once,
 * with the other class's ports still free (counted per class). */
static void test_take_for_and_full_window(void **state)
{
	(void)state;
	struct nat_pool *p = pool2(1000, 1030);
	assert_true(nat_pool_take_for(p, 0, NAT_CLS_UDP, 40000, 1025));
	assert_false(nat_pool_take_for(p, 0, NAT_CLS_UDP, 40000, 1025)); /* held */
	assert_false(nat_pool_take_for(p, 0, NAT_CLS_UDP, 40000, 1001)); /* well-known for a high port */
	assert_false(nat_pool_take_for(p, 0, NAT_CLS_UDP, 80, 1026));    /* and the other way */
	assert_true(nat_pool_take_for(p, 0, NAT_CLS_UDP, 80, 1001));
	assert_false(nat_pool_take_for(p, 0, NAT_CLS_UDP, 80, 999));     /* out of range */
	for (int i = 0; i < 6; i++)
		assert_true(nat_pool_alloc(p, 0, NAT_CLS_UDP, 40000) >= 1024);
	assert_int_equal(nat_pool_alloc(p, 0, NAT_CLS_UDP, 40000), -SYS_ENOSPC); /* 7 of 7 high */
	assert_int_equal(nat_pool_used(p, 0, NAT_CLS_UDP), 8);
	assert_true(nat_pool_alloc(p, 0, NAT_CLS_UDP, 80) < 1024); /* 22 well-known left */
	assert_true(nat_pool_release(p, 0, NAT_CLS_UDP, 1030));
	assert_int_equal(nat_pool_alloc(p, 0, NAT_CLS_UDP, 40000), 1030); /* the window counts again */
	/* The ICMP window is the whole range. */
	assert_true(nat_pool_take_for(p, 0, NAT_CLS_ICMP, 40000, 1001));
	nat_pool_free(p);
}

/* ---- through the function ---------------------------------------------------- */
static const struct nf_ops *nf;
static struct pkt_pool *pkts;

static void *make_nat(const char *text)
{
	struct nf_env env = {.pool = pkts, .n_ports = 2, .flow_capacity = 64};
	void *st = nf->create(&env);
	assert_non_null(st);
	assert_int_equal(nf_configure_text(nf, st, text), 0);
	return st;
}

/* UDP src:sport -> dst:dport arriving on `port`; returns its out port and
 * what its source port (if it left outside) or destination port became. */
static uint16_t udp1(void *st, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
		     uint16_t port, uint64_t now, uint16_t *xport)
{
	uint16_t out;
	struct pkt *p = nf_udp1(nf, st, pkts, src, dst, sport, dport, port, now, &out);
	if (out != PKT_DROP)
		*xport = sys_ntohs(sys_ld16(pkt_l4(p) + (port == 0 ? 0 : 2)));
	pkt_free(p);
	return out;
}

#define A 0x0a000001u
#define B 0xc000020au
#define EXT 0xc6336401u

static void test_release_on_expiry(void **state)
{
	(void)state;
	struct nat *n = make_nat("port 0 name inside\nport 1 name outside\n"
				 "snat from 10.0.0.0/8 to 198.51.100.1 ports 2000-2001\ntimeout udp 2\n");
	uint16_t x;
	assert_int_equal(udp1(n, A, B, 2001, 53, 0, 1 * SEC, &x), 1);
	assert_int_equal(x, 2001);
	assert_int_equal(udp1(n, A + 1, B, 2001, 53, 0, 1 * SEC, &x), 1);
	assert_int_equal(x, 2000);
	/* Both answered: neither port may be reclaimed (test_port_reclaim). */
	assert_int_equal(udp1(n, B, EXT, 53, 2000, 1, 1 * SEC, &x), 0);
	assert_int_equal(udp1(n, B, EXT, 53, 2001, 1, 1 * SEC, &x), 0);
	assert_int_equal(udp1(n, A + 2, B, 7, 53, 0, 1 * SEC, &x), PKT_DROP);
	assert_int_equal(n->c.drop[NAT_DROP_PORTS_EXHAUSTED], 1);
	/* A reply keeps the first session alive. */
	assert_int_equal(udp1(n, B, EXT, 53, 2001, 1, 2 * SEC, &x), 0);
	assert_int_equal(x, 2001);
	/* The wheel expires the second one (once), and its port is free. */
	nf->expire(n, 3 * SEC + SEC / 2);
	assert_int_equal(n->cn.c.expired, 1);
	assert_int_equal(n->cn.c.active, 1);
	assert_int_equal(nat_pool_used(n->nc->pool, 0, NAT_CLS_UDP), 1);
	assert_int_equal(ft_count(n->cn.ft), 2);
	nf->expire(n, 3 * SEC + SEC / 2 + 1);
	assert_int_equal(n->cn.c.expired, 1);
	assert_int_equal(udp1(n, A + 2, B, 7, 53, 0, 3 * SEC + SEC / 2, &x), 1);
	assert_int_equal(x, 2000);
	/* Everything expires: the table and the pool are empty again. */
	nf->expire(n, 60 * SEC);
	assert_int_equal(n->cn.c.expired, 3);
	assert_int_equal(n->cn.c.active, 0);
	assert_int_equal(ft_count(n->cn.ft), 0);
	assert_int_equal(nat_pool_used(n->nc->pool, 0, NAT_CLS_UDP), 0);
	assert_int_equal(ft_check(n->cn.ft), 0);
	nf->destroy(n);
}

/* A session expired but not yet reaped still holds its port; a new one
 * that needs the port reaps it first instead of calling the pool full. */
static void test_reap_before_exhaustion(void **state)
{
	(void)state;
	struct nat *n = make_nat("snat from 10.0.0.0/8 to 198.51.100.1 ports 3000-3000\ntimeout udp 1\n");
	uint16_t x;
	assert_int_equal(udp1(n, A, B, 1, 53, 0, 1 * SEC, &x), 1);
	assert_int_equal(x, 3000);
	assert_int_equal(udp1(n, A + 1, B, 1, 53, 0, 3 * SEC, &x), 1);
	assert_int_equal(x, 3000);
	assert_int_equal(n->cn.c.expired, 1);
	assert_int_equal(n->c.drop[NAT_DROP_PORTS_EXHAUSTED], 0);
	/* Replies to port 3000 now reach the new session's host. */
	assert_int_equal(udp1(n, B, EXT, 53, 3000, 1, 3 * SEC, &x), 0);
	assert_int_equal(x, 1);
	assert_int_equal(udp1(n, B, EXT, 53, 1, 1, 3 * SEC, &x), PKT_DROP);
	nf->destroy(n);
}

static void test_reload(void **state)
{
	(void)state;
	struct nat *n = make_nat("snat from 10.0.0.0/8 to { 198.51.100.1 198.51.100.2 }\n");
	uint16_t x;
	/* Two hosts; where each lands follows the paired-pool hash. */
	for (uint32_t h = 0; h < 8; h++)
		assert_int_equal(udp1(n, A + h, B, 5000, 53, 0, 1 * SEC, &x), 1);
	assert_int_equal(n->cn.c.active, 8);
	uint32_t on2 = nat_pool_used(n->nc->pool, 1, NAT_CLS_UDP);
	assert_true(on2 > 0 && on2 < 8);
	/* A bad config changes nothing. */
	assert_int_not_equal(nf_configure_text(nf, n, "snat from 10.0.0.0/8 to 198.51.100.1 ports 9-1\n"), 0);
	assert_int_equal(n->cn.c.active, 8);
	/* Keep .1 only: its sessions survive with their ports, .2's end. */
	assert_int_equal(nf_configure_text(nf, n, "snat from 10.0.0.0/8 to 198.51.100.1\n"), 0);
	assert_int_equal(n->cn.c.active, 8 - on2);
	assert_int_equal(n->cn.c.dropped_by_reload, on2);
	assert_int_equal(nat_pool_used(n->nc->pool, 0, NAT_CLS_UDP), 8 - on2);
	assert_int_equal(ft_count(n->cn.ft), 2 * (8 - on2));
	assert_int_equal(ft_check(n->cn.ft), 0);
	nf->expire(n, 3600 * SEC);
	assert_int_equal(nat_pool_used(n->nc->pool, 0, NAT_CLS_UDP), 0);
	assert_int_equal(ft_count(n->cn.ft), 0);
	nf->destroy(n);
}

/* Same port on inside and outside: refused without a location. */
static void test_ports_must_differ(void **state)
{
	(void)state;
	static struct cfg_errors errs;
	struct cfg *cfg = NULL;
	const char *text = "port 1 name inside\nsnat from any to 198.51.100.1\n";
	cfg_errors_init(&errs);
	assert_int_equal(cfg_parse("t.conf", text, strlen(text), NULL, NULL, &cfg, &errs), 0);
	struct nf_env env = {.pool = pkts, .n_ports = 2, .flow_capacity = 8};
	void *st = nf->create(&env);
	assert_int_not_equal(nf->configure(st, cfg, &errs), 0);
	assert_string_equal(cfg_errors_get(&errs, 0),
			    "the inside and the outside are both port 1; name two ports 'inside' and 'outside'");
	cfg_free(cfg);
	nf->destroy(st);
}

/* Endpoint-independent mapping: one inside endpoint, one external port
 * for every destination; the mapping counts its sessions and the port
 * goes back exactly once, with the last of them. */
static void test_eim_refcount(void **state)
{
	(void)state;
	struct nat *n = make_nat("snat from 10.0.0.0/8 to 198.51.100.1 ports 2000-2001\n"
				 "mapping endpoint-independent\ntimeout udp 10\n");
	uint16_t x;
	assert_int_equal(udp1(n, A, B, 2001, 53, 0, 1 * SEC, &x), 1);
	assert_int_equal(x, 2001);
	/* Same endpoint, two other destinations: the same port, no new one. */
	assert_int_equal(udp1(n, A, B + 1, 2001, 53, 0, 2 * SEC, &x), 1);
	assert_int_equal(x, 2001);
	assert_int_equal(udp1(n, A, B, 2001, 54, 0, 3 * SEC, &x), 1);
	assert_int_equal(x, 2001);
	assert_int_equal(n->cn.c.active, 3);
	assert_int_equal(n->map.n, 1);
	assert_int_equal(nat_map_find(&n->map, &(union flow_addr){.u64 = {sys_htonl(A), 0}}, 2001, NAT_CLS_UDP)->refs, 3);
	assert_int_equal(nat_pool_used(n->nc->pool, 0, NAT_CLS_UDP), 1);
	/* Each remote answers its own session (address-and-port-dependent
	 * filtering): B:53 and B+1:53 pass, an unknown remote does not. */
	assert_int_equal(udp1(n, B + 1, EXT, 53, 2001, 1, 4 * SEC, &x), 0);
	assert_int_equal(x, 2001);
	assert_int_equal(udp1(n, B + 2, EXT, 53, 2001, 1, 4 * SEC, &x), PKT_DROP);
	assert_int_equal(n->c.drop[NAT_DROP_NO_MAPPING], 1);
	/* Another endpoint on the other port, answered; then none is left
	 * (A's unanswered sessions share their mapping: ending one frees
	 * no port, so none is ended for it). */
	assert_int_equal(udp1(n, A + 1, B, 2001, 53, 0, 4 * SEC, &x), 1);
	assert_int_equal(x, 2000);
	assert_int_equal(udp1(n, B, EXT, 53, 2000, 1, 4 * SEC, &x), 0);
	assert_int_equal(udp1(n, A + 2, B, 2001, 53, 0, 4 * SEC, &x), PKT_DROP);
	assert_int_equal(n->cn.c.early_dropped, 0);
	/* The first session expires (11 s): the mapping lives on. */
	nf->expire(n, 11 * SEC + SEC / 2);
	assert_int_equal(n->cn.c.expired, 1);
	assert_int_equal(nat_map_find(&n->map, &(union flow_addr){.u64 = {sys_htonl(A), 0}}, 2001, NAT_CLS_UDP)->refs, 2);
	assert_int_equal(nat_pool_used(n->nc->pool, 0, NAT_CLS_UDP), 2);
	/* A new session of the endpoint joins the mapping. */
	assert_int_equal(udp1(n, A, B + 3, 2001, 53, 0, 12 * SEC, &x), 1);
	assert_int_equal(x, 2001);
	assert_int_equal(nat_map_find(&n->map, &(union flow_addr){.u64 = {sys_htonl(A), 0}}, 2001, NAT_CLS_UDP)->refs, 3);
	/* All but the last: still held. */
	nf->expire(n, 14 * SEC + SEC / 2);
	assert_int_equal(n->cn.c.expired, 4);
	assert_int_equal(nat_map_find(&n->map, &(union flow_addr){.u64 = {sys_htonl(A), 0}}, 2001, NAT_CLS_UDP)->refs, 1);
	assert_int_equal(nat_pool_used(n->nc->pool, 0, NAT_CLS_UDP), 1);
	/* The last one: the mapping and its port go, once. */
	nf->expire(n, 30 * SEC);
	assert_int_equal(n->cn.c.expired, 5);
	assert_int_equal(n->cn.c.active, 0);
	assert_int_equal(n->map.n, 0);
	assert_null(nat_map_find(&n->map, &(union flow_addr){.u64 = {sys_htonl(A), 0}}, 2001, NAT_CLS_UDP));
	assert_int_equal(nat_pool_used(n->nc->pool, 0, NAT_CLS_UDP), 0);
	assert_int_equal(ft_count(n->cn.ft), 0);
	/* Free for anyone now. */
	assert_int_equal(udp1(n, A + 2, B, 2001, 53, 0, 31 * SEC, &x), 1);
	assert_int_equal(x, 2001);
	nf->destroy(n);
}

/* Address-and-port-dependent mapping: every session its own port; and a
 * reload keeps the mappings' counts (rebuilt from the live sessions). */
static void test_apdm_and_reload(void **state)
{
	(void)state;
	struct nat *n = make_nat("snat from 10.0.0.0/8 to 198.51.100.1 ports 2000-2009\n"
				 "mapping address-port-dependent\n");
	uint16_t x;
	assert_int_equal(udp1(n, A, B, 2005, 53, 0, 1 * SEC, &x), 1);
	assert_int_equal(x, 2005);
	assert_int_equal(udp1(n, A, B + 1, 2005, 53, 0, 1 * SEC, &x), 1);
	assert_int_not_equal(x, 2005);
	assert_int_equal(n->map.n, 0);
	assert_int_equal(nat_pool_used(n->nc->pool, 0, NAT_CLS_UDP), 2);
	/* Now endpoint-independent: A:2007 twice shares a port; the old
	 * sessions keep theirs. */
	assert_int_equal(nf_configure_text(nf, n, "snat from 10.0.0.0/8 to 198.51.100.1 ports 2000-2009\n"
				      "mapping endpoint-independent\n"), 0);
	assert_int_equal(udp1(n, A, B, 2007, 53, 0, 2 * SEC, &x), 1);
	assert_int_equal(x, 2007);
	assert_int_equal(udp1(n, A, B + 1, 2007, 53, 0, 2 * SEC, &x), 1);
	assert_int_equal(x, 2007);
	assert_int_equal(nat_pool_used(n->nc->pool, 0, NAT_CLS_UDP), 3);
	/* A reload (ports narrowed, 2007 still in): counts rebuilt. */
	assert_int_equal(nf_configure_text(nf, n, "snat from 10.0.0.0/8 to 198.51.100.1 ports 2000-2008\n"
				      "mapping endpoint-independent\n"), 0);
	assert_int_equal(n->cn.c.active, 4);
	assert_int_equal(n->map.n, 1);
	assert_int_equal(nat_map_find(&n->map, &(union flow_addr){.u64 = {sys_htonl(A), 0}}, 2007, NAT_CLS_UDP)->refs, 2);
	assert_int_equal(nat_pool_used(n->nc->pool, 0, NAT_CLS_UDP), 3);
	/* A reload without 2007: both of its sessions end, nothing leaks. */
	assert_int_equal(nf_configure_text(nf, n, "snat from 10.0.0.0/8 to 198.51.100.1 ports 2000-2006\n"
				      "mapping endpoint-independent\n"), 0);
	assert_int_equal(n->cn.c.active, 2);
	assert_int_equal(n->cn.c.dropped_by_reload, 2);
	assert_int_equal(n->map.n, 0);
	assert_int_equal(nat_pool_used(n->nc->pool, 0, NAT_CLS_UDP), 2);
	nf->expire(n, 3600 * SEC);
	assert_int_equal(nat_pool_used(n->nc->pool, 0, NAT_CLS_UDP), 0);
	assert_int_equal(ft_check(n->cn.ft), 0);
	nf->destroy(n);
}

int main(void)
{
	nf = nf_find("nat");
	pkts = pkt_pool_create(64);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_preserve_and_exhaust),
		cmocka_unit_test(test_release_and_reuse),
		cmocka_unit_test(test_class_and_parity),
		cmocka_unit_test(test_take_for_and_full_window),
		cmocka_unit_test(test_release_on_expiry),
		cmocka_unit_test(test_reap_before_exhaustion),
		cmocka_unit_test(test_reload),
		cmocka_unit_test(test_ports_must_differ),
		cmocka_unit_test(test_eim_refcount),
		cmocka_unit_test(test_apdm_and_reload),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	pkt_pool_destroy(pkts);
	return rc;
}
