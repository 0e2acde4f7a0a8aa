/* SPDX-License-Identifier: MIT */
/*
 * test_xlate64.c - IPv6 <-> IPv4 translation (nf/xlate64.h) alone: RFC
 * 6052 addresses against the RFC's own examples, packets translated both
 * ways with every checksum verified by a plain big-endian RFC 1071 sum
 * written here (not dataplane/csum.c), the ICMP type/code tables, ICMP
 * errors with their quotes, and a frame without headroom left untouched.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/parse.h"
#include "nf/xlate64.h"

/* ---- an independent checksum ------------------------------------------------------ */
static uint32_t ref_add(uint32_t acc, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		acc += (uint32_t)b[i] << 8 | b[i + 1];
	if (n & 1)
		acc += (uint32_t)b[n - 1] << 8;
	return acc;
}

static uint16_t ref_fold(uint32_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}

/* True if the bytes (with their checksum) sum to 0xffff after the
 * pseudo-header of the IPv4 or IPv6 packet at ip (proto, len). */
static bool ref_ok(const uint8_t *ip, bool v6, uint8_t proto, const uint8_t *l4, size_t len,
		   bool pseudo)
{
	uint32_t acc = 0;
	if (pseudo) {
		acc = v6 ? ref_add(ref_add(0, ip + 8, 16), ip + 24, 16) : ref_add(0, ip + 12, 8);
		acc += proto + (uint32_t)(len >> 16) + (uint32_t)(len & 0xffff);
	}
	return ref_fold(ref_add(acc, l4, len)) == 0xffff;
}

static uint16_t ref_csum(const uint8_t *ip, bool v6, uint8_t proto, uint8_t *l4, size_t len,
			 size_t csum_off, bool pseudo)
{
	l4[csum_off] = l4[csum_off + 1] = 0;
	uint32_t acc = 0;
	if (pseudo) {
		acc = v6 ? ref_add(ref_add(0, ip + 8, 16), ip + 24, 16) : ref_add(0, ip + 12, 8);
		acc += proto + (uint32_t)(len >> 16) + (uint32_t)(len & 0xffff);
	}
	uint16_t c = (uint16_t)~ref_fold(ref_add(acc, l4, len));
	l4[csum_off] = (uint8_t)(c >> 8);
	l4[csum_off + 1] = (uint8_t)c;
	return c;
}

/* ---- frames ---------------------------------------------------------------------- */
static _Alignas(2048) uint8_t buf[2048];

static struct pkt *frame(const uint8_t *bytes, uint32_t len, uint32_t headroom)
{
	struct pkt *p = (struct pkt *)buf;
	memset(buf, 0, sizeof(buf));
	pkt_reset(p);
	p->data = pkt_buf_start(p) + headroom;
	memcpy(p->data, bytes, len);
	p->len = (uint16_t)len;
	assert_int_equal(parse_pkt_full(p), PARSE_OK);
	return p;
}

static const uint8_t H6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5};
static const uint8_t WKP_B[16] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, 192, 0, 2, 10};
static const uint8_t B4[4] = {192, 0, 2, 10}, EXT4[4] = {198, 51, 100, 1};

static size_t eth(uint8_t *f, uint16_t type)
{
	memset(f, 0, 14);
	f[0] = 2;
	f[6] = 2;
	f[12] = (uint8_t)(type >> 8);
	f[13] = (uint8_t)type;
	return 14;
}

/* Ethernet / IPv6 H6 -> 64:ff9b::192.0.2.10 / UDP 5353 -> 53 / 8 bytes. */
static size_t udp6(uint8_t *f, uint8_t hlim, uint8_t tc)
{
	size_t o = eth(f, ETH_TYPE_IPV6);
	uint8_t *ip = f + o;
	memset(ip, 0, 40);
	ip[0] = (uint8_t)(0x60 | tc >> 4);
	ip[1] = (uint8_t)(tc << 4 | 0x0a); /* a flow label, which is not kept */
	ip[5] = 16;
	ip[6] = IPPROTO_UDP_;
	ip[7] = hlim;
	memcpy(ip + 8, H6, 16);
	memcpy(ip + 24, WKP_B, 16);
	uint8_t *u = ip + 40;
	u[0] = 5353 >> 8, u[1] = 5353 & 255, u[2] = 0, u[3] = 53, u[4] = 0, u[5] = 16;
	memcpy(u + 8, "payload!", 8);
	ref_csum(ip, true, IPPROTO_UDP_, u, 16, 6, true);
	return o + 56;
}

