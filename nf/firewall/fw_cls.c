/* SPDX-License-Identifier: MIT */
/*
 * fw_cls.c - classifying with the trees fw_cls_build.c made (the layout is
 * in fw_cls_int.h): walk, then test the leaf's boxes.  The IPv4 burst has
 * an AVX2 twin in fw_cls_avx2.c and an AVX-512 one in fw_cls_avx512.c,
 * used when the CPU and the kernel allow (enum fw_cls_path).
 */
#include "nf/firewall/fw_cls_int.h"

/* ---- paths ------------------------------------------------------------------- */
bool fw_cls_path_ok(enum fw_cls_path p)
{
	switch (p) {
	case FW_CLS_SSE:
		return true;
	case FW_CLS_AVX2:
		return fw_cls_has_avx2();
	case FW_CLS_AVX512:
		return fw_cls_has_avx512();
	default:
		return false;
	}
}

const char *fw_cls_path_name(enum fw_cls_path p)
{
	static const char *const names[FW_CLS_PATHS] = {"sse", "avx2", "avx512"};
	return (unsigned)p < FW_CLS_PATHS ? names[p] : "?";
}

enum fw_cls_path fw_cls_path_of(const struct fw_cls *c)
{
	return (enum fw_cls_path)c->path;
}

int fw_cls_use_path(struct fw_cls *c, enum fw_cls_path p)
{
	if (!fw_cls_path_ok(p))
		return -SYS_ENOTSUP;
	c->path = (uint8_t)p;
	return 0;
}

/* What fw_cls_build gives a new classifier: FW_CLS_PATHS for the widest
 * (found once: CPUID is slow under a hypervisor, and it does not change). */
static enum fw_cls_path default_path = FW_CLS_PATHS;

int fw_cls_default_path(enum fw_cls_path p)
{
	if (p != FW_CLS_PATHS && !fw_cls_path_ok(p))
		return -SYS_ENOTSUP;
	default_path = p;
	return 0;
}

enum fw_cls_path fw_cls_initial_path(void)
{
	static int8_t widest = -1;
	if (default_path != FW_CLS_PATHS)
		return default_path;
	if (widest < 0)
		widest = fw_cls_has_avx512() ? FW_CLS_AVX512 : fw_cls_has_avx2() ? FW_CLS_AVX2 : FW_CLS_SSE;
	return (enum fw_cls_path)widest;
}

/* ---- lookup -------------------------------------------------------------------- */
struct ckey {
	uint64_t d[CLS_DIMS]; /* tree coordinates */
	v2di a;               /* src, dst biased (IPv6 boxes) */
	uint64_t p;           /* ports | proto | inport, as cls_box.plo */
};

static inline void ckey_make(const struct fw_key *k, struct ckey *c)
{
	c->d[D_SRC] = k->src[0];
	c->d[D_DST] = k->dst[0];
	c->d[D_SPORT] = k->sport;
	c->d[D_DPORT] = k->dport;
	c->d[D_PROTO] = k->proto;
	c->d[D_INPORT] = k->in_port;
	c->a = (v2di){(long long)(k->src[0] ^ BIAS), (long long)(k->dst[0] ^ BIAS)};
	c->p = (uint64_t)k->sport | (uint64_t)k->dport << 16 | (uint64_t)k->proto << 32 |
	       (uint64_t)k->in_port << 48;
}

static inline bool box_match(const struct cls_box *b, const struct ckey *c)
{
	v2di out = (b->alo > c->a) | (c->a > b->ahi);
	/* Ports, protocol, ingress port: four unsigned 16-bit lanes (the
	 * upper four lanes are 0 everywhere and pass). */
	v8hu p = (v8hu)(v2di){(long long)c->p, 0};
	v8hu plo = (v8hu)(v2di){(long long)b->plo, 0}, phi = (v8hu)(v2di){(long long)b->phi, 0};
	v2di bad = (v2di)((p < plo) | (p > phi));
	out |= bad;
	return (out[0] | out[1]) == 0;
}

/* IPv6 leaves: boxes one by one (IPv6 rule sets are small in practice). */
static int32_t leaf_scan(const struct fw_cls *c, const struct cls_tree *t, const struct cls_leaf *lf,
			 const struct ckey *ck, const struct fw_key *k)
{
	const uint32_t *ids = t->leaf + lf->off;
	for (uint32_t i = 0; i < lf->n; i++) {
		const struct cls_box *b = &t->boxes[ids[i]];
		if (box_match(b, ck) &&
		    (!b->exact || fw_rule_match(&c->rs->rules[b->rule], k, false)))
			return (int32_t)b->rule;
	}
	return -1;
}

