/* SPDX-License-Identifier: MIT */
/*
 * test_loop - the buffer pool, the stats writer and the main loop, driven
 * through scripted fake ports, with fwd and a scripted test function.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "config/config.h"
#include "dataplane/loop.h"
#include "dataplane/stats.h"

/* ---- a fake port: RX from a script, TX into a record, optional refusal -- */
struct fake {
	struct pkt *rx[64];
	unsigned n_rx, rx_pos;
	struct pkt *tx[256];
	unsigned n_tx;
	unsigned tx_accept; /* accept at most this many per call (0: all) */
	uint8_t seq[256];   /* byte 58 of every frame taken, in order */
	unsigned n_seq;
	unsigned reclaims;
};

static uint16_t fake_rx(struct port *port, struct pkt **pkts, uint16_t n)
{
	struct fake *f = port->priv;
	uint16_t got = 0;
	while (got < n && f->rx_pos < f->n_rx) {
		pkts[got] = f->rx[f->rx_pos++];
		pkts[got]->port = port->id;
		got++;
	}
	return got;
}

static uint16_t fake_tx(struct port *port, struct pkt **pkts, uint16_t n)
{
	struct fake *f = port->priv;
	uint16_t take = f->tx_accept && f->tx_accept < n ? (uint16_t)f->tx_accept : n;
	for (uint16_t i = 0; i < take; i++) {
		f->seq[f->n_seq++] = pkts[i]->data[58];
		f->tx[f->n_tx++] = pkts[i];
	}
	return take;
}

static void fake_reclaim(struct port *port)
{
	struct fake *f = port->priv;
	f->reclaims++;
	/* A real driver frees what the device finished with; here, at once. */
	pkt_free_bulk(f->tx, f->n_tx);
	f->n_tx = 0;
}

static const struct port_ops fake_ops = {
	.kind = "fake", .rx_burst = fake_rx, .tx_burst = fake_tx, .reclaim = fake_reclaim,
};

/* A valid 60-byte IPv4/UDP frame, `tag` in the last byte. */
static struct pkt *udp_frame(struct pkt_pool *pool, uint8_t tag)
{
	uint8_t f[60] = {
		2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00,
		0x45, 0, 0, 46, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
		0x30, 0x39, 0, 53, 0, 26, 0, 0,
	};
	f[59] = tag;
	struct pkt *p = pkt_alloc(pool);
	assert_non_null(p);
	assert_int_equal(pkt_set_data(p, f, sizeof(f)), 0);
	return p;
}

/* An IPv4 frame whose IHL says 4 words: malformed (ipv4_ihl). */
static struct pkt *bad_ihl_frame(struct pkt_pool *pool)
{
	struct pkt *p = udp_frame(pool, 0);
	p->data[14] = 0x44;
	return p;
}

/* ---- pool ------------------------------------------------------------------ */
static void test_pool_all_or_nothing(void **state)
{
	(void)state;
	struct pkt_pool *pool = pkt_pool_create(8);
	assert_non_null(pool);
	struct pkt *p[9];
	assert_int_equal(pkt_alloc_bulk(pool, p, 9), 0);   /* more than there is */
	assert_int_equal(pool->alloc_fail, 1);
	assert_int_equal(pkt_alloc_bulk(pool, p, 8), 8);
	assert_null(pkt_alloc(pool));
	for (int i = 0; i < 8; i++) {
		assert_true(pkt_pool_owns(pool, p[i]));
		assert_int_equal((uintptr_t)p[i] % PKT_BUF_SIZE, 0);
		assert_ptr_equal(p[i]->data, (uint8_t *)p[i] + PKT_META_SIZE + PKT_HEADROOM);
		assert_int_equal(p[i]->out_port, PKT_DROP);
		for (int j = 0; j < i; j++)
			assert_ptr_not_equal(p[i], p[j]);
	}
	pkt_free_bulk(p, 8);
	assert_int_equal(pool->n_free, 8);
	/* LIFO: the last freed comes back first (warm in cache). */
	assert_ptr_equal(pkt_alloc(pool), p[7]);
	pkt_pool_destroy(pool);
}

/* Creation writes no buffer (the image relies on it: a page is touched when
 * a buffer on it is first handed out); a buffer is set up, pool included,
 * when it is allocated, whatever its memory held before. */
