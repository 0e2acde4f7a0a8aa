/* SPDX-License-Identifier: MIT */
/*
 * test_firewall_tcpwin.c - TCP window tracking (fw_tcpwin.h) segment by
 * segment, where golden pcaps reach badly: sequence numbers wrapping past
 * 2^32, window-scale options malformed or oversized, a state left unchanged
 * by a rejected segment, and the inline fast check agreeing with the
 * general one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/parse.h"
#include "nf/firewall/fw_tcpwin.h"

static struct pkt_pool *pool;

/* IPv4/TCP with `opts` (padded to 4 bytes) and `len` bytes of data. */
static struct pkt *mk(uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win, const uint8_t *opts,
		      uint32_t optlen, uint32_t len)
{
	uint8_t f[1600];
	memset(f, 0, sizeof(f));
	memcpy(f, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00", 14);
	uint32_t thl = 20 + (optlen + 3) / 4 * 4;
	struct ipv4_hdr ip = {.ver_ihl = 0x45, .ttl = 64, .proto = IPPROTO_TCP_,
			      .total_len = sys_htons((uint16_t)(20 + thl + len)),
			      .src = sys_htonl(0x0a000001), .dst = sys_htonl(0xc0000201)};
	memcpy(f + 14, &ip, 20);
	struct tcp_hdr t = {.sport = sys_htons(1000), .dport = sys_htons(80), .seq = sys_htonl(seq),
			    .ack = sys_htonl(ack), .doff_res = (uint8_t)((thl / 4) << 4),
			    .flags = flags, .window = sys_htons(win)};
	memcpy(f + 34, &t, 20);
	if (optlen)
		memcpy(f + 54, opts, optlen);
	struct pkt *p = pkt_alloc(pool);
	assert_non_null(p);
	uint32_t n = 34 + thl + len;
	assert_int_equal(pkt_set_data(p, f, n < 60 ? 60 : n), 0); /* Ethernet padding: not data */
	assert_int_equal(parse_pkt(p), PARSE_OK);
	return p;
}

static struct fw_tcp_seg seg_of(struct pkt *p)
{
	struct fw_tcp_seg s;
	fw_tcp_seg_from_pkt(p, &s);
	pkt_free(p);
	return s;
}

static void test_segment_fields_and_options(void **state)
{
	(void)state;
	static const uint8_t ws[] = {2, 4, 5, 180, 1, 3, 3, 7};     /* MSS, NOP, WS 7 */
	static const uint8_t ws_big[] = {1, 3, 3, 20};             /* shift 20: clamped to 14 */
	static const uint8_t bad_len[] = {2, 40, 5, 180};           /* runs past the options */
	static const uint8_t zero_len[] = {8, 0, 1, 1};              /* length 0: would loop */
	static const uint8_t eol_first[] = {0, 3, 3, 7};             /* EOL ends the list */
	struct fw_tcp_seg s = seg_of(mk(TCP_SYN, 0xfffffff0u, 0, 1000, ws, sizeof(ws), 0));
	assert_int_equal(s.seq, 0xfffffff0u);
	assert_int_equal(s.end, 0xfffffff1u); /* SYN counts one */
	assert_int_equal(s.wscale, 7);
	assert_int_equal(s.win, 1000);
	assert_int_equal(seg_of(mk(TCP_SYN, 1, 0, 1, ws_big, sizeof(ws_big), 0)).wscale, 14);
	assert_int_equal(seg_of(mk(TCP_SYN, 1, 0, 1, bad_len, sizeof(bad_len), 0)).wscale, -1);
	assert_int_equal(seg_of(mk(TCP_SYN, 1, 0, 1, zero_len, sizeof(zero_len), 0)).wscale, -1);
	assert_int_equal(seg_of(mk(TCP_SYN, 1, 0, 1, eol_first, sizeof(eol_first), 0)).wscale, -1);
	/* Options are read on SYNs only; data length excludes Ethernet padding. */
	s = seg_of(mk(TCP_ACK | TCP_FIN, 0xfffffffeu, 5, 1, ws, sizeof(ws), 3));
	assert_int_equal(s.wscale, -1);
	assert_int_equal(s.end, 2u); /* 0xfffffffe + 3 + FIN, wrapped */
}

/* A connection whose sequence numbers wrap past 2^32 in both directions. */
static void test_wraparound_and_unchanged_on_reject(void **state)
{
	(void)state;
	static const uint8_t ws2[] = {1, 3, 3, 2};
	struct fw_tcpwin w;
	uint32_t o = 0xffffff00u, r = 0xfffffff0u;
	fw_tcpwin_init(&w, &(struct fw_tcp_seg){0});
	struct fw_tcp_seg syn = seg_of(mk(TCP_SYN, o, 0, 4000, ws2, sizeof(ws2), 0));
	fw_tcpwin_init(&w, &syn);
	struct fw_tcp_seg sa = seg_of(mk(TCP_SYN | TCP_ACK, r, o + 1, 4000, ws2, sizeof(ws2), 0));
	assert_true(fw_tcpwin_step(&w, 1, &sa, true, false));
	assert_int_equal(w.d[0].scale, 2);
	assert_int_equal(w.d[1].scale, 2);
	assert_int_equal(w.d[0].maxend, o + 1 + 4000); /* wrapped: SYN windows unscaled */
	struct fw_tcp_seg a = seg_of(mk(TCP_ACK, o + 1, r + 1, 4000, NULL, 0, 0));
	assert_true(fw_tcpwin_step(&w, 0, &a, true, false));
	assert_int_equal(w.d[1].maxend, r + 1 + 16000);
	/* Data across the wrap: seq 0xffffff01, 1000 bytes -> end 0x2e9. */
	struct fw_tcp_seg d = seg_of(mk(TCP_ACK | TCP_PSH, o + 1, r + 1, 4000, NULL, 0, 1000));
	assert_true(fw_tcpwin_step(&w, 0, &d, false, false));
	assert_int_equal(w.d[0].end, o + 1001);
	/* Beyond maxend (o + 4001): refused, and nothing moved. */
	struct fw_tcpwin before = w;
	struct fw_tcp_seg far = seg_of(mk(TCP_ACK, o + 5000, r + 1, 60000, NULL, 0, 10));
	assert_false(fw_tcpwin_step(&w, 0, &far, false, false));
	assert_memory_equal(&w, &before, sizeof(w));
	/* ...unless sloppy: passes and is tracked. */
	assert_true(fw_tcpwin_step(&w, 0, &far, false, true));
	assert_int_equal(w.d[0].end, o + 5010);
	assert_int_equal(w.d[0].maxwin, 60000u << 2);
}

/* The inline check of the fast path and the general step agree, on both
 * sides of every boundary of the four conditions. */
static void test_fast_check_matches_step(void **state)
{
	(void)state;
	struct fw_tcpwin base;
	uint32_t o = 1000, r = 9000;
	fw_tcpwin_init(&base, &(struct fw_tcp_seg){.seq = o - 1, .end = o, .win = 5000, .wscale = -1});
	assert_true(fw_tcpwin_step(&base, 1, &(struct fw_tcp_seg){.seq = r - 1, .end = r, .ack = o,
				   .win = 3000, .flags = TCP_SYN | TCP_ACK, .wscale = -1}, true, false));
	/* O.maxend = o + 3000, R.maxwin = 3000, R.end = r, O.maxwin = 5000 */
	const uint32_t seqs[] = {o, o + 3000, o + 3001, o - 3000 - 10, o - 3001 - 10};
	const uint32_t acks[] = {r, r - 66000, r - 66001, r + 1};
	for (unsigned i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++)
		for (unsigned j = 0; j < sizeof(acks) / sizeof(acks[0]); j++) {
			struct pkt *p = mk(TCP_ACK, seqs[i], acks[j], 100, NULL, 0, 10);
			struct fw_tcp_seg s;
			fw_tcp_seg_from_pkt(p, &s);
			struct fw_tcpwin w1 = base, w2 = base;
			bool a = fw_tcpwin_ack(&w1, 0, p), b = fw_tcpwin_step(&w2, 0, &s, false, false);
			pkt_free(p);
			assert_int_equal(a, b);
			if (a)
				assert_memory_equal(&w1, &w2, sizeof(w1));
			else /* refused: the slow path judges it on unchanged state */
				assert_memory_equal(&w1, &base, sizeof(w1));
			/* Expected: I and II hold for the first three seqs but
			 * o+3001 (beyond maxend) and o-3011 (older than the
			 * window); III/IV for the first two acks. */
			bool want = (i == 0 || i == 1 || i == 3) && j < 2;
			assert_int_equal(a, want);
		}
}

int main(void)
{
	pool = pkt_pool_create(64);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_segment_fields_and_options),
		cmocka_unit_test(test_wraparound_and_unchanged_on_reject),
		cmocka_unit_test(test_fast_check_matches_step),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
