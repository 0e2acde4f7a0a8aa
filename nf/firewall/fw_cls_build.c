/* SPDX-License-Identifier: MIT */
/*
 * fw_cls_build.c - building the fast classifier (cold: configure).  The
 * design is described in fw_cls_int.h: rules become boxes, boxes go into
 * up to three trees per family, each tree is split at rule boundaries.
 */
#include "nf/firewall/fw_cls_int.h"

/* ---- building a tree (cold) -------------------------------------------------- */
/* A plan (build_family) stops being built once it cannot win: its cost
 * so far reaches the best plan's, or its memory passes the cap. */
struct plan_bound {
	double base_cost; /* trees built, and 3 for each tree to come (this one too) */
	size_t base_mem;  /* of the trees built */
	double limit;     /* the best plan's cost */
	size_t cap;
};

struct tbuild {
	const struct plan_bound *bound; /* NULL: build whatever it costs */
	bool over;                      /* stopped by the bound */
	struct cls_tree *t;
	const struct bbox *b;
	uint64_t *tmp_lo, *tmp_hi, *tmp_sort; /* scratch, one per box */
	uint64_t *node_lo, *node_hi;          /* split8's, one per box */
	bool nomem;
};

static uint32_t new_nodes(struct tbuild *tb, uint32_t n)
{
	struct cls_tree *t = tb->t;
	if (t->n_nodes + n > t->cap_nodes) {
		uint32_t cap = t->cap_nodes ? t->cap_nodes * 2 : 1024;
		struct cls_node *nn = sys_alloc((size_t)cap * sizeof(*nn), SYS_CACHE_LINE);
		if (!nn) {
			tb->nomem = true;
			return UINT32_MAX;
		}
		if (t->nodes)
			memcpy(nn, t->nodes, (size_t)t->n_nodes * sizeof(*nn));
		sys_free(t->nodes);
		t->nodes = nn;
		t->cap_nodes = cap;
	}
	uint32_t at = t->n_nodes;
	t->n_nodes += n;
	return at;
}

static bool grow32(void **v, uint32_t *cap, uint32_t need, size_t elem)
{
	if (need <= *cap)
		return true;
	uint32_t c = *cap ? *cap : 1024;
	while (c < need)
		c *= 2;
	void *n = sys_alloc((size_t)c * elem, SYS_CACHE_LINE);
	if (!n)
		return false;
	if (*v)
		memcpy(n, *v, (size_t)*cap * elem);
	sys_free(*v);
	*v = n;
	*cap = c;
	return true;
}

static void make_leaf(struct tbuild *tb, uint32_t node, const uint32_t *ids, uint32_t n)
{
	struct cls_tree *t = tb->t;
	/* One spare entry: the list array exists even when every leaf is
	 * empty, so `leaf + off` is never arithmetic on NULL. */
	if (!grow32((void **)&t->leaf, &t->cap_leaf, t->n_leaf + n + 1, sizeof(*t->leaf)) ||
	    !grow32((void **)&t->leaves, &t->cap_leaves, t->n_leaves + 1, sizeof(*t->leaves))) {
		tb->nomem = true;
		return;
	}
	if (n)
		memcpy(t->leaf + t->n_leaf, ids, (size_t)n * sizeof(*ids));
	t->leaves[t->n_leaves] = (struct cls_leaf){.off = t->n_leaf, .n = n};
	t->nodes[node] = (struct cls_node){.thr = UINT64_MAX, .child = node,
					   .info = CLS_LEAF | t->n_leaves << 3};
	t->n_leaves++;
	t->n_leaf += n;
}

/* LSD radix sort, a byte per pass, skipping the bytes in which all values
 * agree (deep in a tree a region is narrow: one or two passes); small
 * arrays by insertion.  No recursion, no libc qsort in the image.  `tmp`
 * holds n values. */
static void sort_u64(uint64_t *v, uint64_t *tmp, uint32_t n)
{
	if (n < 32) {
		for (uint32_t i = 1; i < n; i++) {
			uint64_t x = v[i];
			uint32_t j = i;
			for (; j > 0 && v[j - 1] > x; j--)
				v[j] = v[j - 1];
			v[j] = x;
		}
		return;
	}
	uint64_t any = 0, all = UINT64_MAX;
	for (uint32_t i = 0; i < n; i++) {
		any |= v[i];
		all &= v[i];
	}
	uint64_t vary = any ^ all, *src = v, *dst = tmp;
	for (unsigned sh = 0; sh < 64; sh += 8) {
		if (!((vary >> sh) & 0xff))
			continue;
		uint32_t pos[256] = {0};
		for (uint32_t i = 0; i < n; i++)
			pos[(src[i] >> sh) & 0xff]++;
		for (uint32_t d = 0, sum = 0; d < 256; d++) {
			uint32_t c = pos[d];
			pos[d] = sum;
			sum += c;
		}
		for (uint32_t i = 0; i < n; i++)
			dst[pos[(src[i] >> sh) & 0xff]++] = src[i];
		uint64_t *t = src;
		src = dst;
		dst = t;
	}
	if (src != v)
		memcpy(v, src, (size_t)n * sizeof(*v));
}

