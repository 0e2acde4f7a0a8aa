/* SPDX-License-Identifier: MIT */
/*
 * test_capture - the capture ring (dataplane/capture.c) against a model
 * through many wraps, its limits (full ring, count, snap length, port and
 * direction filter), the main loop feeding it (rx before the function
 * rewrites, tx after, drops with their reasons), the console lines
 * (control/capture.c) decoded back to the same bytes, and the pcapng file
 * (tools/capfile.c) as libpcap reads it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <pcap/pcap.h>

#include "control/capture.h"
#include "dataplane/loop.h"
#include "tools/capfile.h"

static struct pkt_pool *pool;

static struct pkt *frame(uint16_t len, uint8_t seed)
{
	uint8_t b[PKT_DATA_ROOM];
	for (unsigned i = 0; i < len; i++)
		b[i] = (uint8_t)(seed + i * 7);
	struct pkt *p = pkt_alloc(pool);
	assert_non_null(p);
	assert_int_equal(pkt_set_data(p, b, len), 0);
	return p;
}

static int setup(void **state)
{
	(void)state;
	pool = pkt_pool_create(256);
	return pool ? 0 : -1;
}
static int teardown(void **state)
{
	(void)state;
	pkt_pool_destroy(pool);
	return 0;
}

/* Random sizes in and out of a 4 KiB ring, 20,000 frames: every record
 * comes out whole, in order, with its bytes, through hundreds of wraps;
 * what found the ring full is counted lost, never half written. */
static void test_ring_model(void **state)
{
	(void)state;
	static uint8_t buf[4096];
	struct capture c;
	assert_int_equal(cap_init(&c, buf, sizeof(buf)), 0);
	assert_int_equal(cap_arm(&c, 1, CAP_RX, 0, CAP_SNAPLEN_MAX), 0);
	assert_int_equal(c.snaplen, 4096 / 4 - sizeof(struct cap_rec));
	uint64_t want_seq = 0, pushed = 0, lost = 0;
	uint16_t lens[128];
	unsigned q_head = 0, q_tail = 0;
	srand(7);
	for (unsigned i = 0; i < 20000; i++) {
		uint16_t len = (uint16_t)(1 + rand() % 1200);
		struct pkt *p = frame(len, (uint8_t)pushed);
		uint64_t before = c.lost;
		cap_frame(&c, p, 1, CAP_RX, CAP_WHY_NONE, 1000 + pushed);
		pkt_free(p);
		if (c.lost == before) {
			lens[q_head++ % 128] = len;
			assert_true(q_head - q_tail <= 128);
		} else {
			lost++;
		}
		pushed++;
		/* Read some, at random. */
		while (rand() % 3 == 0) {
			const uint8_t *d;
			const struct cap_rec *r = cap_peek(&c, &d);
			if (!r) {
				assert_int_equal(q_head, q_tail);
				break;
			}
			uint16_t wl = lens[q_tail++ % 128];
			uint32_t kept = wl < c.snaplen ? wl : c.snaplen;
			assert_int_equal(r->seq, want_seq);
			assert_int_equal(r->orig_len, wl);
			assert_int_equal(r->cap_len, kept);
			assert_int_equal(r->port, 1);
			assert_int_equal(r->dir, CAP_RX);
			/* The bytes of the pushed frame whose number the ts carries. */
			uint8_t seed = (uint8_t)(r->ts_ns - 1000);
			for (uint32_t k = 0; k < kept; k++)
				assert_int_equal(d[k], (uint8_t)(seed + k * 7));
			want_seq++;
			cap_pop(&c);
		}
	}
	assert_true(lost > 0);
	assert_int_equal(c.lost, lost);
	assert_int_equal(c.copied, pushed - lost);
}

