/* SPDX-License-Identifier: MIT */
/*
 * fw_flows.c - the connection table for `nfbox flows` (nf_ops.flow_next).
 *
 * A table position is an entry index: ft_next walks the indices in use, so
 * a dump resumed between console rounds just looks on from there.  The
 * firewall rewrites nothing: the reply is the reverse of the original.
 * It keeps no packet or byte counts per flow.
 */
#include "nf/firewall/fw.h"
#include "nf/firewall/fw_ct.h"
#include "nf/flows.h"

bool fw_flow_next(void *st, uint64_t *pos, uint64_t now, struct nf_flow *f)
{
	struct fw *fw = st;
	int32_t x = nf_flows_next_entry(fw->ft, pos, now, NF_FLOWS_ANY_ZONE);
	if (x < 0)
		return false;
	const struct ft_entry *e = ft_entry(fw->ft, (uint32_t)x);
	f->orig = nf_flow_key(&e->key);
	flow_key_reverse(&f->orig, &f->reply);
	nf_flow_set_state(f, fw_ct_state_name(fw_ct_state(e->user)));
	f->expires_ns = nf_flow_left_ns(e->deadline, now);
	f->have = NF_FLOW_AGE;
	f->age_ns = (uint64_t)((uint32_t)(now >> FT_TICK_SHIFT) - fw->born[x]) << FT_TICK_SHIFT;
	return true;
}