static void test_pool_sets_up_on_alloc(void **state)
{
	(void)state;
	struct pkt_pool *a = pkt_pool_create(4), *b = pkt_pool_create(4);
	assert_non_null(a);
	assert_non_null(b);
	memset(a->mem, 0xa5, 4 * PKT_BUF_SIZE);
	memset(b->mem, 0x5a, 4 * PKT_BUF_SIZE);
	struct pkt *p[8];
	assert_int_equal(pkt_alloc_bulk(a, p, 4), 4);
	assert_int_equal(pkt_alloc_bulk(b, p + 4, 4), 4);
	for (int i = 0; i < 8; i++) {
		struct pkt_pool *want = i < 4 ? a : b;
		assert_ptr_equal(p[i]->pool, want);
		assert_true(pkt_pool_owns(want, p[i]));
		assert_ptr_equal(p[i]->data, (uint8_t *)p[i] + PKT_META_SIZE + PKT_HEADROOM);
		assert_int_equal(p[i]->len, 0);
		assert_int_equal(p[i]->flags, 0);
		assert_int_equal(p[i]->hash, 0);
		assert_int_equal(p[i]->nf_data, 0);
		assert_int_equal(p[i]->out_port, PKT_DROP);
	}
	/* The lowest addresses first (a bulk takes the top of the stack, the
	 * last of it on top): a partly used pool touches few pages. */
	for (int i = 0; i < 4; i++)
		assert_ptr_equal(p[i], (struct pkt *)(a->mem + (size_t)(3 - i) * PKT_BUF_SIZE));
	/* Freed together, each goes home. */
	struct pkt *mixed[8] = {p[0], p[4], p[1], p[5], p[2], p[6], p[3], p[7]};
	pkt_free_bulk(mixed, 8);
	assert_int_equal(a->n_free, 4);
	assert_int_equal(b->n_free, 4);
	for (unsigned i = 0; i < 4; i++) {
		assert_true(pkt_pool_owns(a, a->free[i]));
		assert_true(pkt_pool_owns(b, b->free[i]));
	}
	pkt_pool_destroy(a);
	pkt_pool_destroy(b);
}

static void test_pkt_set_data_bounds(void **state)
{
	(void)state;
	struct pkt_pool *pool = pkt_pool_create(1);
	struct pkt *p = pkt_alloc(pool);
	static uint8_t big[PKT_BUF_SIZE];
	assert_int_equal(pkt_set_data(p, big, PKT_DATA_ROOM), 0);
	assert_int_equal(pkt_set_data(p, big, PKT_DATA_ROOM + 1), -SYS_E2BIG);
	assert_int_equal(pkt_tailroom(p), 0);
	pkt_free(p);
	pkt_pool_destroy(pool);
}

/* ---- stats writer ----------------------------------------------------------- */
static void test_stats_text_and_json(void **state)
{
	(void)state;
	char buf[256];
	struct stats_writer w;
	stats_init(&w, buf, sizeof(buf), STATS_TEXT);
	stats_section(&w, "port0");
	stats_u64(&w, "rx", 5);
	stats_str(&w, "name", "in\"side");
	stats_section(&w, "fwd");
	stats_u64(&w, "n", 18446744073709551615ull);
	assert_string_equal(stats_finish(&w),
			    "port0.rx 5\nport0.name in\"side\nfwd.n 18446744073709551615\n");
	stats_init(&w, buf, sizeof(buf), STATS_JSON);
	stats_section(&w, "port0");
	stats_u64(&w, "rx", 5);
	stats_str(&w, "name", "in\"side");
	stats_section(&w, "fwd");
	stats_u64(&w, "n", 7);
	assert_string_equal(stats_finish(&w),
			    "{\"port0\":{\"rx\":5,\"name\":\"in\\\"side\"},\"fwd\":{\"n\":7}}\n");
}

static void test_stats_overflow_truncates(void **state)
{
	(void)state;
	char buf[16];
	memset(buf, 'X', sizeof(buf));
	struct stats_writer w;
	stats_init(&w, buf, 12, STATS_TEXT);
	stats_u64(&w, "a_long_counter_name", 123456);
	stats_u64(&w, "more", 1);
	stats_finish(&w);
	assert_true(w.overflow);
	assert_int_equal(strlen(buf), 11);
	assert_int_equal(buf[12], 'X'); /* nothing written past `size` */
}

/* ---- a scripted function: verdict = the frame's tag byte ---------------- */
static void tag_process(void *st, struct nf_batch *b, uint64_t now)
{
	uint64_t *seen_now = st;
	*seen_now = now;
	for (uint16_t i = 0; i < b->n; i++) {
		struct pkt *p = b->pkts[i];
		assert_int_equal(p->port, b->port);
		uint8_t tag = p->data[p->len - 1];
		p->out_port = tag == 0xff ? PKT_DROP : tag;
		if (tag == 0xee) { /* emit a copy back out of port 0 */
			struct pkt *g = pkt_alloc(p->pool);
			assert_non_null(g);
			pkt_set_data(g, p->data, p->len);
			g->out_port = 0;
			nf_batch_emit(b, g);
			p->out_port = 1;
		}
	}
}

