/* SPDX-License-Identifier: MIT */
/*
 * fw_cls_avx2.c - the IPv4 burst of fw_cls.c with 256-bit compares: a
 * node's eight thresholds in one compare, a leaf block's eight source and
 * destination ranges in one compare each.  The build targets x86-64-v2, so
 * these functions alone are compiled for AVX2 and only called when
 * fw_cls_has_avx2() found the CPU able and the kernel saving the YMM state
 * (Intel SDM vol. 1, 14.3: CPUID.1:ECX.OSXSAVE and AVX, XCR0 bits 1-2,
 * CPUID.(7,0):EBX.AVX2).  Same answers as the SSE path, bit for bit: the
 * classifier test runs both where the CPU allows.
 */
#include "nf/firewall/fw_cls_int.h"

#define AVX2 __attribute__((target("avx2")))

typedef unsigned int v8su __attribute__((vector_size(32)));
typedef int v8si __attribute__((vector_size(32)));
typedef float v8sf __attribute__((vector_size(32)));

bool fw_cls_has_avx2(void)
{
	uint32_t r[4];
	fw_cls_cpuid(0, 0, r);
	if (r[0] < 7)
		return false;
	fw_cls_cpuid(1, 0, r);
	if (!(r[2] & (1u << 27)) || !(r[2] & (1u << 28)))
		return false; /* no OSXSAVE or no AVX */
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	if ((lo & 6) != 6)
		return false; /* the kernel does not save SSE and YMM state */
	fw_cls_cpuid(7, 0, r);
	return r[1] & (1u << 5);
}

typedef unsigned short v16hu __attribute__((vector_size(32)));
typedef short v16hi __attribute__((vector_size(32)));
typedef char v32qi __attribute__((vector_size(32)));
_Static_assert(__builtin_offsetof(struct fw_key, dport) == __builtin_offsetof(struct fw_key, sport) + 2 &&
		       __builtin_offsetof(struct fw_key, proto) == __builtin_offsetof(struct fw_key, fam) + 1 &&
		       __builtin_offsetof(struct fw_key, in_port) == __builtin_offsetof(struct fw_key, fam) + 2,
	       "match8 loads sport|dport and fam|proto|in_port as words");

/* One level: the key's biased fields sit in one register, and vpermd with
 * the node's field number in every lane picks that field into all eight
 * lanes at once, to compare with the node's thresholds.  vpermd reads only
 * the low three bits of each index, so the whole `info` word is broadcast
 * as it is (one load) and the field number needs no masking (a leaf's low
 * bits are 0: it compares the source against thresholds that never pass). */
AVX2 static inline uint32_t step8x(const struct cls_node8 *x, v8si kv)
{
	int32_t dim = (int32_t)x->info;
	v8si sel = {dim, dim, dim, dim, dim, dim, dim, dim};
	v8si V = __builtin_ia32_permvarsi256(kv, sel);
	v8si T;
	__builtin_memcpy(&T, x->thr, sizeof(T));
	return x->child + (uint32_t)__builtin_popcount((unsigned)__builtin_ia32_movmskps256((v8sf)(V > T)));
}

/* The key's fields are broadcast straight from memory (one vpbroadcast
 * each); 16-bit fields go two to a register: sport with dport, protocol
 * with ingress port, matching plo/phi's layout. */