/* Ethernet / IPv4 192.0.2.10 -> 198.51.100.1 / `proto` header at l4. */
static size_t ip4(uint8_t *f, uint8_t proto, const uint8_t *l4, size_t l4len, uint8_t ttl)
{
	size_t o = eth(f, ETH_TYPE_IPV4);
	uint8_t *ip = f + o;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[1] = 0xb8;
	ip[3] = (uint8_t)(20 + l4len);
	ip[8] = ttl;
	ip[9] = proto;
	memcpy(ip + 12, B4, 4);
	memcpy(ip + 16, EXT4, 4);
	uint16_t c = (uint16_t)~ref_fold(ref_add(0, ip, 20));
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	memcpy(ip + 20, l4, l4len);
	return o + 20 + l4len;
}

static uint32_t be32of(const uint8_t *b) { return sys_ld32(b); }

/* ---- RFC 6052 -------------------------------------------------------------------- */
static void test_rfc6052_examples(void **state)
{
	(void)state;
	/* RFC 6052 2.4: 192.0.2.33 under each prefix length. */
	static const struct {
		uint8_t len;
		uint8_t prefix[16];
		uint8_t addr[16];
	} ex[] = {
		{32, {0x20, 0x01, 0x0d, 0xb8}, {0x20, 0x01, 0x0d, 0xb8, 0xc0, 0x00, 0x02, 0x21}},
		{40, {0x20, 0x01, 0x0d, 0xb8, 0x01}, {0x20, 0x01, 0x0d, 0xb8, 0x01, 0xc0, 0x00, 0x02, 0, 0x21}},
		{48, {0x20, 0x01, 0x0d, 0xb8, 0x01, 0x22},
		 {0x20, 0x01, 0x0d, 0xb8, 0x01, 0x22, 0xc0, 0x00, 0, 0x02, 0x21}},
		{56, {0x20, 0x01, 0x0d, 0xb8, 0x01, 0x22, 0x03},
		 {0x20, 0x01, 0x0d, 0xb8, 0x01, 0x22, 0x03, 0xc0, 0, 0x00, 0x02, 0x21}},
		{64, {0x20, 0x01, 0x0d, 0xb8, 0x01, 0x22, 0x03, 0x44},
		 {0x20, 0x01, 0x0d, 0xb8, 0x01, 0x22, 0x03, 0x44, 0, 0xc0, 0x00, 0x02, 0x21}},
		{96, {0x20, 0x01, 0x0d, 0xb8, 0x01, 0x22, 0x03, 0x44},
		 {0x20, 0x01, 0x0d, 0xb8, 0x01, 0x22, 0x03, 0x44, 0, 0, 0, 0, 0xc0, 0x00, 0x02, 0x21}},
	};
	const uint8_t v4b[4] = {192, 0, 2, 33};
	uint32_t v4 = be32of(v4b);
	for (unsigned i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
		struct xlate64_prefix pf;
		assert_true(xlate64_prefix_len_ok(ex[i].len));
		xlate64_prefix_set(&pf, ex[i].prefix, ex[i].len);
		uint8_t out[16];
		xlate64_embed(&pf, v4, out);
		assert_memory_equal(out, ex[i].addr, 16);
		assert_true(xlate64_match(&pf, out));
		assert_int_equal(xlate64_extract(&pf, out), v4);
		assert_false(pf.wkp);
	}
	assert_false(xlate64_prefix_len_ok(33));
	assert_false(xlate64_prefix_len_ok(128));
}

static void test_v4_ok(void **state)
{
	(void)state;
	struct xlate64_prefix wkp, nsp;
	xlate64_prefix_set(&wkp, WKP_B, 96);
	xlate64_prefix_set(&nsp, H6, 64);
	assert_true(wkp.wkp);
	const uint8_t priv[4] = {10, 1, 2, 3}, cg[4] = {100, 64, 0, 1}, mc[4] = {224, 0, 0, 1},
		      lo[4] = {127, 0, 0, 1}, pub[4] = {192, 0, 2, 10};
	assert_false(xlate64_v4_ok(&wkp, be32of(priv)));
	assert_false(xlate64_v4_ok(&wkp, be32of(cg)));
	assert_true(xlate64_v4_ok(&nsp, be32of(priv))); /* a network-specific prefix may */
	assert_false(xlate64_v4_ok(&nsp, be32of(mc)));
	assert_false(xlate64_v4_ok(&nsp, be32of(lo)));
	assert_true(xlate64_v4_ok(&wkp, be32of(pub)));
}

