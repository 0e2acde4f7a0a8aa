/* SPDX-License-Identifier: MIT */
/*
 * fw_cls_boxes.c - rules as boxes for the classifier's trees (see
 * fw_cls_int.h): one range per field, lists and negations expanded into
 * several boxes, what boxes cannot say marked `exact`.  Cold path.
 */
#include "nf/firewall/fw_cls_int.h"

/* A field's ranges while expanding one rule. */
struct range64 {
	uint64_t lo, hi;
};

struct rlist {
	struct range64 *r;
	uint32_t n, cap;
};

static bool rl_add(struct rlist *l, uint64_t lo, uint64_t hi)
{
	if (l->n == l->cap) {
		uint32_t cap = l->cap ? l->cap * 2 : 8;
		struct range64 *r = sys_alloc(cap * sizeof(*r), 8);
		if (!r)
			return false;
		if (l->r)
			memcpy(r, l->r, l->n * sizeof(*r));
		sys_free(l->r);
		l->r = r;
		l->cap = cap;
	}
	l->r[l->n++] = (struct range64){lo, hi};
	return true;
}

/* Sort (insertion: lists are short) and merge overlapping/adjacent ranges. */
static void rl_normalise(struct rlist *l)
{
	for (uint32_t i = 1; i < l->n; i++) {
		struct range64 x = l->r[i];
		uint32_t j = i;
		while (j > 0 && l->r[j - 1].lo > x.lo) {
			l->r[j] = l->r[j - 1];
			j--;
		}
		l->r[j] = x;
	}
	uint32_t w = 0;
	for (uint32_t i = 0; i < l->n; i++) {
		if (w && (l->r[w - 1].hi == UINT64_MAX || l->r[i].lo <= l->r[w - 1].hi + 1)) {
			if (l->r[i].hi > l->r[w - 1].hi)
				l->r[w - 1].hi = l->r[i].hi;
		} else {
			l->r[w++] = l->r[i];
		}
	}
	l->n = w;
}

/* Replace a normalised list by its complement within [0, max]. */
static bool rl_complement(struct rlist *l, uint64_t max)
{
	struct rlist c = {0};
	uint64_t next = 0;
	bool more = true;
	for (uint32_t i = 0; i < l->n && more; i++) {
		if (l->r[i].lo > next && !rl_add(&c, next, l->r[i].lo - 1))
			goto fail;
		if (l->r[i].hi >= max)
			more = false;
		else
			next = l->r[i].hi + 1;
	}
	if (more && !rl_add(&c, next, max))
		goto fail;
	sys_free(l->r);
	*l = c;
	return true;
fail:
	sys_free(c.r);
	return false;
}

static uint64_t be64(const uint8_t *p)
{
	return sys_be64(sys_ld64(p));
}

/* Ranges of an address match for tree `fam` (0 v4, 1 v6), in the tree's
 * coordinates (IPv4 value, or IPv6 upper half).  *exact when the ranges
 * over-approximate. */
static bool addr_ranges(const struct fw_addr_match *m, int fam, struct rlist *l, bool *exact)
{
	uint64_t max = fam ? UINT64_MAX : 0xffffffffull;
	if (m->kind == FW_ADDR_ANY)
		return rl_add(l, 0, max);
	if (m->kind == FW_ADDR_SET) {
		*exact = true;
		return rl_add(l, 0, max);
	}
	bool loose = false;
	for (uint32_t i = 0; i < m->n; i++) {
		const struct fw_prefix *p = &m->pfx[i];
		if (p->family != (fam ? CFG_AF_V6 : CFG_AF_V4))
			continue;
		uint64_t lo, hi;
		if (!fam) {
			lo = sys_be32(sys_ld32(p->a));
			hi = lo | (0xffffffffull >> p->len);
		} else {
			lo = be64(p->a);
			hi = p->len >= 64 ? lo : lo | (UINT64_MAX >> p->len);
			loose |= p->len > 64;
		}
		if (!rl_add(l, lo, hi))
			return false;
	}
	rl_normalise(l);
	if (m->negate) {
		if (loose) {
			/* The complement of an upper-half approximation is not
			 * an approximation of the complement. */
			l->n = 0;
			*exact = true;
			return rl_add(l, 0, max);
		}
		if (!rl_complement(l, max))
			return false;
	}
	*exact |= loose;
	return true;
}

