/* SPDX-License-Identifier: MIT */
/*
 * pvm.S - the halt under kvm_pvm (kernel/pvm.h says what the host does).
 *
 * PVM supervisor mode cannot halt, but emulated ring 0 can, and a #GP is
 * the way there: k_pvm_halt executes HLT, the host delivers the #GP through
 * the IDT, and isr.S sends a #GP at exactly k_pvm_halt_site here instead
 * of to the crash report.  In ring 0 the STI's interrupt shadow covers the
 * HLT (SDM vol. 2B, STI), so an interrupt that arrived while the virtual IF
 * was 0 is taken inside the HLT and wakes it: no lost wake-up.  Its handler
 * (isr.S irq_common) runs nested on this stack, then IRETQ resumes native
 * execution after the HLT with the virtual IF 0 again (the #GP frame's).
 *
 * Emulated instructions cost ~0.6 us each, so the ring-0 part is kept to
 * the few below plus the interrupt handler; this path only runs when idle.
 */

	.text
	.globl k_pvm_halt
	.type k_pvm_halt, @function
k_pvm_halt:
	.globl k_pvm_halt_site
k_pvm_halt_site:
	hlt                     /* #GP under kvm_pvm -> k_pvm_halt_trap */
	ret
	.size k_pvm_halt, . - k_pvm_halt

/* Entered from isr.S exc_common in emulated ring 0 with the stub's frame:
 * vector, error code, then the CPU's RIP, CS, RFLAGS, RSP, SS. */
	.globl k_pvm_halt_trap
	.type k_pvm_halt_trap, @function
k_pvm_halt_trap:
	addq $1, 16(%rsp)       /* resume past the 1-byte HLT */
	sti
	hlt
	cli
	addq $16, %rsp          /* vector and error code */
	iretq
	.size k_pvm_halt_trap, . - k_pvm_halt_trap

	.section .note.GNU-stack, "", @progbits
