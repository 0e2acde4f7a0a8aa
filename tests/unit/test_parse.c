/* SPDX-License-Identifier: MIT */
/*
 * test_parse.c - parse_pkt() on well-formed packets of every kind: exact
 * offsets, lengths and flags; plus the decisions parse.h documents (tiny
 * fragments, jumbograms, atomic fragments, extension header depth).
 * Malformed inputs at large are test_malformed.c's job.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/parse.h"

/* ---- a tiny frame builder ------------------------------------------------- */

struct fb {
	uint8_t b[PKT_DATA_ROOM];
	uint32_t n;
};

static uint32_t put(struct fb *f, const void *p, uint32_t n)
{
	uint32_t at = f->n;
	assert_true(f->n + n <= sizeof(f->b));
	if (p)
		memcpy(f->b + f->n, p, n);
	else
		memset(f->b + f->n, 0, n);
	f->n += n;
	return at;
}

static void put8(struct fb *f, uint8_t v) { put(f, &v, 1); }
static void put16(struct fb *f, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	put(f, b, 2);
}
static void set16(struct fb *f, uint32_t at, uint16_t v)
{
	f->b[at] = (uint8_t)(v >> 8);
	f->b[at + 1] = (uint8_t)v;
}

static void eth(struct fb *f, uint16_t type)
{
	static const uint8_t macs[12] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1};
	f->n = 0;
	put(f, macs, 12);
	put16(f, type);
}

/* Tag: TCI then the next ethertype (the TPID is the previous type). */
static void tag(struct fb *f, uint16_t tci, uint16_t next)
{
	put16(f, tci);
	put16(f, next);
}

/* IPv4 header with `opt` bytes of NOP options; total length set by v4_end. */
static uint32_t ipv4(struct fb *f, uint8_t proto, uint32_t opt, uint16_t frag)
{
	uint32_t at = f->n;
	put8(f, (uint8_t)(0x40 | (5 + opt / 4)));
	put8(f, 0);
	put16(f, 0);
	put16(f, 0x1234);
	put16(f, frag);
	put8(f, 64);
	put8(f, proto);
	put16(f, 0);
	static const uint8_t addrs[8] = {192, 0, 2, 1, 198, 51, 100, 2};
	put(f, addrs, 8);
	for (uint32_t i = 0; i < opt; i++)
		put8(f, 1);
	return at;
}
static void v4_end(struct fb *f, uint32_t at) { set16(f, at + 2, (uint16_t)(f->n - at)); }

static uint32_t ipv6(struct fb *f, uint8_t next)
{
	uint32_t at = f->n;
	put16(f, 0x6000);
	put16(f, 0);
	put16(f, 0);
	put8(f, next);
	put8(f, 64);
	uint8_t a[32] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1, 0x20, 0x01, 0x0d, 0xb8, [31] = 2};
	put(f, a, 32);
	return at;
}
static void v6_end(struct fb *f, uint32_t at) { set16(f, at + 4, (uint16_t)(f->n - at - 40)); }

/* Hop-by-hop / routing / dest options: (units + 1) * 8 bytes. */
static void ext(struct fb *f, uint8_t next, uint8_t units)
{
	put8(f, next);
	put8(f, units);
	put(f, NULL, (units + 1u) * 8 - 2);
}
static void ext_ah(struct fb *f, uint8_t next, uint8_t len)
{
	put8(f, next);
	put8(f, len);
	put(f, NULL, (len + 2u) * 4 - 2);
}
static void ext_frag(struct fb *f, uint8_t next, uint16_t off8, bool more)
{
	put8(f, next);
	put8(f, 0);
	put16(f, (uint16_t)(off8 << 3 | more));
	put(f, NULL, 4);
}

static void tcp(struct fb *f, uint32_t doff, uint32_t payload)
{
	uint32_t at = put(f, NULL, doff * 4 + payload);
	f->b[at + 12] = (uint8_t)(doff << 4);
}
static void udp(struct fb *f, uint32_t payload)
{
	uint32_t at = put(f, NULL, 8 + payload);
	set16(f, at + 4, (uint16_t)(8 + payload));
}

