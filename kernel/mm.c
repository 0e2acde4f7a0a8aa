/* SPDX-License-Identifier: MIT */
/*
 * mm.c - the page tables: an identity map of RAM with W^X.
 *
 * 4-level paging (SDM vol. 3A 5.5), virtual == physical.  The layout and
 * what each part may do (R read, W write, X execute; image.ld aligns every
 * boundary in the image to 4 KiB, so the permissions change exactly there):
 *
 *   0               page 0 (NULL)           unmapped (kvm_pvm: RW, see below)
 *   4 KiB           RAM below 1 MiB         RW   (only what the memory map says)
 *   1 MiB           .text                   R X  __text_start .. __text_end
 *                   .rodata, PVH note,      R    __rodata_start .. __rodata_end
 *                   registries, config blob
 *                   .data                   RW   __data_start ..
 *                   .bss: guard page        --   kstack_guard (unmapped)
 *                         kernel stack 64K  RW   kstack_bottom .. kstack_top
 *                         guard page        --   k_ist1_guard
 *                         IST1 stack 16K    RW   exceptions (cpu.c)
 *                         guard page        --   k_ist2_guard
 *                         IST2 stack 8K     RW   #DF
 *                         the rest of .bss  RW   .. __data_end
 *                   .ksyms                  R    symbol table (trap.c)
 *   __image_end     page tables (64 pages)  RW
 *                   heap: the rest of RAM   RW   sys_alloc: packet pool,
 *                                                flow tables, rings
 *   above RAM       device windows          RW, uncached, on demand (k_map_mmio)
 *
 * Nothing is ever both writable and executable: only .text is executable,
 * and everything but .text is no-execute (EFER.NXE, entry.S; without NX in
 * CPUID the NX bit is reserved and left out, and the boot says so).
 * CR0.WP (entry.S) makes read-only binding in ring 0 too: the kernel itself
 * cannot write its code or constants.  nfbox.selftest=wx-map checks every
 * page of this against the table, and the other selftests fault on purpose
 * (kernel/selftest.c).
 *
 * Page sizes: the largest that fit (1 GiB where the CPU has them, else
 * 2 MiB, 4 KiB at unaligned edges).  The image is loaded at 1 MiB, so all
 * of it -- text included -- sits in 4 KiB pages below 2 MiB (as it did
 * before W^X: the boot tables' single 2 MiB page is replaced); the heap,
 * where packets and flow tables live, is in 2 MiB and 1 GiB pages.
 *
 * Every page is user-accessible: under kvm_pvm the kernel runs at
 * underlying CPL 3 (entry.S says why), so SMEP and SMAP stay off.
 * Intermediate entries allow everything; leaves restrict (SDM vol. 3A
 * 5.6: rights are the AND along the walk).
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
/* ~PTE_NX without NX (CPUID.80000001H:EDX.NX): bit 63 is reserved then. */
static uint64_t attr_mask = ~0ull;
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
			/* Intermediate entries allow everything. */
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
			*e = va | (attr & attr_mask) | (level > 1 ? PTE_PS : 0);
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

/* The stacks' guard pages (entry.S), in address order. */
#define N_GUARDS 3
static uint64_t guard_page(unsigned i)
{
	return i == 0 ? U(kstack_guard) : i == 1 ? U(k_ist1_guard) : U(k_ist2_guard);
}

