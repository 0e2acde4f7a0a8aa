/* SPDX-License-Identifier: MIT */
/*
 * pvh_floor.S - the smallest PVH kernel: the floor of "exec -> ready".
 *
 * bench/boot_time.sh boots it through `nfbox run` exactly like an image
 * (same QEMU, machine, firmware and flags), so the time to its "ready" line
 * is what QEMU and the firmware cost before any nfbox code runs.  At the
 * PVH entry (32-bit protected mode, see kernel/entry.S) it writes one line
 * to COM1 with a single `rep outsb` and ends QEMU through isa-debug-exit
 * (status 0); without that device, a triple fault (nfbox run passes
 * -no-reboot, so QEMU exits).
 */
#define XEN_ELFNOTE_PHYS32_ENTRY 18

	.section .note.pvh, "a", @note
	.balign 4
	.long 4
	.long 8
	.long XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.quad floor_entry

	.text
	.code32
	.globl floor_entry
floor_entry:
	movw $0x3f8, %dx
	movl $msg, %esi
	movl $msg_end - msg, %ecx
	cld
	rep outsb
	movw $0xf4, %dx
	xorl %eax, %eax
	outl %eax, %dx
	lidt no_idt
	int3
1:	hlt
	jmp 1b

msg:	.ascii "floor: ready\n"
msg_end:
	.balign 8
no_idt:	.word 0
	.long 0

	.section .note.GNU-stack, "", @progbits