/* ---- running the parser --------------------------------------------------- */

static union {
	struct pkt p;
	uint8_t raw[PKT_BUF_SIZE];
} pbuf __attribute__((aligned(PKT_BUF_SIZE)));

static struct pkt *run(const struct fb *f, enum parse_result want)
{
	struct pkt *p = &pbuf.p;
	pkt_reset(p);
	assert_int_equal(pkt_set_data(p, f->b, f->n), 0);
	enum parse_result r = parse_pkt(p);
	if (r != want)
		fail_msg("parse: got %s, want %s", parse_err_name(r), parse_err_name(want));
	return p;
}

struct want {
	uint8_t l3, l4_proto;
	uint16_t l3_off, l4_off, l3_len, flags, tci;
};

static void check(const struct pkt *p, struct want w)
{
	assert_int_equal(p->l3, w.l3);
	assert_int_equal(p->l3_off, w.l3_off);
	assert_int_equal(p->l3_len, w.l3_len);
	assert_int_equal(p->l4_proto, w.l4_proto);
	assert_int_equal(p->l4_off, w.l4_off);
	if (p->flags != w.flags)
		fail_msg("flags %#x, want %#x", p->flags, w.flags);
	assert_int_equal(p->vlan_tci, w.tci);
}

/* ---- IPv4 ----------------------------------------------------------------- */

static void test_ipv4_udp_tcp_icmp(void **state)
{
	(void)state;
	struct fb f;
	uint32_t ip;

	eth(&f, ETH_TYPE_IPV4);
	ip = ipv4(&f, IPPROTO_UDP_, 0, 0);
	udp(&f, 18);
	v4_end(&f, ip);
	check(run(&f, PARSE_OK), (struct want){.l3 = PKT_L3_IPV4, .l3_off = 14, .l3_len = 46,
					      .l4_proto = 17, .l4_off = 34, .flags = PKT_F_L4});

	eth(&f, ETH_TYPE_IPV4);
	ip = ipv4(&f, IPPROTO_TCP_, 0, 0);
	tcp(&f, 8, 100); /* 12 bytes of options */
	v4_end(&f, ip);
	check(run(&f, PARSE_OK), (struct want){.l3 = PKT_L3_IPV4, .l3_off = 14, .l3_len = 152,
					      .l4_proto = 6, .l4_off = 34, .flags = PKT_F_L4});

	eth(&f, ETH_TYPE_IPV4);
	ip = ipv4(&f, IPPROTO_ICMP_, 0, 0);
	put(&f, NULL, 8);
	v4_end(&f, ip);
	check(run(&f, PARSE_OK), (struct want){.l3 = PKT_L3_IPV4, .l3_off = 14, .l3_len = 28,
					      .l4_proto = 1, .l4_off = 34, .flags = PKT_F_L4});

	/* A protocol we do not interpret: l4_off/l4_proto still filled. */
	eth(&f, ETH_TYPE_IPV4);
	ip = ipv4(&f, 47, 0, 0);
	put(&f, NULL, 4);
	v4_end(&f, ip);
	check(run(&f, PARSE_OK), (struct want){.l3 = PKT_L3_IPV4, .l3_off = 14, .l3_len = 24,
					      .l4_proto = 47, .l4_off = 34, .flags = 0});

	/* ICMPv6 number after IPv4: not interpreted. */
	eth(&f, ETH_TYPE_IPV4);
	ip = ipv4(&f, IPPROTO_ICMPV6_, 0, 0);
	v4_end(&f, ip);
	check(run(&f, PARSE_OK), (struct want){.l3 = PKT_L3_IPV4, .l3_off = 14, .l3_len = 20,
					      .l4_proto = 58, .l4_off = 34, .flags = 0});
}

