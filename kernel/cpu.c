/* SPDX-License-Identifier: MIT */
/*
 * cpu.c - CPU features the image relies on and a seed for the stack
 * protector.  (The GDT, TSS and syscall MSRs are static, set up in ring 0
 * by entry.S.)
 */
#include "kernel/kernel_priv.h"

struct idt_gate {
	uint16_t off_lo;
	uint16_t sel;
	uint8_t ist;
	uint8_t type;
	uint16_t off_mid;
	uint32_t off_hi;
	uint32_t zero;
};
extern struct idt_gate k_idt[256]; /* entry.S */

uint64_t k_rdrand_or_tsc(void)
{
	uint32_t r[4];
	k_cpuid(1, 0, r);
	uint64_t v = sys_rdtsc();
	if (r[2] & (1u << 30)) { /* CPUID.1:ECX.RDRAND (SDM vol. 1 7.3.17) */
		for (int i = 0; i < 10; i++) {
			uint64_t x;
			unsigned char ok;
			__asm__ volatile("rdrand %0; setc %1" : "=r"(x), "=qm"(ok));
			if (ok)
				return x ^ (v << 17);
		}
	}
	/* No RDRAND: the TSC at this point varies run to run; mix it. */
	v ^= v >> 33;
	v *= 0xff51afd7ed558ccdull;
	v ^= v >> 33;
	return v;
}

void k_cpu_init(void)
{
	/* The image is compiled for x86-64-v2 (SSE4.2, POPCNT, SSSE3,
	 * CMPXCHG16B): refuse to run rather than die on an invalid opcode. */
	uint32_t r[4];
	k_cpuid(1, 0, r);
	const uint32_t need = (1u << 0) | (1u << 9) | (1u << 13) | (1u << 19) | (1u << 20) | (1u << 23);
	if ((r[2] & need) != need) {
		k_printf("nfbox: this CPU lacks x86-64-v2 features (CPUID.1:ECX=%#x); "
			 "use -cpu host or -cpu max\n",
			 r[2]);
		k_exit(70);
	}

}
