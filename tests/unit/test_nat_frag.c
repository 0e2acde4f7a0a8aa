/* SPDX-License-Identifier: MIT */
/*
 * test_nat_frag.c - the NAT's fragment table (nf/nat/nat_frag.h) alone,
 * driven as nat.c drives it: first fragments noted and decided at the end
 * of their burst, later ones translated, held, released or dropped; its
 * bounds, its timer, its emit-room overflow, and that no buffer is lost or
 * freed twice (the pool is full again after each test).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/csum.h"
#include "dataplane/parse.h"
#include "nf/nat/nat_frag.h"
#include "nf/xlate.h"
#include "nf/xlate64.h"

#define SEC 1000000000ull
#define POOL 512
#define ZONE 1

static struct pkt_pool *pool;
static uint64_t sink_dropped;

/* Inside 10.0.0.1 -> 192.0.2.10, IP id `id`: a fragment at `off8` (8-byte
 * units) of `proto`, MF as `more`.  A first fragment holds an 8-byte UDP
 * header (TCP: 20 bytes) and 8 bytes of data; a later one 16 bytes. */
static struct pkt *frag(uint8_t proto, uint16_t id, uint16_t off8, bool more)
{
	uint8_t f[14 + 20 + 40] = {0};
	f[12] = 0x08;
	uint32_t pl = off8 ? 16 : proto == IPPROTO_TCP_ ? 28 : 16;
	struct ipv4_hdr ip = {.ver_ihl = 0x45, .ttl = 64, .proto = proto,
			      .total_len = sys_htons((uint16_t)(20 + pl)), .id = sys_htons(id),
			      .frag_off = sys_htons((uint16_t)(off8 | (more ? IPV4_MF : 0))),
			      .src = sys_htonl(0x0a000001), .dst = sys_htonl(0xc000020a)};
	memcpy(f + 14, &ip, 20);
	if (!off8 && proto == IPPROTO_TCP_)
		f[14 + 20 + 12] = 0x50;
	if (!off8 && proto == IPPROTO_UDP_)
		f[14 + 20 + 5] = 64; /* the datagram's UDP length */
	struct pkt *p = pkt_alloc(pool);
	assert_non_null(p);
	assert_int_equal(pkt_set_data(p, f, 14 + 20 + pl), 0);
	assert_int_equal(parse_pkt(p), PARSE_OK);
	csum_fill(p); /* the IP header's; the rest is the datagram's */
	assert_true(p->flags & PKT_F_FRAG);
	return p;
}

static struct pkt *first(uint16_t id) { return frag(IPPROTO_UDP_, id, 0, true); }
static struct pkt *later(uint16_t id, uint16_t off8) { return frag(IPPROTO_UDP_, id, off8, true); }

static uint32_t src_of(const struct pkt *p) { return sys_be32(sys_ld32(pkt_l3(p) + 12)); }

struct burst {
	struct pkt *pkts[64];
	struct nf_batch b;
};

static void burst_start(struct burst *u)
{
	memset(u, 0, sizeof(*u));
	u->b.pkts = u->pkts;
	u->b.out_all = NF_OUT_PER_PKT;
}

/* `p` through the table as nat_frag_cold would put it. */
static void burst_add(struct burst *u, struct nat_frag *t, struct pkt *p, uint64_t now)
{
	struct nat_frag_key k;
	nat_frag_key_of(p, ZONE, &k);
	u->pkts[u->b.n++] = p;
	p->out_port = PKT_DROP;
	p->nf_data = 0;
	if (p->flags & PKT_F_FRAG_LATER)
		nat_frag_later(t, &k, p, now);
	else
		assert_true(nat_frag_first(t, &k, p, now) >= 0);
}

/* The NAT's verdict on first fragment `p`: to port 1 from 198.51.100.1. */
static void nat_passes(struct pkt *p)
{
	xlate_rewrite_addr(p, true, sys_htonl(0xc6336401));
	p->out_port = 1;
}

/* End the burst: the table's step, then what the loop would do with each
 * packet; returns how many left (batch and emit room). */