/* ---- packets ---------------------------------------------------------------------- */
static void test_udp_6to4(void **state)
{
	(void)state;
	uint8_t f[128];
	size_t n = udp6(f, 64, 0xb8);
	struct pkt *p = frame(f, (uint32_t)n, PKT_HEADROOM);
	uint8_t *before = p->data;
	assert_int_equal(xlate64_6to4(p, be32of(EXT4), be32of(B4), sys_be16(1024), 0x1234),
			 XLATE64_OK);
	assert_ptr_equal(p->data, before + 20); /* shrunk in place */
	assert_int_equal(p->len, n - 20);
	assert_int_equal(p->l3, PKT_L3_IPV4);
	const uint8_t *ip = pkt_l3(p);
	assert_int_equal(sys_be16(sys_ld16(ip - 2)), ETH_TYPE_IPV4);
	assert_int_equal(ip[0], 0x45);
	assert_int_equal(ip[1], 0xb8);                  /* traffic class -> TOS */
	assert_int_equal(sys_be16(sys_ld16(ip + 2)), 36);
	assert_int_equal(sys_be16(sys_ld16(ip + 4)), 0x1234);
	assert_int_equal(sys_ld16(ip + 6), 0);         /* small: DF clear */
	assert_int_equal(ip[8], 63);
	assert_int_equal(ip[9], IPPROTO_UDP_);
	assert_memory_equal(ip + 12, EXT4, 4);
	assert_memory_equal(ip + 16, B4, 4);
	assert_int_equal(ref_fold(ref_add(0, ip, 20)), 0xffff);
	const uint8_t *u = pkt_l4(p);
	assert_int_equal(sys_be16(sys_ld16(u)), 1024);
	assert_memory_equal(u + 8, "payload!", 8);
	assert_true(ref_ok(ip, false, IPPROTO_UDP_, u, 16, true));
	assert_int_equal(parse_pkt_full(p), PARSE_OK); /* and it parses as what it says */
	assert_int_equal(p->l4_proto, IPPROTO_UDP_);
}

static void test_udp_4to6_zero_checksum(void **state)
{
	(void)state;
	uint8_t u[16] = {0, 53, 0x13, 0xe9, 0, 16, 0, 0};
	memcpy(u + 8, "answer!!", 8);
	uint8_t f[128];
	size_t n = ip4(f, IPPROTO_UDP_, u, 16, 9);
	struct pkt *p = frame(f, (uint32_t)n, PKT_HEADROOM);
	assert_int_equal(xlate64_4to6(p, WKP_B, H6, sys_be16(5353)), XLATE64_OK);
	assert_int_equal(p->len, n + 20);
	const uint8_t *ip = pkt_l3(p);
	assert_int_equal(sys_be16(sys_ld16(ip - 2)), ETH_TYPE_IPV6);
	assert_int_equal(ip[0] >> 4, 6);
	assert_int_equal((uint8_t)(sys_be32(sys_ld32(ip)) >> 20), 0xb8);
	assert_int_equal(sys_be32(sys_ld32(ip)) & 0xfffff, 0); /* flow label 0 */
	assert_int_equal(sys_be16(sys_ld16(ip + 4)), 16);
	assert_int_equal(ip[6], IPPROTO_UDP_);
	assert_int_equal(ip[7], 8);
	assert_memory_equal(ip + 8, WKP_B, 16);
	assert_memory_equal(ip + 24, H6, 16);
	const uint8_t *l4 = pkt_l4(p);
	assert_int_equal(sys_be16(sys_ld16(l4 + 2)), 5353);
	assert_int_not_equal(sys_ld16(l4 + 6), 0); /* computed */
	assert_true(ref_ok(ip, true, IPPROTO_UDP_, l4, 16, true));
}