static const struct nf_ops tag_ops = {
	.name = "tag-test", .process = tag_process,
};

/* Sends every batch to port 1 with one batch-wide verdict (like fwd). */
static void all_to_1_process(void *st, struct nf_batch *b, uint64_t now)
{
	(void)st;
	(void)now;
	b->out_all = 1;
}

static const struct nf_ops all_to_1_ops = {
	.name = "all-to-1", .process = all_to_1_process,
};

/* Keeps packets tagged 0xdd.  A packet tagged 0xdc sends them out of port
 * 2: those kept in an earlier batch after its own batch (nf_batch_release),
 * those of its own batch by their verdict (nf.h).  0xdb frees them. */
struct keeper {
	struct pkt *kept[8];
	unsigned n, n_this_batch;
};

static void keep_process(void *st, struct nf_batch *b, uint64_t now)
{
	struct keeper *k = st;
	(void)now;
	k->n_this_batch = 0;
	for (uint16_t i = 0; i < b->n; i++) {
		struct pkt *p = b->pkts[i];
		uint8_t tag = p->data[p->len - 1];
		p->out_port = 1;
		if (tag == 0xdd) {
			assert_true(k->n < 8);
			k->kept[k->n++] = p;
			k->n_this_batch++;
			p->out_port = NF_KEPT;
		} else if (tag == 0xdc) {
			for (unsigned j = 0; j < k->n; j++) {
				k->kept[j]->out_port = 2;
				if (j < k->n - k->n_this_batch)
					assert_true(nf_batch_release(b, k->kept[j]));
			}
			k->n = k->n_this_batch = 0;
		} else if (tag == 0xdb) {
			assert_int_equal(k->n_this_batch, 0);
			pkt_free_bulk(k->kept, k->n);
			k->n = 0;
		}
	}
}

static const struct nf_ops keep_ops = {
	.name = "keep-test", .process = keep_process,
};

struct rig {
	struct pkt_pool *pool;
	struct fake fk[3];
	struct port ports[3];
	struct port *pp[3];
	struct loop l;
	uint64_t seen_now;
};

static void rig_init(struct rig *r, const struct nf_ops *nf, void *st, unsigned n_ports)
{
	memset(r, 0, sizeof(*r));
	r->pool = pkt_pool_create(128);
	assert_non_null(r->pool);
	for (unsigned i = 0; i < n_ports; i++) {
		port_init(&r->ports[i], &fake_ops, &r->fk[i], (uint16_t)i, NULL);
		r->pp[i] = &r->ports[i];
	}
	loop_init(&r->l, nf, st ? st : &r->seen_now, r->pp, (uint16_t)n_ports);
}

static void rig_done(struct rig *r)
{
	loop_flush(&r->l);
	/* Every buffer is back: nothing leaked, nothing freed twice. */
	assert_int_equal(r->pool->n_free, r->pool->capacity);
	pkt_pool_destroy(r->pool);
}

static void test_loop_routes_and_counts(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, &tag_ops, NULL, 3);
	struct fake *in = &r.fk[0];
	in->rx[in->n_rx++] = udp_frame(r.pool, 1);
	in->rx[in->n_rx++] = udp_frame(r.pool, 2);
	in->rx[in->n_rx++] = bad_ihl_frame(r.pool);
	in->rx[in->n_rx++] = udp_frame(r.pool, 0xff);  /* dropped by the function */
	in->rx[in->n_rx++] = udp_frame(r.pool, 7);     /* no such port */
	in->rx[in->n_rx++] = udp_frame(r.pool, 0xee);  /* emits one to port 0 */
	assert_int_equal(loop_poll(&r.l, 12345), 6);
	assert_int_equal(r.seen_now, 12345);
	/* Flushed at the end of the turn and then reclaimed (freed). */
	assert_int_equal(r.ports[1].stats.tx_pkts, 2);
	assert_int_equal(r.ports[2].stats.tx_pkts, 1);
	assert_int_equal(r.ports[0].stats.tx_pkts, 1);
	assert_int_equal(r.ports[0].stats.rx_pkts, 6);
	assert_int_equal(r.ports[0].stats.rx_bytes, 6 * 60);
	assert_int_equal(r.l.parse.by_reason[PARSE_ERR_IPV4_IHL], 1);
	assert_int_equal(r.l.parse.by_reason[PARSE_OK], 5);
	assert_int_equal(r.l.c.nf_drops, 1);
	assert_int_equal(r.l.c.bad_port_drops, 1);
	assert_int_equal(r.l.c.emitted, 1);
	assert_int_equal(loop_poll(&r.l, 12346), 0);
	assert_int_equal(r.l.c.idle_turns, 1);
	rig_done(&r);
}