static void test_ipv4_options_and_padding(void **state)
{
	(void)state;
	struct fb f;
	uint32_t ip;

	eth(&f, ETH_TYPE_IPV4);
	ip = ipv4(&f, IPPROTO_UDP_, 40, 0); /* IHL 15, the maximum */
	udp(&f, 0);
	v4_end(&f, ip);
	check(run(&f, PARSE_OK),
	      (struct want){.l3 = PKT_L3_IPV4, .l3_off = 14, .l3_len = 68, .l4_proto = 17,
			    .l4_off = 74, .flags = PKT_F_L4 | PKT_F_IPV4_OPTS});

	/* Padding to 60 bytes: l3_len is the IP length, not the frame's. */
	eth(&f, ETH_TYPE_IPV4);
	ip = ipv4(&f, IPPROTO_UDP_, 4, 0);
	udp(&f, 2);
	v4_end(&f, ip);
	put(&f, NULL, 60 - f.n);
	struct pkt *p = run(&f, PARSE_OK);
	assert_int_equal(p->len, 60);
	check(p, (struct want){.l3 = PKT_L3_IPV4, .l3_off = 14, .l3_len = 34, .l4_proto = 17,
			       .l4_off = 38, .flags = PKT_F_L4 | PKT_F_IPV4_OPTS});

	/* DF alone is not a fragment; the reserved bit is ignored. */
	eth(&f, ETH_TYPE_IPV4);
	ip = ipv4(&f, IPPROTO_TCP_, 0, 0x4000 | 0x8000);
	tcp(&f, 5, 0);
	v4_end(&f, ip);
	check(run(&f, PARSE_OK), (struct want){.l3 = PKT_L3_IPV4, .l3_off = 14, .l3_len = 40,
					      .l4_proto = 6, .l4_off = 34, .flags = PKT_F_L4});
}

static void test_ipv4_fragments(void **state)
{
	(void)state;
	struct fb f;
	uint32_t ip;

	/* First fragment: L4 parsed; UDP length covers the whole datagram. */
	eth(&f, ETH_TYPE_IPV4);
	ip = ipv4(&f, IPPROTO_UDP_, 0, IPV4_MF);
	udp(&f, 16);
	set16(&f, 34 + 4, 1400);
	v4_end(&f, ip);
	check(run(&f, PARSE_OK), (struct want){.l3 = PKT_L3_IPV4, .l3_off = 14, .l3_len = 44,
					      .l4_proto = 17, .l4_off = 34,
					      .flags = PKT_F_L4 | PKT_F_FRAG});

	/* Later fragment, last one (MF clear): no L4, even if bytes look bad. */
	eth(&f, ETH_TYPE_IPV4);
	ip = ipv4(&f, IPPROTO_TCP_, 0, 185);
	put(&f, NULL, 3);
	v4_end(&f, ip);
	check(run(&f, PARSE_OK), (struct want){.l3 = PKT_L3_IPV4, .l3_off = 14, .l3_len = 23,
					      .l4_proto = 6, .l4_off = 34,
					      .flags = PKT_F_FRAG | PKT_F_FRAG_LATER});

	/* Later fragment with options, behind a tag. */
	eth(&f, ETH_TYPE_VLAN);
	tag(&f, 0x2005, ETH_TYPE_IPV4);
	ip = ipv4(&f, IPPROTO_UDP_, 8, IPV4_MF | 1);
	put(&f, NULL, 8);
	v4_end(&f, ip);
	check(run(&f, PARSE_OK),
	      (struct want){.l3 = PKT_L3_IPV4, .l3_off = 18, .l3_len = 36, .l4_proto = 17,
			    .l4_off = 46, .tci = 0x2005,
			    .flags = PKT_F_VLAN | PKT_F_IPV4_OPTS | PKT_F_FRAG | PKT_F_FRAG_LATER});

	/* Tiny first fragments (RFC 1858): the L4 reason. */
	eth(&f, ETH_TYPE_IPV4);
	ip = ipv4(&f, IPPROTO_TCP_, 0, IPV4_MF);
	put(&f, NULL, 16);
	v4_end(&f, ip);
	run(&f, PARSE_ERR_TCP_TRUNC);
	eth(&f, ETH_TYPE_IPV4);
	ip = ipv4(&f, IPPROTO_TCP_, 0, IPV4_MF);
	tcp(&f, 5, 0);
	f.b[34 + 12] = 0x60; /* 24-byte header, 20 present */
	v4_end(&f, ip);
	run(&f, PARSE_ERR_TCP_DOFF);

	/* Ping of death: offset + payload beyond 65535. */
	eth(&f, ETH_TYPE_IPV4);
	ip = ipv4(&f, IPPROTO_UDP_, 0, 8191);
	put(&f, NULL, 8);
	v4_end(&f, ip);
	run(&f, PARSE_ERR_IPV4_FRAG);
	eth(&f, ETH_TYPE_IPV4);
	ip = ipv4(&f, IPPROTO_UDP_, 0, 8191);
	put(&f, NULL, 7);
	v4_end(&f, ip);
	run(&f, PARSE_OK);
}