static unsigned burst_end(struct burst *u, struct nat_frag *t)
{
	nat_frag_burst_end_(t, &u->b);
	unsigned sent = 0;
	for (uint16_t i = 0; i < u->b.n; i++) {
		struct pkt *p = u->pkts[i];
		uint16_t o = u->b.out_all != NF_OUT_PER_PKT ? u->b.out_all : p->out_port;
		if (o == NF_KEPT)
			continue;
		if (o != PKT_DROP) {
			assert_int_equal(o, 1);
			assert_int_equal(src_of(p), 0xc6336401);
			assert_true(csum_verify(p));
			sent++;
		}
		pkt_free(p);
	}
	for (uint16_t i = 0; i < u->b.n_emit; i++) {
		struct pkt *p = u->b.emit[i];
		assert_false(p->flags & PKT_F_GENERATED);
		assert_int_equal(p->out_port, 1);
		assert_int_equal(src_of(p), 0xc6336401);
		assert_true(csum_verify(p));
		pkt_free(p);
		sent++;
	}
	assert_int_equal(nat_frag_check(t), 0);
	return sent;
}

static void setup_table(struct nat_frag *t, uint32_t flows)
{
	assert_int_equal(nat_frag_init(t, flows), 0);
	sink_dropped = 0;
	t->sink[0] = &sink_dropped;
	t->tmo_ns = 2 * SEC;
}

static void done_table(struct nat_frag *t)
{
	assert_int_equal(nat_frag_check(t), 0);
	nat_frag_fini(t);
	assert_int_equal(pool->n_free, pool->capacity);
}

static uint64_t drops(const struct nat_frag *t)
{
	uint64_t s = 0;
	for (unsigned i = 0; i < NAT_FRAG_DROP_COUNT; i++)
		s += t->c.drop[i];
	assert_int_equal(s, sink_dropped);
	return s;
}

/* ---- tests ------------------------------------------------------------------ */
static void test_sizes(void **state)
{
	(void)state;
	struct nat_frag t;
	setup_table(&t, 16);
	assert_int_equal(t.cap, 64);
	assert_int_equal(t.held_max, 32);
	nat_frag_fini(&t);
	setup_table(&t, 1u << 20);
	assert_int_equal(t.cap, NAT_FRAG_MAX);
	assert_int_equal(t.held_max, NAT_FRAG_HELD_MAX);
	nat_frag_fini(&t);
	struct nat_frag z;
	memset(&z, 0, sizeof(z));
	nat_frag_fini(&z); /* never initialised: fine */
}

static void test_in_order(void **state)
{
	(void)state;
	struct nat_frag t;
	setup_table(&t, 1024);
	struct burst u;
	burst_start(&u);
	struct pkt *f = first(7);
	burst_add(&u, &t, f, SEC);
	nat_passes(f);
	assert_int_equal(burst_end(&u, &t), 1);
	for (uint16_t off = 2; off < 5; off += 2) {
		burst_start(&u);
		burst_add(&u, &t, later(7, off), SEC + off);
		assert_int_equal(burst_end(&u, &t), 1);
	}
	/* Another datagram (id) of the same hosts is not this one. */
	burst_start(&u);
	burst_add(&u, &t, later(8, 2), SEC + 9);
	assert_int_equal(u.pkts[0]->out_port, NF_KEPT);
	assert_int_equal(burst_end(&u, &t), 0);
	assert_int_equal(t.c.firsts, 1);
	assert_int_equal(t.c.translated, 2);
	assert_int_equal(t.c.held, 1);
	assert_int_equal(t.n, 2);
	assert_int_equal(t.n_held, 1);
	done_table(&t);
}

/* Held across bursts, released into the emit room of the first's burst,
 * in arrival order; the batch-wide verdict counts as the first's. */
