/* SPDX-License-Identifier: MIT */
/*
 * cpu.c - CPU features the image relies on, the TSS (for the exception
 * stack) and a seed for the stack protector.
 */
#include "kernel/kernel_priv.h"

/* 64-bit TSS (SDM vol. 3A 8.7, figure 8-11). */
struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));
_Static_assert(sizeof(struct tss64) == 104, "TSS layout");

static struct tss64 tss __attribute__((aligned(16)));
static uint8_t ist1_stack[16384] __attribute__((aligned(16)));
extern uint64_t k_gdt[];

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

	/* TSS with IST1 for exceptions, descriptor at GDT selector 0x18
	 * (SDM vol. 3A 8.2.3: a 16-byte system descriptor, type 9). */
	tss.ist[0] = (uint64_t)(uintptr_t)(ist1_stack + sizeof(ist1_stack));
	tss.iomap_base = sizeof(tss); /* no I/O bitmap */
	uint64_t base = (uint64_t)(uintptr_t)&tss, limit = sizeof(tss) - 1;
	k_gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
		   (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	k_gdt[4] = base >> 32;
	__asm__ volatile("ltr %w0" ::"r"(0x18));
}
