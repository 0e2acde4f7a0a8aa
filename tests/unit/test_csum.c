/* SPDX-License-Identifier: MIT */
/*
 * test_csum.c - RFC 1071 sums, whole-packet fill/verify, RFC 1624 updates.
 *
 * The packet vectors were built with scapy and their checksums confirmed by
 * tshark 4.0 with checksum validation on (status "good" for every IP, TCP,
 * UDP, ICMP and ICMPv6 checksum), including a TCP/IPv6 packet whose routing
 * header (segments left 2) makes the pseudo-header use the final
 * destination.
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

/* ---- vectors (scapy-built, tshark-checked) -------------------------------- */

/* IPv4/TCP, timestamps option, 17-byte payload (odd). ip 0xb504, tcp 0x7190. */
static const uint8_t v4_tcp[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x45, 0x10, 0x92, 0x00, 0x00, 0x3d, 0x06,
	0xb5, 0x04, 0x0a, 0x01, 0x02, 0x03, 0xac, 0x10, 0x00, 0x09, 0xc8, 0x22,
	0x01, 0xbb, 0x01, 0x02, 0x03, 0x04, 0x0a, 0x0b, 0x0c, 0x0d, 0x80, 0x18,
	0x01, 0xf5, 0x71, 0x90, 0x00, 0x00, 0x01, 0x01, 0x08, 0x0a, 0x00, 0x01,
	0xe2, 0x40, 0x00, 0x09, 0xfb, 0xf1, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x2c,
	0x20, 0x63, 0x68, 0x65, 0x63, 0x6b, 0x73, 0x75, 0x6d, 0x21, 0x78,
};
/* IPv4/UDP, 11-byte payload.  ip 0xa903, udp 0x30e7. */
static const uint8_t v4_udp[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x27, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11,
	0xa9, 0x03, 0xc0, 0xa8, 0x01, 0x0a, 0x08, 0x08, 0x08, 0x08, 0x82, 0x35,
	0x14, 0xe9, 0x00, 0x13, 0x30, 0xe7, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66,
	0x67, 0x68, 0x69, 0x6a, 0x6b,
};
/* IPv4/ICMP echo request.  ip 0x66cf, icmp 0xb6f3. */
static const uint8_t v4_icmp[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x2b, 0x00, 0x01, 0x00, 0x00, 0x40, 0x01,
	0x66, 0xcf, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x08, 0x00,
	0xb6, 0xf3, 0x12, 0x34, 0x00, 0x07, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35,
	0x36, 0x37, 0x38, 0x39, 0x61, 0x62, 0x63, 0x64, 0x65,
};
/* IPv6/UDP, 14-byte payload.  udp 0x2e5e. */
static const uint8_t v6_udp[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x16, 0x11, 0x40, 0x20, 0x01,
	0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x10, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x13, 0x88, 0x17, 0x70, 0x00, 0x16,
	0x2e, 0x5e, 0x76, 0x36, 0x20, 0x70, 0x61, 0x79, 0x6c, 0x6f, 0x61, 0x64,
	0x20, 0x6f, 0x64, 0x64,
};
/* IPv6, routing header type 0 with 2 addresses and segments left 2, TCP
 * SYN.  tcp 0x28ac, computed with the final destination 2001:db8::c. */
static const uint8_t v6_rt_tcp[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x2b, 0x40, 0x20, 0x01,
	0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x06, 0x04, 0x00, 0x02, 0x00, 0x00,
	0x00, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x03, 0xe8,
	0x07, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x50, 0x02,
	0x20, 0x00, 0x28, 0xac, 0x00, 0x00,
};
/* IPv6/ICMPv6 echo request.  icmpv6 0x4c6f. */
static const uint8_t v6_icmp6[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x0f, 0x3a, 0x40, 0xfe, 0x80,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x01, 0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x80, 0x00, 0x4c, 0x6f, 0x00, 0x4d,
	0x00, 0x03, 0x70, 0x69, 0x6e, 0x67, 0x36, 0x21, 0x21,
};

struct vec {
	const char *name;
	const uint8_t *bytes;
	uint32_t len;
	uint16_t l4_csum;       /* expected, host order */
	uint32_t l4_csum_off;   /* from the start of the frame */
};

#define VEC(n, c, off) { #n, n, sizeof(n), c, off }
static const struct vec vecs[] = {
	VEC(v4_tcp, 0x7190, 34 + 16), VEC(v4_udp, 0x30e7, 34 + 6),
	VEC(v4_icmp, 0xb6f3, 34 + 2), VEC(v6_udp, 0x2e5e, 54 + 6),
	VEC(v6_rt_tcp, 0x28ac, 54 + 40 + 16), VEC(v6_icmp6, 0x4c6f, 54 + 2),
};

