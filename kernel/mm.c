/* SPDX-License-Identifier: MIT */
/*
 * mm.c - the page tables: an identity map of RAM with W^X.
 *
 * 4-level paging (SDM vol. 3A 5.5).  RAM from the PVH memory map is mapped
 * read/write and no-execute with the largest pages that fit (1 GiB where
 * the CPU has them, else 2 MiB, 4 KiB at unaligned edges); the image itself
 * with 4 KiB pages: text read+execute, rodata and the symbol table read-only
 * no-execute, data/bss read/write no-execute.  Page 0 (NULL) and the page
 * below the kernel stack are not mapped.  No page is ever writable and
 * executable.  CR0.WP makes read-only binding in ring 0 too.  Every page
 * is user-accessible: under kvm_pvm the kernel runs at underlying CPL 3
 * (entry.S says why), so SMEP and SMAP stay off.
 *
 * Devices are mapped on demand with k_map_mmio() as uncached (PCD|PWT).
 */
#include "kernel/kernel_priv.h"

#define PTE_P (1ull << 0)
#define PTE_W (1ull << 1)
#define PTE_U (1ull << 2)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_PS (1ull << 7)
#define PTE_NX (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull

#define KB4 0x1000ull
#define MB2 0x200000ull
#define GB1 0x40000000ull

#define ATTR_RW (PTE_P | PTE_U | PTE_W | PTE_NX)
#define ATTR_RO (PTE_P | PTE_U | PTE_NX)
#define ATTR_RX (PTE_P | PTE_U)
#define ATTR_MMIO (PTE_P | PTE_U | PTE_W | PTE_NX | PTE_PCD | PTE_PWT)

static uint64_t *pml4;
extern uint64_t boot_pml4[512], boot_pdpt[512]; /* entry.S: live at boot */
static bool gb_pages;
/* Page-table pages before the allocator exists: bump-allocated right after
 * the image (inside the first GiB, which the boot tables map). */
static uint64_t pt_bump;
static bool mm_live;

static uint64_t *pt_page(void)
{
	void *p;
	if (mm_live) {
		p = sys_alloc(KB4, KB4);
		if (!p)
			return NULL;
	} else {
		p = (void *)(uintptr_t)pt_bump;
		pt_bump += KB4;
		memset(p, 0, KB4);
	}
	return p;
}

/* Entry for `va` in the table at `level` (3 = PDPT, 2 = PD, 1 = PT), creating
 * intermediate tables.  NULL if out of memory or a large page is in the way
 * (then *large is set). */
static uint64_t *walk(uint64_t va, int level, bool *large)
{
	uint64_t *t = pml4;
	*large = false;
	for (int l = 4; l > level; l--) {
		uint64_t *e = &t[(va >> (12 + 9 * (l - 1))) & 511];
		if (!(*e & PTE_P)) {
			uint64_t *n = pt_page();
			if (!n)
				return NULL;
			/* Intermediate entries allow everything; leaves restrict
			 * (SDM vol. 3A 5.6: rights are the AND along the walk). */
			*e = (uint64_t)(uintptr_t)n | PTE_P | PTE_W | PTE_U;
		} else if (*e & PTE_PS) {
			*large = true;
			return NULL;
		}
		t = (uint64_t *)(uintptr_t)(*e & PTE_ADDR);
	}
	return &t[(va >> (12 + 9 * (level - 1))) & 511];
}

/* Map [start, end) (4 KiB aligned) identity with `attr`.  Entries already
 * present are left alone (a device window shared by two BARs). */
static int map_range(uint64_t start, uint64_t end, uint64_t attr)
{
	uint64_t va = start;
	while (va < end) {
		uint64_t left = end - va;
		int level;
		uint64_t step;
		if (gb_pages && (va & (GB1 - 1)) == 0 && left >= GB1) {
			level = 3;
			step = GB1;
		} else if ((va & (MB2 - 1)) == 0 && left >= MB2) {
			level = 2;
			step = MB2;
		} else {
			level = 1;
			step = KB4;
		}
		bool large;
		uint64_t *e = walk(va, level, &large);
		if (!e) {
			if (!large)
				return -SYS_ENOMEM;
			/* Inside an existing large page: already mapped. */
			va += KB4;
			continue;
		}
		if (!(*e & PTE_P))
			*e = va | attr | (level > 1 ? PTE_PS : 0);
		va += step;
	}
	return 0;
}

static uint64_t up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }
static uint64_t down(uint64_t v, uint64_t a) { return v & ~(a - 1); }

