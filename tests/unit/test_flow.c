/* SPDX-License-Identifier: MIT */
/*
 * test_flow.c - flow keys from crafted packets, the symmetric hash, format.
 *
 * Packets are built byte by byte and the parse results (l3, offsets, flags)
 * are set by hand, so these tests pin flow.c alone, not the parser.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/flow.h"
#include "dataplane/parse.h"

static uint8_t pkt_mem[PKT_BUF_SIZE] __attribute__((aligned(PKT_BUF_SIZE)));

static struct pkt *empty_pkt(void)
{
	struct pkt *p = (struct pkt *)pkt_mem;
	memset(pkt_mem, 0, sizeof(pkt_mem));
	pkt_reset(p);
	return p;
}

static const uint8_t A4[4] = {10, 0, 0, 1}, B4[4] = {192, 168, 7, 20};
static const uint8_t A6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
static const uint8_t B6[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x11, 0x22, 0xff,
			       0xfe, 0x33, 0x44, 0x55};

/* Ethernet (optionally one VLAN tag) + IPv4 header; returns the L4 offset. */
static uint16_t put_v4(struct pkt *p, bool vlan, const uint8_t *src, const uint8_t *dst,
		       uint8_t proto, uint16_t frag_off)
{
	uint8_t *d = p->data;
	uint16_t off = 12;
	if (vlan) {
		d[off++] = 0x81, d[off++] = 0x00, d[off++] = 0x00, d[off++] = 0x07;
		p->flags |= PKT_F_VLAN;
	}
	d[off++] = 0x08, d[off++] = 0x00;
	p->l3 = PKT_L3_IPV4;
	p->l3_off = off;
	struct ipv4_hdr *ip = (struct ipv4_hdr *)(d + off);
	ip->ver_ihl = 0x45;
	ip->ttl = 64;
	ip->proto = proto;
	ip->frag_off = sys_htons(frag_off);
	memcpy(&ip->src, src, 4);
	memcpy(&ip->dst, dst, 4);
	p->l4_proto = proto;
	p->l4_off = (uint16_t)(off + 20);
	if (frag_off & (IPV4_MF | IPV4_OFFMASK))
		p->flags |= PKT_F_FRAG;
	if (frag_off & IPV4_OFFMASK)
		p->flags |= PKT_F_FRAG_LATER;
	else
		p->flags |= PKT_F_L4;
	return p->l4_off;
}

static uint16_t put_v6(struct pkt *p, const uint8_t *src, const uint8_t *dst, uint8_t proto)
{
	uint8_t *d = p->data;
	d[12] = 0x86, d[13] = 0xdd;
	p->l3 = PKT_L3_IPV6;
	p->l3_off = ETH_HLEN;
	struct ipv6_hdr *ip = (struct ipv6_hdr *)(d + ETH_HLEN);
	ip->ver_tc_flow = sys_htonl(6u << 28);
	ip->next = proto;
	ip->hop_limit = 64;
	memcpy(ip->src, src, 16);
	memcpy(ip->dst, dst, 16);
	p->l4_proto = proto;
	p->l4_off = ETH_HLEN + 40;
	p->flags |= PKT_F_L4;
	return p->l4_off;
}

static void put_ports(struct pkt *p, uint16_t off, uint16_t sport, uint16_t dport)
{
	sys_st16(p->data + off, sys_htons(sport));
	sys_st16(p->data + off + 2, sys_htons(dport));
	p->len = (uint16_t)(off + 20);
}

static void put_icmp(struct pkt *p, uint16_t off, uint8_t type, uint16_t id)
{
	p->data[off] = type;
	sys_st16(p->data + off + 4, sys_htons(id));
	sys_st16(p->data + off + 6, sys_htons(99)); /* sequence: not part of the key */
	p->len = (uint16_t)(off + 8);
}

static struct flow_key key_of(struct pkt *p, uint16_t zone)
{
	struct flow_key k;
	memset(&k, 0xa5, sizeof(k)); /* prove every byte is written */
	assert_int_equal(flow_key_from_pkt(p, zone, &k), 0);
	return k;
}

static void assert_zero(const void *m, size_t n)
{
	const uint8_t *b = m;
	for (size_t i = 0; i < n; i++)
		assert_int_equal(b[i], 0);
}