static void test_loop_tx_refused_is_counted_and_freed(void **state)
{
	(void)state;
	struct rig r;
	/* Per-packet verdicts: all queued, the flush gets 3 out, 7 dropped. */
	rig_init(&r, &tag_ops, NULL, 2);
	r.fk[1].tx_accept = 3;
	for (int i = 0; i < 10; i++)
		r.fk[0].rx[r.fk[0].n_rx++] = udp_frame(r.pool, 1);
	loop_poll(&r.l, 1);
	assert_int_equal(r.ports[1].stats.tx_pkts, 3);
	assert_int_equal(r.ports[1].stats.tx_full, 7);
	assert_int_equal(r.ports[1].stats.tx_bytes, 3 * 60);
	rig_done(&r);

	/* A batch-wide verdict goes straight to the driver: 3 taken, the 7
	 * refused wait in the queue, the flush gets 3 more out, 4 dropped. */
	rig_init(&r, &all_to_1_ops, NULL, 2);
	r.fk[1].tx_accept = 3;
	for (int i = 0; i < 10; i++)
		r.fk[0].rx[r.fk[0].n_rx++] = udp_frame(r.pool, 1);
	loop_poll(&r.l, 1);
	assert_int_equal(r.ports[1].stats.tx_pkts, 6);
	assert_int_equal(r.ports[1].stats.tx_full, 4);
	assert_int_equal(r.ports[1].stats.tx_bytes, 6 * 60);
	rig_done(&r);
}

static void test_loop_output_order_kept(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, &tag_ops, NULL, 3);
	r.fk[1].tx_accept = 0;
	/* Mixed verdicts first (queued per packet), then a uniform burst for
	 * the same port must not overtake the queued ones. */
	uint8_t n = 0;
	for (int i = 0; i < 4; i++) {
		struct pkt *p = udp_frame(r.pool, (uint8_t)(i % 2 ? 1 : 2));
		p->data[58] = n++;
		r.fk[0].rx[r.fk[0].n_rx++] = p;
	}
	assert_int_equal(loop_rx_port(&r.l, &r.ports[0], 1), 4);
	assert_int_equal(r.fk[1].n_seq, 0); /* queued, not yet sent */
	for (int i = 0; i < 3; i++) {
		struct pkt *p = udp_frame(r.pool, 1);
		p->data[58] = n++;
		r.fk[0].rx[r.fk[0].n_rx++] = p;
	}
	assert_int_equal(loop_rx_port(&r.l, &r.ports[0], 2), 3);
	loop_flush(&r.l);
	assert_int_equal(r.fk[1].n_seq, 5);
	const uint8_t want1[5] = { 1, 3, 4, 5, 6 };
	assert_memory_equal(r.fk[1].seq, want1, 5);
	const uint8_t want2[2] = { 0, 2 };
	assert_int_equal(r.fk[2].n_seq, 2);
	assert_memory_equal(r.fk[2].seq, want2, 2);
	rig_done(&r);
}

/* A kept packet is neither sent nor freed by the loop; released, it goes
 * out after the batch that releases it, not marked as generated, once. */
static void test_loop_kept_and_released(void **state)
{
	(void)state;
	struct keeper k = {0};
	struct rig r;
	rig_init(&r, &keep_ops, &k, 3);
	r.fk[0].rx[r.fk[0].n_rx++] = udp_frame(r.pool, 0xdd);
	r.fk[0].rx[r.fk[0].n_rx++] = udp_frame(r.pool, 0xdd);
	r.fk[0].rx[r.fk[0].n_rx++] = udp_frame(r.pool, 1);
	assert_int_equal(loop_poll(&r.l, 1), 3);
	assert_int_equal(k.n, 2);
	assert_int_equal(r.l.c.kept, 2);
	assert_int_equal(r.l.c.nf_drops, 0);
	assert_int_equal(r.ports[1].stats.tx_pkts, 1);
	assert_int_equal(r.ports[2].stats.tx_pkts, 0);
	assert_int_equal(r.pool->n_free, r.pool->capacity - 2);
	/* Released by a batch from another port, along with one kept in that
	 * batch (which goes by its verdict: sent once). */
	r.fk[1].rx[r.fk[1].n_rx++] = udp_frame(r.pool, 0xdd);
	r.fk[1].rx[r.fk[1].n_rx++] = udp_frame(r.pool, 0xdc);
	assert_int_equal(loop_poll(&r.l, 2), 2);
	assert_int_equal(r.ports[2].stats.tx_pkts, 3);
	assert_int_equal(r.l.c.released, 2);
	assert_int_equal(r.l.c.kept, 2);
	assert_int_equal(r.l.c.emitted, 0);
	/* Kept again, then freed by the function itself. */
	r.fk[0].rx[r.fk[0].n_rx++] = udp_frame(r.pool, 0xdd);
	assert_int_equal(loop_poll(&r.l, 3), 1);
	r.fk[0].rx[r.fk[0].n_rx++] = udp_frame(r.pool, 0xdb);
	assert_int_equal(loop_poll(&r.l, 4), 1);
	assert_int_equal(r.l.c.kept, 3);
	rig_done(&r);
}