static void test_tcp_round_trip(void **state)
{
	(void)state;
	/* TCP with a payload, 4 -> 6 -> 4: checksums right at each step, and
	 * the same packet at the end but for TTL and identification. */
	uint8_t t[28] = {0, 80, 0x9c, 0x40, 0, 0, 1, 0, 0, 0, 0, 0, 0x50, 0x18, 0x20, 0};
	memcpy(t + 20, "HTTP/1.0", 8);
	uint8_t f[128];
	size_t n = ip4(f, IPPROTO_TCP_, t, 28, 64);
	ref_csum(f + 14, false, IPPROTO_TCP_, f + 34, 28, 16, true);
	uint8_t orig[128];
	memcpy(orig, f, n);
	struct pkt *p = frame(f, (uint32_t)n, PKT_HEADROOM);
	assert_int_equal(xlate64_4to6(p, WKP_B, H6, sys_be16(40000)), XLATE64_OK);
	assert_true(ref_ok(pkt_l3(p), true, IPPROTO_TCP_, pkt_l4(p), 28, true));
	assert_int_equal(parse_pkt_full(p), PARSE_OK);
	/* back the other way: the reply direction's own rewrite */
	assert_int_equal(xlate64_6to4(p, be32of(B4), be32of(EXT4), sys_be16(80), 0), XLATE64_OK);
	const uint8_t *ip = pkt_l3(p);
	assert_true(ref_ok(ip, false, IPPROTO_TCP_, pkt_l4(p), 28, true));
	assert_int_equal(ip[8], 62);
	/* ports: dport 40000 kept from the first step, sport back to 80 */
	assert_memory_equal(pkt_l4(p) + 4, orig + 34 + 4, 24);
	assert_int_equal(sys_be16(sys_ld16(pkt_l4(p) + 2)), 40000);
}

static void test_echo_both_ways(void **state)
{
	(void)state;
	uint8_t e[16] = {0, 0, 0, 0, 0x0f, 0xa0, 0, 1};
	memcpy(e + 8, "ping0123", 8);
	ref_csum(NULL, false, 0, e, 16, 2, false);
	uint8_t f[128];
	size_t n = ip4(f, IPPROTO_ICMP_, e, 16, 64);
	struct pkt *p = frame(f, (uint32_t)n, PKT_HEADROOM);
	assert_int_equal(xlate64_4to6(p, WKP_B, H6, sys_be16(77)), XLATE64_OK);
	const uint8_t *l4 = pkt_l4(p);
	assert_int_equal(p->l4_proto, IPPROTO_ICMPV6_);
	assert_int_equal(l4[0], 129); /* echo reply */
	assert_int_equal(sys_be16(sys_ld16(l4 + 4)), 77);
	assert_true(ref_ok(pkt_l3(p), true, IPPROTO_ICMPV6_, l4, 16, true));
	assert_int_equal(parse_pkt_full(p), PARSE_OK);
	assert_int_equal(xlate64_6to4(p, be32of(B4), be32of(EXT4), sys_be16(4000), 1), XLATE64_OK);
	l4 = pkt_l4(p);
	assert_int_equal(l4[0], 0);
	assert_int_equal(pkt_l3(p)[9], IPPROTO_ICMP_);
	assert_true(ref_ok(NULL, false, 0, l4, 16, false));
	assert_memory_equal(l4, e, 16); /* the same message again */
}

/* ---- random packets: incremental checksums against full ones --------------------- */
static uint32_t rnd_state = 0x2545f491u;

static uint32_t rnd(void) /* xorshift32: the same packets every run */
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

static void rnd_bytes(uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)rnd();
}

/* A random IPv6 TCP, UDP or ICMPv6 echo request from a random host to a
 * random IPv4 address under the well-known prefix, its checksum right by
 * ref_csum; returns its length and the protocol and transport length. */
static size_t rnd_pkt6(uint8_t *f, uint8_t *proto, size_t *l4len)
{
	static const uint8_t protos[3] = {IPPROTO_TCP_, IPPROTO_UDP_, IPPROTO_ICMPV6_};
	size_t o = eth(f, ETH_TYPE_IPV6);
	uint8_t *ip = f + o, *l4 = ip + 40;
	*proto = protos[rnd() % 3];
	size_t hlen = *proto == IPPROTO_TCP_ ? 20 : 8, len = hlen + rnd() % 64;
	rnd_bytes(ip, 40 + len);
	ip[0] = (uint8_t)(0x60 | (ip[0] & 15));
	ip[4] = 0;
	ip[5] = (uint8_t)len;
	ip[6] = *proto;
	ip[7] = (uint8_t)(2 + rnd() % 254);
	memcpy(ip + 24, WKP_B, 12);
	if (*proto == IPPROTO_TCP_) {
		l4[12] = 0x50;
		ref_csum(ip, true, *proto, l4, len, 16, true);
	} else if (*proto == IPPROTO_UDP_) {
		l4[4] = 0;
		l4[5] = (uint8_t)len;
		ref_csum(ip, true, *proto, l4, len, 6, true);
	} else {
		l4[0] = 128;
		l4[1] = 0;
		ref_csum(ip, true, *proto, l4, len, 2, true);
	}
	*l4len = len;
	return o + 40 + len;
}