struct split {
	int dim;
	uint64_t thr;
	uint32_t nl, nr;
	uint64_t cost;
};

/* A field's clipped lows and highs of boxes `ids` in a region, sorted. */
static void sorted_ends(struct tbuild *tb, const uint32_t *ids, uint32_t n, const uint64_t *blo,
			const uint64_t *bhi, int dim, uint64_t *lo, uint64_t *hi)
{
	for (uint32_t i = 0; i < n; i++) {
		const struct bbox *x = &tb->b[ids[i]];
		lo[i] = x->lo[dim] > blo[dim] ? x->lo[dim] : blo[dim];
		hi[i] = x->hi[dim] < bhi[dim] ? x->hi[dim] : bhi[dim];
	}
	sort_u64(lo, tb->tmp_sort, n);
	sort_u64(hi, tb->tmp_sort, n);
}

/* The best threshold in [rlo, rhi) on `dim` for n boxes whose clipped
 * lows and highs are lo and hi, sorted: scan every boundary, counting
 * boxes on each side. */
static void scan_split(const uint64_t *lo, const uint64_t *hi, uint32_t n, uint64_t rlo, uint64_t rhi,
		       int dim, struct split *best)
{
	/* Candidate thresholds t: the left side is [rlo, t].  Useful ones are
	 * hi[i] (a box ends there) and lo[i] - 1 (one starts after).  Walk
	 * both sorted lists as one merged sequence. */
	uint32_t a = 0, b = 0; /* lows <= t, highs <= t */
	for (;;) {
		uint64_t c1 = b < n ? hi[b] : UINT64_MAX;
		uint64_t c2 = a < n && lo[a] > 0 ? lo[a] - 1 : UINT64_MAX;
		uint64_t t = c1 < c2 ? c1 : c2;
		if (t >= rhi)
			break;
		while (a < n && lo[a] <= t)
			a++;
		while (b < n && hi[b] <= t)
			b++;
		if (t >= rlo) {
			uint32_t nl = a, nr = n - b;
			uint32_t big = nl > nr ? nl : nr;
			uint64_t cost = (uint64_t)big * 2 + (nl + nr - n);
			if (big < n && cost < best->cost)
				*best = (struct split){dim, t, nl, nr, cost};
		}
		/* Boxes starting at t + 1 made this candidate; the next one is
		 * larger and counts them anyway. */
		while (a < n && lo[a] == t + 1)
			a++;
	}
}

/* The best threshold on `dim` for boxes `ids` in a region. */
static void best_on_dim(struct tbuild *tb, const uint32_t *ids, uint32_t n, const uint64_t *blo,
			const uint64_t *bhi, int dim, struct split *best)
{
	sorted_ends(tb, ids, n, blo, bhi, dim, tb->tmp_lo, tb->tmp_hi);
	scan_split(tb->tmp_lo, tb->tmp_hi, n, blo[dim], bhi[dim], dim, best);
}

/* First index of sorted v[0..n) not below x. */
static uint32_t lower_bound(const uint64_t *v, uint32_t n, uint64_t x)
{
	uint32_t l = 0, r = n;
	while (l < r) {
		uint32_t m = l + (r - l) / 2;
		if (v[m] < x)
			l = m + 1;
		else
			r = m;
	}
	return l;
}

/* best_on_dim for the ns boxes of a node (whose ends on `dim`, clipped to
 * the node, are nlo and nhi, sorted, n of them) that overlap [ilo, ihi],
 * without sorting again: their lows clipped to the interval are ilo for
 * those that start before it, then the node's lows inside it (every box
 * starting inside overlaps); their highs are the node's highs in
 * [ilo, ihi) (every box ending there overlaps), then ihi for the rest. */
static void best_in_interval(struct tbuild *tb, const uint64_t *nlo, const uint64_t *nhi, uint32_t n,
			     uint32_t ns, uint64_t ilo, uint64_t ihi, int dim, struct split *best)
{
	uint64_t *lo = tb->tmp_lo, *hi = tb->tmp_hi;
	uint32_t pa = lower_bound(nlo, n, ilo);
	uint32_t pe = ihi == UINT64_MAX ? n : lower_bound(nlo, n, ihi + 1);
	uint32_t inside = pe - pa, before = ns - inside;
	for (uint32_t i = 0; i < before; i++)
		lo[i] = ilo;
	memcpy(lo + before, nlo + pa, (size_t)inside * sizeof(*lo));
	uint32_t pb = lower_bound(nhi, n, ilo), qe = lower_bound(nhi, n, ihi);
	uint32_t ends = qe - pb;
	memcpy(hi, nhi + pb, (size_t)ends * sizeof(*hi));
	for (uint32_t i = ends; i < ns; i++)
		hi[i] = ihi;
	scan_split(lo, hi, ns, ilo, ihi, dim, best);
}

