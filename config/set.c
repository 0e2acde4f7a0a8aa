/* SPDX-License-Identifier: MIT */
/*
 * set.c - storing address sets compactly: 8 bytes per IPv4 prefix, 17 per
 * IPv6 one, in doubling vectors while parsing, then sorted and deduplicated
 * once.  IPv4 sorts by LSD radix on a 40-bit key (five byte passes, linear
 * in the entries: a million prefixes take a few milliseconds); IPv6 by
 * in-place heapsort (no extra memory, no recursion, n log n).
 */
#include "config/cfg_int.h"

_Static_assert(sizeof(struct cfg_prefix4) == 8, "IPv4 set entries stay 8 bytes");
_Static_assert(sizeof(struct cfg_prefix6) == 17, "IPv6 set entries stay 17 bytes");

int cfg_set_add(struct cfg_set_build *s, const struct cfg_addr *ad)
{
	if ((uint64_t)s->pub.n4 + s->pub.n6 >= CFG_SET_MAX_ENTRIES)
		return -SYS_E2BIG;
	if (ad->family == CFG_AF_V4) {
		if (cfg_vec_reserve((void **)&s->v4, &s->cap4, sizeof(*s->v4), (uint64_t)s->pub.n4 + 1))
			return -SYS_ENOMEM;
		s->v4[s->pub.n4++] = (struct cfg_prefix4){.addr = cfg_addr_v4(ad), .len = ad->prefix};
	} else {
		if (cfg_vec_reserve((void **)&s->v6, &s->cap6, sizeof(*s->v6), (uint64_t)s->pub.n6 + 1))
			return -SYS_ENOMEM;
		struct cfg_prefix6 *e = &s->v6[s->pub.n6++];
		memcpy(e->addr, ad->a, 16);
		e->len = ad->prefix;
	}
	return 0;
}

static uint64_t key4(const struct cfg_prefix4 *e)
{
	return ((uint64_t)e->addr << 8) | e->len;
}

static int sort4(struct cfg_prefix4 *v, uint32_t n)
{
	if (n < 2)
		return 0;
	struct cfg_prefix4 *tmp = sys_alloc((size_t)n * sizeof(*v), 16);
	if (!tmp)
		return -SYS_ENOMEM;
	struct cfg_prefix4 *src = v, *dst = tmp;
	for (unsigned pass = 0; pass < 5; pass++) {
		uint32_t count[256] = {0};
		unsigned shift = pass * 8;
		for (uint32_t i = 0; i < n; i++)
			count[(key4(&src[i]) >> shift) & 0xff]++;
		uint32_t sum = 0;
		for (unsigned b = 0; b < 256; b++) {
			uint32_t c = count[b];
			count[b] = sum;
			sum += c;
		}
		for (uint32_t i = 0; i < n; i++)
			dst[count[(key4(&src[i]) >> shift) & 0xff]++] = src[i];
		struct cfg_prefix4 *t = src;
		src = dst;
		dst = t;
	}
	/* Five passes: the result ended in tmp. */
	memcpy(v, src, (size_t)n * sizeof(*v));
	sys_free(tmp);
	return 0;
}

static int cmp6(const struct cfg_prefix6 *a, const struct cfg_prefix6 *b)
{
	int c = memcmp(a->addr, b->addr, 16);
	return c ? c : (int)a->len - (int)b->len;
}

static void swap6(struct cfg_prefix6 *a, struct cfg_prefix6 *b)
{
	struct cfg_prefix6 t = *a;
	*a = *b;
	*b = t;
}

static void sift6(struct cfg_prefix6 *v, size_t root, size_t n)
{
	for (;;) {
		size_t child = 2 * root + 1;
		if (child >= n)
			return;
		if (child + 1 < n && cmp6(&v[child], &v[child + 1]) < 0)
			child++;
		if (cmp6(&v[root], &v[child]) >= 0)
			return;
		swap6(&v[root], &v[child]);
		root = child;
	}
}

static void sort6(struct cfg_prefix6 *v, uint32_t n)
{
	if (n < 2)
		return;
	for (size_t i = n / 2; i-- > 0;)
		sift6(v, i, n);
	for (size_t end = n - 1; end > 0; end--) {
		swap6(&v[0], &v[end]);
		sift6(v, 0, end);
	}
}

int cfg_set_finish(struct cfg_set_build *s)
{
	if (sort4(s->v4, s->pub.n4))
		return -SYS_ENOMEM;
	sort6(s->v6, s->pub.n6);

	uint32_t w = 0;
	for (uint32_t i = 0; i < s->pub.n4; i++)
		if (w == 0 || key4(&s->v4[w - 1]) != key4(&s->v4[i]))
			s->v4[w++] = s->v4[i];
	s->pub.n4 = w;
	w = 0;
	for (uint32_t i = 0; i < s->pub.n6; i++)
		if (w == 0 || cmp6(&s->v6[w - 1], &s->v6[i]) != 0)
			s->v6[w++] = s->v6[i];
	s->pub.n6 = w;

	s->pub.v4 = s->v4;
	s->pub.v6 = s->v6;
	return 0;
}

void cfg_set_release(struct cfg_set_build *s)
{
	sys_free(s->v4);
	sys_free(s->v6);
	s->v4 = NULL;
	s->v6 = NULL;
}

bool cfg_valid_name(const char *s)
{
	char c = s[0];
	if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'))
		return false;
	for (size_t i = 1; s[i]; i++) {
		c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}