/* The filter, the count, stop and done. */
static void test_ring_limits(void **state)
{
	(void)state;
	static uint8_t buf[8192];
	struct capture c;
	assert_int_equal(cap_init(&c, buf, 1000), -SYS_EINVAL);
	assert_int_equal(cap_init(&c, buf, sizeof(buf)), 0);
	assert_int_equal(cap_arm(&c, 0, 0, 1, 100), -SYS_EINVAL);
	assert_int_equal(cap_arm(&c, 0, CAP_RX, 1, 0), -SYS_EINVAL);
	assert_false(cap_want(&c, 0, CAP_RX)); /* never armed */
	assert_int_equal(cap_arm(&c, 2, CAP_TX | CAP_DROP, 3, 10), 0);
	struct pkt *p = frame(60, 1);
	cap_frame(&c, p, 2, CAP_RX, 0, 1);           /* direction not wanted */
	cap_frame(&c, p, 1, CAP_TX, 0, 2);           /* another port */
	cap_frame(&c, p, 2, CAP_TX, 0, 3);
	cap_frame(&c, p, 2, CAP_DROP, CAP_WHY_TX_FULL, 4);
	assert_false(cap_done(&c));
	cap_frame(&c, p, 2, CAP_TX, 0, 5);
	cap_frame(&c, p, 2, CAP_TX, 0, 6);           /* past the count */
	assert_true(!cap_want(&c, 2, CAP_TX));
	assert_int_equal(c.copied, 3);
	const uint8_t *d;
	const struct cap_rec *r = cap_peek(&c, &d);
	assert_int_equal(r->ts_ns, 3);
	assert_int_equal(r->cap_len, 10);
	assert_int_equal(r->orig_len, 60);
	cap_pop(&c);
	r = cap_peek(&c, &d);
	assert_int_equal(r->why, CAP_WHY_TX_FULL);
	cap_pop(&c);
	assert_false(cap_done(&c));
	cap_pop(&c);
	assert_true(cap_done(&c));
	/* Stop: nothing more is copied, what is there stays readable. */
	assert_int_equal(cap_arm(&c, 0, CAP_ALL, 0, 100), 0);
	cap_frame(&c, p, 0, CAP_RX, 0, 7);
	cap_stop(&c);
	cap_frame(&c, p, 0, CAP_RX, 0, 8);
	assert_false(cap_done(&c));
	assert_non_null(cap_peek(&c, &d));
	cap_pop(&c);
	assert_true(cap_done(&c));
	pkt_free(p);
	assert_int_equal(cap_dirs_parse("rx", 2), CAP_RX);
	assert_int_equal(cap_dirs_parse("tx,drop", 7), CAP_TX | CAP_DROP);
	assert_int_equal(cap_dirs_parse("all", 3), CAP_ALL);
	assert_int_equal(cap_dirs_parse("rx,", 3), 0);
	assert_int_equal(cap_dirs_parse("in", 2), 0);
	assert_int_equal(cap_dirs_parse("", 0), 0);
}

/* ---- the loop feeding it ----------------------------------------------------- */
struct fake {
	struct pkt *rx[32];
	unsigned n_rx, pos;
};
static uint16_t fake_rx(struct port *port, struct pkt **pkts, uint16_t n)
{
	struct fake *f = port->priv;
	uint16_t got = 0;
	while (got < n && f->pos < f->n_rx) {
		pkts[got] = f->rx[f->pos++];
		pkts[got++]->port = port->id;
	}
	return got;
}
static uint16_t fake_tx(struct port *port, struct pkt **pkts, uint16_t n)
{
	(void)port;
	pkt_free_bulk(pkts, n);
	return n;
}
static const struct port_ops fake_ops = {.kind = "fake", .rx_burst = fake_rx, .tx_burst = fake_tx};

static const char *const test_drop_names[] = {"odd", "even"};
/* Rewrites byte 59 to 0xee; sends tag 1 out of port 1, drops tag 2 with
 * reason "odd" and tag 3 with none, sends tag 4 to port 7 (none). */
static void rw_process(void *st, struct nf_batch *b, uint64_t now)
{
	(void)st;
	(void)now;
	for (unsigned i = 0; i < b->n; i++) {
		struct pkt *p = b->pkts[i];
		uint8_t tag = p->data[59];
		p->data[59] = 0xee;
		p->out_port = tag == 1 ? 1 : tag == 4 ? 7 : PKT_DROP;
		if (tag == 2)
			cap_set_why(p, 0);
	}
}
static const struct nf_ops rw_ops = {
	.name = "rw", .process = rw_process, .drop_names = test_drop_names, .n_drop_names = 2,
};

