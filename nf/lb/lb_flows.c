/* SPDX-License-Identifier: MIT */
/*
 * lb_flows.c - the load balancer's connections for `nfbox flows`: both
 * directions (none back for a vip that encapsulates: the backend answers
 * the client itself), the state its user bits follow, and the backend.
 */
#include "nf/conn2_flows.h"
#include "nf/lb/lb.h"
#include "nf/lb/lb_flows.h"

bool lb_flow_next(void *st, uint64_t *pos, uint64_t now, struct nf_flow *f)
{
	struct lb *lb = st;
	const struct ft_entry *e = conn2_flow_next(&lb->cn, pos, now, f);
	if (!e)
		return false;
	uint64_t u = e->user;
	nf_flow_set_state(f, conn2_flow_state(u & LB_U_TCP, u & LB_U_REPLIED, u & LB_U_CLOSING));
	if (lb_u_be(u) < LB_BE_SLOTS) {
		const struct lb_backend *be = &lb->lc->be[lb_u_be(u)];
		f->have |= NF_FLOW_BACKEND;
		f->map_family = be->family;
		f->map_addr = be->addr;
		f->map_port = be->port; /* the vip's when the config names none */
	}
	return true;
}
