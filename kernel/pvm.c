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
	/* Highest vector first: an EOI retires the highest-priority vector in
	 * service (SDM vol. 3A 11.8.5), whichever handler writes it, so
	 * handlers must run in that order for each EOI to be its own (for a
	 * level-triggered IOAPIC line, the EOI re-arms the line: too early, it
	 * fires again before its handler ran). */
	for (unsigned w = 4; w-- > 0;) {
		uint64_t bits = k_pvm_pending[w];
		k_pvm_pending[w] = 0;
		while (bits) {
			unsigned b = 63u - (unsigned)__builtin_clzll(bits);
			bits &= ~(1ull << b);
			k_irq_dispatch(w * 64 + b);
		}
	}
}