/* ---- helpers -------------------------------------------------------------- */

/* A packet over a real 2 KiB buffer, as the dataplane sees one. */
static struct pkt *frame(const uint8_t *bytes, uint32_t len)
{
	static union {
		struct pkt p;
		uint8_t raw[PKT_BUF_SIZE];
	} buf __attribute__((aligned(PKT_BUF_SIZE)));
	memset(&buf, 0, sizeof(buf));
	pkt_reset(&buf.p);
	assert_int_equal(pkt_set_data(&buf.p, bytes, len), 0);
	assert_int_equal(parse_pkt(&buf.p), PARSE_OK);
	return &buf.p;
}

/* The obvious RFC 1071 sum: big-endian 16-bit words, odd byte padded. */
static uint16_t ref_sum(const uint8_t *b, uint32_t len)
{
	uint64_t s = 0;
	for (uint32_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)b[i] << 8 | b[i + 1];
	if (len & 1)
		s += (uint32_t)b[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

/* ---- tests ---------------------------------------------------------------- */

/* RFC 1071 3: the bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2. */
static void test_rfc1071_example(void **state)
{
	(void)state;
	static const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	assert_int_equal(sys_be16(csum_fold(csum_partial(b, sizeof(b), 0))), (uint16_t)~0xddf2);
	/* Chained in even pieces, same answer. */
	uint32_t s = csum_partial(b, 2, 0);
	s = csum_partial(b + 2, 4, s);
	s = csum_partial(b + 6, 2, s);
	assert_int_equal(sys_be16(csum_fold(s)), (uint16_t)~0xddf2);
	assert_int_equal(csum_fold(csum_partial(b, 0, 0)), 0xffff);
}

/* The textbook header 4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7. */
static void test_ipv4_header(void **state)
{
	(void)state;
	uint8_t h[] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
		       0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
	assert_int_equal(csum_ipv4_hdr(h, 20), 0);
	h[10] = h[11] = 0;
	assert_int_equal(sys_be16(csum_ipv4_hdr(h, 20)), 0xb861);
}

/* Against the naive sum: every length 0..300 at every alignment 0..7, and
 * random buffers up to 9 KiB split into random even-length pieces. */
static void test_partial_matches_reference(void **state)
{
	(void)state;
	static uint8_t buf[9300];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rnd();
	for (uint32_t align = 0; align < 8; align++)
		for (uint32_t len = 0; len <= 300; len++) {
			uint16_t got = csum_fold(csum_partial(buf + align, len, 0));
			assert_int_equal(sys_be16(got), (uint16_t)~ref_sum(buf + align, len));
		}
	for (int t = 0; t < 300; t++) {
		uint32_t off = rnd() % 64, len = rnd() % 9216, pos = 0, s = 0;
		while (pos < len) {
			uint32_t piece = (rnd() % 700) & ~1u;
			if (piece > len - pos || piece == 0)
				piece = len - pos;
			s = csum_partial(buf + off + pos, piece, s);
			pos += piece;
		}
		assert_int_equal(sys_be16(csum_fold(s)), (uint16_t)~ref_sum(buf + off, len));
	}
	/* Words chosen so the 128-bit accumulator ends at 2^65 - 1: folding
	 * its halves then carries out of 64 bits once more. */
	static const uint8_t wrap[24] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 0, 0,
					 0,    0,    0,    0,    0,    0xff, 0xff, 0xff, 0xff, 0xff,
					 0xff, 0xff, 0xff};
	assert_int_equal(sys_be16(csum_fold(csum_partial(wrap, 24, 0))),
			 (uint16_t)~ref_sum(wrap, 24));
	/* All ones: the accumulator's carries are exercised hardest. */
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(csum_fold(csum_partial(buf, 9216, 0xffffffffu)), 0);
	assert_int_equal(sys_be16(csum_fold(csum_partial(buf, 9215, 0))),
			 (uint16_t)~ref_sum(buf, 9215));
}

/* scapy's checksums, confirmed by tshark: verify accepts them, fill
 * recomputes them from zero, any flipped byte is caught. */
static void test_known_packets(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
		const struct vec *v = &vecs[i];
		struct pkt *p = frame(v->bytes, v->len);
		assert_true(p->flags & PKT_F_L4);
		assert_true(csum_verify(p));
		assert_int_equal(p->data[v->l4_csum_off] << 8 | p->data[v->l4_csum_off + 1], v->l4_csum);

		/* Wipe both checksums, recompute, compare with the original. */
		p->data[v->l4_csum_off] = 0x5a;
		p->data[v->l4_csum_off + 1] = 0xa5;
		if (p->l3 == PKT_L3_IPV4)
			p->data[24] = p->data[25] = 0;
		assert_false(csum_verify(p));
		assert_int_equal(csum_fill(p), 0);
		assert_memory_equal(p->data, v->bytes, v->len);
		assert_true(csum_verify(p));

		/* A flipped bit is caught in every byte the sums cover: the
		 * IPv4 header, the IPv6 addresses, the L4 header and data.
		 * (Not the other IPv6 fields, nor the routing header, nor -
		 * while segments are left - the IPv6 destination, which is
		 * not the final one: no checksum covers them.) */
		bool routed = p->flags & PKT_F_IPV6_EXT;
		for (uint32_t at = 14; at < v->len; at++) {
			if (p->l3 == PKT_L3_IPV6 && (at < 22 || (routed && at >= 38 && at < 54) ||
						     (at >= 54 && at < p->l4_off)))
				continue;
			p->data[at] ^= 0x40;
			bool ok = csum_verify(p);
			p->data[at] ^= 0x40;
			if (ok)
				fail_msg("%s: flip at %u not detected", v->name, at);
		}
	}
}

