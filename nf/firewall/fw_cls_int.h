/* SPDX-License-Identifier: MIT */
/*
 * fw_cls_int.h - the fast classifier's layout, shared by its builder
 * (fw_cls_build.c) and its lookups (fw_cls.c, fw_cls_avx2.c, fw_cls_avx512.c).
 *
 * Boxes.  Each rule becomes one or more boxes: a range per field (source,
 * destination, source port, destination port, protocol, ingress port).
 * Address and port lists, negations and protocol lists expand into several
 * boxes; past CLS_EXPAND_MAX boxes the widest fields are replaced by their
 * hull and the box is marked `exact`.  What a box cannot express (sets, TCP
 * flags, the low 64 bits of IPv6 prefixes longer than /64) also marks it
 * exact: a packet inside an exact box is then checked against the whole
 * rule (fw_rule_match, with the sets' LPM lookups).
 *
 * Trees (the HyperSplit idea).  A node holds the boxes overlapping its
 * region, in rule order; boxes hidden by an earlier inexact box are
 * dropped.  Nodes of at most CLS_LEAF_MAX boxes become leaves; others are
 * cut on one field at rule boundaries, chosen to minimise the larger side
 * plus the boxes copied to both.  IPv4 nodes cut one field into up to eight
 * intervals (struct cls_node8: a level does the work of three binary ones);
 * IPv6 trees are binary over the upper 64 bits of addresses.  Boxes wide in
 * the source and those wide in the destination replicate each other's
 * splits, so they may go into separate trees (up to three per family, as
 * EffiCuts does); every grouping plan is built and the cheapest in depth,
 * leaf tests and memory kept.
 *
 * Lookup.  Leaves point at themselves with thresholds that never pass, so
 * a walk is exactly `depth` steps with no test for having arrived, and a
 * burst walks all its packets in lockstep: each level's loads are
 * independent across packets and no branch depends on the data.  An IPv4
 * leaf keeps its boxes eight to a struct leaf4, field by field, so one
 * block is tested with a few vector compares; the first matching lane (a
 * bit scan) is the answer unless it needs the exact check.  With several
 * trees the earliest answer wins.
 */
#ifndef NFB_FW_CLS_INT_H
#define NFB_FW_CLS_INT_H

#include "nf/firewall/fw_cls.h"

/* GCC vector extensions rather than <smmintrin.h>, whose chain pulls in
 * <stdlib.h> (see flow.h).  With -march=x86-64-v2 these compile to
 * pcmpgtq (SSE4.2) and pminuw/pmaxuw (SSE4.1). */
typedef long long v2di __attribute__((vector_size(16)));
typedef unsigned short v8hu __attribute__((vector_size(16)));
typedef unsigned int v4su __attribute__((vector_size(16)));
typedef int v4si __attribute__((vector_size(16)));
typedef short v8hi __attribute__((vector_size(16)));
typedef char v16qi __attribute__((vector_size(16)));
typedef float v4sf __attribute__((vector_size(16)));

#define CLS_DIMS 6
#define CLS_LEAF_MAX 8
#define CLS_EXPAND_MAX 32
#define CLS_DEPTH_MAX 40
#define CLS_NODES_MAX (1u << 22)
#define BIAS 0x8000000000000000ull

enum { D_SRC, D_DST, D_SPORT, D_DPORT, D_PROTO, D_INPORT };

/* A box at lookup time: one cache line.  Addresses are biased so signed
 * 64-bit compares order them as unsigned; ports, protocol and ingress port
 * are four 16-bit lanes. */
struct cls_box {
	v2di alo, ahi;           /* src, dst (biased) */
	uint64_t plo, phi;       /* sport | dport << 16 | proto << 32 | inport << 48 */
	uint32_t rule;
	uint32_t exact;
	uint64_t pad;
};
_Static_assert(sizeof(struct cls_box) == 64, "a box is one cache line");

/* A tree node: an inner node sends keys with field `info` <= thr to child,
 * the others to child + 1.  A leaf points at itself with thr = max, so a
 * walk of a fixed number of steps (the tree's depth) needs no test for
 * having arrived: keys that reached their leaf stay there.  Its `info` is
 * CLS_LEAF | its index in `leaves` << 3 (the low 3 bits, 0, pick a field
 * to compare against max: harmless). */
struct cls_node {
	uint64_t thr;
	uint32_t child;
	uint32_t info;
};
#define CLS_LEAF 0x80000000u

/* A leaf's boxes (indices into `boxes`, in rule order), and for IPv4 the
 * same boxes laid out eight at a time for SIMD (struct leaf4). */
struct cls_leaf {
	uint32_t off, n;
	uint32_t blk, nblk;
};


/* Eight IPv4 boxes, field by field, so one leaf is tested with a handful of
 * vector compares and no branch.  Unused lanes never match (lo > hi).  The
 * lows of both addresses share the first cache line and their highs the
 * second, and the four 16-bit fields' lows (highs) fill one line each:
 * the AVX-512 path compares each line as one 512-bit register. */
struct leaf4 {
	v4su slo[2], dlo[2], shi[2], dhi[2];
	v8hu plo[4], phi[4]; /* sport, dport, proto, ingress port */
	uint32_t rule[9];    /* rule[8] = UINT32_MAX: "no lane matched" */
	uint32_t exact;      /* bits 2*lane: lanes needing fw_rule_match */
	uint32_t exact8;     /* the same, bit `lane` (the AVX-512 path) */
	uint32_t pad[5];
};
_Static_assert(sizeof(struct leaf4) == 320, "five cache lines");
_Static_assert(__builtin_offsetof(struct leaf4, dlo) == 32 && __builtin_offsetof(struct leaf4, shi) == 64 &&
		       __builtin_offsetof(struct leaf4, plo) == 128 && __builtin_offsetof(struct leaf4, phi) == 192,
	       "fw_cls_avx512.c loads {slo, dlo}, {shi, dhi}, plo and phi as one line each");