static void test_v4_tcp_and_reply(void **state)
{
	(void)state;
	struct pkt *p = empty_pkt();
	put_ports(p, put_v4(p, false, A4, B4, IPPROTO_TCP_, 0), 40000, 443);
	struct flow_key k = key_of(p, 3);
	assert_memory_equal(&k.src.v4, A4, 4);
	assert_memory_equal(&k.dst.v4, B4, 4);
	assert_zero(&k.src.v6[4], 12);
	assert_zero(&k.dst.v6[4], 12);
	assert_int_equal(k.sport, sys_htons(40000));
	assert_int_equal(k.dport, sys_htons(443));
	assert_int_equal(k.proto, IPPROTO_TCP_);
	assert_int_equal(k.family, FLOW_FAMILY_V4);
	assert_int_equal(k.zone, 3);

	/* The answer packet, behind a VLAN tag this time. */
	p = empty_pkt();
	put_ports(p, put_v4(p, true, B4, A4, IPPROTO_TCP_, 0), 443, 40000);
	struct flow_key r = key_of(p, 3), rev;
	flow_key_reverse(&k, &rev);
	assert_memory_equal(&r, &rev, sizeof(r));
	assert_true(flow_key_eq(&r, &rev));
	assert_false(flow_key_eq(&r, &k));
	assert_true(flow_key_eq_reverse(&k, &r));
	assert_false(flow_key_eq_reverse(&k, &k));
	assert_int_equal(flow_hash(&k), flow_hash(&r));

	/* Reversing twice gives the key back; in place works. */
	flow_key_reverse(&rev, &rev);
	assert_memory_equal(&rev, &k, sizeof(k));
}

static void test_v4_udp_zone_matters(void **state)
{
	(void)state;
	struct pkt *p = empty_pkt();
	put_ports(p, put_v4(p, false, A4, B4, IPPROTO_UDP_, 0), 5353, 53);
	struct flow_key k0 = key_of(p, 0), k1 = key_of(p, 1);
	assert_int_equal(k0.proto, IPPROTO_UDP_);
	assert_int_equal(k0.sport, sys_htons(5353));
	assert_int_equal(k0.dport, sys_htons(53));
	assert_false(flow_key_eq(&k0, &k1));
	assert_int_not_equal(flow_hash(&k0), flow_hash(&k1));
}

static void test_v4_icmp_echo_one_flow(void **state)
{
	(void)state;
	struct pkt *p = empty_pkt();
	put_icmp(p, put_v4(p, false, A4, B4, IPPROTO_ICMP_, 0), 8, 0x1234);
	struct flow_key req = key_of(p, 0);
	assert_int_equal(req.sport, sys_htons(0x1234));
	assert_int_equal(req.dport, flow_icmp_tag(IPPROTO_ICMP_, 8));
	assert_true(flow_icmp_tag_is_request(req.dport));
	assert_int_equal(req.proto, IPPROTO_ICMP_);

	p = empty_pkt();
	put_icmp(p, put_v4(p, false, B4, A4, IPPROTO_ICMP_, 0), 0, 0x1234);
	struct flow_key rep = key_of(p, 0), rev;
	assert_int_equal(rep.sport, sys_htons(0x1234));
	assert_int_equal(rep.dport, flow_icmp_tag(IPPROTO_ICMP_, 0));
	assert_false(flow_icmp_tag_is_request(rep.dport));
	flow_key_reverse(&req, &rev);
	assert_memory_equal(&rev, &rep, sizeof(rep));
	assert_true(flow_key_eq_reverse(&req, &rep));
	assert_int_equal(flow_hash(&req), flow_hash(&rep));

	/* A different echo identifier is a different flow. */
	p = empty_pkt();
	put_icmp(p, put_v4(p, false, B4, A4, IPPROTO_ICMP_, 0), 0, 0x1235);
	struct flow_key other = key_of(p, 0);
	assert_false(flow_key_eq_reverse(&req, &other));

	/* A request the other way is not the reply (the hole an inside ping
	 * would open otherwise), but hashes alike: the table tells them apart
	 * by key. */
	p = empty_pkt();
	put_icmp(p, put_v4(p, false, B4, A4, IPPROTO_ICMP_, 0), 8, 0x1234);
	struct flow_key back = key_of(p, 0);
	assert_false(flow_key_eq_reverse(&req, &back));
	assert_false(flow_key_eq(&req, &back));
	assert_int_equal(flow_hash(&req), flow_hash(&back));

	/* Timestamp, information and address mask queries pair like echo,
	 * and not with each other. */
	static const uint8_t pairs[][2] = {{13, 14}, {15, 16}, {17, 18}};
	for (unsigned i = 0; i < 3; i++) {
		p = empty_pkt();
		put_icmp(p, put_v4(p, false, A4, B4, IPPROTO_ICMP_, 0), pairs[i][0], 9);
		struct flow_key q = key_of(p, 0);
		p = empty_pkt();
		put_icmp(p, put_v4(p, false, B4, A4, IPPROTO_ICMP_, 0), pairs[i][1], 9);
		struct flow_key a = key_of(p, 0);
		assert_true(flow_key_eq_reverse(&q, &a));
		assert_int_equal(flow_hash(&q), flow_hash(&a));
		p = empty_pkt();
		put_icmp(p, put_v4(p, false, B4, A4, IPPROTO_ICMP_, 0), 0, 9);
		struct flow_key echo_rep = key_of(p, 0);
		assert_false(flow_key_eq_reverse(&q, &echo_rep));
	}

	/* Not an echo (destination unreachable): no identifier. */
	p = empty_pkt();
	put_icmp(p, put_v4(p, false, B4, A4, IPPROTO_ICMP_, 0), 3, 0x1234);
	struct flow_key unreach = key_of(p, 0);
	assert_int_equal(unreach.sport, 0);
	assert_int_equal(unreach.dport, 0);
}