static void test_first_last(void **state)
{
	(void)state;
	struct nat_frag t;
	setup_table(&t, 1024);
	struct burst u;
	struct pkt *held[3];
	for (int i = 0; i < 3; i++) {
		burst_start(&u);
		held[i] = later(9, (uint16_t)(6 - 2 * i));
		burst_add(&u, &t, held[i], SEC);
		assert_int_equal(held[i]->out_port, NF_KEPT);
		assert_int_equal(burst_end(&u, &t), 0);
	}
	assert_int_equal(t.n_held, 3);
	burst_start(&u);
	struct pkt *f = first(9);
	burst_add(&u, &t, f, SEC + 1);
	xlate_rewrite_addr(f, true, sys_htonl(0xc6336401));
	u.b.out_all = 1;
	assert_int_equal(burst_end(&u, &t), 4);
	assert_int_equal(u.b.n_emit, 3);
	for (int i = 0; i < 3; i++)
		assert_ptr_equal(u.b.emit[i], held[i]);
	assert_int_equal(t.c.released, 3);
	assert_int_equal(t.c.translated, 3);
	assert_int_equal(t.n_held, 0);
	/* Later ones now follow at once; a repeated first changes nothing. */
	burst_start(&u);
	burst_add(&u, &t, later(9, 8), SEC + 2);
	struct pkt *f2 = first(9);
	burst_add(&u, &t, f2, SEC + 2);
	f2->out_port = PKT_DROP;
	assert_int_equal(burst_end(&u, &t), 1);
	burst_start(&u);
	burst_add(&u, &t, later(9, 10), SEC + 3);
	assert_int_equal(burst_end(&u, &t), 1);
	assert_int_equal(drops(&t), 0);
	done_table(&t);
}

/* Behind its first, or before it, in one burst: sent by its verdict, not
 * through the emit room (it is the burst's own). */
static void test_same_burst(void **state)
{
	(void)state;
	struct nat_frag t;
	setup_table(&t, 1024);
	struct burst u;
	burst_start(&u);
	struct pkt *a = later(3, 2), *f = first(3), *b = later(3, 4);
	burst_add(&u, &t, a, SEC);
	burst_add(&u, &t, f, SEC);
	burst_add(&u, &t, b, SEC);
	assert_int_equal(a->out_port, NF_KEPT);
	assert_int_equal(b->out_port, NF_KEPT);
	nat_passes(f);
	assert_int_equal(burst_end(&u, &t), 3);
	assert_int_equal(u.b.n_emit, 0);
	assert_int_equal(t.c.held, 2);
	assert_int_equal(t.c.released, 2);
	assert_int_equal(t.n_held, 0);
	done_table(&t);
}

/* The first is dropped: those held (in this burst or before) and those to
 * come are too. */
static void test_first_dropped(void **state)
{
	(void)state;
	struct nat_frag t;
	setup_table(&t, 1024);
	struct burst u;
	burst_start(&u);
	burst_add(&u, &t, later(5, 2), SEC);
	assert_int_equal(burst_end(&u, &t), 0);
	burst_start(&u);
	struct pkt *now_held = later(5, 4), *f = first(5);
	burst_add(&u, &t, now_held, SEC + 1);
	burst_add(&u, &t, f, SEC + 1);
	f->out_port = PKT_DROP;
	assert_int_equal(burst_end(&u, &t), 0);
	assert_int_equal(now_held->out_port, PKT_DROP); /* the loop's to free */
	burst_start(&u);
	burst_add(&u, &t, later(5, 6), SEC + 2);
	assert_int_equal(u.pkts[0]->out_port, PKT_DROP);
	assert_int_equal(burst_end(&u, &t), 0);
	assert_int_equal(t.c.drop[NAT_FRAG_DROP_FIRST_DROPPED], 3);
	assert_int_equal(drops(&t), 3);
	done_table(&t);
}

/* Held ones end with their datagram, `timeout` after it was first seen,
 * not before; the next expiry says when. */
static void test_timeout(void **state)
{
	(void)state;
	struct nat_frag t;
	setup_table(&t, 1024);
	assert_int_equal(nat_frag_next_expiry(&t), NF_TIMER_NONE);
	struct burst u;
	burst_start(&u);
	burst_add(&u, &t, later(1, 2), 10 * SEC);
	burst_end(&u, &t);
	burst_start(&u);
	burst_add(&u, &t, later(1, 4), 11 * SEC);
	burst_add(&u, &t, later(2, 4), 11 * SEC);
	burst_end(&u, &t);
	assert_int_equal(nat_frag_next_expiry(&t), 12 * SEC);
	assert_int_equal(nat_frag_expire(&t, 12 * SEC - 1), 0);
	assert_int_equal(t.n_held, 3);
	assert_int_equal(nat_frag_expire(&t, 12 * SEC), 1);
	assert_int_equal(t.c.drop[NAT_FRAG_DROP_TIMEOUT], 2);
	assert_int_equal(nat_frag_next_expiry(&t), 13 * SEC);
	/* Its first, late, starts it over: passes, nothing to release. */
	burst_start(&u);
	struct pkt *f = first(1);
	burst_add(&u, &t, f, 12 * SEC);
	nat_passes(f);
	assert_int_equal(burst_end(&u, &t), 1);
	assert_int_equal(t.c.released, 0);
	/* Found due by the next fragment, before any timer runs. */
	burst_start(&u);
	burst_add(&u, &t, later(7, 4), 13 * SEC + 5);
	burst_end(&u, &t);
	assert_int_equal(t.c.drop[NAT_FRAG_DROP_TIMEOUT], 3);
	assert_int_equal(drops(&t), 3);
	done_table(&t);
}