/* Map the part of [a, b) that lies in RAM, with attr. */
static void map_ram_part(uint64_t a, uint64_t b, uint64_t attr)
{
	for (uint32_t i = 0; i < k_boot.n_ram; i++) {
		uint64_t s = up(SYS_MAX(a, k_boot.ram[i].start), KB4);
		uint64_t e = down(SYS_MIN(b, k_boot.ram[i].end), KB4);
		if (s < e && map_range(s, e, attr) < 0) {
			k_printf("nfbox: out of memory for page tables\n");
			k_exit(K_EXIT_PLATFORM);
		}
	}
}

static void map_image(uint64_t a, uint64_t b, uint64_t attr)
{
	if (a < b && map_range(a, b, attr) < 0) {
		k_printf("nfbox: out of memory for page tables\n");
		k_exit(K_EXIT_PLATFORM);
	}
}

#define U(sym) ((uint64_t)(uintptr_t)(sym))

void k_mm_init(void)
{
	uint32_t r[4];
	k_cpuid(0x80000000u, 0, r);
	if (r[0] >= 0x80000001u) {
		k_cpuid(0x80000001u, 0, r);
		gb_pages = (r[3] >> 26) & 1; /* CPUID.80000001H:EDX.Page1GB */
	}
	pt_bump = U(__image_end);
	pml4 = pt_page();

	/* Everything outside the image and the page-table area: RAM, RW+NX.
	 * Below 1 MiB only RAM the map reports; page 0 stays unmapped. */
	/* kvm_pvm needs page 0 mapped (measured: without it the VM dies at
	 * its first trap); elsewhere NULL stays unmapped. */
	map_ram_part(k_pvm ? 0 : KB4, U(__image_start), ATTR_RW);
	/* The image, section by section (image.ld aligns them to pages). */
	map_image(U(__text_start), U(__text_end), ATTR_RX);
	map_image(U(__rodata_start), U(__rodata_end), ATTR_RO);
	map_image(U(__data_start), U(kstack_guard), ATTR_RW);
	/* kstack_guard .. kstack_bottom: the guard page, left unmapped */
	map_image(U(kstack_bottom), U(__data_end), ATTR_RW);
	map_image(U(__ksyms_start) & ~(KB4 - 1), U(__image_end), ATTR_RO);
	/* Page tables made so far, and the rest of RAM.  The bump area keeps
	 * growing while we map, so map a generous window for it first: 64
	 * pages cover the tables for a terabyte of RAM. */
	uint64_t pt_end = U(__image_end) + 64 * KB4;
	map_ram_part(U(__image_end), pt_end, ATTR_RW);
	map_ram_part(pt_end, ~0ull, ATTR_RW);
	if (pt_bump > pt_end) {
		k_printf("nfbox: page tables overflowed their area\n");
		k_exit(K_EXIT_PLATFORM);
	}
	pt_bump = pt_end;

	if (k_pvm) {
		/* No MOV CR3 in PVM supervisor mode.  The PVM MMU shadows guest
		 * page tables and tracks writes to them (pvm-spec.rst,
		 * "Paging"), so switch the live boot tables over in place, one
		 * level below the root (rewriting the root's own entries was
		 * not picked up, measured), and keep editing the live tables
		 * from then on (k_map_mmio). */
		uint64_t *new_pdpt = (uint64_t *)(uintptr_t)(pml4[0] & PTE_ADDR);
		for (int i = 0; i < 512; i++)
			if (boot_pdpt[i] != new_pdpt[i])
				boot_pdpt[i] = new_pdpt[i];
		for (int i = 1; i < 512; i++)
			if (pml4[i] != boot_pml4[i])
				boot_pml4[i] = pml4[i];
		pml4 = boot_pml4;
	} else {
		__asm__ volatile("mov %0, %%cr3" ::"r"(pml4) : "memory");
	}
	mm_live = true;
}

uint64_t k_mm_cr3(void) { return (uint64_t)(uintptr_t)pml4; }

/* First byte of RAM the allocator may hand out. */
uint64_t k_mm_first_free(void) { return pt_bump; }

int k_map_mmio(uintptr_t addr, size_t len)
{
	if (len == 0)
		return 0;
	uint64_t s = down(addr, KB4), e = up((uint64_t)addr + len, KB4);
	int rc = map_range(s, e, ATTR_MMIO);
	/* New mappings only: no stale TLB entry can exist for a not-present
	 * entry on this single CPU (SDM vol. 3A 5.10.4.3), but a flush is
	 * cheap on this cold path and covers a changed intermediate table. */
	if (!k_pvm) { /* PVM: writes to shadowed tables are tracked, see k_mm_init */
		uint64_t cr3;
		__asm__ volatile("mov %%cr3, %0; mov %0, %%cr3" : "=r"(cr3)::"memory");
	}
	return rc;
}
