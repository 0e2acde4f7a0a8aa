/* SPDX-License-Identifier: MIT */
/*
 * pvm.h - halting under kvm_pvm.
 *
 * What this host's kvm_pvm does, measured (kernel/pvm_halt.S uses it): code
 * in "PVM supervisor mode" runs natively at CPL 3 with the underlying IF
 * always 1 and a virtual IF the host keeps (0 since boot).  STI, HLT, RDMSR
 * and WRMSR there raise #GP, which the host delivers through our IDT into
 * emulated ring 0 -- where they all work, at emulation speed (~0.6 us per
 * instruction), and IRETQ to the CPL 3 frame resumes native execution.
 * The Ant Group PVM ABI (pvm-spec.rst: hypercalls by SYSCALL, the PVCS,
 * MSR_PVM_EVENT_ENTRY) is not offered: CPUID 0x40000000 stops at
 * 0x40000001 (no PVM leaf), the synthetic CPUID raises #GP, a SYSCALL with
 * PVM_HC_IRQ_HALT in RAX just enters MSR_LSTAR, and WRMSR to the PVM MSRs
 * raises #GP.
 */
#ifndef NFB_KERNEL_PVM_H
#define NFB_KERNEL_PVM_H

/* k_wait_for_interrupt() under kvm_pvm (k_pvm only), as "sti; hlt; cli"
 * does on hardware: an interrupt that became pending before the call (the
 * caller re-checked for work with interrupts off) ends the halt at once.
 * Returns after the handlers of the interrupts that arrived ran (pvm.c). */
void k_pvm_wait_for_interrupt(void);

/* pvm_halt.S: the halt itself; the vectors taken are left in k_pvm_pending. */
void k_pvm_halt(void);
extern uint64_t k_pvm_pending[4];

#endif