/* Within the region: keep boxes up to (and with) the first inexact box
 * covering all of it, and (for small nodes, where it is affordable) drop
 * boxes an earlier inexact box covers: they can never be the first match. */
static uint32_t prune(const struct tbuild *tb, uint32_t *ids, uint32_t n, const uint64_t *blo,
		      const uint64_t *bhi)
{
	for (uint32_t i = 0; i < n; i++) {
		const struct bbox *x = &tb->b[ids[i]];
		if (x->exact)
			continue;
		bool covers = true;
		for (int d = 0; d < CLS_DIMS && covers; d++)
			covers = x->lo[d] <= blo[d] && x->hi[d] >= bhi[d];
		if (covers) {
			n = i + 1;
			break;
		}
	}
	if (n > 128)
		return n;
	uint32_t w = 0;
	for (uint32_t j = 0; j < n; j++) {
		const struct bbox *y = &tb->b[ids[j]];
		bool hidden = false;
		for (uint32_t i = 0; i < w && !hidden; i++) {
			const struct bbox *x = &tb->b[ids[i]];
			if (x->exact)
				continue;
			hidden = true;
			for (int d = 0; d < CLS_DIMS && hidden; d++) {
				uint64_t lo = y->lo[d] > blo[d] ? y->lo[d] : blo[d];
				uint64_t hi = y->hi[d] < bhi[d] ? y->hi[d] : bhi[d];
				hidden = x->lo[d] <= lo && x->hi[d] >= hi;
			}
		}
		if (!hidden)
			ids[w++] = ids[j];
	}
	return w;
}

static void build_node(struct tbuild *tb, uint32_t node, uint32_t *ids, uint32_t n,
		       const uint64_t *blo, const uint64_t *bhi, uint32_t depth)
{
	if (tb->nomem)
		return;
	if (depth > tb->t->depth)
		tb->t->depth = depth;
	n = prune(tb, ids, n, blo, bhi);
	struct split best = {.cost = UINT64_MAX};
	if (n > CLS_LEAF_MAX && depth < CLS_DEPTH_MAX && tb->t->n_nodes < CLS_NODES_MAX)
		for (int d = 0; d < CLS_DIMS; d++)
			best_on_dim(tb, ids, n, blo, bhi, d, &best);
	if (best.cost == UINT64_MAX) {
		make_leaf(tb, node, ids, n);
		return;
	}
	uint32_t kids = new_nodes(tb, 2);
	uint32_t *left = sys_alloc((size_t)(best.nl + best.nr) * sizeof(*left) + 4, 8);
	if (kids == UINT32_MAX || !left) {
		tb->nomem = true;
		sys_free(left);
		return;
	}
	tb->t->nodes[node] = (struct cls_node){.thr = best.thr, .child = kids, .info = (uint32_t)best.dim};
	uint32_t *right = left + best.nl, nl = 0, nr = 0;
	for (uint32_t i = 0; i < n; i++) {
		const struct bbox *x = &tb->b[ids[i]];
		if (x->lo[best.dim] <= best.thr && x->hi[best.dim] >= blo[best.dim])
			left[nl++] = ids[i];
		if (x->hi[best.dim] > best.thr && x->lo[best.dim] <= bhi[best.dim])
			right[nr++] = ids[i];
	}
	uint64_t lo2[CLS_DIMS], hi2[CLS_DIMS];
	memcpy(lo2, blo, sizeof(lo2));
	memcpy(hi2, bhi, sizeof(hi2));
	hi2[best.dim] = best.thr;
	build_node(tb, kids, left, nl, blo, hi2, depth + 1);
	lo2[best.dim] = best.thr + 1;
	build_node(tb, kids + 1, right, nr, lo2, bhi, depth + 1);
	sys_free(left);
}

static void to_runtime(struct cls_box *o, const struct bbox *x)
{
	o->alo = (v2di){(long long)(x->lo[D_SRC] ^ BIAS), (long long)(x->lo[D_DST] ^ BIAS)};
	o->ahi = (v2di){(long long)(x->hi[D_SRC] ^ BIAS), (long long)(x->hi[D_DST] ^ BIAS)};
	o->plo = x->lo[D_SPORT] | x->lo[D_DPORT] << 16 | x->lo[D_PROTO] << 32 | x->lo[D_INPORT] << 48;
	o->phi = x->hi[D_SPORT] | x->hi[D_DPORT] << 16 | x->hi[D_PROTO] << 32 | x->hi[D_INPORT] << 48;
	o->rule = x->rule;
	o->exact = x->exact;
	o->pad = 0;
}

static uint32_t new_nodes8(struct tbuild *tb, uint32_t n)
{
	struct cls_tree *t = tb->t;
	if (!grow32((void **)&t->n8, &t->cap_n8, t->n_n8 + n, sizeof(*t->n8))) {
		tb->nomem = true;
		return UINT32_MAX;
	}
	uint32_t at = t->n_n8;
	t->n_n8 += n;
	return at;
}

