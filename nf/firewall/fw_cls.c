/* SPDX-License-Identifier: MIT */
/* fw_cls.c - placeholder: every rule in order, with the fast set lookups. */
#include "nf/firewall/fw_cls.h"

struct fw_cls {
	const struct fw_rules *rs;
};

struct fw_cls *fw_cls_build(const struct fw_rules *rs)
{
	struct fw_cls *c = sys_alloc(sizeof(*c), 8);
	if (c)
		c->rs = rs;
	return c;
}

void fw_cls_free(struct fw_cls *c)
{
	sys_free(c);
}

int32_t fw_cls_classify(const struct fw_cls *c, const struct fw_key *k)
{
	for (uint32_t i = 0; i < c->rs->n_rules; i++)
		if (fw_rule_match(&c->rs->rules[i], k, false))
			return (int32_t)i;
	return -1;
}

void fw_cls_classify_burst(const struct fw_cls *c, const struct fw_key *k, uint32_t n,
			   int32_t *out)
{
	for (uint32_t i = 0; i < n; i++)
		out[i] = fw_cls_classify(c, &k[i]);
}

size_t fw_cls_memory(const struct fw_cls *c)
{
	return sizeof(*c);
}

int fw_cls_describe(const struct fw_cls *c, char *buf, size_t size)
{
	return snprintf(buf, size, "linear: %u rules", c->rs->n_rules);
}
