/* SPDX-License-Identifier: MIT */
/*
 * alloc.c - the init-time allocator behind sys_alloc()/sys_free().
 *
 * A first-fit, address-ordered free list threaded through the free memory
 * itself, coalescing on free.  Every allocation carries a 16-byte header
 * just below the pointer: where its block starts and how long it is, so
 * sys_free() needs no size.  Blocks are multiples of 64 bytes.  Called at
 * init and on config reload only, never per packet: first fit is plenty.
 */
#include "kernel/kernel_priv.h"

#define GRAIN 64u

struct fblk {
	uint64_t size;          /* bytes, including this header */
	struct fblk *next;      /* next higher free block */
};

struct ahdr {
	uint64_t base;          /* start of the block */
	uint64_t size;          /* block length */
};

static struct fblk *free_list;
static size_t free_bytes;

static uint64_t up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }
static uint64_t down(uint64_t v, uint64_t a) { return v & ~(a - 1); }

/* Insert [start, start+size) into the list, merging with neighbours. */
static void insert_free(uint64_t start, uint64_t size)
{
	struct fblk **pp = &free_list, *prev = NULL;
	while (*pp && (uint64_t)(uintptr_t)*pp < start) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	struct fblk *next = *pp;
	free_bytes += size;
	if (prev && (uint64_t)(uintptr_t)prev + prev->size == start) {
		prev->size += size;
		if (next && (uint64_t)(uintptr_t)prev + prev->size == (uint64_t)(uintptr_t)next) {
			prev->size += next->size;
			prev->next = next->next;
		}
		return;
	}
	struct fblk *b = (struct fblk *)(uintptr_t)start;
	b->size = size;
	b->next = next;
	if (next && start + size == (uint64_t)(uintptr_t)next) {
		b->size += next->size;
		b->next = next->next;
	}
	*pp = b;
}

void k_alloc_add(uint64_t start, uint64_t end)
{
	start = up(start, GRAIN);
	end = down(end, GRAIN);
	if (end > start + GRAIN)
		insert_free(start, end - start);
}

void k_alloc_init(void)
{
	/* All RAM above the image and its page tables; below 1 MiB is left to
	 * firmware leftovers (ACPI RSDP scan area, EBDA). */
	uint64_t first = k_mm_first_free();
	for (uint32_t i = 0; i < k_boot.n_ram; i++) {
		uint64_t s = SYS_MAX(k_boot.ram[i].start, first);
		uint64_t e = k_boot.ram[i].end;
		if (s < e)
			k_alloc_add(s, e);
	}
}

size_t k_alloc_free_bytes(void) { return free_bytes; }

/* Largest single block available (for sizing the packet pool). */
size_t k_alloc_largest(void)
{
	size_t m = 0;
	for (struct fblk *b = free_list; b; b = b->next)
		if (b->size > m)
			m = b->size;
	return m;
}

void *sys_alloc_uninit(size_t size, size_t align)
{
	if (align < 16)
		align = 16;
	if (align & (align - 1))
		return NULL;
	if (size == 0)
		size = 1;
	struct fblk **pp = &free_list;
	for (struct fblk *b = free_list; b; pp = &b->next, b = b->next) {
		uint64_t bs = (uint64_t)(uintptr_t)b, be = bs + b->size;
		uint64_t p = up(bs + sizeof(struct ahdr), align);
		uint64_t ae = up(p + size, GRAIN);
		if (ae > be || ae < p)
			continue;
		uint64_t as = down(p - sizeof(struct ahdr), GRAIN);
		/* Unlink b, then give back the slack in front and behind. */
		*pp = b->next;
		free_bytes -= b->size;
		if (be - ae < GRAIN)
			ae = be;
		if (as - bs < GRAIN)
			as = bs;
		if (as > bs)
			insert_free(bs, as - bs);
		if (be > ae)
			insert_free(ae, be - ae);
		struct ahdr *h = (struct ahdr *)(uintptr_t)(p - sizeof(struct ahdr));
		h->base = as;
		h->size = ae - as;
		return (void *)(uintptr_t)p;
	}
	return NULL;
}

void *sys_alloc(size_t size, size_t align)
{
	void *p = sys_alloc_uninit(size, align);
	if (p)
		memset(p, 0, size);
	return p;
}

void sys_free(void *ptr)
{
	if (!ptr)
		return;
	struct ahdr *h = (struct ahdr *)ptr - 1;
	uint64_t base = h->base, size = h->size;
	if (base > (uint64_t)(uintptr_t)h || size < GRAIN || (base & (GRAIN - 1)))
		k_panic("sys_free(%p): not an allocated block", ptr);
	insert_free(base, size);
}
