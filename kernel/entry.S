/* SPDX-License-Identifier: MIT */
/*
 * entry.S - PVH entry: 32-bit protected mode -> long mode -> k_start().
 *
 * The PVH boot ABI (Xen docs/misc/pvh.pandoc, "x86/HVM direct boot ABI"):
 * the loader enters at the address of the XEN_ELFNOTE_PHYS32_ENTRY note in
 * 32-bit protected mode, paging off, CS a flat 32-bit code segment, DS/ES/SS
 * flat data, interrupts off, %ebx = physical address of struct
 * hvm_start_info.  GDTR/IDTR and the stack are undefined: we load our own.
 *
 * Long mode activation follows Intel SDM vol. 3A 10.8.5 ("Initializing
 * IA-32e Mode"): PAE on, CR3 -> PML4, EFER.LME, then CR0.PG; a far jump
 * into a 64-bit code segment ends compatibility mode.
 *
 * kvm_pvm.  Our CI machines are nested clouds whose /dev/kvm is kvm_pvm
 * (the "Pagetable-based Virtual Machine", Documentation/virt/kvm/x86/
 * pvm-spec.rst).  It boots an ordinary guest in an emulated "bootstrap"
 * mode -- every instruction costs ~0.6 us (measured) -- and runs guests
 * natively only in "PVM supervisor mode", which a user-mode SYSCALL enters
 * (spec: "User SYSCALL event").  So this file does the few privileged
 * steps that must happen first, drops to CPL 3 with IRETQ and executes
 * SYSCALL, landing at smod_entry in CPL 0 (hardware, TCG) or in PVM
 * supervisor mode (kvm_pvm).  From there on the kernel is ordinary ring-0
 * code; boot.c tells the two apart by %cs (0x08 vs 0x33) and avoids what
 * PVM supervisor mode refuses (MOV CR3, LTR, WRMSR, STI/HLT).
 *
 * Ring-0 work here is a few dozen instructions: the boot page tables, GDT,
 * IDT and TSS are static data computed at link time (image.ld), .bss is
 * cleared after the switch.
 */

#define XEN_ELFNOTE_PHYS32_ENTRY 18

#define CR0_PE (1 << 0)
#define CR0_MP (1 << 1)
#define CR0_EM (1 << 2)
#define CR0_NE (1 << 5)
#define CR0_WP (1 << 16)
#define CR0_NW (1 << 29)
#define CR0_CD (1 << 30)
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define CR4_OSFXSR (1 << 9)
#define CR4_OSXMMEXCPT (1 << 10)
#define MSR_EFER 0xc0000080
#define EFER_SCE (1 << 0)
#define EFER_LME (1 << 8)
#define EFER_NXE (1 << 11)
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_FMASK 0xc0000084
#define MSR_FS_BASE 0xc0000100
#define MSR_MTRR_DEF_TYPE 0x2ff
#define MTRR_ENABLE (1 << 11)
#define MTRR_TYPE_WB 6

#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UDATA 0x2b          /* 0x28 | RPL 3 */
#define SEL_UCODE 0x33          /* 0x30 | RPL 3 */

/* The PVH note.  QEMU reads the descriptor as a native-size pointer on
 * 64-bit ELF files and aligns the name to the segment's p_align, so the
 * note section is 4-aligned and the descriptor is a .quad (as Linux does). */
	.section .note.pvh, "a", @note
	.balign 4
	.long 4                 /* namesz: "Xen\0" */
	.long 8                 /* descsz */
	.long XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.quad pvh_start32

/* Multiboot2 for a bootloader: `nfbox build --format raw` puts the image
 * on a disk that GRUB boots with its `multiboot2` command.  Version 2, not
 * 1: QEMU's -kernel takes a version-1 header first and refuses it on a
 * 64-bit ELF file, and knows nothing of version 2, so PVH stays QEMU's
 * way in.  The header must sit 8-aligned in the file's first 32 KiB: it
 * opens .text, file offset 4 KiB.  Only the end tag: GRUB loads the ELF's
 * PT_LOAD segments at their physical addresses and enters at e_entry,
 * mb_start32 (image.ld).  The machine state it promises (Multiboot2 spec
 * 3.3) is PVH's: 32-bit protected mode, paging off, flat segments,
 * interrupts off, %ebx the boot information; %eax says which, and boot.c
 * reads either. */