static void test_v4_fragments_and_other_protocols(void **state)
{
	(void)state;
	struct pkt *p = empty_pkt();
	/* First fragment: L4 header present, ports taken. */
	put_ports(p, put_v4(p, false, A4, B4, IPPROTO_UDP_, IPV4_MF), 1000, 2000);
	struct flow_key first = key_of(p, 0);
	assert_int_equal(first.sport, sys_htons(1000));

	/* Later fragment: whatever bytes sit at l4_off are payload. */
	p = empty_pkt();
	put_ports(p, put_v4(p, false, A4, B4, IPPROTO_UDP_, 185), 1000, 2000);
	struct flow_key later = key_of(p, 0);
	assert_int_equal(later.sport, 0);
	assert_int_equal(later.dport, 0);
	assert_int_equal(later.proto, IPPROTO_UDP_);

	/* GRE: no ports even though bytes are there. */
	p = empty_pkt();
	put_ports(p, put_v4(p, false, A4, B4, 47, 0), 1000, 2000);
	struct flow_key gre = key_of(p, 0);
	assert_int_equal(gre.sport, 0);
	assert_int_equal(gre.dport, 0);
	assert_int_equal(gre.proto, 47);

	/* Truncated L4 (parse did not set PKT_F_L4). */
	p = empty_pkt();
	put_ports(p, put_v4(p, false, A4, B4, IPPROTO_TCP_, 0), 1, 2);
	p->flags &= (uint16_t)~PKT_F_L4;
	struct flow_key trunc = key_of(p, 0);
	assert_int_equal(trunc.sport, 0);
}

static void test_not_ip(void **state)
{
	(void)state;
	struct pkt *p = empty_pkt();
	struct flow_key k;
	p->l3 = PKT_L3_ARP;
	assert_int_equal(flow_key_from_pkt(p, 0, &k), -SYS_EINVAL);
	p->l3 = PKT_L3_NONE;
	assert_int_equal(flow_key_from_pkt(p, 0, &k), -SYS_EINVAL);
}

static void test_v6_tcp_and_icmp6(void **state)
{
	(void)state;
	struct pkt *p = empty_pkt();
	put_ports(p, put_v6(p, A6, B6, IPPROTO_TCP_), 51000, 22);
	struct flow_key k = key_of(p, 0);
	assert_memory_equal(k.src.v6, A6, 16);
	assert_memory_equal(k.dst.v6, B6, 16);
	assert_int_equal(k.family, FLOW_FAMILY_V6);
	assert_int_equal(k.sport, sys_htons(51000));
	assert_int_equal(k.dport, sys_htons(22));

	p = empty_pkt();
	put_ports(p, put_v6(p, B6, A6, IPPROTO_TCP_), 22, 51000);
	struct flow_key r = key_of(p, 0);
	assert_true(flow_key_eq_reverse(&k, &r));
	assert_int_equal(flow_hash(&k), flow_hash(&r));

	/* l4_proto (after extension headers) decides, not the first next
	 * header: pretend a hop-by-hop header came first. */
	p = empty_pkt();
	put_icmp(p, put_v6(p, A6, B6, IPPROTO_ICMPV6_), 128, 77);
	((struct ipv6_hdr *)pkt_l3(p))->next = 0;
	struct flow_key req = key_of(p, 0);
	assert_int_equal(req.proto, IPPROTO_ICMPV6_);
	assert_int_equal(req.sport, sys_htons(77));
	assert_int_equal(req.dport, flow_icmp_tag(IPPROTO_ICMPV6_, 128));
	p = empty_pkt();
	put_icmp(p, put_v6(p, B6, A6, IPPROTO_ICMPV6_), 129, 77);
	struct flow_key rep = key_of(p, 0);
	assert_true(flow_key_eq_reverse(&req, &rep));
	assert_int_equal(flow_hash(&req), flow_hash(&rep));
	p = empty_pkt();
	put_icmp(p, put_v6(p, B6, A6, IPPROTO_ICMPV6_), 128, 77);
	struct flow_key back = key_of(p, 0);
	assert_false(flow_key_eq_reverse(&req, &back));

	/* Neighbour solicitation: no identifier. */
	p = empty_pkt();
	put_icmp(p, put_v6(p, B6, A6, IPPROTO_ICMPV6_), 135, 77);
	assert_int_equal(key_of(p, 0).sport, 0);
}