/* Random packets there and back: after each translation the IPv4 header
 * checksum and the transport checksum (RFC 1624 updates of the pseudo-
 * header, the port and the ICMP type) are what a full sum says. */
static void test_random_round_trips(void **state)
{
	(void)state;
	for (int i = 0; i < 5000; i++) {
		uint8_t f[160], proto;
		size_t l4len, n = rnd_pkt6(f, &proto, &l4len);
		struct pkt *p = frame(f, (uint32_t)n, PKT_HEADROOM);
		uint32_t src = rnd(), dst = rnd();
		uint16_t port = (uint16_t)rnd(), id = (uint16_t)rnd();
		assert_int_equal(xlate64_6to4(p, src, dst, port, id), XLATE64_OK);
		const uint8_t *ip = pkt_l3(p);
		uint8_t p4 = proto == IPPROTO_ICMPV6_ ? IPPROTO_ICMP_ : proto;
		assert_int_equal(ref_fold(ref_add(0, ip, 20)), 0xffff);
		assert_int_equal(sys_ld32(ip + 12), src);
		assert_int_equal(sys_ld16(pkt_l4(p) + (p4 == IPPROTO_ICMP_ ? 4 : 0)), port);
		assert_true(ref_ok(ip, false, p4, pkt_l4(p), l4len, p4 != IPPROTO_ICMP_));
		assert_int_equal(parse_pkt_full(p), PARSE_OK);
		uint8_t s6[16], d6[16];
		rnd_bytes(s6, 16);
		rnd_bytes(d6, 16);
		port = (uint16_t)rnd();
		assert_int_equal(xlate64_4to6(p, s6, d6, port), XLATE64_OK);
		ip = pkt_l3(p);
		assert_memory_equal(ip + 8, s6, 16);
		assert_int_equal(sys_ld16(pkt_l4(p) + (p4 == IPPROTO_ICMP_ ? 4 : 2)), port);
		assert_true(ref_ok(ip, true, proto, pkt_l4(p), l4len, true));
	}
}

static void test_no_headroom(void **state)
{
	(void)state;
	uint8_t u[16] = {0, 53, 0x13, 0xe9, 0, 16, 0, 0};
	uint8_t f[128];
	size_t n = ip4(f, IPPROTO_UDP_, u, 16, 9);
	struct pkt *p = frame(f, (uint32_t)n, 10);
	assert_int_equal(xlate64_4to6(p, WKP_B, H6, sys_be16(5353)), XLATE64_NO_ROOM);
	assert_int_equal(p->len, n);
	assert_memory_equal(p->data, f, n); /* untouched */
}

