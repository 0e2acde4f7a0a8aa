/* SPDX-License-Identifier: MIT */
/*
 * pkt.c - the buffer pool: one allocation at creation, a LIFO free stack.
 *
 * Creation writes only the stack of pointers, never a buffer: the buffer
 * area comes from sys_alloc_uninit and each buffer's metadata (including
 * its pool) is written when it is handed out (pkt_alloc_bulk).  In the image
 * the first touch of a page is a (nested, shadow) page fault, ~1 us under
 * kvm_pvm: writing 1024 buffers at boot cost 512 of them (~0.5-5 ms).  Now a
 * buffer's page is first touched when a ring or a function first takes it.
 */
#include "nfb/pkt.h"

_Static_assert((PKT_BUF_SIZE & (PKT_BUF_SIZE - 1)) == 0, "buffer size is a power of two");
_Static_assert(PKT_DATA_ROOM >= 1522, "a buffer holds a full tagged frame");

struct pkt_pool *pkt_pool_create(uint32_t count)
{
	if (count == 0)
		return NULL;
	struct pkt_pool *pool = sys_alloc(sizeof(*pool), SYS_CACHE_LINE);
	if (!pool)
		return NULL;
	pool->free = sys_alloc_uninit((size_t)count * sizeof(struct pkt *), SYS_CACHE_LINE);
	/* Buffers aligned to their size: a buffer never straddles a page
	 * boundary's worth of cache sets unevenly, and device DMA descriptors
	 * stay within one 4 KiB page when PKT_BUF_SIZE <= 4096. */
	pool->mem = sys_alloc_uninit((size_t)count * PKT_BUF_SIZE, PKT_BUF_SIZE);
	if (!pool->free || !pool->mem) {
		sys_free(pool->free);
		sys_free(pool->mem);
		sys_free(pool);
		return NULL;
	}
	pool->capacity = count;
	/* Stack order: buffer 0 on top, so the first allocations are the
	 * lowest addresses (easier to read in a debugger, and the pages a
	 * partly used pool touches are contiguous). */
	for (uint32_t i = 0; i < count; i++)
		pool->free[i] = (struct pkt *)(pool->mem + (size_t)(count - 1 - i) * PKT_BUF_SIZE);
	pool->n_free = count;
	return pool;
}

void pkt_pool_destroy(struct pkt_pool *pool)
{
	if (!pool)
		return;
	sys_free(pool->free);
	sys_free(pool->mem);
	sys_free(pool);
}

int pkt_set_data(struct pkt *p, const void *bytes, uint32_t len)
{
	if (len > (uint32_t)(pkt_buf_end(p) - p->data))
		return -SYS_E2BIG;
	memcpy(p->data, bytes, len);
	p->len = (uint16_t)len;
	return 0;
}

