/* SPDX-License-Identifier: MIT */
/*
 * boot.c - from entry.S to the application: boot info, CPU, memory, clock.
 */
#include "kernel/kernel_priv.h"

struct k_boot k_boot;
bool k_pvm;
uint64_t k_boot_tsc_raw __attribute__((section(".data"))); /* entry.S writes it before clearing .bss */


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
	if (si->cmdline_paddr) {
		const char *c = (const char *)(uintptr_t)si->cmdline_paddr;
		size_t n = strnlen(c, sizeof(k_boot.cmdline) - 1);
		memcpy(k_boot.cmdline, c, n);
		k_boot.cmdline[n] = '\0';
	}
	if (si->version < 1 || !si->memmap_paddr) {
		k_printf("nfbox: PVH start_info v%u has no memory map\n", si->version);
		k_exit(70);
	}
	const struct hvm_memmap_entry *e = (const void *)(uintptr_t)si->memmap_paddr;
	for (uint32_t i = 0; i < si->memmap_entries; i++) {
		if (e[i].type != HVM_MEMMAP_RAM || e[i].size == 0)
			continue;
		if (k_boot.n_ram == K_MEMMAP_MAX)
			break;
		k_boot.ram[k_boot.n_ram].start = e[i].addr;
		k_boot.ram[k_boot.n_ram].end = e[i].addr + e[i].size;
		k_boot.n_ram++;
		k_boot.ram_bytes += e[i].size;
	}
}

/* No stack protector in this file (image.mk): k_start's frame is live
 * while k_stack_guard_init changes the canary, so a check in it would
 * compare the old value with the new one.  (k_start never returns, but
 * the attribute says so where it matters.) */
__attribute__((noreturn, no_stack_protector)) void k_start(const struct hvm_start_info *si);
__attribute__((noreturn, no_stack_protector)) void k_start(const struct hvm_start_info *si)
{
	k_boot.tsc = k_boot_tsc_raw;
	uint16_t cs;
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	k_pvm = (cs & 3) != 0;
	k_stack_guard_init();
	/* No k_console_init() here: the UART is set up by its first output
	 * (the ready line, or a fatal message), off the boot path. */
	read_start_info(si);
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