static void test_icmp_maps(void **state)
{
	(void)state;
	uint8_t t, c, r[4];
	const uint8_t z[4] = {0}, mtu1400[4] = {0, 0, 0x05, 0x78}, ptr9[4] = {9};
	assert_true(xlate64_icmp4_map(3, 3, z, 100, &t, &c, r));
	assert_int_equal(t, 1), assert_int_equal(c, 4);
	assert_true(xlate64_icmp4_map(3, 13, z, 100, &t, &c, r));
	assert_int_equal(t, 1), assert_int_equal(c, 1);
	assert_true(xlate64_icmp4_map(3, 2, z, 100, &t, &c, r));
	assert_int_equal(t, 4), assert_int_equal(c, 1), assert_int_equal(sys_be32(sys_ld32(r)), 6);
	assert_true(xlate64_icmp4_map(3, 4, mtu1400, 100, &t, &c, r));
	assert_int_equal(t, 2), assert_int_equal(sys_be32(sys_ld32(r)), 1420);
	assert_true(xlate64_icmp4_map(3, 4, z, 1500, &t, &c, r)); /* MTU 0: plateau 1492 */
	assert_int_equal(sys_be32(sys_ld32(r)), 1512);
	assert_true(xlate64_icmp4_map(12, 0, ptr9, 100, &t, &c, r));
	assert_int_equal(t, 4), assert_int_equal(c, 0), assert_int_equal(sys_be32(sys_ld32(r)), 6);
	const uint8_t ptr4[4] = {4};
	assert_false(xlate64_icmp4_map(12, 0, ptr4, 100, &t, &c, r)); /* identification */
	assert_false(xlate64_icmp4_map(3, 14, z, 100, &t, &c, r));
	assert_false(xlate64_icmp4_map(4, 0, z, 100, &t, &c, r));   /* source quench */
	assert_false(xlate64_icmp4_map(5, 0, z, 100, &t, &c, r));   /* redirect */
	assert_true(xlate64_icmp4_map(11, 1, z, 100, &t, &c, r));
	assert_int_equal(t, 3), assert_int_equal(c, 1);

	const uint8_t mtu1300[4] = {0, 0, 0x05, 0x14}, p6_7[4] = {0, 0, 0, 7}, p6_30[4] = {0, 0, 0, 30},
		      p6_2[4] = {0, 0, 0, 2};
	assert_true(xlate64_icmp6_map(1, 4, z, &t, &c, r));
	assert_int_equal(t, 3), assert_int_equal(c, 3);
	assert_true(xlate64_icmp6_map(1, 1, z, &t, &c, r));
	assert_int_equal(t, 3), assert_int_equal(c, 10);
	assert_true(xlate64_icmp6_map(2, 0, mtu1300, &t, &c, r));
	assert_int_equal(t, 3), assert_int_equal(c, 4), assert_int_equal(sys_be16(sys_ld16(r + 2)), 1280);
	assert_true(xlate64_icmp6_map(4, 0, p6_7, &t, &c, r));
	assert_int_equal(t, 12), assert_int_equal(r[0], 8);
	assert_true(xlate64_icmp6_map(4, 0, p6_30, &t, &c, r));
	assert_int_equal(r[0], 16);
	assert_false(xlate64_icmp6_map(4, 0, p6_2, &t, &c, r)); /* flow label */
	assert_true(xlate64_icmp6_map(4, 1, z, &t, &c, r));
	assert_int_equal(t, 3), assert_int_equal(c, 2);
	assert_false(xlate64_icmp6_map(4, 2, z, &t, &c, r));
	assert_false(xlate64_icmp6_map(1, 5, z, &t, &c, r));
	assert_false(xlate64_icmp6_map(135, 0, z, &t, &c, r)); /* neighbour solicitation */
}

static void test_icmp_error_4to6(void **state)
{
	(void)state;
	/* Port unreachable from 192.0.2.10 to 198.51.100.1 quoting the UDP
	 * packet 198.51.100.1:1024 -> 192.0.2.10:53 as the NAT sent it. */
	uint8_t q[36] = {0x45, 0, 0, 36, 0, 1, 0, 0, 63, IPPROTO_UDP_};
	memcpy(q + 12, EXT4, 4);
	memcpy(q + 16, B4, 4);
	uint16_t hc = (uint16_t)~ref_fold(ref_add(0, q, 20));
	q[10] = (uint8_t)(hc >> 8), q[11] = (uint8_t)hc;
	uint8_t *u = q + 20;
	u[0] = 4, u[1] = 0, u[2] = 0, u[3] = 53, u[4] = 0, u[5] = 16;
	memcpy(u + 8, "payload!", 8);
	ref_csum(q, false, IPPROTO_UDP_, u, 16, 6, true);
	uint8_t icmp[8 + 36] = {3, 3};
	memcpy(icmp + 8, q, 36);
	ref_csum(NULL, false, 0, icmp, sizeof(icmp), 2, false);
	uint8_t f[256];
	size_t n = ip4(f, IPPROTO_ICMP_, icmp, sizeof(icmp), 30);
	struct pkt *p = frame(f, (uint32_t)n, PKT_HEADROOM);
	struct xlate_inner in;
	assert_true(xlate_icmp_inner(p, &in));
	assert_int_equal(xlate64_icmp_4to6(p, &in, WKP_B, H6, H6, WKP_B, sys_be16(5353)), XLATE64_OK);
	assert_int_equal(p->len, n + 40);
	const uint8_t *ip = pkt_l3(p), *ic = pkt_l4(p);
	assert_int_equal(ip[6], IPPROTO_ICMPV6_);
	assert_int_equal(ip[7], 29);
	assert_int_equal(ic[0], 1), assert_int_equal(ic[1], 4);
	uint32_t plen = sys_be16(sys_ld16(ip + 4));
	assert_int_equal(plen, 8 + 40 + 16);
	assert_true(ref_ok(ip, true, IPPROTO_ICMPV6_, ic, plen, true));
	/* the quote: an IPv6 UDP packet H6:5353 -> 64:ff9b::192.0.2.10:53 */
	const uint8_t *qi = ic + 8;
	assert_int_equal(qi[0] >> 4, 6);
	assert_int_equal(sys_be16(sys_ld16(qi + 4)), 16);
	assert_int_equal(qi[7], 63);
	assert_memory_equal(qi + 8, H6, 16);
	assert_memory_equal(qi + 24, WKP_B, 16);
	assert_int_equal(sys_be16(sys_ld16(qi + 40)), 5353);
	assert_true(ref_ok(qi, true, IPPROTO_UDP_, qi + 40, 16, true));
	/* and its way back is the IPv6 parser's and xlate64_icmp6_inner's */
	assert_int_equal(parse_pkt_full(p), PARSE_OK);
	assert_true(xlate64_icmp6_inner(p, &in));
	assert_int_equal(in.key.proto, IPPROTO_UDP_);
	assert_int_equal(sys_be16(in.key.sport), 5353);
}