/* ---- VLAN, ARP, other ------------------------------------------------------- */

static void test_vlan(void **state)
{
	(void)state;
	struct fb f;
	uint32_t ip;

	eth(&f, ETH_TYPE_VLAN);
	tag(&f, 0x6064, ETH_TYPE_IPV4);
	ip = ipv4(&f, IPPROTO_UDP_, 0, 0);
	udp(&f, 0);
	v4_end(&f, ip);
	check(run(&f, PARSE_OK),
	      (struct want){.l3 = PKT_L3_IPV4, .l3_off = 18, .l3_len = 28, .l4_proto = 17,
			    .l4_off = 38, .flags = PKT_F_L4 | PKT_F_VLAN, .tci = 0x6064});

	/* 802.1ad outer, 802.1Q inner; and the other way round. */
	static const uint16_t tpids[2][2] = {{ETH_TYPE_QINQ, ETH_TYPE_VLAN},
					     {ETH_TYPE_VLAN, ETH_TYPE_QINQ}};
	for (int i = 0; i < 2; i++) {
		eth(&f, tpids[i][0]);
		tag(&f, 0x00c8, tpids[i][1]);
		tag(&f, 0x012c, ETH_TYPE_IPV6);
		ip = ipv6(&f, IPPROTO_TCP_);
		tcp(&f, 5, 1);
		v6_end(&f, ip);
		check(run(&f, PARSE_OK),
		      (struct want){.l3 = PKT_L3_IPV6, .l3_off = 22, .l3_len = 61,
				    .l4_proto = 6, .l4_off = 62,
				    .flags = PKT_F_L4 | PKT_F_VLAN | PKT_F_QINQ, .tci = 0x00c8});
	}

	/* Tagged frame of an ethertype we do not interpret. */
	eth(&f, ETH_TYPE_VLAN);
	tag(&f, 7, 0x88b5);
	put(&f, NULL, 30);
	check(run(&f, PARSE_OK), (struct want){.flags = PKT_F_VLAN, .tci = 7});

	/* Third tag: VLAN_DEPTH, even if nothing follows it. */
	eth(&f, ETH_TYPE_QINQ);
	tag(&f, 1, ETH_TYPE_VLAN);
	tag(&f, 2, ETH_TYPE_VLAN);
	run(&f, PARSE_ERR_VLAN_DEPTH);
	f.n = 20;
	run(&f, PARSE_ERR_VLAN_TRUNC);
}

