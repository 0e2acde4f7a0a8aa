/* SPDX-License-Identifier: MIT */
/*
 * fw_set.h - a compiled address set: the fast membership structures of
 * fw_lpm.h for the data path, and the sorted prefix lists (copied from the
 * config) for the linear reference classifier and for tests.
 */
#ifndef NFB_FW_SET_H
#define NFB_FW_SET_H

#include "nf/firewall/fw_lpm.h"

struct fw_set {
	struct fw_lpm4 *lpm4;
	struct fw_lpm6 *lpm6;
	uint32_t n4, n6;
	struct cfg_prefix4 *v4; /* host-order addresses, sorted */
	struct cfg_prefix6 *v6;
};

/* NULL if memory is short. */
struct fw_set *fw_set_build(const struct cfg_set *s);
void fw_set_free(struct fw_set *s);

/* Fast membership; IPv4 in host order, IPv6 as host-order halves. */
static inline bool fw_set_has4(const struct fw_set *s, uint32_t a)
{
	return fw_lpm4_lookup(s->lpm4, a);
}
static inline bool fw_set_has6(const struct fw_set *s, uint64_t hi, uint64_t lo)
{
	return fw_lpm6_lookup(s->lpm6, hi, lo);
}

/* The same answers by scanning every prefix: the reference. */
bool fw_set_has4_ref(const struct fw_set *s, uint32_t a);
bool fw_set_has6_ref(const struct fw_set *s, uint64_t hi, uint64_t lo);

#endif