static void test_icmp_error_6to4_cut(void **state)
{
	(void)state;
	/* A packet too big (MTU 1300) from an IPv6 host, quoting a 1200-byte
	 * IPv6 UDP packet: IPv4 errors stop at 576 bytes. */
	static uint8_t f[1400];
	size_t o = eth(f, ETH_TYPE_IPV6);
	uint8_t *ip = f + o;
	uint32_t qlen = 1200, plen = 8 + 40 + qlen;
	memset(ip, 0, 40 + plen);
	ip[0] = 0x60, ip[4] = (uint8_t)(plen >> 8), ip[5] = (uint8_t)plen, ip[6] = IPPROTO_ICMPV6_;
	ip[7] = 64;
	memcpy(ip + 8, H6, 16);
	memcpy(ip + 24, WKP_B, 16);
	uint8_t *ic = ip + 40;
	ic[0] = 2, ic[6] = 0x05, ic[7] = 0x14;
	uint8_t *qi = ic + 8;
	qi[0] = 0x60, qi[4] = (uint8_t)(qlen >> 8), qi[5] = (uint8_t)qlen, qi[6] = IPPROTO_UDP_;
	qi[7] = 50;
	memcpy(qi + 8, WKP_B, 16);
	memcpy(qi + 24, H6, 16);
	uint8_t *u = qi + 40;
	u[0] = 0, u[1] = 53, u[2] = 0x13, u[3] = 0xe9, u[4] = (uint8_t)(qlen >> 8), u[5] = (uint8_t)qlen;
	ref_csum(qi, true, IPPROTO_UDP_, u, qlen, 6, true);
	ref_csum(ip, true, IPPROTO_ICMPV6_, ic, plen, 2, true);
	struct pkt *p = frame(f, (uint32_t)(o + 40 + plen), PKT_HEADROOM);
	struct xlate_inner in;
	assert_true(xlate64_icmp6_inner(p, &in));
	assert_int_equal(xlate64_icmp_6to4(p, &in, be32of(EXT4), be32of(B4), be32of(B4), be32of(EXT4),
					   sys_be16(1024), 7),
			 XLATE64_OK);
	const uint8_t *ip4h = pkt_l3(p), *ic4 = pkt_l4(p);
	assert_int_equal(p->l3_len, 576);
	assert_int_equal(p->len, 14 + 576);
	assert_int_equal(sys_be16(sys_ld16(ip4h + 2)), 576);
	assert_int_equal(ref_fold(ref_add(0, ip4h, 20)), 0xffff);
	assert_int_equal(ic4[0], 3), assert_int_equal(ic4[1], 4);
	assert_int_equal(sys_be16(sys_ld16(ic4 + 6)), 1280);
	assert_true(ref_ok(NULL, false, 0, ic4, 556, false));
	const uint8_t *q4 = ic4 + 8;
	assert_int_equal(sys_be16(sys_ld16(q4 + 2)), 20 + qlen); /* the quoted length as it was */
	assert_int_equal(ref_fold(ref_add(0, q4, 20)), 0xffff);
	assert_int_equal(q4[8], 50);
	assert_int_equal(sys_be16(sys_ld16(q4 + 22)), 1024);
}