/* An IPv4 key spread over vector lanes once, for every block it meets. */
struct vkey {
	v4su s, d;
	v8hu f[4]; /* sport, dport, proto, ingress port */
};

static inline void vkey_make(const struct fw_key *k, struct vkey *v)
{
	uint32_t s = (uint32_t)k->src[0], d = (uint32_t)k->dst[0];
	v->s = (v4su){s, s, s, s};
	v->d = (v4su){d, d, d, d};
	const uint16_t f[4] = {k->sport, k->dport, k->proto, k->in_port};
	for (int i = 0; i < 4; i++)
		v->f[i] = (v8hu){f[i], f[i], f[i], f[i], f[i], f[i], f[i], f[i]};
}

/* The eight boxes of a block against one IPv4 key: a 16-bit mask with two
 * bits per matching lane, no branches.  16-bit fields use saturating
 * subtraction: x - hi and lo - x are both 0 exactly when x is in range,
 * so the misses of all four fields OR together into one test. */
static inline unsigned leaf4_match(const struct leaf4 *L, const struct vkey *v)
{
	v4si m0 = (v->s >= L->slo[0]) & (v->s <= L->shi[0]) & (v->d >= L->dlo[0]) & (v->d <= L->dhi[0]);
	v4si m1 = (v->s >= L->slo[1]) & (v->s <= L->shi[1]) & (v->d >= L->dlo[1]) & (v->d <= L->dhi[1]);
	v8hi m = __builtin_ia32_packssdw128(m0, m1);
	v8hi miss = {0};
	for (int i = 0; i < 4; i++)
		miss |= __builtin_ia32_psubusw128((v8hi)v->f[i], (v8hi)L->phi[i]) |
			__builtin_ia32_psubusw128((v8hi)L->plo[i], (v8hi)v->f[i]);
	m &= miss == (v8hi){0};
	return (unsigned)__builtin_ia32_pmovmskb128((v16qi)m);
}

/* The general case: several blocks, or lanes that need the whole rule. */
static int32_t leaf4_find_slow(const struct fw_cls *c, const struct cls_tree *t,
			       const struct cls_leaf *lf, const struct fw_key *k,
			       const struct vkey *v)
{
	for (uint32_t b = 0; b < lf->nblk; b++) {
		const struct leaf4 *L = &t->blk[lf->blk + b];
		unsigned m = leaf4_match(L, v);
		while (m) {
			unsigned lane = (unsigned)__builtin_ctz(m) >> 1;
			if (!((L->exact >> (2 * lane)) & 1) ||
			    fw_rule_match(&c->rs->rules[L->rule[lane]], k, false))
				return (int32_t)L->rule[lane];
			m &= ~(3u << (2 * lane));
		}
	}
	return -1;
}

int32_t fw_cls_leaf4_slow(const struct fw_cls *c, const struct cls_tree *t,
			  const struct cls_leaf *lf, const struct fw_key *k)
{
	struct vkey v;
	vkey_make(k, &v);
	return leaf4_find_slow(c, t, lf, k, &v);
}

/* One block and no exact lane among the matches (nearly always): the
 * first matching lane by a bit scan, no data-dependent branch. */
static inline int32_t leaf4_find(const struct fw_cls *c, const struct cls_tree *t,
				 const struct cls_leaf *lf, const struct fw_key *k,
				 const struct vkey *v)
{
	const struct leaf4 *L = &t->blk[lf->blk];
	unsigned m = leaf4_match(L, v);
	if (unlikely(lf->nblk != 1 || (m & L->exact)))
		return leaf4_find_slow(c, t, lf, k, v);
	return (int32_t)L->rule[(unsigned)__builtin_ctz(m | 0x10000u) >> 1];
}

static inline const struct cls_leaf *walk(const struct cls_tree *t, const struct ckey *ck)
{
	const struct cls_node *nd = t->nodes;
	for (uint32_t s = 0; s < t->depth; s++)
		nd = &t->nodes[nd->child + (ck->d[nd->info & 7] > nd->thr)];
	return &t->leaves[(nd->info & ~CLS_LEAF) >> 3];
}