static void test_arp_and_other(void **state)
{
	(void)state;
	struct fb f;
	static const uint8_t arp_req[8] = {0, 1, 8, 0, 6, 4, 0, 1};

	eth(&f, ETH_TYPE_ARP);
	put(&f, arp_req, 8);
	put(&f, NULL, 20);
	check(run(&f, PARSE_OK), (struct want){.l3 = PKT_L3_ARP, .l3_off = 14, .l3_len = 28});
	/* Padded to 60: l3_len stays 28. */
	put(&f, NULL, 18);
	check(run(&f, PARSE_OK), (struct want){.l3 = PKT_L3_ARP, .l3_off = 14, .l3_len = 28});
	f.n = 14 + 27;
	run(&f, PARSE_ERR_ARP_TRUNC);

	/* Behind a tag. */
	eth(&f, ETH_TYPE_VLAN);
	tag(&f, 42, ETH_TYPE_ARP);
	put(&f, arp_req, 8);
	put(&f, NULL, 20);
	check(run(&f, PARSE_OK), (struct want){.l3 = PKT_L3_ARP, .l3_off = 18, .l3_len = 28,
					      .flags = PKT_F_VLAN, .tci = 42});

	/* Other hardware: sized by hln/pln (8 + 2 * (2 + 4)). */
	static const uint8_t arp_other[8] = {0, 7, 8, 0, 2, 4, 0, 1};
	eth(&f, ETH_TYPE_ARP);
	put(&f, arp_other, 8);
	put(&f, NULL, 12);
	check(run(&f, PARSE_OK), (struct want){.l3 = PKT_L3_ARP, .l3_off = 14, .l3_len = 20});

	/* Ethernet/IPv4 ARP lying about hln/pln still needs 28 bytes. */
	static const uint8_t arp_lie[8] = {0, 1, 8, 0, 0, 0, 0, 1};
	eth(&f, ETH_TYPE_ARP);
	put(&f, arp_lie, 8);
	run(&f, PARSE_ERR_ARP_TRUNC);

	/* Bare Ethernet header with an unknown type. */
	eth(&f, 0x88cc);
	check(run(&f, PARSE_OK), (struct want){0});
	f.n = 13;
	run(&f, PARSE_ERR_RUNT);
	f.n = 0;
	run(&f, PARSE_ERR_RUNT);
}

/* ---- IPv6 ----------------------------------------------------------------- */

static void test_ipv6_basic(void **state)
{
	(void)state;
	struct fb f;
	uint32_t ip;

	eth(&f, ETH_TYPE_IPV6);
	ip = ipv6(&f, IPPROTO_UDP_);
	udp(&f, 5);
	v6_end(&f, ip);
	check(run(&f, PARSE_OK), (struct want){.l3 = PKT_L3_IPV6, .l3_off = 14, .l3_len = 53,
					      .l4_proto = 17, .l4_off = 54, .flags = PKT_F_L4});

	/* ICMPv6: echo needs 8 bytes, other messages 4. */
	eth(&f, ETH_TYPE_IPV6);
	ip = ipv6(&f, IPPROTO_ICMPV6_);
	put8(&f, 128);
	put(&f, NULL, 7);
	v6_end(&f, ip);
	check(run(&f, PARSE_OK), (struct want){.l3 = PKT_L3_IPV6, .l3_off = 14, .l3_len = 48,
					      .l4_proto = 58, .l4_off = 54, .flags = PKT_F_L4});
	f.n--;
	v6_end(&f, ip);
	run(&f, PARSE_ERR_ICMP6_TRUNC);
	f.b[54] = 135; /* neighbour solicitation, 7 bytes: header complete */
	check(run(&f, PARSE_OK), (struct want){.l3 = PKT_L3_IPV6, .l3_off = 14, .l3_len = 47,
					      .l4_proto = 58, .l4_off = 54, .flags = PKT_F_L4});

	/* No next header with padding; ESP. */
	eth(&f, ETH_TYPE_IPV6);
	ip = ipv6(&f, 59);
	v6_end(&f, ip);
	put(&f, NULL, 6);
	check(run(&f, PARSE_OK), (struct want){.l3 = PKT_L3_IPV6, .l3_off = 14, .l3_len = 40,
					      .l4_proto = 59, .l4_off = 54});
	eth(&f, ETH_TYPE_IPV6);
	ip = ipv6(&f, 50);
	put(&f, NULL, 24);
	v6_end(&f, ip);
	check(run(&f, PARSE_OK), (struct want){.l3 = PKT_L3_IPV6, .l3_off = 14, .l3_len = 64,
					      .l4_proto = 50, .l4_off = 54});

	/* Jumbogram (payload length 0 + hop-by-hop): unsupported. */
	eth(&f, ETH_TYPE_IPV6);
	ip = ipv6(&f, 0);
	ext(&f, IPPROTO_UDP_, 0);
	udp(&f, 0);
	run(&f, PARSE_ERR_IPV6_PLEN);
	v6_end(&f, ip);
	run(&f, PARSE_OK);
}