#define MB2_MAGIC 0xe85250d6
#define MB2_ARCH_I386 0
#define MB2_HDR_LEN 24
	.section .text.nfb_entry, "ax", @progbits
	.balign 8
multiboot2_header:
	.long MB2_MAGIC
	.long MB2_ARCH_I386
	.long MB2_HDR_LEN
	.long -(MB2_MAGIC + MB2_ARCH_I386 + MB2_HDR_LEN)
	.short 0, 0             /* end tag: type 0, flags 0 */
	.long 8                 /* ... size 8 */

	.code32
	.globl mb_start32
	.type mb_start32, @function
mb_start32:
	movl %eax, k_boot_mb_magic      /* 0x36d76289; stays 0 under PVH */
	jmp pvh_start32
	.size mb_start32, . - mb_start32

	.globl pvh_start32
	.type pvh_start32, @function
pvh_start32:
	cli
	cld
	/* First thing: the TSC at guest entry, for the "ready" figure. */
	rdtsc
	movl %eax, k_boot_tsc_raw
	movl %edx, k_boot_tsc_raw + 4
	movl %ebx, %esi         /* start_info: kept in %esi until k_start */

	/* Memory types.  With MTRRs disabled (IA32_MTRR_DEF_TYPE.E = 0) all of
	 * memory is uncacheable (SDM vol. 3A 12.11.2.1), which is how qboot
	 * leaves microvm.  If the firmware did not enable them, make
	 * write-back the default; devices are mapped with PCD|PWT (PAT entry
	 * 3 = UC, which wins over WB, SDM vol. 3A table 12-7). */
	movl $1, %eax
	cpuid
	testl $(1 << 12), %edx  /* CPUID.1:EDX.MTRR */
	jz 1f
	movl $MSR_MTRR_DEF_TYPE, %ecx
	rdmsr
	testl $MTRR_ENABLE, %eax
	jnz 1f
	movl $(MTRR_ENABLE | MTRR_TYPE_WB), %eax
	xorl %edx, %edx
	wrmsr
1:
	lgdt gdt_ptr
	movl $SEL_KDATA, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss

	/* No-execute (SDM vol. 3A 5.1.3): EFER.NXE only where
	 * CPUID.80000001H:EDX.NX (bit 20) says the CPU has it -- setting it
	 * otherwise is a #GP.  Without it bit 63 of a page-table entry is
	 * reserved, so it is stripped from the boot tables here (a loop, but
	 * only on such CPUs) and mm.c leaves it out too (and says so). */
	xorl %edi, %edi         /* EFER bits to add: NXE or nothing */
	movl $0x80000000, %eax
	cpuid
	cmpl $0x80000001, %eax
	jb 2f
	movl $0x80000001, %eax
	cpuid
	testl $(1 << 20), %edx
	jz 2f
	movl $EFER_NXE, %edi
	jmp 3f
2:	movl $(boot_pd + 4), %eax
	movl $512, %ecx
5:	andl $0x7fffffff, (%eax)
	addl $8, %eax
	loop 5b
3:
	movl %cr4, %eax
	orl $(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT), %eax
	movl %eax, %cr4
	movl $boot_pml4, %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $(EFER_SCE | EFER_LME), %eax
	orl %edi, %eax
	wrmsr
	/* SSE (SDM vol. 3A 13.1.3): CR0.EM=0, CR0.MP=1, CR4.OSFXSR/OSXMMEXCPT.
	 * Caches on (CD=NW=0), supervisor writes honour read-only pages (WP). */
	movl %cr0, %eax
	andl $~(CR0_EM | CR0_CD | CR0_NW), %eax
	orl $(CR0_PE | CR0_MP | CR0_NE | CR0_WP | CR0_PG), %eax
	movl %eax, %cr0
	ljmp $SEL_KCODE, $long_entry

	.code64