static inline uint32_t step8(const struct cls_node8 *x, const int32_t *kb)
{
	int32_t v = kb[x->info & 7];
	v4si V = {v, v, v, v};
	unsigned m = (unsigned)__builtin_ia32_movmskps((v4sf)(V > x->thr[0])) |
		     (unsigned)__builtin_ia32_movmskps((v4sf)(V > x->thr[1])) << 4;
	return x->child + (uint32_t)__builtin_popcount(m);
}

static inline const struct cls_leaf *walk8(const struct cls_tree *t, const int32_t *kb)
{
	uint32_t nd = 0;
	for (uint32_t s = 0; s < t->depth; s++)
		nd = step8(&t->n8[nd], kb);
	return &t->n8[nd].leaf;
}


int32_t fw_cls_classify(const struct fw_cls *c, const struct fw_key *k)
{
	int32_t r = -1;
	if (k->fam == FW_FAM_V6) {
		struct ckey ck;
		ckey_make(k, &ck);
		for (uint32_t g = 0; g < c->n_trees[1]; g++) {
			const struct cls_tree *t = &c->t[1][g];
			if (!t->empty && (uint32_t)r >= t->min_rule)
				r = first_of(r, leaf_scan(c, t, walk(t, &ck), &ck, k));
		}
		return r;
	}
	struct vkey vk;
	int32_t kb[8];
	key8(k, kb);
	vkey_make(k, &vk);
	for (uint32_t g = 0; g < c->n_trees[0]; g++) {
		const struct cls_tree *t = &c->t[0][g];
		if (!t->empty && (uint32_t)r >= t->min_rule)
			r = first_of(r, leaf4_find(c, t, walk8(t, kb), k, &vk));
	}
	return r;
}


void fw_cls_classify_burst(const struct fw_cls *c, const struct fw_key *k, uint32_t n,
			   int32_t *out)
{
	while (n) {
		uint32_t m = n < CLS_BURST ? n : CLS_BURST;
		int32_t kb[CLS_BURST][8];
		struct vkey vk[CLS_BURST];
		uint32_t nd[CLS_BURST];
		bool all4 = true;
		for (uint32_t i = 0; i < m; i++)
			all4 &= k[i].fam == FW_FAM_V4;
		if (unlikely(!all4)) {
			for (uint32_t i = 0; i < m; i++)
				out[i] = fw_cls_classify(c, &k[i]);
			goto next;
		}
		if (c->path == FW_CLS_AVX512) {
			fw_cls_burst4_avx512(c, k, m, out);
			goto next;
		}
		if (c->path == FW_CLS_AVX2) {
			fw_cls_burst4_avx2(c, k, m, out);
			goto next;
		}
		for (uint32_t i = 0; i < m; i++) {
			key8(&k[i], kb[i]);
			vkey_make(&k[i], &vk[i]);
			out[i] = -1;
		}
		for (uint32_t g = 0; g < c->n_trees[0]; g++) {
			const struct cls_tree *t = &c->t[0][g];
			/* Skip a tree whose rules all come after what every
			 * packet of the burst has already matched. */
			uint32_t worst = 0;
			for (uint32_t i = 0; i < m; i++)
				worst = SYS_MAX(worst, (uint32_t)out[i]);
			if (t->empty || worst < t->min_rule)
				continue;
			/* Lockstep, a fixed number of levels: every step's node
			 * loads are independent across packets, and no branch
			 * depends on the data. */
			const struct cls_node8 *nodes = t->n8;
			for (uint32_t i = 0; i < m; i++)
				nd[i] = 0;
			for (uint32_t s = 0; s < t->depth; s++)
				for (uint32_t i = 0; i < m; i++)
					nd[i] = step8(&nodes[nd[i]], kb[i]);
			const struct cls_leaf *lf[CLS_BURST];
			for (uint32_t i = 0; i < m; i++) {
				lf[i] = &nodes[nd[i]].leaf;
				/* The address lines: the rest follows by then. */
				sys_prefetch(&t->blk[lf[i]->blk]);
				sys_prefetch((const char *)&t->blk[lf[i]->blk] + 64);
			}
			for (uint32_t i = 0; i < m; i++)
				out[i] = first_of(out[i], leaf4_find(c, t, lf[i], &k[i], &vk[i]));
		}
next:
		k += m;
		out += m;
		n -= m;
	}
}