static void make_leaf8(struct tbuild *tb, uint32_t node, const uint32_t *ids, uint32_t n)
{
	struct cls_tree *t = tb->t;
	uint32_t leaf = t->n_leaves;
	make_leaf(tb, 0, ids, n); /* records the leaf; its binary node is unused */
	if (tb->nomem)
		return;
	struct cls_node8 *x = &t->n8[node];
	for (int i = 0; i < 4; i++)
		x->thr[0][i] = x->thr[1][i] = INT32_MAX;
	x->child = node;
	x->info = CLS_LEAF | leaf << 3;
}

struct ival {
	uint64_t lo, hi;
	uint32_t *ids, n;
	bool done;
};

/* Cut field d of a region into up to eight intervals: always the interval
 * holding the most boxes, at its own best point.  Intervals come out in
 * address order, each with its own box list (freed by free_ivals). */
static uint32_t split8(struct tbuild *tb, uint32_t *ids, uint32_t n, const uint64_t *blo,
		       const uint64_t *bhi, int d, struct ival *iv, bool *owned)
{
	uint32_t k = 1;
	iv[0] = (struct ival){blo[d], bhi[d], ids, n, false};
	for (int i = 0; i < 8; i++)
		owned[i] = false;
	/* The node's ends on d, sorted once: each interval's best cut is then
	 * a scan of their part (best_in_interval). */
	sorted_ends(tb, ids, n, blo, bhi, d, tb->node_lo, tb->node_hi);
	for (;;) {
		uint32_t w = UINT32_MAX;
		for (uint32_t i = 0; i < k; i++)
			if (!iv[i].done && iv[i].n > CLS_LEAF_MAX && (w == UINT32_MAX || iv[i].n > iv[w].n))
				w = i;
		if (w == UINT32_MAX || k == 8)
			break;
		struct split sp = {.cost = UINT64_MAX};
		best_in_interval(tb, tb->node_lo, tb->node_hi, n, iv[w].n, iv[w].lo, iv[w].hi, d, &sp);
		if (sp.cost == UINT64_MAX) {
			iv[w].done = true;
			continue;
		}
		uint32_t *l = sys_alloc((size_t)sp.nl * sizeof(*l) + 4, 8);
		uint32_t *r = sys_alloc((size_t)sp.nr * sizeof(*r) + 4, 8);
		if (!l || !r) {
			sys_free(l);
			sys_free(r);
			tb->nomem = true;
			break;
		}
		uint32_t nl = 0, nr = 0;
		for (uint32_t i = 0; i < iv[w].n; i++) {
			const struct bbox *x = &tb->b[iv[w].ids[i]];
			if (x->lo[d] <= sp.thr && x->hi[d] >= iv[w].lo)
				l[nl++] = iv[w].ids[i];
			if (x->hi[d] > sp.thr && x->lo[d] <= iv[w].hi)
				r[nr++] = iv[w].ids[i];
		}
		/* The new right half goes just after w. */
		for (uint32_t i = k; i > w + 1; i--) {
			iv[i] = iv[i - 1];
			owned[i] = owned[i - 1];
		}
		if (owned[w])
			sys_free(iv[w].ids);
		iv[w + 1] = (struct ival){sp.thr + 1, iv[w].hi, r, nr, false};
		iv[w] = (struct ival){iv[w].lo, sp.thr, l, nl, false};
		owned[w] = owned[w + 1] = true;
		k++;
	}
	return k;
}

static void free_ivals(struct ival *iv, const bool *owned, uint32_t k)
{
	for (uint32_t i = 0; i < k; i++)
		if (owned[i])
			sys_free(iv[i].ids);
}

/* How good a cut is: the biggest child (the depth to come) counted twice,
 * plus the boxes copied into more than one child (memory). */
static uint64_t cut_cost(const struct ival *iv, uint32_t k, uint32_t n)
{
	uint64_t big = 0, sum = 0;
	for (uint32_t i = 0; i < k; i++) {
		big = iv[i].n > big ? iv[i].n : big;
		sum += iv[i].n;
	}
	return 2 * big + (sum - n);
}

#define CLS_DIMS_TRIED 3

/* The plan cost's memory part (build_family): two levels' worth per
 * doubling past 1 MiB. */
static double mem_cost(size_t mem)
{
	double c = 0;
	for (size_t m = mem >> 20; m > 1; m >>= 1)
		c += 2.0;
	return c;
}

/* Can this plan still win?  Its cost so far counts the depth reached and
 * the memory it will keep (tree_memory: nodes and blocks), the blocks
 * estimated at 0.9 per leaf (they are made at the end; identical leaves
 * share theirs, a few percent seen at 10k rules), so a plan is very
 * rarely stopped that would have won, and then one that costs about as
 * much is kept: answers never change. */
static bool over_bound(struct tbuild *tb)
{
	const struct plan_bound *b = tb->bound;
	const struct cls_tree *t = tb->t;
	size_t mem = b->base_mem + (size_t)t->n_n8 * sizeof(struct cls_node8) +
		     (size_t)t->n_leaves * (sizeof(struct leaf4) * 9 / 10);
	return mem > b->cap || b->base_cost + t->depth + mem_cost(mem) >= b->limit;
}