static struct pkt *udp(uint8_t tag)
{
	uint8_t f[60] = {
		2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00,
		0x45, 0, 0, 46, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
		0x30, 0x39, 0, 53, 0, 26, 0, 0,
	};
	f[59] = tag;
	struct pkt *p = pkt_alloc(pool);
	assert_int_equal(pkt_set_data(p, f, sizeof(f)), 0);
	return p;
}

static void run_loop(unsigned dirs, uint16_t port, struct capture *c, uint8_t *buf, size_t size)
{
	struct fake fk[2] = {0};
	struct port ports[2], *pp[2] = {&ports[0], &ports[1]};
	for (int i = 0; i < 2; i++)
		port_init(&ports[i], &fake_ops, &fk[i], (uint16_t)i, NULL);
	for (uint8_t t = 1; t <= 4; t++)
		fk[0].rx[fk[0].n_rx++] = udp(t);
	fk[0].rx[fk[0].n_rx++] = frame(10, 0); /* a runt: malformed */
	struct loop l;
	loop_init(&l, &rw_ops, NULL, pp, 2);
	assert_int_equal(cap_init(c, buf, (uint32_t)size), 0);
	assert_int_equal(cap_arm(c, port, dirs, 0, 100), 0);
	l.cap = c;
	loop_poll(&l, 42);
	l.cap = NULL;
}

static void test_loop_directions(void **state)
{
	(void)state;
	static uint8_t buf[16384];
	struct capture c;
	const uint8_t *d;
	const struct cap_rec *r;
	/* rx on port 0: the four good frames as they came, not rewritten. */
	run_loop(CAP_RX, 0, &c, buf, sizeof(buf));
	for (uint8_t t = 1; t <= 4; t++) {
		r = cap_peek(&c, &d);
		assert_non_null(r);
		assert_int_equal(r->dir, CAP_RX);
		assert_int_equal(r->ts_ns, 42);
		assert_int_equal(d[59], t);
		cap_pop(&c);
	}
	assert_null(cap_peek(&c, &d));
	/* tx on port 1: the one sent there, rewritten. */
	run_loop(CAP_TX, 1, &c, buf, sizeof(buf));
	r = cap_peek(&c, &d);
	assert_non_null(r);
	assert_int_equal(r->port, 1);
	assert_int_equal(d[59], 0xee);
	cap_pop(&c);
	assert_null(cap_peek(&c, &d));
	/* drops of port 0, with their reasons. */
	run_loop(CAP_DROP, 0, &c, buf, sizeof(buf));
	const char *want[] = {"malformed:runt", "rw:odd", "rw", "bad_port"};
	for (unsigned i = 0; i < 4; i++) {
		char w[48];
		r = cap_peek(&c, &d);
		assert_non_null(r);
		assert_int_equal(r->dir, CAP_DROP);
		assert_string_equal(cap_why_name(&rw_ops, r->why, w, sizeof(w)), want[i]);
		cap_pop(&c);
	}
	assert_null(cap_peek(&c, &d));
}

/* ---- lines --------------------------------------------------------------------- */
struct outbuf {
	char s[1 << 16];
	size_t n;
};
static void out(void *ctx, const char *s, size_t n)
{
	struct outbuf *o = ctx;
	assert_true(o->n + n < sizeof(o->s));
	memcpy(o->s + o->n, s, n);
	o->n += n;
	o->s[o->n] = '\0';
}