static void test_source_route(void **state)
{
	(void)state;
	uint8_t u[8] = {0, 1, 0, 2, 0, 8, 0, 0};
	uint8_t f[128];
	size_t o = eth(f, ETH_TYPE_IPV4);
	uint8_t *ip = f + o;
	memset(ip, 0, 32);
	ip[0] = 0x48; /* 12 bytes of options */
	ip[3] = 32 + 8;
	ip[8] = 9;
	ip[9] = IPPROTO_UDP_;
	memcpy(ip + 12, B4, 4);
	memcpy(ip + 16, EXT4, 4);
	memcpy(ip + 32, u, 8);
	/* NOP, LSRR len 7 ptr 4 (one address left), EOL */
	const uint8_t lsrr[12] = {1, 131, 7, 4, 10, 0, 0, 1, 0};
	memcpy(ip + 20, lsrr, 12);
	struct pkt *p = frame(f, (uint32_t)(o + 40), PKT_HEADROOM);
	assert_true(xlate64_v4_source_route(p));
	ip = pkt_l3(p);
	ip[23] = 8; /* pointer past the route: expired, ignored */
	assert_false(xlate64_v4_source_route(p));
	ip[21] = 7; /* a record-route-like option: ignored */
	assert_false(xlate64_v4_source_route(p));
}

/* udp6's packet with extension headers `ext` (ext_len bytes, its first
 * header's type `first`, the last one's next header UDP) after the fixed
 * header. */
static size_t udp6_ext(uint8_t *f, uint8_t first, const uint8_t *ext, size_t ext_len)
{
	uint8_t plain[128];
	size_t n = udp6(plain, 64, 0);
	memcpy(f, plain, 14 + 40);
	memcpy(f + 54, ext, ext_len);
	memcpy(f + 54 + ext_len, plain + 54, n - 54);
	f[14 + 5] = (uint8_t)(16 + ext_len);
	f[14 + 6] = first;
	return n + ext_len;
}

/* RFC 7915 5.1: hop-by-hop, routing (no segments left), destination
 * options and an atomic fragment header are removed, leaving exactly the
 * packet without them (the L2 header moved along); AH and a routing header
 * with segments left are refused, the packet untouched. */
static void test_skip_ext(void **state)
{
	(void)state;
	uint8_t plain[128], f[256], before[256];
	size_t n = udp6(plain, 64, 0);
	/* HBH (8, PadN) -> routing type 4, segments left 0 (8) -> fragment
	 * offset 0 M 0 (8) -> destination options (16) -> UDP */
	const uint8_t ext[40] = {43, 0, 1, 4, 0, 0, 0, 0,  44, 0, 4, 0, 0, 0, 0, 0,
				 60, 0, 0, 0, 0, 0, 0, 7,  IPPROTO_UDP_, 1, 1, 12};
	size_t m = udp6_ext(f, 0, ext, sizeof(ext));
	struct pkt *p = frame(f, (uint32_t)m, 64);
	assert_true(p->flags & PKT_F_IPV6_EXT);
	assert_false(p->flags & PKT_F_FRAG);
	assert_int_equal(xlate64_skip_ext(p), XLATE64_EXT_OK);
	assert_int_equal(p->len, n);
	assert_memory_equal(p->data, plain, n);
	assert_int_equal(p->l4_off, 54);
	assert_int_equal(p->l3_len, n - 14);
	assert_false(p->flags & PKT_F_IPV6_EXT);
	assert_int_equal(pkt_headroom(p), 64 + sizeof(ext));
	/* Segments left 1: refused, nothing changed. */
	const uint8_t route[24] = {IPPROTO_UDP_, 2, 0, 1};
	m = udp6_ext(f, 43, route, sizeof(route));
	p = frame(f, (uint32_t)m, 64);
	memcpy(before, p->data, m);
	assert_int_equal(xlate64_skip_ext(p), XLATE64_EXT_ROUTE);
	assert_int_equal(p->len, m);
	assert_memory_equal(p->data, before, m);
	/* AH (RFC 4302: 24 bytes, length field 4). */
	const uint8_t ah[24] = {IPPROTO_UDP_, 4};
	m = udp6_ext(f, 51, ah, sizeof(ah));
	p = frame(f, (uint32_t)m, 64);
	assert_int_equal(xlate64_skip_ext(p), XLATE64_EXT_OTHER);
	assert_int_equal(p->len, m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc6052_examples),
		cmocka_unit_test(test_skip_ext),
		cmocka_unit_test(test_v4_ok),
		cmocka_unit_test(test_udp_6to4),
		cmocka_unit_test(test_udp_4to6_zero_checksum),
		cmocka_unit_test(test_tcp_round_trip),
		cmocka_unit_test(test_echo_both_ways),
		cmocka_unit_test(test_random_round_trips),
		cmocka_unit_test(test_no_headroom),
		cmocka_unit_test(test_icmp_maps),
		cmocka_unit_test(test_icmp_error_4to6),
		cmocka_unit_test(test_icmp_error_6to4_cut),
		cmocka_unit_test(test_source_route),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
