/* SPDX-License-Identifier: MIT */
/*
 * fw_cls_avx512.c - the IPv4 burst of fw_cls.c with AVX-512: a leaf
 * block's eight boxes are tested with four compares into mask registers
 * (both addresses' lows in one 512-bit line, their highs in the next, the
 * four 16-bit fields' lows and highs in one line each), the second of each
 * pair masked by the first, so no vector of results is built, packed or
 * moved back; a node's eight thresholds are one 256-bit compare into a
 * mask.
 *
 * The build targets x86-64-v2, so these functions alone are compiled for
 * AVX-512 (GCC vector extensions and the compare builtins GCC and clang
 * share: no <immintrin.h>, whose chain pulls in <stdlib.h>) and only
 * called when fw_cls_has_avx512() found the CPU able and the kernel saving
 * the opmask and ZMM state (Intel SDM vol. 1, 15.2: CPUID.1:ECX.OSXSAVE,
 * XCR0 bits 1, 2 and 5-7, CPUID.(7,0):EBX AVX512F, AVX512BW, AVX512VL).
 * Same answers as the SSE and AVX2 paths, bit for bit: the classifier test
 * and fuzz_firewall run every path this CPU has against the others.
 */
#include "nf/firewall/fw_cls_int.h"

#define AVX512 __attribute__((target("avx2,avx512f,avx512bw,avx512vl")))

typedef int v8si __attribute__((vector_size(32)));
typedef int v16si __attribute__((vector_size(64)));
typedef short v32hi __attribute__((vector_size(64)));

/* _MM_CMPINT_* predicates of vpcmp[u]{d,w}. */
#define CMP_LE 2
#define CMP_GE 5 /* NLT */
#define CMP_GT 6 /* NLE */

bool fw_cls_has_avx512(void)
{
	uint32_t r[4];
	fw_cls_cpuid(0, 0, r);
	if (r[0] < 7)
		return false;
	fw_cls_cpuid(1, 0, r);
	if (!(r[2] & (1u << 27)))
		return false; /* no OSXSAVE: XGETBV would fault */
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	/* SSE, AVX (YMM upper halves), opmask, ZMM0-15 upper halves, ZMM16-31. */
	if ((lo & 0xe6) != 0xe6)
		return false;
	fw_cls_cpuid(7, 0, r);
	const uint32_t need = (1u << 5) | (1u << 16) | (1u << 30) | (1u << 31); /* AVX2, F, BW, VL */
	return (r[1] & need) == need;
}

_Static_assert(__builtin_offsetof(struct fw_key, dst) == 16 && __builtin_offsetof(struct fw_key, sport) == 32 &&
		       __builtin_offsetof(struct fw_key, dport) == 34 && __builtin_offsetof(struct fw_key, proto) == 37 &&
		       __builtin_offsetof(struct fw_key, in_port) == 38,
	       "zkey_make reads fw_key as 32 bytes of addresses and 8 of ports and bytes");

/* An IPv4 key as the leaf compares it: source x 8 | destination x 8, and
 * sport x 8 | dport x 8 | protocol x 8 | ingress port x 8, each made from
 * one load and one constant shuffle, in registers (a narrow store read
 * back by a wide load would miss store forwarding). */
struct zkey {
	v16si a;
	v32hi p;
};

typedef char v64qi __attribute__((vector_size(64)));
typedef long long v8di __attribute__((vector_size(64)));

AVX512 static inline struct zkey zkey_make(const struct fw_key *k)
{
	struct zkey z;
	v8si ad; /* src[0] low, 0, 0, 0, dst[0] low, 0, 0, 0 */
	__builtin_memcpy(&ad, k, sizeof(ad));
	z.a = __builtin_shufflevector(ad, ad, 0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 4, 4, 4, 4, 4, 4);
	/* sport, dport, fam, proto, in_port, tcp_flags: one quadword in every
	 * 128-bit lane; vpshufb picks lane 0's words from bytes 0-1 (sport),
	 * lane 1's from 2-3 (dport), lane 2's and 3's from byte 5 (proto)
	 * and 6 (in_port) with a zero (-128) above. */
	long long q;
	__builtin_memcpy(&q, &k->sport, sizeof(q));
	v8di qq = {q, q, q, q, q, q, q, q};
	const v64qi idx = {0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1,
			   2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3,
			   5, -128, 5, -128, 5, -128, 5, -128, 5, -128, 5, -128, 5, -128, 5, -128,
			   6, -128, 6, -128, 6, -128, 6, -128, 6, -128, 6, -128, 6, -128, 6, -128};
#ifdef __clang__
	z.p = (v32hi)__builtin_ia32_pshufb512((v64qi)qq, idx);
#else
	z.p = (v32hi)__builtin_ia32_pshufb512_mask((v64qi)qq, idx, (v64qi){0}, ~0ull);
#endif
	return z;
}

