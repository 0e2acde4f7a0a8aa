/* SPDX-License-Identifier: MIT */
/*
 * pvm.c - waiting for an interrupt under kvm_pvm: halt in emulated ring 0
 * (pvm_halt.S), then run the handlers of what arrived natively.
 */
#include "kernel/kernel_priv.h"
#include "kernel/pvm.h"

/* One bit per vector, set by pvm_halt.S k_pvm_irq in emulated ring 0.  Only
 * read and cleared here, natively, where the virtual IF is 0: no interrupt
 * can set a bit meanwhile. */
uint64_t k_pvm_pending[4];

void k_pvm_wait_for_interrupt(void)
{
	k_pvm_halt();
	__asm__ volatile("" ::: "memory"); /* written behind the compiler's back */
	for (unsigned w = 0; w < 4; w++) {
		uint64_t bits = k_pvm_pending[w];
		k_pvm_pending[w] = 0;
		while (bits) {
			unsigned b = (unsigned)__builtin_ctzll(bits);
			bits &= bits - 1;
			k_irq_dispatch(w * 64 + b);
		}
	}
}