/* NAT_FRAG_PER_DGRAM held; one more dooms the datagram. */
static void test_datagram_full(void **state)
{
	(void)state;
	struct nat_frag t;
	setup_table(&t, 1024);
	struct burst u;
	for (uint16_t i = 0; i < NAT_FRAG_PER_DGRAM + 1; i++) {
		burst_start(&u);
		burst_add(&u, &t, later(4, (uint16_t)(2 + 2 * i)), SEC);
		assert_int_equal(burst_end(&u, &t), 0);
	}
	assert_int_equal(t.c.held, NAT_FRAG_PER_DGRAM);
	assert_int_equal(t.c.drop[NAT_FRAG_DROP_DATAGRAM_FULL], NAT_FRAG_PER_DGRAM + 1);
	assert_int_equal(t.n_held, 0);
	/* Its first passes (the session decides it); the rest is dropped. */
	burst_start(&u);
	struct pkt *f = first(4);
	burst_add(&u, &t, f, SEC);
	burst_add(&u, &t, later(4, 60), SEC);
	nat_passes(f);
	assert_int_equal(burst_end(&u, &t), 1);
	assert_int_equal(t.c.drop[NAT_FRAG_DROP_DATAGRAM_FULL], NAT_FRAG_PER_DGRAM + 2);
	assert_int_equal(drops(&t), NAT_FRAG_PER_DGRAM + 2);
	done_table(&t);
}

/* held_max in all: the datagram that would exceed it is doomed, the
 * others keep theirs. */
static void test_held_full(void **state)
{
	(void)state;
	struct nat_frag t;
	setup_table(&t, 16); /* held_max 32 */
	struct burst u;
	for (uint16_t d = 0; d < 3; d++)
		for (uint16_t i = 0; i < 11; i++) {
			burst_start(&u);
			burst_add(&u, &t, later((uint16_t)(100 + d), (uint16_t)(2 + 2 * i)), SEC);
			burst_end(&u, &t);
		}
	assert_int_equal(t.c.held, 32);
	assert_int_equal(t.c.drop[NAT_FRAG_DROP_HELD_FULL], 11);
	assert_int_equal(t.n_held, 22);
	/* The doomed datagram's room is free again for another. */
	burst_start(&u);
	burst_add(&u, &t, later(200, 2), SEC);
	assert_int_equal(u.pkts[0]->out_port, NF_KEPT);
	burst_end(&u, &t);
	assert_int_equal(t.n_held, 23);
	for (uint16_t d = 0; d < 2; d++) {
		burst_start(&u);
		struct pkt *f = first((uint16_t)(100 + d));
		burst_add(&u, &t, f, SEC);
		nat_passes(f);
		assert_int_equal(burst_end(&u, &t), 12);
	}
	assert_int_equal(t.c.released, 22);
	assert_int_equal(drops(&t), 11);
	done_table(&t);
}

/* No free entry: one that holds and awaits nothing is reused, else the
 * fragment is dropped. */