/* RFC 8200 8.1 final destination: segments left 0 means the IPv6
 * destination is final; an SRH (type 4) names it in Segment List[0]. */
static void test_routing_final_dst(void **state)
{
	(void)state;
	uint8_t b[sizeof(v6_rt_tcp)];
	const uint32_t rh = 54, tcp = 54 + 40;
	memcpy(b, v6_rt_tcp, sizeof(b));

	b[rh + 3] = 0; /* segments left 0: the header's dst is final */
	struct pkt *p = frame(b, sizeof(b));
	assert_false(csum_verify(p));
	assert_int_equal(csum_fill(p), 0);
	uint32_t s = csum_pseudo_v6(p->data + 22, p->data + 38, 6, 20);
	assert_int_equal(csum_fold(csum_partial(p->data + tcp, 20, s)), 0);

	b[rh + 2] = 4; /* SRH, segments left 1: Segment List[0] = ::b */
	b[rh + 3] = 1;
	p = frame(b, sizeof(b));
	assert_int_equal(csum_fill(p), 0);
	assert_true(csum_verify(p));
	s = csum_pseudo_v6(p->data + 22, p->data + rh + 8, 6, 20);
	assert_int_equal(csum_fold(csum_partial(p->data + tcp, 20, s)), 0);

	b[rh + 2] = 3; /* RPL (RFC 6554), not interpreted: the header's dst */
	p = frame(b, sizeof(b));
	assert_int_equal(csum_fill(p), 0);
	s = csum_pseudo_v6(p->data + 22, p->data + 38, 6, 20);
	assert_int_equal(csum_fold(csum_partial(p->data + tcp, 20, s)), 0);
}

static void test_udp_zero(void **state)
{
	(void)state;
	uint8_t b[sizeof(v4_udp)];
	memcpy(b, v4_udp, sizeof(b));
	struct pkt *p = frame(b, sizeof(b));
	/* "No checksum" is accepted for IPv4. */
	p->data[40] = p->data[41] = 0;
	assert_true(csum_verify(p));

	/* Make the data sum to all ones: the computed checksum is 0, which
	 * must go on the wire as 0xffff (RFC 768). */
	p->data[42] = p->data[43] = 0;
	assert_int_equal(csum_fill(p), 0);
	uint16_t c = sys_ld16(p->data + 40);
	sys_st16(p->data + 42, c);
	assert_int_equal(csum_fill(p), 0);
	assert_int_equal(sys_ld16(p->data + 40), 0xffff);
	assert_true(csum_verify(p));

	/* IPv6: zero is not allowed (RFC 8200 8.1). */
	p = frame(v6_udp, sizeof(v6_udp));
	p->data[60] = p->data[61] = 0;
	assert_false(csum_verify(p));
	assert_int_equal(csum_fill(p), 0);
	assert_true(csum_verify(p));
}

/* No L4 to sum: -EINVAL, but the IPv4 header checksum is still refreshed. */
static void test_fill_without_l4(void **state)
{
	(void)state;
	uint8_t b[sizeof(v4_udp)];
	memcpy(b, v4_udp, sizeof(b));
	b[20] = 0x20; /* MF: a first fragment */
	b[24] = b[25] = 0;
	struct pkt *p = frame(b, sizeof(b));
	assert_true(p->flags & PKT_F_FRAG);
	assert_int_equal(csum_fill(p), -SYS_EINVAL);
	assert_int_equal(csum_ipv4_hdr(p->data + 14, 20), 0);
	assert_true(csum_verify(p));
	assert_int_equal(p->data[40] << 8 | p->data[41], 0x30e7); /* untouched */

	b[20] = 0;
	b[23] = 47; /* GRE: not ours */
	p = frame(b, sizeof(b));
	assert_false(p->flags & PKT_F_L4);
	assert_int_equal(csum_fill(p), -SYS_EINVAL);
	assert_true(csum_verify(p));
}

