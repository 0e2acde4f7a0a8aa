/* SPDX-License-Identifier: MIT */
/*
 * isr.S - interrupt and exception entry stubs.
 *
 * One 16-byte stub per vector (IDT set up in trap.c as isr_stubs + 16*v).
 * Each pushes a zero error code when the CPU does not (SDM vol. 3A 6.15,
 * table 6-1: vectors 8, 10-14, 17, 21, 29, 30 push one), then the vector,
 * and jumps to the common code, which saves every GPR in struct k_regs
 * order (kernel/trap.h).
 *
 * Exceptions (0-31) are fatal: k_trap() prints and exits (under kvm_pvm
 * but one, the #GP that asks for a halt, kernel/pvm_halt.S).  CR2 is saved
 * with the GPRs (struct k_regs starts with it).  Device interrupts
 * (32-255) only ever arrive inside k_wait_for_interrupt(); they still save
 * the full FPU/SSE state (FXSAVE, SDM vol. 1 10.5) so handlers may be
 * ordinary C compiled with SSE.
 */

	.macro PUSH_GPRS
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	.endm

	.macro POP_GPRS
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	.endm

	/* Uses the assembly-time counter `v` as the vector number. */
	.macro STUB
	.balign 16
	.if (v == 8) || ((v >= 10) && (v <= 14)) || (v == 17) || (v == 21) || (v == 29) || (v == 30)
	.else
	pushq $0
	.endif
	pushq $v
	.if v < 32
	jmp exc_common
	.else
	jmp irq_common
	.endif
	.endm

	.text
	.balign 4096            /* entry.S's static IDT relies on this */
	.globl isr_stubs
isr_stubs:
	.set v, 0
	.rept 256
	STUB
	.set v, v + 1
	.endr
	.globl isr_stubs_end
isr_stubs_end:

exc_common:
	/* kvm_pvm: a #GP at k_pvm_halt's HLT is a request to halt, not a
	 * crash (kernel/pvm_halt.S).  Elsewhere that HLT never runs. */
	cmpq $13, (%rsp)
	jne 1f
	cmpq $k_pvm_halt_site, 16(%rsp)
	je k_pvm_halt_trap
1:	PUSH_GPRS
	movq %cr2, %rax
	pushq %rax
	movq %rsp, %rdi
	andq $-16, %rsp
	call k_trap             /* never returns */
	ud2

irq_common:
	/* kvm_pvm: interrupts only arrive inside its halt; they are
	 * recorded there and handled natively (kernel/pvm_halt.S). */
	cmpb $0, k_pvm
	jne k_pvm_irq
	PUSH_GPRS
	movq %rsp, %rbx         /* callee-saved: survives the C call */
	subq $512, %rsp
	andq $-16, %rsp
	fxsave (%rsp)
	movq 15*8(%rbx), %rdi   /* the vector pushed by the stub */
	call k_irq_dispatch
	fxrstor (%rsp)
	movq %rbx, %rsp
	POP_GPRS
	addq $16, %rsp          /* vector and error code */
	iretq

	.section .note.GNU-stack, "", @progbits