/* ---- hash ------------------------------------------------------------------ */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	/* splitmix64: reproducible without libc state. */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void random_key(struct flow_key *k, bool v6)
{
	memset(k, 0, sizeof(*k));
	static const uint8_t protos[] = {IPPROTO_TCP_, IPPROTO_UDP_, IPPROTO_ICMP_, 47};
	k->proto = protos[rnd() % 4];
	k->family = v6 ? FLOW_FAMILY_V6 : FLOW_FAMILY_V4;
	if (v6) {
		k->src.u64[0] = rnd(), k->src.u64[1] = rnd();
		k->dst.u64[0] = rnd(), k->dst.u64[1] = rnd();
		if (rnd() % 4 == 0) /* shared /64 prefix, as on one link */
			k->dst.u64[0] = k->src.u64[0];
	} else {
		k->src.v4 = (uint32_t)rnd();
		k->dst.v4 = (uint32_t)rnd();
	}
	k->sport = (uint16_t)rnd();
	k->dport = flow_proto_has_id(k->proto) ? 0 : (uint16_t)rnd();
	if (rnd() % 8 == 0)
		k->zone = (uint16_t)rnd();
}

static void test_hash_symmetric_random(void **state)
{
	(void)state;
	for (int i = 0; i < 20000; i++) {
		struct flow_key k, r;
		random_key(&k, i & 1);
		if (i % 7 == 0) /* equal addresses: only the ports order */
			k.dst = k.src;
		flow_key_reverse(&k, &r);
		assert_int_equal(flow_hash(&k), flow_hash(&r));
		assert_true(flow_key_eq_reverse(&k, &r));
		struct flow_key rr;
		flow_key_reverse(&r, &rr);
		assert_memory_equal(&rr, &k, sizeof(k));
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* Not a statistics suite: catches a hash that ignores a field or leaves
 * bits constant, which would show as collisions or empty buckets. */
static void test_hash_spreads(void **state)
{
	(void)state;
	enum { N = 65536, BINS = 256 };
	uint32_t *h = calloc(N, sizeof(*h));
	unsigned hi[BINS] = {0}, lo[BINS] = {0};
	assert_non_null(h);
	/* Sequential clients towards one server port: the hard case. */
	for (uint32_t i = 0; i < N; i++) {
		struct flow_key k = {0};
		k.family = FLOW_FAMILY_V4;
		k.proto = IPPROTO_TCP_;
		k.src.v4 = sys_htonl(0x0a000000u + (i >> 4));
		k.dst.v4 = sys_htonl(0xc0a80001u);
		k.sport = sys_htons((uint16_t)(1024 + (i & 15)));
		k.dport = sys_htons(80);
		h[i] = flow_hash(&k);
		hi[h[i] >> 24]++;
		lo[h[i] & 0xff]++;
	}
	for (int b = 0; b < BINS; b++) {
		/* Expect 256 per bin; +-40% is > 9 sigma. */
		assert_in_range(hi[b], 154, 358);
		assert_in_range(lo[b], 154, 358);
	}
	qsort(h, N, sizeof(*h), cmp_u32);
	unsigned dup = 0;
	for (uint32_t i = 1; i < N; i++)
		dup += h[i] == h[i - 1];
	/* Birthday bound for 2^16 values in 2^32: about 0.5 expected. */
	assert_true(dup <= 4);
	free(h);

	/* Every field takes part. */
	struct flow_key k, m;
	random_key(&k, false);
	k.proto = IPPROTO_TCP_;
	k.dport = 80;
	uint32_t base = flow_hash(&k);
	m = k, m.src.v4 ^= 1u << 17;
	assert_int_not_equal(flow_hash(&m), base);
	m = k, m.dst.v4 ^= 1;
	assert_int_not_equal(flow_hash(&m), base);
	m = k, m.sport ^= 0x100;
	assert_int_not_equal(flow_hash(&m), base);
	m = k, m.dport ^= 1;
	assert_int_not_equal(flow_hash(&m), base);
	m = k, m.proto = IPPROTO_UDP_;
	assert_int_not_equal(flow_hash(&m), base);
	m = k, m.zone = 1;
	assert_int_not_equal(flow_hash(&m), base);
	random_key(&k, true);
	base = flow_hash(&k);
	m = k, m.src.v6[15] ^= 1;
	assert_int_not_equal(flow_hash(&m), base);
	m = k, m.dst.v6[0] ^= 0x80;
	assert_int_not_equal(flow_hash(&m), base);
}

/* The values themselves are part of the contract: nf/firewall computes the
 * IPv4 hash from flow.h's pieces on its own, and a table filled with one
 * formula is useless to lookups made with another. */
static void test_hash_pinned_values(void **state)
{
	(void)state;
	struct flow_key k;
	memset(&k, 0, sizeof(k));
	assert_int_equal(flow_hash(&k), 0x09895a94u); /* all zero: not 0 */
	k.family = FLOW_FAMILY_V4;
	k.proto = IPPROTO_TCP_;
	memcpy(&k.src.v4, A4, 4);
	memcpy(&k.dst.v4, B4, 4);
	k.sport = sys_htons(0x1234);
	k.dport = sys_htons(80);
	assert_int_equal(flow_hash(&k), 0x60789a89u);
	k.zone = 7;
	assert_int_equal(flow_hash(&k), 0x1a1553ccu);
	memset(&k, 0, sizeof(k));
	k.family = FLOW_FAMILY_V6;
	k.proto = IPPROTO_UDP_;
	k.src.v6[0] = 0x20, k.src.v6[1] = 0x01, k.src.v6[15] = 1;
	k.dst.v6[0] = 0xfe, k.dst.v6[1] = 0x80, k.dst.v6[15] = 2;
	k.sport = sys_htons(53);
	k.dport = sys_htons(5000);
	assert_int_equal(flow_hash(&k), 0x014089a0u);
}

/* ---- format ---------------------------------------------------------------- */

static void test_format(void **state)
{
	(void)state;
	char buf[128];
	struct pkt *p = empty_pkt();
	put_ports(p, put_v4(p, false, A4, B4, IPPROTO_TCP_, 0), 1234, 80);
	struct flow_key k = key_of(p, 0);
	assert_int_equal(flow_key_format(&k, buf, sizeof(buf)), 36);
	assert_string_equal(buf, "tcp 10.0.0.1:1234 -> 192.168.7.20:80");

	k.zone = 9;
	flow_key_format(&k, buf, sizeof(buf));
	assert_string_equal(buf, "tcp 10.0.0.1:1234 -> 192.168.7.20:80 zone 9");

	/* Truncation: snprintf's contract. */
	char small[8];
	assert_int_equal(flow_key_format(&k, small, sizeof(small)), 43);
	assert_string_equal(small, "tcp 10.");
	assert_int_equal(flow_key_format(&k, NULL, 0), 43);

	p = empty_pkt();
	put_icmp(p, put_v4(p, false, A4, B4, IPPROTO_ICMP_, 0), 8, 7);
	k = key_of(p, 0);
	flow_key_format(&k, buf, sizeof(buf));
	assert_string_equal(buf, "icmp 10.0.0.1 -> 192.168.7.20 id 7");

	p = empty_pkt();
	put_ports(p, put_v6(p, A6, B6, IPPROTO_UDP_), 5000, 53);
	k = key_of(p, 0);
	flow_key_format(&k, buf, sizeof(buf));
	assert_string_equal(buf, "udp [2001:db8::1]:5000 -> [fe80::211:22ff:fe33:4455]:53");

	/* "::" takes the longest zero run; a lone zero group stays "0". */
	static const uint8_t C6[16] = {0x20, 0x01, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0};
	memset(&k, 0, sizeof(k));
	k.family = FLOW_FAMILY_V6;
	k.proto = 47;
	memcpy(k.src.v6, C6, 16);
	flow_key_format(&k, buf, sizeof(buf));
	assert_string_equal(buf, "proto 47 2001:0:1::1:0 -> ::");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4_tcp_and_reply),
		cmocka_unit_test(test_v4_udp_zone_matters),
		cmocka_unit_test(test_v4_icmp_echo_one_flow),
		cmocka_unit_test(test_v4_fragments_and_other_protocols),
		cmocka_unit_test(test_not_ip),
		cmocka_unit_test(test_v6_tcp_and_icmp6),
		cmocka_unit_test(test_hash_symmetric_random),
		cmocka_unit_test(test_hash_spreads),
		cmocka_unit_test(test_hash_pinned_values),
		cmocka_unit_test(test_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