long_entry:
	/* The IDT, complete at link time.  (The TSS is loaded later by
	 * cpu.c, and only outside kvm_pvm: with a TSS loaded, kvm_pvm's
	 * SYSCALL into supervisor mode fails.) */
	lidt idt_ptr
	/* SYSCALL (SDM vol. 2B SYSCALL; vol. 3A 5.8.8): CS/SS from
	 * STAR[47:32], entry point LSTAR, RFLAGS bits in FMASK cleared
	 * (IF, DF, TF, AC).  STAR[63:48] names the user selectors
	 * 0x33/0x2b, which kvm_pvm requires to match its own (spec,
	 * MSR_STAR). */
	movl $MSR_STAR, %ecx
	xorl %eax, %eax
	movl $((0x20 << 16) | SEL_KCODE), %edx
	wrmsr
	movl $MSR_LSTAR, %ecx
	movl $smod_entry, %eax
	xorl %edx, %edx
	wrmsr
	movl $MSR_FMASK, %ecx
	movl $0x40700, %eax
	wrmsr
	/* FS base -> k_stack_tls (kernel/trap.c): GCC 12 compiles a function
	 * with __attribute__((target("avx2"))) with the TLS stack canary
	 * (%fs:0x28) whatever -mstack-protector-guard says, so the canary
	 * lives there too.  Set at CPL 0, like the MSRs above. */
	movl $MSR_FS_BASE, %ecx
	movl $k_stack_tls, %eax
	xorl %edx, %edx
	wrmsr
	fninit

	/* kvmclock (Linux Documentation/virt/kvm/x86/msr.rst): its scale
	 * factor gives the TSC frequency.  Read here, at CPL 0, because under
	 * kvm_pvm the kernel later runs in PVM supervisor mode, where WRMSR
	 * is refused (see below). */
	movl $0x40000000, %eax
	cpuid
	cmpl $0x4b4d564b, %ebx  /* "KVMKVMKVM\0\0\0" */
	jne 4f
	cmpl $0x564b4d56, %ecx
	jne 4f
	cmpl $0x4d, %edx
	jne 4f
	movl $0x40000001, %eax
	cpuid
	testl $(1 << 3), %eax   /* KVM_FEATURE_CLOCKSOURCE2 */
	jz 4f
	movl $0x4b564d01, %ecx  /* MSR_KVM_SYSTEM_TIME_NEW */
	movl $(k_boot_pvclock + 1), %eax
	xorl %edx, %edx
	wrmsr                   /* the host fills k_boot_pvclock now */
	xorl %eax, %eax
	xorl %edx, %edx
	wrmsr                   /* off again: the values stay, time.c reads them */
4:

	/* Into the kernel's run mode: IRETQ to CPL 3, then SYSCALL back to
	 * CPL 0 at smod_entry.  On hardware and TCG this is a round trip.
	 * Under kvm_pvm it is the way into "PVM supervisor mode" (PVM spec,
	 * Documentation/virt/kvm/x86/pvm-spec.rst: a user-mode SYSCALL
	 * switches to supervisor mode at MSR_LSTAR), which runs natively;
	 * code left in the boot mode is emulated one instruction at a time
	 * (~0.6 us each, measured).  Interrupts stay off (IF=0). */
	pushq $SEL_UDATA
	pushq $kstack_top
	pushq $0x2
	pushq $SEL_UCODE
	pushq $user_entry
	iretq

user_entry:
	syscall                 /* to smod_entry, %esi preserved */
smod_entry:
	/* Clear .bss (the loader zero-fills it too, but the PVH ABI does not
	 * promise that) -- except the stacks at its start, which need no
	 * zeroes: ~20 pages fewer to touch, and every first touch of a page
	 * is a shadow page fault under kvm_pvm. */
	movl $k_stacks_end, %edi
	movl $__bss_end, %ecx
	subl %edi, %ecx
	xorl %eax, %eax
	rep stosb
	movq $kstack_top, %rsp
	xorl %ebp, %ebp         /* backtraces end here */
	movl %esi, %edi         /* k_start(start_info) */
	call k_start
2:	ud2
	jmp 2b
	.size pvh_start32, . - pvh_start32

	/* Writable: the CPU sets descriptors' accessed bits and LTR sets the
	 * TSS busy bit (SDM vol. 3A 3.4.5, 7.2.2). */
	.data
	.balign 16
	.globl k_gdt
k_gdt:
	.quad 0                         /* null */
	.quad 0x00af9b000000ffff        /* 0x08: 64-bit code, DPL 0 */
	.quad 0x00cf93000000ffff        /* 0x10: data, DPL 0 */
	.quad k_tss_desc_lo             /* 0x18: TSS, a 16-byte system descriptor */
	.quad k_tss_desc_hi             /*       computed by image.ld */
	.quad 0x00cff3000000ffff        /* 0x28: data, DPL 3 */
	.quad 0x00affb000000ffff        /* 0x30: 64-bit code, DPL 3 */
