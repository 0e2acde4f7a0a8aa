/* SPDX-License-Identifier: MIT */
/*
 * pvm_halt.S - the halt under kvm_pvm (kernel/pvm.h says what the host does).
 *
 * PVM supervisor mode cannot halt, but emulated ring 0 can, and a #GP is
 * the way there: k_pvm_halt executes HLT, the host delivers the #GP through
 * the IDT, and isr.S sends a #GP at exactly k_pvm_halt_site here instead
 * of to the crash report.  In ring 0 the STI's interrupt shadow covers the
 * HLT (SDM vol. 2B, STI), so an interrupt that arrived while the virtual IF
 * was 0 is taken inside the HLT and wakes it: no lost wake-up.  IRETQ then
 * resumes native execution after the HLT with the virtual IF 0 again (the
 * #GP frame's), so interrupts only ever arrive in this window.
 *
 * Every emulated instruction costs ~0.6 us, and the longer the vCPU runs
 * per wake-up the likelier a busy host core preempts it mid-way.  So the
 * interrupt itself only sets its vector's bit in k_pvm_pending (isr.S
 * sends it to k_pvm_irq); the handler and the EOI run natively afterwards
 * (pvm.c).  Until that EOI the local APIC holds back vectors of that
 * priority and lower, and the IOAPIC a level-triggered line; others still
 * pending are taken right after the interrupt's IRETQ (IF is 1 there, and
 * IRETQ has no shadow) and recorded too, before the CLI.
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

/* Entered from isr.S irq_common, same frame as above. */
	.globl k_pvm_irq
	.type k_pvm_irq, @function
k_pvm_irq:
	pushq %rax
	movq 8(%rsp), %rax      /* the vector, < 256 */
	btsq %rax, k_pvm_pending
	popq %rax
	addq $16, %rsp
	iretq
	.size k_pvm_irq, . - k_pvm_irq

	.section .note.GNU-stack, "", @progbits
