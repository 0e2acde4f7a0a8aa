/* SPDX-License-Identifier: MIT */
/*
 * fw_cls.h - the fast classifier: the first rule a packet matches, at a
 * cost that does not grow linearly with the number of rules.
 *
 * Built from a compiled rule set (fw_rules.h) after it parsed, read-only
 * afterwards; it answers exactly what fw_ref_classify() answers (tests
 * compare the two on random rules and packets).
 */
#ifndef NFB_FW_CLS_H
#define NFB_FW_CLS_H

#include "nf/firewall/fw_match.h"

struct fw_cls;

/* NULL if memory is short. */
struct fw_cls *fw_cls_build(const struct fw_rules *rs);
void fw_cls_free(struct fw_cls *c);

/* Index of the first matching rule, or -1 (the default action). */
int32_t fw_cls_classify(const struct fw_cls *c, const struct fw_key *k);

/* The same for n keys at once (any n); lets lookups of several packets
 * overlap their memory accesses. */
void fw_cls_classify_burst(const struct fw_cls *c, const struct fw_key *k, uint32_t n,
			   int32_t *out);

/* How IPv4 bursts are classified: 128-bit SSE4 compares (every x86-64-v2
 * CPU), 256-bit AVX2, or 512-bit AVX-512 (F, BW, VL, DQ) compares into
 * mask registers.  All give the same answers; a classifier is built with
 * the widest one that the CPU has and the kernel saves the state of. */
enum fw_cls_path { FW_CLS_SSE, FW_CLS_AVX2, FW_CLS_AVX512, FW_CLS_PATHS };

/* Can this CPU (and kernel) run path p? */
bool fw_cls_path_ok(enum fw_cls_path p);
const char *fw_cls_path_name(enum fw_cls_path p);
enum fw_cls_path fw_cls_path_of(const struct fw_cls *c);

/* Tests: classify with path p from now on; -ENOTSUP (and no change) if
 * this CPU cannot run it. */
int fw_cls_use_path(struct fw_cls *c, enum fw_cls_path p);

/* Tests: classifiers built from now on (also inside a function's
 * configure) start with path p instead of the widest one; FW_CLS_PATHS
 * goes back to the widest.  -ENOTSUP (and no change) if this CPU cannot
 * run p. */
int fw_cls_default_path(enum fw_cls_path p);

/* Bytes held, a one-line summary (trees, nodes, depth, boxes, memory), and
 * one line of detail per IPv4 tree (benchmarks, debugging).  snprintf's
 * return convention. */
size_t fw_cls_memory(const struct fw_cls *c);
int fw_cls_describe(const struct fw_cls *c, char *buf, size_t size);
int fw_cls_describe_trees(const struct fw_cls *c, char *buf, size_t size);

#endif
