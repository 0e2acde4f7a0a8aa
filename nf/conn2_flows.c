/* SPDX-License-Identifier: MIT */
/* conn2_flows.c - a two-entry table's connections, one at a time (conn2_flows.h). */
#include "nf/conn2_flows.h"

const struct ft_entry *conn2_flow_next(struct conn2 *c, uint64_t *pos, uint64_t now,
				       struct nf_flow *f)
{
	const uint32_t tick = conn2_tick(now);
	for (uint64_t i = *pos; i < ft_capacity(c->ft); i++) {
		int32_t x = ft_next(c->ft, (uint32_t)i);
		if (x < 0)
			break;
		i = (uint64_t)x;
		const struct ft_entry *e = ft_entry(c->ft, (uint32_t)x);
		if (e->key.zone != c->zone_first || !conn2_live(e, tick))
			continue;
		f->orig = nf_flow_key(&e->key);
		uint32_t second = conn2_partner(e->user);
		memset(&f->reply, 0, sizeof(f->reply));
		if (second != CONN2_NO_PARTNER) {
			struct flow_key k = nf_flow_key(&ft_entry(c->ft, second)->key);
			flow_key_reverse(&k, &f->reply);
		}
		f->expires_ns = nf_flow_left_ns(e->deadline, now);
		*pos = i + 1;
		return e;
	}
	return NULL;
}

const char *conn2_flow_state(bool tcp, bool replied, bool closing)
{
	if (!tcp)
		return replied ? "replied" : "oneway";
	if (closing)
		return "closing";
	return replied ? "established" : "syn_sent";
}