static void build_node8(struct tbuild *tb, uint32_t node, uint32_t *ids, uint32_t n,
			const uint64_t *blo, const uint64_t *bhi, uint32_t depth)
{
	if (tb->nomem)
		return;
	if (depth > tb->t->depth)
		tb->t->depth = depth;
	if (tb->bound && over_bound(tb)) {
		tb->over = tb->nomem = true; /* unwinds like running out of memory */
		return;
	}
	n = prune(tb, ids, n, blo, bhi);
	/* The fields with a useful binary cut, best first; the few best are
	 * then cut eight ways and the best eight-way cut is kept. */
	struct split cand[CLS_DIMS];
	uint32_t nc = 0;
	if (n > CLS_LEAF_MAX && depth < CLS_DEPTH_MAX && tb->t->n_n8 < CLS_NODES_MAX) {
		for (int d = 0; d < CLS_DIMS; d++) {
			struct split sp = {.cost = UINT64_MAX};
			best_on_dim(tb, ids, n, blo, bhi, d, &sp);
			if (sp.cost == UINT64_MAX)
				continue;
			uint32_t j = nc++;
			while (j > 0 && cand[j - 1].cost > sp.cost) {
				cand[j] = cand[j - 1];
				j--;
			}
			cand[j] = sp;
		}
	}
	if (nc == 0) {
		make_leaf8(tb, node, ids, n);
		return;
	}
	struct ival iv[8], try_iv[8];
	bool owned[8], try_owned[8];
	uint32_t k = 0;
	int d = -1;
	uint64_t best = UINT64_MAX;
	for (uint32_t c = 0; c < nc && c < CLS_DIMS_TRIED && !tb->nomem; c++) {
		uint32_t tk = split8(tb, ids, n, blo, bhi, cand[c].dim, try_iv, try_owned);
		uint64_t cost = cut_cost(try_iv, tk, n);
		if (cost < best) {
			if (d >= 0)
				free_ivals(iv, owned, k);
			memcpy(iv, try_iv, sizeof(iv));
			memcpy(owned, try_owned, sizeof(owned));
			k = tk;
			d = cand[c].dim;
			best = cost;
		} else {
			free_ivals(try_iv, try_owned, tk);
		}
	}
	if (d < 0)
		return; /* out of memory */
	uint32_t kids = tb->nomem ? UINT32_MAX : new_nodes8(tb, k);
	if (kids != UINT32_MAX) {
		struct cls_node8 *x = &tb->t->n8[node];
		for (uint32_t i = 0; i < 8; i++) {
			int32_t v = i + 1 < k ? (int32_t)((uint32_t)iv[i].hi ^ 0x80000000u) : INT32_MAX;
			x->thr[i / 4][i % 4] = v;
		}
		x->child = kids;
		x->info = (uint32_t)d;
		uint64_t lo2[CLS_DIMS], hi2[CLS_DIMS];
		for (uint32_t i = 0; i < k && !tb->nomem; i++) {
			memcpy(lo2, blo, sizeof(lo2));
			memcpy(hi2, bhi, sizeof(hi2));
			lo2[d] = iv[i].lo;
			hi2[d] = iv[i].hi;
			build_node8(tb, kids + i, iv[i].ids, iv[i].n, lo2, hi2, depth + 1);
		}
	}
	free_ivals(iv, owned, k);
}

/* Lay out every IPv4 leaf's boxes eight per struct leaf4. */
/* Leaves next to each other often hold the same boxes (a box wider than
 * both regions is copied into each): identical lists share their blocks.
 * Found through a hash of the list (open addressing, cold path). */
static uint32_t list_hash(const uint32_t *ids, uint32_t n)
{
	uint64_t h = 0x6a09e667f3bcc909ull ^ n;
	for (uint32_t i = 0; i < n; i++)
		h = __builtin_ia32_crc32di(h, ids[i]);
	return (uint32_t)h;
}

