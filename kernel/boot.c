/* SPDX-License-Identifier: MIT */
/*
 * boot.c - from entry.S to the application: boot info, CPU, memory, clock.
 */
#include "kernel/kernel_priv.h"

struct k_boot k_boot;
bool k_pvm;
uint64_t k_boot_tsc_raw __attribute__((section(".data"))); /* entry.S writes it before clearing .bss */
uint32_t k_boot_mb_magic __attribute__((section(".data"))); /* the same: a Multiboot2 loader's %eax */

#define MB2_BOOT_MAGIC 0x36d76289u /* in %eax from a Multiboot2 loader */

/* Multiboot2 spec 3.6: the information is a u32 total size, a u32
 * reserved, then tags of {u32 type, u32 size, ...}, each 8-aligned, up
 * to an end tag (type 0). */
struct mb2_tag {
	uint32_t type, size;
};
#define MB2_TAG_END 0
#define MB2_TAG_CMDLINE 1 /* a NUL-terminated string */
#define MB2_TAG_MMAP 6    /* u32 entry_size, u32 entry_version, entries */
struct mb2_mmap_entry {
	uint64_t addr, len;
	uint32_t type; /* 1: RAM */
	uint32_t reserved;
};

static void add_ram(uint64_t addr, uint64_t size)
{
	if (size == 0 || k_boot.n_ram == K_MEMMAP_MAX)
		return;
	k_boot.ram[k_boot.n_ram].start = addr;
	k_boot.ram[k_boot.n_ram].end = addr + size;
	k_boot.n_ram++;
	k_boot.ram_bytes += size;
}

static void copy_cmdline(uint64_t paddr)
{
	if (!paddr)
		return;
	const char *c = (const char *)(uintptr_t)paddr;
	size_t n = strnlen(c, sizeof(k_boot.cmdline) - 1);
	memcpy(k_boot.cmdline, c, n);
	k_boot.cmdline[n] = '\0';
}

/* A bootloader's Multiboot2 information (GRUB, from a disk that `nfbox
 * build --format raw` made): the command line from GRUB's `multiboot2`
 * line and the BIOS memory map.  No RSDP: acpi.c finds it in the BIOS
 * area. */
static void read_multiboot2_info(const uint8_t *mbi)
{
	uint32_t total;
	memcpy(&total, mbi, 4);
	bool have_map = false;
	for (uint32_t off = 8; off + sizeof(struct mb2_tag) <= total;) {
		const struct mb2_tag *t = (const void *)(mbi + off);
		if (t->type == MB2_TAG_END || t->size < sizeof(*t))
			break;
		if (t->type == MB2_TAG_CMDLINE) {
			/* Some loaders start it with the image's path: the
			 * arguments after it are ours. */
			const char *c = (const char *)(t + 1);
			if (*c == '/') {
				while (*c && *c != ' ')
					c++;
				c += *c == ' ';
			}
			copy_cmdline((uintptr_t)c);
		} else if (t->type == MB2_TAG_MMAP) {
			const uint32_t *h = (const uint32_t *)(t + 1); /* entry_size, entry_version */
			for (uint32_t e = 16; h[0] >= sizeof(struct mb2_mmap_entry) && e + h[0] <= t->size;
			     e += h[0]) {
				const struct mb2_mmap_entry *m = (const void *)((const uint8_t *)t + e);
				if (m->type == 1)
					add_ram(m->addr, m->len);
			}
			have_map = true;
		}
		off += (t->size + 7) & ~7u;
	}
	if (!have_map) {
		k_printf("nfbox: the Multiboot2 loader gave no memory map\n");
		k_exit(70);
	}
	/* The BIOS left the 8259 PICs programmed (IRQ 0-7 at vectors 8-15)
	 * and the local APIC's LINT0 in virtual-wire mode: its timer tick
	 * would arrive as an exception at the first STI (seen: #GP).  Mask
	 * them all (OCW1); interrupts come through the local APIC, MSI and
	 * the IOAPIC only.  PVH loaders leave no BIOS behind. */
	k_outb(0x21, 0xff);
	k_outb(0xa1, 0xff);
}

/* Copy what we need out of the loader's start_info before page tables and
 * the allocator may reuse the memory it sits in (PVH ABI: it lives in RAM the
 * loader does not reserve). */
static void read_start_info(const struct hvm_start_info *si)
{
	if (si->magic != HVM_START_MAGIC) {
		k_printf("nfbox: bad PVH start_info magic %#x\n", si->magic);
		k_exit(70);
	}
	k_boot.rsdp = si->rsdp_paddr;
	copy_cmdline(si->cmdline_paddr);
	if (si->version < 1 || !si->memmap_paddr) {
		k_printf("nfbox: PVH start_info v%u has no memory map\n", si->version);
		k_exit(70);
	}
	const struct hvm_memmap_entry *e = (const void *)(uintptr_t)si->memmap_paddr;
	for (uint32_t i = 0; i < si->memmap_entries; i++)
		if (e[i].type == HVM_MEMMAP_RAM)
			add_ram(e[i].addr, e[i].size);
}

/* No stack protector in this file (image.mk): k_start's frame is live
 * while k_stack_guard_init changes the canary, so a check in it would
 * compare the old value with the new one.  (k_start never returns, but
 * the attribute says so where it matters.) */
__attribute__((noreturn, no_stack_protector)) void k_start(const void *boot_info);
__attribute__((noreturn, no_stack_protector)) void k_start(const void *boot_info)
{
	k_boot.tsc = k_boot_tsc_raw;
	uint16_t cs;
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	k_pvm = (cs & 3) != 0;
	k_stack_guard_init();
	/* No k_console_init() here: the UART is set up by its first output
	 * (the ready line, or a fatal message), off the boot path. */
	if (k_boot_mb_magic == MB2_BOOT_MAGIC)
		read_multiboot2_info(boot_info);
	else
		read_start_info(boot_info);
	k_cpu_init();
	k_mm_init();

	k_alloc_init();
	k_time_init();
	k_selftest(); /* nfbox.selftest=NAME only */

	k_exit(k_app_main());
}

const char *k_cmdline(void) { return k_boot.cmdline; }

const char *k_cmdline_value(const char *key, size_t *len)
{
	const char *c = k_boot.cmdline;
	size_t kl = strlen(key);
	while (*c) {
		while (*c == ' ')
			c++;
		if (strncmp(c, key, kl) == 0 && c[kl] == '=') {
			const char *v = c + kl + 1;
			*len = 0;
			while (v[*len] && v[*len] != ' ')
				(*len)++;
			return v;
		}
		while (*c && *c != ' ')
			c++;
	}
	return NULL;
}
uint64_t k_boot_tsc(void) { return k_boot.tsc; }
uint64_t k_ram_bytes(void) { return k_boot.ram_bytes; }

/* isa-debug-exit (QEMU hw/misc/debugexit.c): a write of v to its port ends
 * QEMU with status (v << 1) | 1. */
#define DEBUG_EXIT_PORT 0xf4

void k_exit(int code)
{
	k_console_flush();
	k_outl(DEBUG_EXIT_PORT, (uint32_t)code);
	/* No debug-exit device: ACPI S5 through q35's PM1a control block
	 * (ICH9 PMBASE 0x600 as QEMU's q35 sets it; SLP_EN | SLP_TYP 0). */
	k_outw(0x604, 0x2000);
	/* Last resort: a triple fault (QEMU with -no-reboot then exits). */
	static const struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) no_idt = {0, 0};
	__asm__ volatile("lidt %0; int3" ::"m"(no_idt));
	for (;;)
		__asm__ volatile("ud2");
}