static void test_ipv6_ext_headers(void **state)
{
	(void)state;
	struct fb f;
	uint32_t ip;

	/* hbh(16) -> routing(24) -> dst(8) -> AH(24) -> TCP */
	eth(&f, ETH_TYPE_IPV6);
	ip = ipv6(&f, 0);
	ext(&f, 43, 1);
	ext(&f, 60, 2);
	ext(&f, 51, 0);
	ext_ah(&f, IPPROTO_TCP_, 4);
	tcp(&f, 6, 0);
	v6_end(&f, ip);
	check(run(&f, PARSE_OK),
	      (struct want){.l3 = PKT_L3_IPV6, .l3_off = 14, .l3_len = 40 + 72 + 24,
			    .l4_proto = 6, .l4_off = 54 + 72,
			    .flags = PKT_F_L4 | PKT_F_IPV6_EXT});

	/* Exactly PARSE_IPV6_EXT_MAX headers are fine; one more is not. */
	for (int extra = 0; extra < 2; extra++) {
		int n = PARSE_IPV6_EXT_MAX + extra;
		eth(&f, ETH_TYPE_IPV6);
		ip = ipv6(&f, 60);
		for (int i = 0; i < n; i++)
			ext(&f, i == n - 1 ? IPPROTO_UDP_ : 60, 0);
		udp(&f, 0);
		v6_end(&f, ip);
		if (extra) {
			run(&f, PARSE_ERR_IPV6_EXT_DEPTH);
			continue;
		}
		check(run(&f, PARSE_OK),
		      (struct want){.l3 = PKT_L3_IPV6, .l3_off = 14, .l3_len = 40 + 8 * n + 8,
				    .l4_proto = 17, .l4_off = 54 + 8 * n,
				    .flags = PKT_F_L4 | PKT_F_IPV6_EXT});
	}

	/* An extension header that fits the frame but not the payload length. */
	eth(&f, ETH_TYPE_IPV6);
	ip = ipv6(&f, 60);
	ext(&f, 59, 1);
	v6_end(&f, ip);
	set16(&f, ip + 4, 8);
	run(&f, PARSE_ERR_IPV6_EXT_TRUNC);
}

static void test_ipv6_fragments(void **state)
{
	(void)state;
	struct fb f;
	uint32_t ip;

	/* First fragment after a hop-by-hop header. */
	eth(&f, ETH_TYPE_IPV6);
	ip = ipv6(&f, 0);
	ext(&f, 44, 0);
	ext_frag(&f, IPPROTO_UDP_, 0, true);
	udp(&f, 8);
	set16(&f, 54 + 16 + 4, 3000); /* the datagram's length */
	v6_end(&f, ip);
	check(run(&f, PARSE_OK),
	      (struct want){.l3 = PKT_L3_IPV6, .l3_off = 14, .l3_len = 72, .l4_proto = 17,
			    .l4_off = 70, .flags = PKT_F_L4 | PKT_F_IPV6_EXT | PKT_F_FRAG});

	/* Later fragment: stops at the fragment header, nothing after read. */
	eth(&f, ETH_TYPE_IPV6);
	ip = ipv6(&f, 44);
	ext_frag(&f, 0, 100, true);
	put(&f, NULL, 5);
	f.b[f.n - 4] = 0xff;
	v6_end(&f, ip);
	check(run(&f, PARSE_OK),
	      (struct want){.l3 = PKT_L3_IPV6, .l3_off = 14, .l3_len = 53, .l4_proto = 0,
			    .l4_off = 62,
			    .flags = PKT_F_IPV6_EXT | PKT_F_FRAG | PKT_F_FRAG_LATER});

	/* Atomic fragment (RFC 6946): a whole packet, UDP length checked. */
	eth(&f, ETH_TYPE_IPV6);
	ip = ipv6(&f, 44);
	ext_frag(&f, IPPROTO_UDP_, 0, false);
	udp(&f, 4);
	v6_end(&f, ip);
	check(run(&f, PARSE_OK),
	      (struct want){.l3 = PKT_L3_IPV6, .l3_off = 14, .l3_len = 60, .l4_proto = 17,
			    .l4_off = 62, .flags = PKT_F_L4 | PKT_F_IPV6_EXT});
	set16(&f, 62 + 4, 13);
	run(&f, PARSE_ERR_UDP_LEN);

	/* First fragment too short for its TCP header (RFC 7112). */
	eth(&f, ETH_TYPE_IPV6);
	ip = ipv6(&f, 44);
	ext_frag(&f, IPPROTO_TCP_, 0, true);
	put(&f, NULL, 12);
	v6_end(&f, ip);
	run(&f, PARSE_ERR_TCP_TRUNC);
}