static bool port_ranges(const struct fw_port_match *m, struct rlist *l)
{
	if (m->any)
		return rl_add(l, 0, 65535);
	for (uint16_t i = 0; i < m->n; i++)
		if (!rl_add(l, m->r[i].lo, m->r[i].hi))
			return false;
	rl_normalise(l);
	return m->negate ? rl_complement(l, 65535) : true;
}

static bool proto_ranges(const struct fw_rule *r, struct rlist *l)
{
	if (r->any_proto)
		return rl_add(l, 0, 255);
	for (unsigned p = 0; p < 256;) {
		if (!((r->proto[p >> 6] >> (p & 63)) & 1)) {
			p++;
			continue;
		}
		unsigned q = p;
		while (q + 1 < 256 && ((r->proto[(q + 1) >> 6] >> ((q + 1) & 63)) & 1))
			q++;
		if (!rl_add(l, p, q))
			return false;
		p = q + 1;
	}
	return true;
}


static void add_box(struct builder *bl, const struct bbox *x)
{
	if (bl->n == bl->cap) {
		uint32_t cap = bl->cap ? bl->cap * 2 : 256;
		struct bbox *b = sys_alloc((size_t)cap * sizeof(*b), 16);
		if (!b) {
			bl->nomem = true;
			return;
		}
		if (bl->b)
			memcpy(b, bl->b, (size_t)bl->n * sizeof(*b));
		sys_free(bl->b);
		bl->b = b;
		bl->cap = cap;
	}
	bl->b[bl->n++] = *x;
}

void cls_expand_rule(struct builder *bl, const struct fw_rule *r, uint32_t idx, int fam)
{
	struct rlist l[CLS_DIMS] = {{0}};
	bool exact = r->flags_mask != 0;
	bool ok = addr_ranges(&r->src, fam, &l[D_SRC], &exact) &&
		  addr_ranges(&r->dst, fam, &l[D_DST], &exact) && port_ranges(&r->sport, &l[D_SPORT]) &&
		  port_ranges(&r->dport, &l[D_DPORT]) && proto_ranges(r, &l[D_PROTO]) &&
		  rl_add(&l[D_INPORT], r->in_port == FW_NO_PORT ? 0 : r->in_port,
			 r->in_port == FW_NO_PORT ? 255 : r->in_port);
	if (!ok) {
		bl->nomem = true;
		goto out;
	}
	for (int d = 0; d < CLS_DIMS; d++)
		if (l[d].n == 0)
			goto out; /* e.g. a negation of everything: matches nothing */
	/* Too many combinations: hull the longest lists until it fits. */
	for (;;) {
		uint64_t prod = 1;
		int widest = 0;
		for (int d = 0; d < CLS_DIMS; d++) {
			prod *= l[d].n;
			if (l[d].n > l[widest].n)
				widest = d;
		}
		if (prod <= CLS_EXPAND_MAX)
			break;
		l[widest].r[0].hi = l[widest].r[l[widest].n - 1].hi;
		l[widest].n = 1;
		exact = true;
	}
	uint32_t pos[CLS_DIMS] = {0};
	for (;;) {
		struct bbox x = {.rule = idx, .exact = exact};
		for (int d = 0; d < CLS_DIMS; d++) {
			x.lo[d] = l[d].r[pos[d]].lo;
			x.hi[d] = l[d].r[pos[d]].hi;
		}
		add_box(bl, &x);
		int d = 0;
		while (d < CLS_DIMS && ++pos[d] == l[d].n)
			pos[d++] = 0;
		if (d == CLS_DIMS)
			break;
	}
out:
	for (int d = 0; d < CLS_DIMS; d++)
		sys_free(l[d].r);
}