/* One level: vpermd with the node's field number in every lane picks that
 * field of the biased key (fw_cls_avx2.c's step8x explains the broadcast
 * `info` word), one compare against the thresholds into a mask, whose
 * population is the child. */
AVX512 static inline uint32_t step8z(const struct cls_node8 *x, v8si kv)
{
	int32_t dim = (int32_t)x->info;
	v8si sel = {dim, dim, dim, dim, dim, dim, dim, dim};
	v8si V = __builtin_ia32_permvarsi256(kv, sel);
	v8si T;
	__builtin_memcpy(&T, x->thr, sizeof(T));
	return x->child + (uint32_t)__builtin_popcount(__builtin_ia32_cmpd256_mask(V, T, CMP_GT, 0xff));
}

/* The eight boxes of a block: bit `lane` set where the key is inside. */
AVX512 static inline unsigned match8z(const struct leaf4 *L, const struct fw_key *k)
{
	struct zkey zz = zkey_make(k), *z = &zz;
	v16si lo, hi;
	v32hi plo, phi;
	__builtin_memcpy(&lo, L->slo, 64); /* slo | dlo */
	__builtin_memcpy(&hi, L->shi, 64); /* shi | dhi */
	__builtin_memcpy(&plo, L->plo, 64);
	__builtin_memcpy(&phi, L->phi, 64);
	unsigned a = __builtin_ia32_ucmpd512_mask(z->a, lo, CMP_GE, 0xffff);
	a = __builtin_ia32_ucmpd512_mask(z->a, hi, CMP_LE, (unsigned short)a);
	unsigned p = __builtin_ia32_ucmpw512_mask(z->p, plo, CMP_GE, 0xffffffffu);
	p = __builtin_ia32_ucmpw512_mask(z->p, phi, CMP_LE, p);
	p &= p >> 16;
	return a & (a >> 8) & p & (p >> 8) & 0xffu;
}

AVX512 void fw_cls_burst4_avx512(const struct fw_cls *c, const struct fw_key *k, uint32_t m, int32_t *out)
{
	v8si kv[CLS_BURST];
	uint32_t nd[CLS_BURST];
	const struct cls_leaf *lf[CLS_BURST];
	const v8si bias = {INT32_MIN, INT32_MIN, INT32_MIN, INT32_MIN,
			   INT32_MIN, INT32_MIN, INT32_MIN, INT32_MIN};
	for (uint32_t i = 0; i < m; i++) {
		kv[i] = (v8si){(int32_t)k[i].src[0], (int32_t)k[i].dst[0], k[i].sport, k[i].dport,
			       k[i].proto, k[i].in_port, 0, 0} ^ bias;
		out[i] = -1;
	}
	for (uint32_t g = 0; g < c->n_trees[0]; g++) {
		const struct cls_tree *t = &c->t[0][g];
		uint32_t worst = 0;
		for (uint32_t i = 0; i < m; i++)
			worst = SYS_MAX(worst, (uint32_t)out[i]);
		if (t->empty || worst < t->min_rule)
			continue;
		const struct cls_node8 *nodes = t->n8;
		for (uint32_t i = 0; i < m; i++)
			nd[i] = 0;
		/* Lockstep, as in fw_cls.c: each level's loads are independent
		 * across the burst's packets. */
		for (uint32_t s = 0; s < t->depth; s++)
			for (uint32_t i = 0; i < m; i++)
				nd[i] = step8z(&nodes[nd[i]], kv[i]);
		for (uint32_t i = 0; i < m; i++) {
			lf[i] = &nodes[nd[i]].leaf;
			sys_prefetch(&t->blk[lf[i]->blk]);
			sys_prefetch((const char *)&t->blk[lf[i]->blk] + 64);
		}
		for (uint32_t i = 0; i < m; i++) {
			const struct leaf4 *L = &t->blk[lf[i]->blk];
			unsigned mm = match8z(L, &k[i]);
			int32_t r;
			if (unlikely(lf[i]->nblk != 1 || (mm & L->exact8)))
				r = fw_cls_leaf4_slow(c, t, lf[i], &k[i]);
			else
				r = (int32_t)L->rule[(unsigned)__builtin_ctz(mm | 0x100u)];
			out[i] = first_of(out[i], r);
		}
	}
}