void k_mm_init(void)
{
	uint32_t r[4];
	k_cpuid(0x80000000u, 0, r);
	if (r[0] >= 0x80000001u) {
		k_cpuid(0x80000001u, 0, r);
		gb_pages = (r[3] >> 26) & 1; /* CPUID.80000001H:EDX.Page1GB */
		if (!((r[3] >> 20) & 1))     /* CPUID.80000001H:EDX.NX (entry.S) */
			attr_mask = ~PTE_NX;
	} else {
		attr_mask = ~PTE_NX;
	}
	if (attr_mask != ~0ull)
		k_printf("nfbox: this CPU has no NX (CPUID.80000001H:EDX[20] clear): data, "
			 "heap and stacks stay executable\n");
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
	/* .data and .bss but the stacks' guard pages, left unmapped. */
	uint64_t a = U(__data_start);
	for (unsigned i = 0; i < N_GUARDS; i++) {
		map_image(a, guard_page(i), ATTR_RW);
		a = guard_page(i) + KB4;
	}
	map_image(a, U(__data_end), ATTR_RW);
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

/* ---- what an address is, and a check of the whole map ------------------------ */

/* The leaf entry that maps va, 0 if va is not mapped. */
static uint64_t leaf_of(uint64_t va)
{
	const uint64_t *t = pml4;
	for (int l = 4; l >= 1; l--) {
		uint64_t e = t[(va >> (12 + 9 * (l - 1))) & 511];
		if (!(e & PTE_P))
			return 0;
		if (l == 1 || (l < 4 && (e & PTE_PS)))
			return e;
		t = (const uint64_t *)(uintptr_t)(e & PTE_ADDR);
	}
	return 0;
}

static bool in(uint64_t a, const void *lo, const void *hi) { return a >= U(lo) && a < U(hi); }

/* The image's parts, first match wins (guard pages before their stacks). */
static const struct {
	const char *lo, *hi, *what;
} image_parts[] = {
	{kstack_guard, kstack_bottom, "the kernel stack's guard page: kernel stack overflow"},
	{k_ist1_guard, k_ist1_guard + KB4, "an exception stack's guard page: exception stack overflow"},
	{k_ist2_guard, k_ist2_guard + KB4, "an exception stack's guard page: exception stack overflow"},
	{kstack_bottom, kstack_top, "the kernel stack (read/write, no-execute)"},
	{k_ist1_guard, k_ist2_top, "an exception stack (read/write, no-execute)"},
	{__text_start, __text_end, "text (read/execute)"},
	{__rodata_start, __rodata_end, "rodata (read-only, no-execute)"},
	{__data_start, __data_end, "data/bss (read/write, no-execute)"},
	{__ksyms_start, __image_end, "the symbol table (read-only, no-execute)"},
};

const char *k_mm_region(uint64_t a)
{
	if (a < KB4)
		return "page 0 (NULL pointer)";
	for (size_t i = 0; i < SYS_ARRAY_SIZE(image_parts); i++)
		if (in(a, image_parts[i].lo, image_parts[i].hi))
			return image_parts[i].what;
	for (uint32_t i = 0; i < k_boot.n_ram; i++)
		if (a >= k_boot.ram[i].start && a < k_boot.ram[i].end)
			return a < U(__image_start) ? "low memory (read/write, no-execute)"
			       : a < pt_bump	    ? "the page tables (read/write, no-execute)"
						    : "the heap (read/write, no-execute)";
	return "outside RAM";
}

/* Leaves under table t at `level`; counts them and the writable+executable
 * ones. */
static void count_leaves(const uint64_t *t, int level, uint64_t *leaves, uint64_t *wx)
{
	for (int i = 0; i < 512; i++) {
		uint64_t e = t[i];
		if (!(e & PTE_P))
			continue;
		if (level == 1 || (level < 4 && (e & PTE_PS))) {
			(*leaves)++;
			if ((e & PTE_W) && !(e & PTE_NX))
				(*wx)++;
			continue;
		}
		count_leaves((const uint64_t *)(uintptr_t)(e & PTE_ADDR), level - 1, leaves, wx);
	}
}

/* Every 4 KiB page of [lo, hi) must have the bits in `mask` equal to
 * `want`.  Returns the number of pages that do not, printing the first. */
static uint64_t expect(const char *what, uint64_t lo, uint64_t hi, uint64_t mask, uint64_t want)
{
	uint64_t bad = 0, pages = 0;
	want &= attr_mask;
	mask &= attr_mask;
	for (uint64_t a = lo; a < hi; a += KB4, pages++) {
		uint64_t e = leaf_of(a);
		if ((e & mask) != want && bad++ == 0)
			k_printf("nfbox: wx-map: %s: page %#lx has entry %#lx, want bits %#lx of %#lx\n",
				 what, (unsigned long)a, (unsigned long)e, (unsigned long)want,
				 (unsigned long)mask);
	}
	k_printf("nfbox: wx-map: %-13s %#9lx-%#9lx %4lu pages %s\n", what, (unsigned long)lo,
		 (unsigned long)hi, (unsigned long)pages, bad ? "WRONG" : "ok");
	return bad;
}

int k_mm_check(void)
{
	const uint64_t perm = PTE_P | PTE_W | PTE_NX;
	uint64_t bad = 0, leaves = 0, wx = 0;
	bad += expect("text R-X", U(__text_start), U(__text_end), perm, PTE_P);
	bad += expect("rodata R--", U(__rodata_start), U(__rodata_end), perm, PTE_P | PTE_NX);
	uint64_t a = U(__data_start);
	for (unsigned i = 0; i < N_GUARDS; i++) {
		bad += expect("data/bss RW-", a, guard_page(i), perm, PTE_P | PTE_W | PTE_NX);
		bad += expect("stack guard", guard_page(i), guard_page(i) + KB4, PTE_P, 0);
		a = guard_page(i) + KB4;
	}
	bad += expect("data/bss RW-", a, U(__data_end), perm, PTE_P | PTE_W | PTE_NX);
	bad += expect("ksyms R--", U(__ksyms_start), U(__image_end), perm, PTE_P | PTE_NX);
	bad += expect("page tables", U(__image_end), pt_bump, perm, PTE_P | PTE_W | PTE_NX);
	/* The heap: its first 2 MiB (the rest is mapped by the same code). */
	bad += expect("heap RW-", pt_bump, pt_bump + MB2, perm, PTE_P | PTE_W | PTE_NX);
	if (!k_pvm)
		bad += expect("page 0", 0, KB4, PTE_P, 0);
	count_leaves(pml4, 4, &leaves, &wx);
	k_printf("nfbox: wx-map: %lu leaf entries, %lu writable and executable\n",
		 (unsigned long)leaves, (unsigned long)wx);
	bad += wx;
	if (attr_mask != ~0ull) {
		k_printf("nfbox: wx-map: no NX on this CPU\n");
		bad++;
	}
	if (k_pvm) {
		/* CR0 and EFER cannot be read in PVM supervisor mode (#GP). */
		k_printf("nfbox: wx-map: CR0.WP and EFER.NXE not readable under kvm_pvm\n");
	} else {
		uint64_t cr0;
		__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
		uint64_t efer = k_rdmsr(0xc0000080u);
		k_printf("nfbox: wx-map: CR0.WP %s, EFER.NXE %s\n", (cr0 >> 16) & 1 ? "on" : "OFF",
			 (efer >> 11) & 1 ? "on" : "OFF");
		bad += !((cr0 >> 16) & 1) + !((efer >> 11) & 1);
	}
	return (int)bad;
}
