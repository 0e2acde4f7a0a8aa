/* SPDX-License-Identifier: MIT */
/* fw_set.c - compiled address sets (see fw_set.h). */
#include "nf/firewall/fw_set.h"

struct fw_set *fw_set_build(const struct cfg_set *cs)
{
	struct fw_set *s = sys_alloc(sizeof(*s), 8);
	if (!s)
		return NULL;
	s->n4 = cs->n4;
	s->n6 = cs->n6;
	s->v4 = sys_alloc((size_t)(cs->n4 ? cs->n4 : 1) * sizeof(*s->v4), 8);
	s->v6 = sys_alloc((size_t)(cs->n6 ? cs->n6 : 1) * sizeof(*s->v6), 8);
	if (!s->v4 || !s->v6)
		goto fail;
	if (cs->n4)
		memcpy(s->v4, cs->v4, (size_t)cs->n4 * sizeof(*s->v4));
	if (cs->n6)
		memcpy(s->v6, cs->v6, (size_t)cs->n6 * sizeof(*s->v6));
	s->lpm4 = fw_lpm4_build(s->v4, s->n4);
	s->lpm6 = fw_lpm6_build(s->v6, s->n6);
	if (!s->lpm4 || !s->lpm6)
		goto fail;
	return s;
fail:
	fw_set_free(s);
	return NULL;
}

void fw_set_free(struct fw_set *s)
{
	if (!s)
		return;
	fw_lpm4_free(s->lpm4);
	fw_lpm6_free(s->lpm6);
	sys_free(s->v4);
	sys_free(s->v6);
	sys_free(s);
}

bool fw_set_has4_ref(const struct fw_set *s, uint32_t a)
{
	for (uint32_t i = 0; i < s->n4; i++) {
		uint32_t m = s->v4[i].len ? ~0u << (32 - s->v4[i].len) : 0;
		if ((a & m) == s->v4[i].addr)
			return true;
	}
	return false;
}

bool fw_set_has6_ref(const struct fw_set *s, uint64_t hi, uint64_t lo)
{
	uint8_t a[16];
	uint64_t h = sys_be64(hi), l = sys_be64(lo);
	memcpy(a, &h, 8);
	memcpy(a + 8, &l, 8);
	for (uint32_t i = 0; i < s->n6; i++) {
		unsigned len = s->v6[i].len, full = len / 8, rest = len % 8;
		if (memcmp(a, s->v6[i].addr, full) != 0)
			continue;
		if (rest && ((a[full] ^ s->v6[i].addr[full]) & (uint8_t)(0xff00u >> rest)))
			continue;
		return true;
	}
	return false;
}
