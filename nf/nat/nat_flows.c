/* SPDX-License-Identifier: MIT */
/*
 * nat_flows.c - the NAT's sessions for `nfbox flows`: both directions, the
 * state its user bits follow, and the mapping, inside (the original
 * source) -> outside (the pool address and port the session holds).
 */
#include "nf/conn2_flows.h"
#include "nf/nat/nat.h"
#include "nf/nat/nat_flows.h"

bool nat_flow_next(void *st, uint64_t *pos, uint64_t now, struct nf_flow *f)
{
	struct nat *n = st;
	const struct ft_entry *e = conn2_flow_next(&n->cn, pos, now, f);
	if (!e)
		return false;
	uint64_t u = e->user;
	nf_flow_set_state(f, conn2_flow_state(nat_u_cls(u) == NAT_CLS_TCP, u & NAT_U_REPLIED,
					      u & NAT_U_CLOSING));
	const struct nat_pool *pool = n->nc->pool;
	if (pool && nat_u_addr(u) < pool->n) {
		f->have |= NF_FLOW_NAT;
		f->map_family = FLOW_FAMILY_V4;
		memset(&f->map_addr, 0, sizeof(f->map_addr));
		f->map_addr.v4 = pool->a[nat_u_addr(u)].addr;
		f->map_port = sys_htons(nat_u_port(u));
	}
	return true;
}
