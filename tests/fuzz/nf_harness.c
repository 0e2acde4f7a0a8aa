/* SPDX-License-Identifier: MIT */
#include "tests/fuzz/nf_harness.h"

#include <sanitizer/asan_interface.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/parse.h"
#include "dataplane/stats.h"

#define POOL_SIZE 256

/* Each frame sits in its pool buffer at the default headroom, as a
 * driver leaves it (a function may grow it in front: pkt_push_front),
 * and the bytes after it are poisoned, so ASan catches a read past the
 * frame as it would past a heap block.  A packet the function keeps
 * (NF_KEPT) keeps its poison; a buffer is cleaned when the harness frees
 * it, takes it again, or finds it free before a burst (freed by the
 * function, which may take it for a packet it generates). */
static struct pkt_pool *frames_pool;
static bool poisoned[POOL_SIZE];

static size_t frame_index(const struct pkt *p)
{
	size_t i = (size_t)((const uint8_t *)p - frames_pool->mem) / PKT_BUF_SIZE;
	if (i >= POOL_SIZE)
		abort();
	return i;
}

static void frame_free(struct pkt *p)
{
	size_t i = frame_index(p);
	if (poisoned[i])
		ASAN_UNPOISON_MEMORY_REGION(pkt_buf_start(p), PKT_BUF_SIZE - PKT_META_SIZE);
	poisoned[i] = false;
}

static void frame_poison_tail(struct pkt *p)
{
	uint8_t *end = p->data + p->len;
	ASAN_POISON_MEMORY_REGION(end, (size_t)(pkt_buf_end(p) - end));
	poisoned[frame_index(p)] = true;
}

static void frames_clean_free(struct pkt_pool *pool)
{
	for (uint32_t i = 0; i < pool->n_free; i++)
		frame_free(pool->free[i]);
}

struct pkt_pool *fuzz_setup(struct cfg **cfgs, const char *const *texts, unsigned n)
{
	static struct cfg_errors errs;
	for (unsigned i = 0; i < n; i++) {
		cfg_errors_init(&errs);
		if (cfg_parse("fuzz.conf", texts[i], strlen(texts[i]), NULL, NULL, &cfgs[i], &errs))
			abort();
	}
	struct pkt_pool *pool = pkt_pool_create(POOL_SIZE);
	if (!pool)
		abort();
	frames_pool = pool;
	return pool;
}

void *fuzz_nf_start(const struct nf_ops *nf, struct pkt_pool *pool, const struct cfg *cfg)
{
	struct nf_env env = {.pool = pool, .n_ports = 2, .flow_capacity = 16};
	static struct cfg_errors errs;
	/* The last input's functions are destroyed: kept packets are free. */
	if (pool->n_free != POOL_SIZE)
		abort();
	frames_clean_free(pool);
	cfg_errors_init(&errs);
	void *st = nf->create(&env);
	if (!st || nf->configure(st, cfg, &errs))
		abort();
	return st;
}

void fuzz_feed_init(struct fuzz_feed *f, const uint8_t *data, size_t size)
{
	f->data = data;
	f->size = size;
	f->off = 1;
	f->now = 1000000000ull;
}

bool fuzz_next_burst(struct fuzz_feed *f, struct pkt_pool *pool, struct fuzz_burst *b)
{
	const uint8_t *data = f->data;
	size_t size = f->size;
	if (f->off + 4 > size)
		return false;
	b->n = 0;
	b->port = data[f->off] & 1;
	f->now += (uint64_t)data[f->off + 1] * 50000000ull;
	while (b->n < FUZZ_BURST_MAX && f->off + 4 <= size) {
		uint8_t port = data[f->off];
		if ((port & 1) != b->port)
			break; /* a burst comes from one port (nf.h) */
		size_t len = (size_t)data[f->off + 2] | ((size_t)data[f->off + 3] << 8);
		f->off += 4;
		if (len > size - f->off)
			len = size - f->off;
		if (len > PKT_DATA_ROOM)
			len = PKT_DATA_ROOM;
		struct pkt *p = pkt_alloc(pool);
		if (!p)
			abort(); /* a function keeps more than it may */
		frame_free(p); /* a kept packet's, freed by the function */
		if (pkt_set_data(p, data + f->off, (uint32_t)len))
			abort(); /* len <= PKT_DATA_ROOM */
		f->off += len;
		frame_poison_tail(p);
		uint8_t *frame = p->data;
		p->port = port & 1;
		if (parse_pkt(p) != PARSE_OK) {
			frame_free(p);
			pkt_free(p);
			continue;
		}
		b->frames[b->n] = frame;
		b->pkts[b->n++] = p;
		if (port & 0x80)
			break; /* end of burst */
	}
	return true;
}

int fuzz_back_port = -1;

void fuzz_burst_run(const struct nf_ops *nf, void *st, struct fuzz_burst *b, uint64_t now,
		    uint16_t *out)
{
	struct nf_batch nb = {.pkts = b->pkts, .n = b->n, .port = b->port, .out_all = NF_OUT_PER_PKT};
	frames_clean_free(frames_pool);
	nf->process(st, &nb, now);
	for (uint16_t i = 0; i < b->n; i++) {
		uint16_t o = fuzz_out(&nb, i);
		if (o != PKT_DROP && o != NF_KEPT && (o > 1 || (o == b->port && (int)o != fuzz_back_port)))
			abort(); /* only the two ports exist, and never back */
		if (out)
			out[i] = o;
		if (o == NF_KEPT)
			continue; /* the function's now */
		frame_free(b->pkts[i]);
		pkt_free(b->pkts[i]);
	}
	for (uint16_t i = 0; i < nb.n_emit; i++) {
		struct pkt *p = nb.emit[i];
		if (parse_pkt(p) != PARSE_OK)
			abort(); /* generated and released packets are well formed */
		if (!(p->flags & PKT_F_GENERATED)) {
			/* Kept before, released now: to the other port. */
			if (p->out_port > 1 || (p->out_port == p->port && (int)p->out_port != fuzz_back_port))
				abort();
			frame_free(p);
		}
		pkt_free(p);
	}
	nf->expire(st, now);
}

const char *fuzz_stats(const struct nf_ops *nf, void *st, char *buf, size_t size)
{
	struct stats_writer w;
	stats_init(&w, buf, size, STATS_TEXT);
	nf->stats(st, &w);
	return stats_finish(&w);
}