static bool build_blocks(struct cls_tree *t)
{
	uint32_t total = 0;
	for (uint32_t i = 0; i < t->n_leaves; i++)
		total += t->leaves[i].n ? (t->leaves[i].n + 7) / 8 : 1;
	uint32_t slots = 16;
	while (slots < 2 * t->n_leaves)
		slots <<= 1;
	uint32_t *seen = sys_alloc((size_t)slots * sizeof(*seen), 8); /* leaf + 1, 0 = free */
	t->blk = sys_alloc((size_t)total * sizeof(*t->blk), SYS_CACHE_LINE);
	if (!t->blk || !seen) {
		sys_free(seen);
		return false;
	}
	uint32_t b = 0;
	for (uint32_t i = 0; i < t->n_leaves; i++) {
		struct cls_leaf *lf = &t->leaves[i];
		/* No leaf lists at all (every leaf empty): t->leaf is NULL. */
		const uint32_t *ids = t->leaf ? t->leaf + lf->off : t->leaf;
		uint32_t at = list_hash(ids, lf->n) & (slots - 1);
		bool shared = false;
		for (; seen[at]; at = (at + 1) & (slots - 1)) {
			const struct cls_leaf *o = &t->leaves[seen[at] - 1];
			if (o->n == lf->n && (lf->n == 0 || memcmp(t->leaf + o->off, ids, lf->n * 4u) == 0)) {
				lf->blk = o->blk;
				lf->nblk = o->nblk;
				shared = true;
				break;
			}
		}
		if (shared)
			continue;
		seen[at] = i + 1;
		lf->blk = b;
		lf->nblk = lf->n ? (lf->n + 7) / 8 : 1;
		for (uint32_t k = 0; k < lf->nblk * 8; k++) {
			struct leaf4 *L = &t->blk[b + k / 8];
			unsigned h = (k & 7) >> 2, q = k & 3, lane = k & 7;
			L->rule[8] = UINT32_MAX;
			if (k >= lf->n) {
				/* Never matches: lo > hi. */
				L->slo[h][q] = 1;
				L->shi[h][q] = 0;
				L->rule[lane] = UINT32_MAX;
				continue;
			}
			const struct cls_box *x = &t->boxes[ids[k]];
			L->slo[h][q] = (uint32_t)((uint64_t)x->alo[0] ^ BIAS);
			L->shi[h][q] = (uint32_t)((uint64_t)x->ahi[0] ^ BIAS);
			L->dlo[h][q] = (uint32_t)((uint64_t)x->alo[1] ^ BIAS);
			L->dhi[h][q] = (uint32_t)((uint64_t)x->ahi[1] ^ BIAS);
			for (int f = 0; f < 4; f++) {
				L->plo[f][lane] = (uint16_t)(x->plo >> (16 * f));
				L->phi[f][lane] = (uint16_t)(x->phi >> (16 * f));
			}
			L->rule[lane] = x->rule;
			if (x->exact) {
				L->exact |= 1u << (2 * lane);
				L->exact8 |= 1u << lane;
			}
		}
		b += lf->nblk;
	}
	sys_free(seen);
	t->n_blk = b;
	for (uint32_t i = 0; i < t->n_n8; i++)
		if (t->n8[i].info & CLS_LEAF)
			t->n8[i].leaf = t->leaves[(t->n8[i].info & ~CLS_LEAF) >> 3];
	return true;
}

/* 0, -SYS_ENOMEM, or 1: stopped by the bound (IPv4 only). */
static int build_tree(struct cls_tree *t, int fam, const struct bbox *all, const uint32_t *sel,
		      uint32_t n, const struct plan_bound *bound)
{
	struct tbuild tb = {.t = t, .bound = bound};
	struct bbox *b = sys_alloc((size_t)(n + 1) * sizeof(*b), 16);
	uint32_t *ids = sys_alloc((size_t)(n + 1) * sizeof(*ids), 8);
	tb.tmp_lo = sys_alloc((size_t)(n + 1) * sizeof(uint64_t), 8);
	tb.tmp_hi = sys_alloc((size_t)(n + 1) * sizeof(uint64_t), 8);
	tb.tmp_sort = sys_alloc((size_t)(n + 1) * sizeof(uint64_t), 8);
	tb.node_lo = sys_alloc((size_t)(n + 1) * sizeof(uint64_t), 8);
	tb.node_hi = sys_alloc((size_t)(n + 1) * sizeof(uint64_t), 8);
	t->boxes = sys_alloc((size_t)(n + 1) * sizeof(*t->boxes), SYS_CACHE_LINE);
	bool ok = false;
	if (!b || !ids || !tb.tmp_lo || !tb.tmp_hi || !tb.tmp_sort || !tb.node_lo || !tb.node_hi ||
	    !t->boxes)
		goto out;
	tb.b = b;
	t->min_rule = UINT32_MAX;
	for (uint32_t i = 0; i < n; i++) {
		b[i] = all[sel[i]];
		ids[i] = i;
		to_runtime(&t->boxes[i], &b[i]);
		if (b[i].rule < t->min_rule)
			t->min_rule = b[i].rule;
	}
	t->n_boxes = n;
	t->empty = n == 0;
	uint64_t lo[CLS_DIMS] = {0};
	uint64_t hi[CLS_DIMS] = {fam ? UINT64_MAX : 0xffffffffull, fam ? UINT64_MAX : 0xffffffffull,
				 65535, 65535, 255, 255};
	if (fam) {
		if (new_nodes(&tb, 1) == UINT32_MAX)
			goto out;
		build_node(&tb, 0, ids, n, lo, hi, 0);
	} else {
		/* make_leaf also files a binary node: give it one to spare. */
		if (new_nodes(&tb, 1) == UINT32_MAX || new_nodes8(&tb, 1) == UINT32_MAX)
			goto out;
		build_node8(&tb, 0, ids, n, lo, hi, 0);
	}
	ok = !tb.nomem && (fam || build_blocks(t));
	if (ok && !fam) {
		/* An IPv4 lookup reads nodes and blocks only: the box lists and
		 * the boxes were for building them (10% of the memory at 10k
		 * random rules). */
		for (uint32_t i = 0; i < t->n_leaves; i++)
			t->max_leaf = SYS_MAX(t->max_leaf, t->leaves[i].n);
		sys_free(t->nodes);
		sys_free(t->leaf);
		sys_free(t->leaves);
		sys_free(t->boxes);
		t->nodes = NULL;
		t->leaf = NULL;
		t->leaves = NULL;
		t->boxes = NULL;
	}
out:
	sys_free(b);
	sys_free(ids);
	sys_free(tb.tmp_lo);
	sys_free(tb.tmp_hi);
	sys_free(tb.tmp_sort);
	sys_free(tb.node_lo);
	sys_free(tb.node_hi);
	return tb.over ? 1 : ok ? 0 : -SYS_ENOMEM;
}

