/* SPDX-License-Identifier: MIT */
/* conn2_flows.c - a two-entry table's connections, one at a time (conn2_flows.h). */
#include "nf/conn2_flows.h"

const struct ft_entry *conn2_flow_next(struct conn2 *c, uint64_t *pos, uint64_t now,
				       struct nf_flow *f)
{
	int32_t x = nf_flows_next_entry(c->ft, pos, now, c->zone_first);
	if (x < 0)
		return NULL;
	const struct ft_entry *e = ft_entry(c->ft, (uint32_t)x);
	f->orig = nf_flow_key(&e->key);
	uint32_t second = conn2_partner(e->user);
	memset(&f->reply, 0, sizeof(f->reply));
	if (second != CONN2_NO_PARTNER) {
		struct flow_key k = nf_flow_key(&ft_entry(c->ft, second)->key);
		flow_key_reverse(&k, &f->reply);
	}
	f->expires_ns = nf_flow_left_ns(e->deadline, now);
	return e;
}

const char *conn2_flow_state(bool tcp, bool replied, bool closing)
{
	if (!tcp)
		return replied ? "replied" : "oneway";
	if (closing)
		return "closing";
	return replied ? "established" : "syn_sent";
}
