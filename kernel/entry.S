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
 * The boot page tables map the first 1 GiB with 2 MiB pages, enough for the
 * image, its stack and the loader's start_info.  mm.c replaces them with the
 * real map (W^X, NX data) before anything else runs.
 */

#define XEN_ELFNOTE_PHYS32_ENTRY 18

#define CR0_PE (1 << 0)
#define CR0_MP (1 << 1)
#define CR0_EM (1 << 2)
#define CR0_NE (1 << 5)
#define CR0_WP (1 << 16)
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define CR4_OSFXSR (1 << 9)
#define CR4_OSXMMEXCPT (1 << 10)
#define MSR_EFER 0xc0000080
#define EFER_LME (1 << 8)
#define EFER_NXE (1 << 11)

#define MSR_MTRR_DEF_TYPE 0x2ff
#define MTRR_ENABLE (1 << 11)
#define MTRR_TYPE_WB 6

#define SEL_CODE64 0x08
#define SEL_DATA 0x10

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

	.section .text.nfb_entry, "ax", @progbits
	.code32
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
	 * memory is uncacheable (SDM vol. 3A 12.11.2.1) -- which is how qboot
	 * leaves microvm, and it makes every RAM access thousands of times
	 * slower.  If the firmware did not enable them, make write-back the
	 * default; devices are mapped with PCD|PWT (PAT entry 3 = UC, which
	 * wins over WB, SDM vol. 3A table 12-7). */
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
	movw $SEL_DATA, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movl $kstack_top, %esp

	/* Clear .bss (the loader zero-fills it too, but nothing says it must
	 * for memory beyond p_filesz of a PT_LOAD that it did not own). */
	movl $__bss_start, %edi
	movl $__bss_end, %ecx
	subl %edi, %ecx
	xorl %eax, %eax
	rep stosb

	/* Boot page tables: PML4[0] -> PDPT[0] -> PD with 512 x 2 MiB. */
	movl $boot_pdpt, %eax
	orl $3, %eax
	movl %eax, boot_pml4
	movl $boot_pd, %eax
	orl $3, %eax
	movl %eax, boot_pdpt
	movl $boot_pd, %edi
	movl $0x83, %eax        /* present | writable | page size (2 MiB) */
	movl $512, %ecx
2:	movl %eax, (%edi)
	addl $0x200000, %eax
	addl $8, %edi
	loop 2b

	movl %cr4, %eax
	orl $(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT), %eax
	movl %eax, %cr4
	movl $boot_pml4, %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $(EFER_LME | EFER_NXE), %eax
	wrmsr
	/* SSE (SDM vol. 3A 13.1.3): CR0.EM=0, CR0.MP=1, CR4.OSFXSR/OSXMMEXCPT. */
	movl %cr0, %eax
	andl $~CR0_EM, %eax
	orl $(CR0_PE | CR0_MP | CR0_NE | CR0_WP | CR0_PG), %eax
	movl %eax, %cr0
	ljmp $SEL_CODE64, $long_entry

	.code64
long_entry:
	movw $SEL_DATA, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorl %eax, %eax
	movw %ax, %fs
	movw %ax, %gs
	movq $kstack_top, %rsp
	fninit
	xorl %ebp, %ebp         /* backtraces end here */
	movl %esi, %edi         /* k_start(start_info) */
	call k_start
3:	cli
	hlt
	jmp 3b
	.size pvh_start32, . - pvh_start32

	/* Writable: the CPU sets descriptors' accessed bits and LTR sets the
	 * TSS busy bit (SDM vol. 3A 3.4.5, 7.2.2). */
	.section .data
	.balign 16
	.globl k_gdt
k_gdt:
	.quad 0                         /* null */
	.quad 0x00af9b000000ffff        /* 0x08: 64-bit code, DPL 0, accessed */
	.quad 0x00cf93000000ffff        /* 0x10: data, DPL 0, accessed */
	.quad 0                         /* 0x18: TSS (16 bytes, filled in */
	.quad 0                         /*       by cpu.c) */
k_gdt_end:
gdt_ptr:
	.word k_gdt_end - k_gdt - 1
	.quad k_gdt

	.section .bss.boot, "aw", @nobits
	.balign 4096
boot_pml4: .skip 4096
boot_pdpt: .skip 4096
boot_pd: .skip 4096

/* The one kernel stack, with an unmapped guard page below it (mm.c) so
 * that an overflow faults instead of corrupting .bss. */
	.section .bss.kstack, "aw", @nobits
	.balign 4096
	.globl kstack_guard, kstack_bottom, kstack_top
kstack_guard: .skip 4096
kstack_bottom: .skip 65536
kstack_top:

	.section .note.GNU-stack, "", @progbits