/* ---- fwd ---------------------------------------------------------------- */
static void test_fwd_pairs_ports(void **state)
{
	(void)state;
	const struct nf_ops *fwd = nf_find("fwd");
	assert_non_null(fwd);
	assert_null(nf_find("no-such-function"));
	struct nf_env env = { .n_ports = 3 };
	void *st = fwd->create(&env);
	struct cfg_errors errs;
	cfg_errors_init(&errs);
	struct cfg *cfg;
	const char *text = "port 0 name west\nport 1 name east\n";
	assert_int_equal(cfg_parse("t.conf", text, strlen(text), NULL, NULL, &cfg, &errs), 0);
	assert_int_equal(fwd->configure(st, cfg, &errs), 0);
	cfg_free(cfg);

	struct rig r;
	rig_init(&r, fwd, st, 3);
	for (int i = 0; i < 5; i++)
		r.fk[0].rx[r.fk[0].n_rx++] = udp_frame(r.pool, 0);
	for (int i = 0; i < 2; i++)
		r.fk[1].rx[r.fk[1].n_rx++] = udp_frame(r.pool, 0);
	r.fk[2].rx[r.fk[2].n_rx++] = udp_frame(r.pool, 0); /* port 2 has no partner */
	loop_poll(&r.l, 1);
	assert_int_equal(r.ports[1].stats.tx_pkts, 5);
	assert_int_equal(r.ports[0].stats.tx_pkts, 2);
	assert_int_equal(r.ports[2].stats.tx_pkts, 0);
	assert_int_equal(r.l.c.nf_drops, 1);

	char buf[1024];
	struct stats_writer w;
	stats_init(&w, buf, sizeof(buf), STATS_TEXT);
	loop_stats(&r.l, &w);
	const char *out = stats_finish(&w);
	assert_non_null(strstr(out, "fwd.from_west 5\n"));
	assert_non_null(strstr(out, "fwd.from_east 2\n"));
	assert_non_null(strstr(out, "fwd.unpaired 1\n"));
	rig_done(&r);
	fwd->destroy(st);
}

static void test_fwd_rejects_other_statements(void **state)
{
	(void)state;
	const struct nf_ops *fwd = nf_find("fwd");
	struct nf_env env = { .n_ports = 2 };
	void *st = fwd->create(&env);
	struct cfg_errors errs;
	cfg_errors_init(&errs);
	struct cfg *cfg;
	const char *text = "port 0 name a\n  default drop\n";
	assert_int_equal(cfg_parse("f.conf", text, strlen(text), NULL, NULL, &cfg, &errs), 0);
	assert_true(fwd->configure(st, cfg, &errs) < 0);
	assert_int_equal(errs.count, 1);
	assert_string_equal(cfg_errors_get(&errs, 0), "f.conf:2:3: unknown keyword 'default'");
	cfg_free(cfg);
	fwd->destroy(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pool_all_or_nothing),
		cmocka_unit_test(test_pool_sets_up_on_alloc),
		cmocka_unit_test(test_pkt_set_data_bounds),
		cmocka_unit_test(test_stats_text_and_json),
		cmocka_unit_test(test_stats_overflow_truncates),
		cmocka_unit_test(test_loop_routes_and_counts),
		cmocka_unit_test(test_loop_tx_refused_is_counted_and_freed),
		cmocka_unit_test(test_loop_output_order_kept),
		cmocka_unit_test(test_loop_kept_and_released),
		cmocka_unit_test(test_fwd_pairs_ports),
		cmocka_unit_test(test_fwd_rejects_other_statements),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