/* Group of a box: 0 narrow destination, 1 wide destination and narrow
 * source, 2 both wide ("wide": shorter than /16 for IPv4, /32 for IPv6). */
static unsigned group_of(const struct bbox *x, int fam)
{
	uint64_t wide = fam ? 1ull << 32 : 1ull << 16;
	if (x->hi[D_DST] - x->lo[D_DST] < wide)
		return 0;
	return x->hi[D_SRC] - x->lo[D_SRC] < wide ? 1 : 2;
}

static void tree_free(struct cls_tree *t)
{
	sys_free(t->nodes);
	sys_free(t->n8);
	sys_free(t->leaf);
	sys_free(t->leaves);
	sys_free(t->blk);
	sys_free(t->boxes);
	memset(t, 0, sizeof(*t));
}

/* Bytes a tree holds (an IPv4 tree keeps its nodes and blocks only). */
static size_t tree_memory(const struct cls_tree *t)
{
	return (t->nodes ? (size_t)t->n_nodes * sizeof(struct cls_node) : 0) +
	       (size_t)t->n_n8 * sizeof(struct cls_node8) +
	       (t->leaf ? (size_t)t->n_leaf * sizeof(uint32_t) : 0) +
	       (t->leaves ? (size_t)t->n_leaves * sizeof(struct cls_leaf) : 0) +
	       (size_t)t->n_blk * sizeof(struct leaf4) +
	       (t->boxes ? (size_t)t->n_boxes * sizeof(struct cls_box) : 0);
}

/* Which tree each group goes to, per plan: separate trees cost a walk and
 * a leaf test each per packet, merged ones cost copies of boxes.  Every
 * plan is built, the cheapest kept (cold path: configure).  The most
 * separated first: they are the quickest to build, and the bound they set
 * stops most of the big merged trees that cannot win early. */
static const uint8_t plans[][CLS_GROUPS] = {{0, 1, 2}, {0, 1, 1}, {0, 0, 1}, {0, 0, 0}};
#define PLAN_ONE_TREE 3

/* 0, -SYS_ENOMEM, or 1: stopped by `bound` (trees[] then holds what was
 * built, for tree_free). */
static int build_plan(struct cls_tree *trees, uint32_t *n_trees, int fam, const struct builder *bl,
		      const uint8_t *plan, uint32_t *sel, const struct plan_bound *bound)
{
	uint32_t in[CLS_GROUPS] = {0}, left = 0;
	for (uint32_t i = 0; i < bl->n; i++)
		in[plan[group_of(&bl->b[i], fam)]]++;
	for (unsigned slot = 0; slot < CLS_GROUPS; slot++)
		left += in[slot] > 0 || (slot == 0 && bl->n == 0);
	struct plan_bound b = bound ? *bound : (struct plan_bound){0};
	b.base_cost = 3.0 * left;
	*n_trees = 0;
	for (unsigned slot = 0; slot < CLS_GROUPS; slot++) {
		if (in[slot] == 0 && (slot > 0 || bl->n > 0))
			continue;
		uint32_t n = 0;
		for (uint32_t i = 0; i < bl->n; i++)
			if (plan[group_of(&bl->b[i], fam)] == slot)
				sel[n++] = i;
		struct cls_tree *t = &trees[(*n_trees)++];
		int rc = build_tree(t, fam, bl->b, sel, n, bound ? &b : NULL);
		if (rc)
			return rc;
		b.base_cost += t->depth;
		b.base_mem += tree_memory(t);
	}
	return 0;
}