static void test_table_full(void **state)
{
	(void)state;
	struct nat_frag t;
	setup_table(&t, 16); /* 64 entries */
	struct burst u;
	for (uint16_t d = 0; d < 64; d++) {
		burst_start(&u);
		struct pkt *f = first(d);
		burst_add(&u, &t, f, SEC + d);
		nat_passes(f);
		burst_end(&u, &t);
	}
	assert_int_equal(t.n, 64);
	burst_start(&u);
	burst_add(&u, &t, later(1000, 2), 2 * SEC);
	burst_end(&u, &t);
	assert_int_equal(t.c.evicted, 1);
	/* Datagram 0, the oldest, is forgotten: its fragment now waits. */
	burst_start(&u);
	burst_add(&u, &t, later(0, 2), 2 * SEC);
	assert_int_equal(u.pkts[0]->out_port, NF_KEPT);
	burst_end(&u, &t);
	assert_int_equal(t.c.evicted, 2);
	assert_int_equal(t.n, 64);
	done_table(&t);

	/* A burst of first fragments only: 64 wait, none may be reused. */
	setup_table(&t, 16);
	burst_start(&u);
	for (uint16_t d = 0; d < 64; d++)
		burst_add(&u, &t, first(d), SEC);
	struct pkt *x = first(64);
	struct nat_frag_key k;
	nat_frag_key_of(x, ZONE, &k);
	assert_int_equal(nat_frag_first(&t, &k, x, SEC), -1);
	assert_int_equal(x->out_port, PKT_DROP);
	pkt_free(x);
	for (uint16_t i = 0; i < u.b.n; i++)
		nat_passes(u.pkts[i]);
	assert_int_equal(burst_end(&u, &t), 64);
	assert_int_equal(t.c.drop[NAT_FRAG_DROP_TABLE_FULL], 1);
	assert_int_equal(t.c.evicted, 0);
	done_table(&t);
}

/* TCP: a later fragment under the 20-byte header is refused; one past it,
 * and a duplicate of it, follow the first. */
static void test_tcp_overlap_and_duplicates(void **state)
{
	(void)state;
	struct nat_frag t;
	setup_table(&t, 1024);
	struct burst u;
	burst_start(&u);
	struct pkt *f = frag(IPPROTO_TCP_, 11, 0, true);
	burst_add(&u, &t, f, SEC);
	nat_passes(f);
	assert_int_equal(burst_end(&u, &t), 1);
	burst_start(&u);
	burst_add(&u, &t, frag(IPPROTO_TCP_, 11, 1, true), SEC);
	burst_add(&u, &t, frag(IPPROTO_TCP_, 11, 2, true), SEC);
	burst_add(&u, &t, frag(IPPROTO_TCP_, 11, 3, false), SEC);
	burst_add(&u, &t, frag(IPPROTO_TCP_, 11, 3, false), SEC);
	assert_int_equal(burst_end(&u, &t), 2);
	assert_int_equal(t.c.drop[NAT_FRAG_DROP_OVERLAP], 2);
	assert_int_equal(t.c.translated, 2);
	done_table(&t);
}

/* More released than the emit room holds: the rest waits, in order, for
 * the next burst, and counts as held until then. */
static void test_emit_room(void **state)
{
	(void)state;
	struct nat_frag t;
	setup_table(&t, 1024);
	struct burst u;
	struct pkt *held[3][NAT_FRAG_PER_DGRAM];
	for (uint16_t d = 0; d < 3; d++)
		for (uint16_t i = 0; i < NAT_FRAG_PER_DGRAM; i++) {
			burst_start(&u);
			held[d][i] = later(d, (uint16_t)(2 + 2 * i));
			burst_add(&u, &t, held[d][i], SEC);
			burst_end(&u, &t);
		}
	burst_start(&u);
	u.b.n_emit = NF_EMIT_MAX - 4; /* generated packets took most of it */
	for (uint16_t i = 0; i < u.b.n_emit; i++) {
		u.b.emit[i] = later(500, 2);
		u.b.emit[i]->out_port = 1;
		xlate_rewrite_addr(u.b.emit[i], true, sys_htonl(0xc6336401));
	}
	for (uint16_t d = 0; d < 3; d++) {
		struct pkt *f = first(d);
		burst_add(&u, &t, f, SEC + 1);
		nat_passes(f);
	}
	assert_int_equal(burst_end(&u, &t), 3 + NF_EMIT_MAX);
	assert_ptr_equal(u.b.emit[NF_EMIT_MAX - 4], held[0][0]);
	assert_int_equal(t.n_held, 3 * NAT_FRAG_PER_DGRAM - 4);
	burst_start(&u);
	assert_int_equal(burst_end(&u, &t), NF_EMIT_MAX);
	assert_ptr_equal(u.b.emit[0], held[0][4]);
	assert_ptr_equal(u.b.emit[NF_EMIT_MAX - 1], held[2][3]);
	assert_int_equal(t.n_held, 12);
	/* The rest goes at destroy, freed. */
	done_table(&t);
}

