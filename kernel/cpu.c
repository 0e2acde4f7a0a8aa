/* SPDX-License-Identifier: MIT */
/*
 * cpu.c - CPU features the image relies on, the extended (AVX, AVX-512)
 * register state it turns on, the exception stacks (IST), and a seed for
 * the stack protector.  (The GDT, TSS and syscall MSRs are static, set up
 * in ring 0 by entry.S; the TSS is loaded here.)
 *
 * Vector state and interrupts.  The image is compiled for x86-64-v2: only
 * functions marked target("avx2")/target("avx512...") (the firewall
 * classifier's wide paths) use VEX/EVEX registers, and they run in the
 * main loop only.  Interrupt handlers (kernel/isr.S) are ordinary
 * x86-64-v2 C: legacy-SSE instructions leave bits 255:128 of YMM, the
 * upper ZMM halves, ZMM16-31 and the opmask registers untouched (SDM
 * vol. 1, 14.1.3 and 15.5), so the handlers' FXSAVE/FXRSTOR of the x87
 * and XMM state is all they must preserve.  Handlers never run AVX code:
 * a full XSAVE per interrupt (2.7 KiB with AVX-512) would buy nothing.
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

/* Runs before the stack canary is set (k_stack_guard_init, trap.c): not
 * instrumented, so no check ever compares a canary saved before the change
 * with the one after it.  *hw says whether RDRAND delivered. */
__attribute__((no_stack_protector)) uint64_t k_rdrand_or_tsc(bool *hw)
{
	*hw = false;
	uint32_t r[4];
	k_cpuid(1, 0, r);
	uint64_t v = sys_rdtsc();
	if (r[2] & (1u << 30)) { /* CPUID.1:ECX.RDRAND (SDM vol. 1 7.3.17) */
		for (int i = 0; i < 10; i++) {
			uint64_t x;
			unsigned char ok;
			__asm__ volatile("rdrand %0; setc %1" : "=r"(x), "=qm"(ok));
			if (ok) {
				*hw = true;
				return x ^ (v << 17);
			}
		}
	}
	/* No RDRAND: the TSC at this point varies run to run; mix it. */
	v ^= v >> 33;
	v *= 0xff51afd7ed558ccdull;
	v ^= v >> 33;
	return v;
}

/* Exceptions onto stacks of their own (entry.S: IST1 for all but #DF,
 * IST2 for #DF, each above an unmapped guard page), so the report of a
 * kernel stack overflow has a stack to run on: the CPU switches before it
 * pushes the frame (SDM vol. 3A 6.14.5).  Device interrupts stay on the
 * kernel stack.  Not under kvm_pvm: PVM supervisor mode refuses LTR, and
 * with a TSS loaded its SYSCALL into supervisor mode fails (entry.S), so
 * there an exception uses the current stack and an overflow into the guard
 * page ends the VM without a report. */
#define SEL_TSS 0x18
bool k_ist_on;

static void k_ist_init(void)
{
	if (k_pvm)
		return;
	for (unsigned v = 0; v < 32; v++)
		k_idt[v].ist = v == 8 ? 2 : 1;
	__asm__ volatile("ltr %w0" ::"r"((uint16_t)SEL_TSS) : "memory");
	k_ist_on = true;
}

/* XCR0 components (SDM vol. 1, 13.1): x87, SSE, AVX (YMM upper halves),
 * and AVX-512's three (opmask, ZMM0-15 upper halves, ZMM16-31), which
 * only go together (13.3: setting some but not all of bits 7:5 faults). */
#define XCR0_X87 (1ull << 0)
#define XCR0_SSE (1ull << 1)
#define XCR0_AVX (1ull << 2)
#define XCR0_AVX512 (7ull << 5)
#define CR4_OSXSAVE (1ull << 18)

uint64_t k_xcr0;

/* Turn on every vector-register component that the CPU offers and that
 * code in the image can use, so CPUID.1:ECX.OSXSAVE and XGETBV tell the
 * functions' runtime dispatch (fw_cls_has_avx2 and its kin) the truth.
 * Without XSAVE (or under an old hypervisor) XCR0 stays off and the
 * image runs its SSE paths. */
static void k_xsave_init(uint32_t cpuid1_ecx)
{
	if (!(cpuid1_ecx & (1u << 26))) /* CPUID.1:ECX.XSAVE */
		return;
	uint32_t r[4];
	k_cpuid(0xd, 0, r); /* EDX:EAX: the XCR0 bits this CPU supports */
	uint64_t offered = ((uint64_t)r[3] << 32) | r[0];
	uint64_t want = XCR0_X87 | XCR0_SSE;
	if ((cpuid1_ecx & (1u << 28)) && (offered & XCR0_AVX)) { /* AVX */
		want |= XCR0_AVX;
		if ((offered & XCR0_AVX512) == XCR0_AVX512)
			want |= XCR0_AVX512;
	}
	uint64_t cr4;
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	__asm__ volatile("mov %0, %%cr4" ::"r"(cr4 | CR4_OSXSAVE));
	__asm__ volatile("xsetbv" ::"c"(0), "a"((uint32_t)want), "d"((uint32_t)(want >> 32)));
	k_xcr0 = want;
}

const char *k_vector_state(void)
{
	return (k_xcr0 & XCR0_AVX512) ? "AVX-512" : (k_xcr0 & XCR0_AVX) ? "AVX" : "SSE";
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
	k_xsave_init(r[2]);
	k_ist_init();
}
