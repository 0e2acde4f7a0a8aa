/* SPDX-License-Identifier: MIT */
/*
 * arena.c - memory of a parsed config: many small pieces (token texts,
 * statements, file names) bump-allocated from chunks and freed together by
 * cfg_free(); plus the doubling vectors used for statement and set arrays.
 */
#include "config/cfg_int.h"

#define CHUNK_SIZE (64u * 1024u)

struct cfg_chunk {
	struct cfg_chunk *next;
	size_t size, used;
	unsigned char data[] __attribute__((aligned(16)));
};

void *cfg_arena_alloc(struct cfg_arena *a, size_t size, size_t align)
{
	struct cfg_chunk *c = a->head;
	if (align < 1)
		align = 1;
	if (align > 16)
		return NULL; /* the chunk's data is only 16-aligned */
	if (c) {
		size_t off = (c->used + align - 1) & ~(align - 1);
		if (off <= c->size && size <= c->size - off) {
			c->used = off + size;
			return c->data + off;
		}
	}
	/* Big requests get a chunk of their own, placed behind the current
	 * one so the current chunk's free tail stays usable. */
	size_t want = size > CHUNK_SIZE / 4 ? size : CHUNK_SIZE;
	if (want > SIZE_MAX - sizeof(*c))
		return NULL;
	struct cfg_chunk *n = sys_alloc(sizeof(*n) + want, 16);
	if (!n)
		return NULL;
	n->size = want;
	n->used = size;
	if (c && want != CHUNK_SIZE) {
		n->next = c->next;
		c->next = n;
	} else {
		n->next = c;
		a->head = n;
	}
	return n->data;
}

char *cfg_arena_strndup(struct cfg_arena *a, const char *s, size_t n)
{
	if (n == SIZE_MAX)
		return NULL;
	char *d = cfg_arena_alloc(a, n + 1, 1);
	if (d) {
		if (n)
			memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

void cfg_arena_free(struct cfg_arena *a)
{
	struct cfg_chunk *c = a->head;
	while (c) {
		struct cfg_chunk *next = c->next;
		sys_free(c);
		c = next;
	}
	a->head = NULL;
}

int cfg_vec_reserve(void **vec, uint32_t *cap, size_t elem, uint64_t need)
{
	if (need <= *cap)
		return 0;
	if (need > UINT32_MAX)
		return -SYS_ENOMEM;
	uint64_t ncap = *cap ? *cap : 16;
	while (ncap < need)
		ncap *= 2;
	if (ncap > UINT32_MAX)
		ncap = UINT32_MAX;
	if (ncap > SIZE_MAX / elem)
		return -SYS_ENOMEM;
	void *n = sys_alloc((size_t)ncap * elem, 16);
	if (!n)
		return -SYS_ENOMEM;
	if (*vec && *cap)
		memcpy(n, *vec, (size_t)*cap * elem);
	sys_free(*vec);
	*vec = n;
	*cap = (uint32_t)ncap;
	return 0;
}