static void test_lines_round_trip(void **state)
{
	(void)state;
	static uint8_t buf[65536];
	static struct outbuf o;
	struct capture c;
	assert_int_equal(cap_init(&c, buf, sizeof(buf)), 0);
	assert_int_equal(cap_arm(&c, 0, CAP_ALL, 5, CAP_SNAPLEN_MAX), 0);
	uint16_t lens[5] = {60, 1, 1514, 47, 1856};
	for (unsigned i = 0; i < 5; i++) {
		struct pkt *p = frame(lens[i], (uint8_t)(i * 31));
		cap_frame(&c, p, 0, i == 3 ? CAP_DROP : CAP_RX, i == 3 ? CAP_WHY_TX_FULL : 0, 5000 + i);
		pkt_free(p);
	}
	/* A small round takes one frame at least, and says more. */
	o.n = 0;
	control_cap_round(&c, NULL, 10, out, &o);
	assert_non_null(strstr(o.s, "\ncapture more 5 0\n"));
	size_t first = o.n;
	control_cap_round(&c, NULL, 0, out, &o);
	assert_non_null(strstr(o.s + first, "\ncapture done 5 0\n"));
	unsigned got = 0;
	uint8_t data[CAP_SNAPLEN_MAX];
	for (char *l = o.s; *l;) {
		size_t n = strcspn(l, "\n");
		struct control_cap_frame f;
		int k = control_cap_parse(l, n, &f, data, sizeof(data));
		assert_true(k >= 0);
		if (k) {
			assert_int_equal(f.seq, got);
			assert_int_equal(f.ts_ns, 5000 + got);
			assert_int_equal(f.cap_len, lens[got]);
			assert_string_equal(f.why, got == 3 ? "tx_full" : "-");
			assert_int_equal(f.dir, got == 3 ? CAP_DROP : CAP_RX);
			for (unsigned b = 0; b < f.cap_len; b++)
				assert_int_equal(data[b], (uint8_t)(got * 31 + b * 7));
			got++;
		}
		l += n + (l[n] == '\n');
	}
	assert_int_equal(got, 5);
	/* Lines that are not frames, and broken ones. */
	struct control_cap_frame f;
	const char *other = "capture wait 1 0";
	assert_int_equal(control_cap_parse(other, strlen(other), &f, data, sizeof(data)), 0);
	const char *bad[] = {
		"capture frame 0 1 0 rx - 3 3 AAA",      /* bad base64 */
		"capture frame 0 1 0 up - 3 3 AAAA",     /* no such direction */
		"capture frame 0 1 0 rx - 3 4 AAAA",     /* more kept than the frame */
		"capture frame 0 1 0 rx - 3 3 AAAAAAAA", /* more bytes than announced */
		"capture frame 0 1 0 rx -",
	};
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(control_cap_parse(bad[i], strlen(bad[i]), &f, data, sizeof(data)), -1);
	const char *good = "capture frame 0 1 0 rx - 3 3 AAAA";
	assert_int_equal(control_cap_parse(good, strlen(good), &f, data, 2), -1); /* no room */
	assert_int_equal(control_cap_parse(good, strlen(good), &f, data, sizeof(data)), 1);
}

/* ---- the file ------------------------------------------------------------------ */
static void test_pcapng_file(void **state)
{
	(void)state;
	char path[] = "/tmp/test_capture.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	for (int ng = 1; ng >= 0; ng--) {
		struct capfile cf;
		assert_int_equal(capfile_open(&cf, path, ng, "inside", 65535, true), 0);
		uint8_t d[100];
		for (unsigned i = 0; i < sizeof(d); i++)
			d[i] = (uint8_t)i;
		assert_int_equal(capfile_write(&cf, 1700000000123456789ull, CAP_RX, "-", d, 61, 61), 0);
		assert_int_equal(capfile_write(&cf, 1700000000223456789ull, CAP_DROP, "fw:policy", d, 10, 100), 0);
		assert_int_equal(capfile_close(&cf), 0);
		char err[PCAP_ERRBUF_SIZE];
		pcap_t *pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
		assert_non_null(pc);
		assert_int_equal(pcap_datalink(pc), DLT_EN10MB);
		struct pcap_pkthdr *h;
		const u_char *b;
		assert_int_equal(pcap_next_ex(pc, &h, &b), 1);
		assert_int_equal(h->caplen, 61);
		assert_int_equal(h->ts.tv_sec, 1700000000);
		assert_int_equal(h->ts.tv_usec, 123456789); /* ns precision */
		assert_memory_equal(b, d, 61);
		assert_int_equal(pcap_next_ex(pc, &h, &b), 1);
		assert_int_equal(h->caplen, 10);
		assert_int_equal(h->len, 100);
		assert_int_equal(pcap_next_ex(pc, &h, &b), PCAP_ERROR_BREAK);
		pcap_close(pc);
	}
	/* pcap: the reasons beside it. */
	char side[64], line[64] = "";
	snprintf(side, sizeof(side), "%s.drops", path);
	FILE *f = fopen(side, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	assert_string_equal(line, "2 fw:policy\n");
	unlink(side);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_model),
		cmocka_unit_test(test_ring_limits),
		cmocka_unit_test(test_loop_directions),
		cmocka_unit_test(test_lines_round_trip),
		cmocka_unit_test(test_pcapng_file),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