AVX2 static inline unsigned match8(const struct leaf4 *L, const struct fw_key *k)
{
	uint32_t s = (uint32_t)k->src[0], d = (uint32_t)k->dst[0];
	v8su S = {s, s, s, s, s, s, s, s}, D = {d, d, d, d, d, d, d, d};
	v8su slo, shi, dlo, dhi;
	__builtin_memcpy(&slo, L->slo, 32);
	__builtin_memcpy(&shi, L->shi, 32);
	__builtin_memcpy(&dlo, L->dlo, 32);
	__builtin_memcpy(&dhi, L->dhi, 32);
	v8si m = (S >= slo) & (S <= shi) & (D >= dlo) & (D <= dhi);
	/* sport, dport (adjacent in fw_key) and fam, proto, in_port, flags
	 * (the next four bytes), each pair broadcast as one word and spread
	 * by vpshufb, whose two 128-bit halves take their own byte indices:
	 * P = sport x 8 | dport x 8, Q = proto x 8 | in_port x 8. */
	uint32_t ports, bytes;
	__builtin_memcpy(&ports, &k->sport, 4);
	__builtin_memcpy(&bytes, &k->fam, 4);
	v8su pw = {ports, ports, ports, ports, ports, ports, ports, ports};
	v8su bw = {bytes, bytes, bytes, bytes, bytes, bytes, bytes, bytes};
	const v32qi p_idx = {0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1,
			     2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3};
	const v32qi q_idx = {1, -128, 1, -128, 1, -128, 1, -128, 1, -128, 1, -128, 1, -128, 1, -128,
			     2, -128, 2, -128, 2, -128, 2, -128, 2, -128, 2, -128, 2, -128, 2, -128};
	v16hu P = (v16hu)__builtin_ia32_pshufb256((v32qi)pw, p_idx);
	v16hu Q = (v16hu)__builtin_ia32_pshufb256((v32qi)bw, q_idx);
	v16hu plo0, phi0, plo1, phi1;
	__builtin_memcpy(&plo0, &L->plo[0], 32);
	__builtin_memcpy(&phi0, &L->phi[0], 32);
	__builtin_memcpy(&plo1, &L->plo[2], 32);
	__builtin_memcpy(&phi1, &L->phi[2], 32);
	v16hi miss = __builtin_ia32_psubusw256((v16hi)P, (v16hi)phi0) |
		     __builtin_ia32_psubusw256((v16hi)plo0, (v16hi)P) |
		     __builtin_ia32_psubusw256((v16hi)Q, (v16hi)phi1) |
		     __builtin_ia32_psubusw256((v16hi)plo1, (v16hi)Q);
	v8hi lo, hi;
	__builtin_memcpy(&lo, &miss, 16);
	__builtin_memcpy(&hi, (const char *)&miss + 16, 16);
	v4si m0, m1;
	__builtin_memcpy(&m0, &m, 16);
	__builtin_memcpy(&m1, (const char *)&m + 16, 16);
	v8hi r = __builtin_ia32_packssdw128(m0, m1) & ((lo | hi) == (v8hi){0});
	return (unsigned)__builtin_ia32_pmovmskb128((v16qi)r);
}

AVX2 void fw_cls_burst4_avx2(const struct fw_cls *c, const struct fw_key *k, uint32_t m, int32_t *out)
{
	v8si kv[CLS_BURST];
	uint32_t nd[CLS_BURST];
	const struct cls_leaf *lf[CLS_BURST];
	/* key8()'s layout, built in a register rather than through memory. */
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
		for (uint32_t s = 0; s < t->depth; s++)
			for (uint32_t i = 0; i < m; i++)
				nd[i] = step8x(&nodes[nd[i]], kv[i]);
		for (uint32_t i = 0; i < m; i++) {
			lf[i] = &nodes[nd[i]].leaf;
			/* The address lines only: prefetching all five costs more
			 * instructions than the misses it saves (measured). */
			sys_prefetch(&t->blk[lf[i]->blk]);
			sys_prefetch((const char *)&t->blk[lf[i]->blk] + 64);
		}
		for (uint32_t i = 0; i < m; i++) {
			const struct leaf4 *L = &t->blk[lf[i]->blk];
			unsigned mm = match8(L, &k[i]);
			int32_t r;
			if (unlikely(lf[i]->nblk != 1 || (mm & L->exact)))
				r = fw_cls_leaf4_slow(c, t, lf[i], &k[i]);
			else
				r = (int32_t)L->rule[(unsigned)__builtin_ctz(mm | 0x10000u) >> 1];
			out[i] = first_of(out[i], r);
		}
	}
}