static void test_fini_frees_held(void **state)
{
	(void)state;
	struct nat_frag t;
	setup_table(&t, 1024);
	struct burst u;
	for (uint16_t i = 0; i < 5; i++) {
		burst_start(&u);
		burst_add(&u, &t, later(i, 2), SEC);
		burst_end(&u, &t);
	}
	assert_int_equal(pool->n_free, pool->capacity - 5);
	done_table(&t);
}

/* An IPv6 first fragment (UDP) from `src` to 64:ff9b::192.0.2.10,
 * Fragment header identification `id`. */
static struct pkt *frag6(const uint8_t src[16], uint32_t id)
{
	uint8_t f[14 + 40 + 8 + 16] = {[12] = 0x86, [13] = 0xdd};
	uint8_t *ip = f + 14, *fh = ip + 40, *u = fh + 8;
	ip[0] = 0x60;
	ip[5] = 24;
	ip[6] = 44;
	ip[7] = 64;
	memcpy(ip + 8, src, 16);
	const uint8_t dst[16] = {0, 0x64, 0xff, 0x9b, [12] = 192, 0, 2, 10};
	memcpy(ip + 24, dst, 16);
	fh[0] = IPPROTO_UDP_;
	fh[3] = 1; /* offset 0, M */
	sys_st32(fh + 4, sys_htonl(id));
	u[5] = 64; /* the datagram's UDP length */
	struct pkt *p = pkt_alloc(pool);
	assert_non_null(p);
	assert_int_equal(pkt_set_data(p, f, sizeof(f)), 0);
	assert_int_equal(parse_pkt(p), PARSE_OK);
	assert_true(p->flags & PKT_F_FRAG);
	return p;
}

/* IPv6 datagrams' keys are folded to 32-bit addresses and a 16-bit id; the
 * entry keeps the whole (a6): two sources folding alike, or ids that
 * differ in their high 16 bits, are different datagrams, and the same one
 * finds its entry again. */
static void test_v6_keys(void **state)
{
	(void)state;
	struct nat_frag t;
	setup_table(&t, 1024);
	const uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, [15] = 5};
	const uint8_t b[16] = {0, 0, 0, 1, 0x20, 0x01, 0x0d, 0xb8, [15] = 5}; /* words swapped */
	struct pkt *p[4] = {frag6(a, 0x00010007), frag6(b, 0x00010007), frag6(a, 0x00020007),
			    frag6(a, 0x00010007)};
	int32_t at[4];
	struct nat_frag_key k[4];
	for (int i = 0; i < 4; i++) {
		p[i]->nf_data = 0;
		nat_frag_key6_of(&t, p[i], xlate64_frag_hdr(p[i]), ZONE, &k[i]);
		at[i] = nat_frag_first(&t, &k[i], p[i], SEC);
		assert_true(at[i] >= 0);
	}
	assert_memory_equal(&k[0], &k[1], sizeof(k[0])); /* the folds collide */
	assert_int_equal(k[0].id, k[2].id);
	assert_true(k[0].zone & NAT_FRAG_ZONE_V6);
	assert_int_not_equal(at[0], at[1]);
	assert_int_not_equal(at[0], at[2]);
	assert_int_not_equal(at[1], at[2]);
	assert_int_equal(at[0], at[3]);
	assert_int_equal(t.n, 3);
	struct nf_batch bt = {.pkts = p, .n = 4, .out_all = PKT_DROP};
	nat_frag_burst_end_(&t, &bt);
	assert_int_equal(nat_frag_check(&t), 0);
	assert_int_equal(t.c.drop[NAT_FRAG_DROP_FIRST_DROPPED], 0); /* none held */
	for (int i = 0; i < 4; i++)
		pkt_free(p[i]);
	done_table(&t);
}

static int group_setup(void **state)
{
	(void)state;
	pool = pkt_pool_create(POOL);
	return pool ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	pkt_pool_destroy(pool);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_v6_keys),
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_first_last),
		cmocka_unit_test(test_same_burst),
		cmocka_unit_test(test_first_dropped),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_datagram_full),
		cmocka_unit_test(test_held_full),
		cmocka_unit_test(test_table_full),
		cmocka_unit_test(test_tcp_overlap_and_duplicates),
		cmocka_unit_test(test_emit_room),
		cmocka_unit_test(test_fini_frees_held),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