static bool build_family(struct fw_cls *c, int fam)
{
	const struct fw_rules *rs = c->rs;
	struct builder bl = {0};
	uint8_t want = fam ? FW_FAM_V6 : FW_FAM_V4;
	for (uint32_t i = 0; i < rs->n_rules && !bl.nomem; i++)
		if (rs->rules[i].fams & want)
			cls_expand_rule(&bl, &rs->rules[i], i, fam);
	uint32_t *sel = sys_alloc((size_t)(bl.n + 1) * sizeof(*sel), 8);
	bool ok = !bl.nomem && sel;
	double best_cost = 0;
	size_t best_mem = 0;
	bool best_fits = false;
	/* Plans too big for the rule count are taken only if nothing smaller
	 * was built. */
	size_t cap = SYS_MAX((size_t)16 << 20, (size_t)bl.n * 3072);
	bool one = bl.n <= CLS_GROUP_MIN;
	for (unsigned p = one ? PLAN_ONE_TREE : 0; p < sizeof(plans) / sizeof(plans[0]) && ok; p++) {
		struct cls_tree trees[CLS_GROUPS];
		uint32_t n = 0;
		memset(trees, 0, sizeof(trees));
		/* Only a plan cheaper than a best that fits can be taken. */
		struct plan_bound bound = {.limit = best_cost, .cap = cap};
		bool bounded = c->n_trees[fam] > 0 && best_fits;
		int rc = build_plan(trees, &n, fam, &bl, plans[p], sel, bounded ? &bound : NULL);
		ok = rc >= 0;
		/* A level costs about a third of a leaf test; memory past the
		 * L2 size costs misses (mem_cost). */
		double cost = 0;
		size_t mem = 0;
		for (uint32_t i = 0; i < n; i++) {
			cost += trees[i].depth + 3.0;
			mem += tree_memory(&trees[i]);
		}
		cost += mem_cost(mem);
		bool fits = mem <= cap;
		bool take = rc == 0 && (c->n_trees[fam] == 0 || (fits && (!best_fits || cost < best_cost)) ||
					(!fits && !best_fits && mem < best_mem));
		if (take) {
			for (uint32_t i = 0; i < c->n_trees[fam]; i++)
				tree_free(&c->t[fam][i]);
			memcpy(c->t[fam], trees, sizeof(trees));
			c->n_trees[fam] = n;
			best_cost = cost;
			best_mem = mem;
			best_fits = fits;
		} else {
			for (uint32_t i = 0; i < CLS_GROUPS; i++)
				tree_free(&trees[i]);
		}
	}
	ok = ok && c->n_trees[fam] > 0;
	sys_free(sel);
	sys_free(bl.b);
	return ok;
}

struct fw_cls *fw_cls_build(const struct fw_rules *rs)
{
	struct fw_cls *c = sys_alloc(sizeof(*c), SYS_CACHE_LINE);
	if (!c)
		return NULL;
	c->rs = rs;
	c->path = (uint8_t)fw_cls_initial_path();
	if (!build_family(c, 0) || !build_family(c, 1)) {
		fw_cls_free(c);
		return NULL;
	}
	return c;
}

void fw_cls_free(struct fw_cls *c)
{
	if (!c)
		return;
	for (int f = 0; f < 2; f++) {
		for (unsigned g = 0; g < CLS_GROUPS; g++)
			tree_free(&c->t[f][g]);
	}
	sys_free(c);
}

size_t fw_cls_memory(const struct fw_cls *c)
{
	size_t s = sizeof(*c);
	for (int f = 0; f < 2; f++)
		for (uint32_t g = 0; g < c->n_trees[f]; g++)
			s += tree_memory(&c->t[f][g]);
	return s;
}

int fw_cls_describe(const struct fw_cls *c, char *buf, size_t size)
{
	size_t o = 0;
	for (int f = 0; f < 2; f++) {
		uint32_t nodes = 0, boxes = 0, depth = 0;
		for (uint32_t g = 0; g < c->n_trees[f]; g++) {
			nodes += f ? c->t[f][g].n_nodes : c->t[f][g].n_n8;
			boxes += c->t[f][g].n_boxes;
			depth = SYS_MAX(depth, c->t[f][g].depth);
		}
		int w = snprintf(buf + o, o < size ? size - o : 0, "%sv%d %u trees %u nodes depth %u %u boxes",
				 f ? ", " : "", f ? 6 : 4, c->n_trees[f], nodes, depth, boxes);
		o += w > 0 ? (size_t)w : 0;
	}
	int w = snprintf(buf + o, o < size ? size - o : 0, ", %zu KiB, %s", fw_cls_memory(c) / 1024,
			 fw_cls_path_name((enum fw_cls_path)c->path));
	return (int)o + (w > 0 ? w : 0);
}

int fw_cls_describe_trees(const struct fw_cls *c, char *buf, size_t size)
{
	size_t o = 0;
	if (size)
		buf[0] = '\0';
	for (uint32_t g = 0; g < c->n_trees[0]; g++) {
		const struct cls_tree *t = &c->t[0][g];
		uint32_t mx = t->max_leaf;
		int w = snprintf(buf + o, o < size ? size - o : 0,
				 "%sv4 tree %u: %u boxes, %u nodes, depth %u, %u leaves of %u.%u boxes on average "
				 "(max %u), first rule %u",
				 g ? "; " : "", g, t->n_boxes, t->n_n8, t->depth, t->n_leaves,
				 t->n_leaves ? t->n_leaf / t->n_leaves : 0,
				 t->n_leaves ? (t->n_leaf * 10 / t->n_leaves) % 10 : 0, mx, t->min_rule);
		o += w > 0 ? (size_t)w : 0;
	}
	return (int)o;
}