/* IPv4 trees: up to eight children per node, all split on one field at
 * ascending thresholds; the child is the number of thresholds the key's
 * field exceeds (two vector compares and a popcount), so a level does the
 * work of three binary ones.  Values are biased (x ^ 2^31) so signed
 * compares order them as unsigned.  Unused thresholds are INT32_MAX; a
 * leaf has only those and points at itself. */
struct cls_node8 {
	v4si thr[2];
	uint32_t child;
	uint32_t info;
	struct cls_leaf leaf; /* a leaf's copy of its `leaves` entry: a walk
			       * ends on this line, so no load depends on another */
	uint32_t pad[2];
};
_Static_assert(sizeof(struct cls_node8) == 64, "one cache line per node");

struct cls_tree {
	struct cls_node *nodes;       /* IPv6 */
	uint32_t n_nodes, cap_nodes;
	struct cls_node8 *n8;         /* IPv4 */
	uint32_t n_n8, cap_n8;
	uint32_t *leaf; /* box indices */
	uint32_t n_leaf, cap_leaf;
	struct cls_leaf *leaves;
	uint32_t n_leaves, cap_leaves;
	struct leaf4 *blk;
	uint32_t n_blk;
	struct cls_box *boxes;
	uint32_t n_boxes;
	uint32_t depth;
	uint32_t max_leaf; /* most boxes in a leaf (IPv4: the lists are freed) */
	uint32_t min_rule; /* no box here belongs to an earlier rule */
	bool empty;
};

/* Up to three trees per family, by which addresses a box leaves wide
 * (EffiCuts' observation: mixing rules wide in the source with rules wide
 * in the destination makes every split copy one kind or the other). */
#define CLS_GROUPS 3
#define CLS_GROUP_MIN 256 /* boxes below which one tree is best anyway */

struct fw_cls {
	const struct fw_rules *rs;
	struct cls_tree t[2][CLS_GROUPS]; /* [IPv4, IPv6][group] */
	uint32_t n_trees[2];
	uint8_t path; /* enum fw_cls_path: how IPv4 bursts are classified */
};


/* ---- building (fw_cls_boxes.c, fw_cls_build.c) ---------------------------- */
/* A box while building: inclusive ranges in tree coordinates (IPv4 values,
 * IPv6 upper halves, ports, protocol, ingress port). */
struct bbox {
	uint64_t lo[CLS_DIMS], hi[CLS_DIMS];
	uint32_t rule;
	bool exact;
};

/* The boxes of one family, in rule order. */
struct builder {
	struct bbox *b;
	uint32_t n, cap;
	bool nomem;
};

/* Append the boxes of rule `r` (index idx) for family fam (0 IPv4, 1 IPv6);
 * sets bl->nomem if memory ran out. */
void cls_expand_rule(struct builder *bl, const struct fw_rule *r, uint32_t idx, int fam);

/* ---- lookup helpers ---------------------------------------------------------- */
/* The earlier of two answers (-1: none). */
static inline int32_t first_of(int32_t a, int32_t b)
{
	return (uint32_t)a < (uint32_t)b ? a : b;
}

/* An IPv4 key as node8 compares it: fields biased to signed order. */
static inline void key8(const struct fw_key *k, int32_t *kb)
{
	kb[D_SRC] = (int32_t)((uint32_t)k->src[0] ^ 0x80000000u);
	kb[D_DST] = (int32_t)((uint32_t)k->dst[0] ^ 0x80000000u);
	kb[D_SPORT] = (int32_t)((uint32_t)k->sport ^ 0x80000000u);
	kb[D_DPORT] = (int32_t)((uint32_t)k->dport ^ 0x80000000u);
	kb[D_PROTO] = (int32_t)((uint32_t)k->proto ^ 0x80000000u);
	kb[D_INPORT] = (int32_t)((uint32_t)k->in_port ^ 0x80000000u);
	kb[6] = kb[7] = INT32_MIN;
}

/* Keys walked in lockstep: the firewall classifies up to a chunk of 32
 * packets at once (FW_CHUNK), so all of them overlap their misses. */
#define CLS_BURST 32

/* Blocks with several lanes to check one by one (fw_cls.c). */
int32_t fw_cls_leaf4_slow(const struct fw_cls *c, const struct cls_tree *t,
			  const struct cls_leaf *lf, const struct fw_key *k);

/* fw_cls_avx2.c: the IPv4 burst with 256-bit compares, for CPUs (and
 * kernels) with AVX2 enabled; fw_cls_has_avx2() says whether to use it. */
void fw_cls_burst4_avx2(const struct fw_cls *c, const struct fw_key *k, uint32_t m, int32_t *out);
bool fw_cls_has_avx2(void);

/* fw_cls_avx512.c: the same with 512-bit compares into mask registers, for
 * CPUs with AVX-512 F, BW, VL and DQ whose kernel saves the opmask and ZMM
 * state; fw_cls_has_avx512() says whether to use it. */
void fw_cls_burst4_avx512(const struct fw_cls *c, const struct fw_key *k, uint32_t m, int32_t *out);
bool fw_cls_has_avx512(void);

/* The path fw_cls_build gives a new classifier (fw_cls_default_path). */
enum fw_cls_path fw_cls_initial_path(void);

/* CPUID (leaf, subleaf) and XCR0, for the paths' checks. */
static inline void fw_cls_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

#endif
