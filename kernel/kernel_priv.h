/* SPDX-License-Identifier: MIT */
/*
 * kernel_priv.h - what kernel/ files share among themselves (not exported to
 * drivers or the application; those see kernel/kernel.h).
 */
#ifndef NFB_KERNEL_PRIV_H
#define NFB_KERNEL_PRIV_H

#include "kernel/kernel.h"

/* ---- linker-script symbols (kernel/image.ld) ---- */
extern char __image_start[], __image_end[];
extern char __text_start[], __text_end[];
extern char __rodata_start[], __rodata_end[];
extern char __data_start[], __data_end[];
extern char __bss_start[], __bss_end[];
extern char __ksyms_start[], __ksyms_end[];
extern char kstack_guard[], kstack_bottom[], kstack_top[];
extern char k_ist1_guard[], k_ist1_top[], k_ist2_guard[], k_ist2_top[];

/* ---- PVH start info (Xen include/public/arch-x86/hvm/start_info.h) ---- */
#define HVM_START_MAGIC 0x336ec578u
struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	/* version >= 1 */
	uint64_t memmap_paddr;
	uint32_t memmap_entries;
	uint32_t reserved;
};
struct hvm_memmap_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type; /* E820 types: 1 RAM, 2 reserved, 3 ACPI, 4 NVS, 5 bad */
	uint32_t reserved;
};
#define HVM_MEMMAP_RAM 1

#define K_MEMMAP_MAX 32
struct k_boot {
	uint64_t tsc;                   /* TSC at entry (entry.S) */
	uint64_t rsdp;                  /* ACPI RSDP, 0 if not given */
	uint32_t n_ram;
	struct {
		uint64_t start, end;    /* [start, end) usable RAM */
	} ram[K_MEMMAP_MAX];
	uint64_t ram_bytes;
	char cmdline[512];
};
extern struct k_boot k_boot;

/* k_pvm (kernel.h): kvm_pvm's PVM supervisor mode. */

/* ---- console.c ---- */
void k_console_init(void);
void k_console_flush(void);             /* write out what boot buffered */
void k_console_rx_irq(bool on);

/* ---- mm.c ---- */
void k_mm_init(void);
uint64_t k_mm_first_free(void);
uint64_t k_mm_cr3(void);
/* What the page at `addr` is ("text (read/execute)", "the kernel stack's
 * guard page: kernel stack overflow", ...), for fault reports. */
const char *k_mm_region(uint64_t addr);
/* Check every page of the image, the page tables and some heap against
 * the layout (mm.c), count W+X leaves, read CR0.WP and EFER.NXE; prints a
 * line per range and returns the number of problems (0: all as designed). */
int k_mm_check(void);

/* ---- alloc.c ---- */
void k_alloc_init(void);
void k_alloc_add(uint64_t start, uint64_t end);
size_t k_alloc_free_bytes(void);

/* ---- cpu.c / trap.c ---- */
void k_cpu_init(void);
extern bool k_ist_on; /* exceptions run on IST stacks (cpu.c; not under kvm_pvm) */
const char *k_sym_lookup(uint64_t addr, uint64_t *off);
struct k_regs;
void k_trap(struct k_regs *r);
void k_irq_dispatch(uint64_t vector);
uint32_t k_apic_id(void); /* apic.c: this CPU's APIC id (brings the local APIC up) */

/* ---- time.c ---- */
void k_time_init(void);

/* ---- acpi.c ---- */
uint64_t k_acpi_mcfg(uint8_t *bus_end); /* ECAM base (0: none) */
struct k_acpi_ioapic {
	uint8_t id;
	uint32_t addr;      /* register window */
	uint32_t gsi_base;  /* first GSI it serves */
};
/* The MADT's I/O APICs, at most `max`, in table order; 0 without ACPI. */
int k_acpi_ioapics(struct k_acpi_ioapic *out, int max);

/* ---- misc ---- */
void k_stack_guard_init(void);
/* A 64-bit seed: RDRAND where CPUID has it (a few tries), else the TSC,
 * mixed; *hw tells which. */
uint64_t k_rdrand_or_tsc(bool *hw);
extern const char *k_stack_guard_source; /* "RDRAND" or "RDTSC" */
extern uintptr_t __stack_chk_guard, k_stack_tls[8];
/* The canary until k_stack_guard_init replaces it. */
#define K_STACK_GUARD_BUILTIN 0x2f8a51c3e609d74bull
/* ---- selftest.c ---- */
/* nfbox.selftest=NAME on the kernel command line: run that test (which
 * should fault, and never returns); nothing without the option. */
void k_selftest(void);
/* The XCR0 that k_cpu_init set: which vector state the image may use. */
extern uint64_t k_xcr0;

static inline uint64_t k_rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}
static inline void k_wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}
static inline void k_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

#endif