k_gdt_end:
	.balign 8
gdt_ptr:
	.word k_gdt_end - k_gdt - 1
	.quad k_gdt
	.balign 8
idt_ptr:
	.word 256 * 16 - 1
	.quad k_idt

/* 64-bit TSS (SDM vol. 3A 8.7, figure 8-11), no I/O bitmap. */
	.balign 16
	.globl k_tss
k_tss:
	.long 0
	.quad k_ist1_top, 0, 0          /* RSP0-2: unused (ring 0 only) */
	.quad 0
	.quad k_ist1_top, k_ist2_top, 0, 0, 0, 0, 0     /* IST1-7 */
	.quad 0
	.word 0
	.word k_tss_end - k_tss         /* I/O map base past the limit: none */
k_tss_end:

	.balign 32              /* a pvclock struct must not cross a page */
	.globl k_boot_pvclock
k_boot_pvclock: .fill 32, 1, 0

/* Boot page tables, complete at link time: no ring-0 loop to fill them.
 * The first GiB, identity mapped: the first 2 MiB (low memory and the
 * image) read/write/execute, the rest no-execute (where the CPU has NX,
 * see above).  mm.c replaces them with
 * the real W^X map where it can load CR3 (not under kvm_pvm, which keeps
 * these and only gains entries).  Flags 0x7 = present | writable | user
 * (user: the IRETQ to CPL 3 above runs a few instructions there); 0x87
 * adds page size (2 MiB), bit 63 no-execute. */
	.balign 4096
	.globl boot_pml4
boot_pml4:
	.quad boot_pdpt + 0x7
	.fill 511, 8, 0
	.globl boot_pdpt
boot_pdpt:
	.quad boot_pd + 0x7
	.fill 511, 8, 0
boot_pd:
	.quad 0x87
	.set pa, 0x200000
	.rept 511
	.quad pa + 0x8000000000000087
	.set pa, pa + 0x200000
	.endr

/* The IDT (SDM vol. 3A 6.14.1): 256 64-bit interrupt gates (type 0xe,
 * present, DPL 0) into isr.S's 16-byte stubs; cpu.c moves exceptions
 * (0-31) to IST1, #DF to IST2, when it can load the TSS (not kvm_pvm).
 * image.ld splits the stubs' address into the gate's three fields; the
 * stubs are 4 KiB aligned so adding 16 * vector never carries out of the
 * low 16 bits. */
	.data
	.balign 16
	.globl k_idt
k_idt:
	.set v, 0
	.rept 256
	.word k_isr_lo16 + 16 * v
	.word SEL_KCODE
	.byte 0                 /* IST: cpu.c sets 1 for exceptions */
	.byte 0x8e
	.word k_isr_mid16
	.long k_isr_hi32
	.long 0
	.set v, v + 1
	.endr

/* The stacks, each with an unmapped guard page below it (mm.c), so that
 * an overflow faults instead of corrupting what lies beneath:
 *
 *   kstack   64 KiB  the one kernel stack (boot, main loop, interrupts)
 *   IST1     16 KiB  every exception but #DF (cpu.c points vectors 0-31
 *                    there): the #PF of a kernel stack overflow, whose
 *                    stack is gone, is reported from here (trap.c)
 *   IST2      8 KiB  #DF: a fault while delivering one (e.g. IST1's own
 *                    overflow) still gets reported
 *
 * The kernel never leaves ring 0 after boot, so RSP0 is unused (it names
 * IST1).  Under kvm_pvm no TSS is loaded (cpu.c) and exceptions stay on
 * the current stack.  All first in .bss (image.ld), and not cleared at
 * boot. */
	.section .bss.kstack, "aw", @nobits
	.balign 4096
	.globl kstack_guard, kstack_bottom, kstack_top
	.globl k_ist1_guard, k_ist1_top, k_ist2_guard, k_ist2_top
kstack_guard: .skip 4096
kstack_bottom: .skip 65536
kstack_top:
k_ist1_guard: .skip 4096
	.skip 16384
k_ist1_top:
k_ist2_guard: .skip 4096
	.skip 8192
k_ist2_top:
k_stacks_end:

	.section .note.GNU-stack, "", @progbits
