/* SPDX-License-Identifier: MIT */
/* nat_flows.h - the NAT's sessions for `nfbox flows` (nf_ops.flow_next). */
#ifndef NFB_NAT_FLOWS_H
#define NFB_NAT_FLOWS_H

#include "dataplane/nf.h"

bool nat_flow_next(void *st, uint64_t *pos, uint64_t now, struct nf_flow *f);

#endif