/* A full recompute after the change, the reference for the updates. */
static uint16_t recompute_l4(struct pkt *p, uint32_t csum_off)
{
	uint8_t save[2048];
	memcpy(save, p->data, p->len);
	assert_int_equal(csum_fill(p), 0);
	uint16_t c = sys_ld16(p->data + csum_off);
	memcpy(p->data, save, p->len);
	return c;
}

/* RFC 1624: NAT-style rewrites of ports, IPv4 and IPv6 addresses, updated
 * incrementally, equal a full recompute - for random values. */
static void test_incremental(void **state)
{
	(void)state;
	for (int t = 0; t < 2000; t++) {
		struct pkt *p = frame(v4_tcp, sizeof(v4_tcp));
		uint8_t *ip = p->data + 14, *tcp = p->data + 34;
		uint16_t l4c = sys_ld16(tcp + 16), ipc = sys_ld16(ip + 10);

		uint32_t old_src = sys_ld32(ip + 12), new_src = rnd();
		uint16_t old_port = sys_ld16(tcp), new_port = (uint16_t)rnd();
		uint16_t old_ttl = sys_ld16(ip + 8); /* ttl | proto word */
		sys_st32(ip + 12, new_src);
		sys_st16(tcp, new_port);
		ip[8] = (uint8_t)rnd();
		uint16_t new_ttl = sys_ld16(ip + 8);

		l4c = csum_update32(l4c, old_src, new_src);
		l4c = csum_update16(l4c, old_port, new_port);
		ipc = csum_update32(ipc, old_src, new_src);
		ipc = csum_update16(ipc, old_ttl, new_ttl);
		sys_st16(tcp + 16, l4c);
		sys_st16(ip + 10, ipc);
		assert_true(csum_verify(p));
		assert_int_equal(l4c, recompute_l4(p, 34 + 16));
		sys_st16(ip + 10, 0);
		assert_int_equal(ipc, csum_ipv4_hdr(ip, 20));
	}
	for (int t = 0; t < 2000; t++) {
		struct pkt *p = frame(v6_udp, sizeof(v6_udp));
		uint8_t *ip = p->data + 14, *udp = p->data + 54;
		uint8_t old_a[16], new_a[16];
		memcpy(old_a, ip + 8 + (t & 1) * 16, 16);
		for (int i = 0; i < 16; i++)
			new_a[i] = (uint8_t)rnd();
		memcpy(ip + 8 + (t & 1) * 16, new_a, 16);
		uint16_t c = csum_update128(sys_ld16(udp + 6), old_a, new_a);
		sys_st16(udp + 6, c);
		assert_true(csum_verify(p));
		assert_int_equal(c, recompute_l4(p, 54 + 6));
	}
	/* Identity change leaves the checksum alone. */
	assert_int_equal(csum_update16(0x1234, 0xabcd, 0xabcd), 0x1234);
	assert_int_equal(csum_update32(0x1234, 0xdeadbeef, 0xdeadbeef), 0x1234);
}

/* The pseudo-header helpers against a hand-laid pseudo-header. */
static void test_pseudo_headers(void **state)
{
	(void)state;
	const uint8_t ph4[12] = {10, 1, 2, 3, 172, 16, 0, 9, 0, 6, 0x01, 0x23};
	uint32_t s = csum_pseudo_v4(sys_ld32(ph4), sys_ld32(ph4 + 4), 6, 0x123);
	assert_int_equal(sys_be16(csum_fold(s)), (uint16_t)~ref_sum(ph4, 12));

	uint8_t ph6[40] = {0};
	for (int i = 0; i < 32; i++)
		ph6[i] = (uint8_t)(i * 37 + 1);
	ph6[33] = 0x01; /* length 0x00010203 */
	ph6[34] = 0x02;
	ph6[35] = 0x03;
	ph6[39] = 17;
	s = csum_pseudo_v6(ph6, ph6 + 16, 17, 0x00010203);
	assert_int_equal(sys_be16(csum_fold(s)), (uint16_t)~ref_sum(ph6, 40));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc1071_example),
		cmocka_unit_test(test_ipv4_header),
		cmocka_unit_test(test_partial_matches_reference),
		cmocka_unit_test(test_known_packets),
		cmocka_unit_test(test_routing_final_dst),
		cmocka_unit_test(test_udp_zero),
		cmocka_unit_test(test_fill_without_l4),
		cmocka_unit_test(test_incremental),
		cmocka_unit_test(test_pseudo_headers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