/* ---- contract details ------------------------------------------------------ */

/* Re-parsing resets what the parser owns, keeps what it does not. */
static void test_reparse_resets(void **state)
{
	(void)state;
	struct fb f;
	eth(&f, ETH_TYPE_IPV4);
	uint32_t ip = ipv4(&f, IPPROTO_UDP_, 0, 0);
	udp(&f, 0);
	v4_end(&f, ip);

	struct pkt *p = &pbuf.p;
	pkt_reset(p);
	assert_int_equal(pkt_set_data(p, f.b, f.n), 0);
	p->flags = 0xffff;
	p->vlan_tci = 99;
	p->l3 = PKT_L3_ARP;
	p->hash = 0xabcdef;
	p->nf_mark = 5;
	p->out_port = 3;
	assert_int_equal(parse_pkt(p), PARSE_OK);
	check(p, (struct want){.l3 = PKT_L3_IPV4, .l3_off = 14, .l3_len = 28, .l4_proto = 17,
			       .l4_off = 34,
			       .flags = (uint16_t)(PKT_F_L4 | (0xffff & ~0x7fu))});
	assert_int_equal(p->hash, 0xabcdef);
	assert_int_equal(p->nf_mark, 5);
	assert_int_equal(p->out_port, 3);

	/* Largest frame accepted, one more byte refused. */
	static uint8_t big[PARSE_FRAME_MAX + 1];
	memcpy(big, f.b, f.n);
	uint8_t *save = p->data;
	p->data = big;
	p->len = PARSE_FRAME_MAX;
	assert_int_equal(parse_pkt(p), PARSE_OK);
	p->len = PARSE_FRAME_MAX + 1;
	assert_int_equal(parse_pkt(p), PARSE_ERR_OVERSIZED);
	p->data = save;
}

/* Names are the lower-case enum names; texts exist; out of range is safe. */
static void test_names(void **state)
{
	(void)state;
	static const char *const upper[] = {
#define NAME_(name, text) #name,
		PARSE_ERRORS(NAME_)
#undef NAME_
	};
	assert_int_equal(sizeof(upper) / sizeof(upper[0]), PARSE_ERR_COUNT);
	for (int r = 0; r < PARSE_ERR_COUNT; r++) {
		char lower[64];
		size_t i;
		for (i = 0; upper[r][i] && i < sizeof(lower) - 1; i++)
			lower[i] = (char)tolower((unsigned char)upper[r][i]);
		lower[i] = 0;
		assert_string_equal(parse_err_name((enum parse_result)r), lower);
		assert_true(strlen(parse_err_text((enum parse_result)r)) > 1);
	}
	assert_string_equal(parse_err_name(PARSE_OK), "ok");
	assert_string_equal(parse_err_name(PARSE_ERR_IPV4_IHL), "ipv4_ihl");
	assert_string_equal(parse_err_name(PARSE_ERR_COUNT), "unknown");
	assert_non_null(parse_err_text((enum parse_result)1000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_udp_tcp_icmp),
		cmocka_unit_test(test_ipv4_options_and_padding),
		cmocka_unit_test(test_ipv4_fragments),
		cmocka_unit_test(test_vlan),
		cmocka_unit_test(test_arp_and_other),
		cmocka_unit_test(test_ipv6_basic),
		cmocka_unit_test(test_ipv6_ext_headers),
		cmocka_unit_test(test_ipv6_fragments),
		cmocka_unit_test(test_reparse_resets),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
