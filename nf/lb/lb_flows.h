/* SPDX-License-Identifier: MIT */
/* lb_flows.h - the load balancer's connections for `nfbox flows` (nf_ops.flow_next). */
#ifndef NFB_LB_FLOWS_H
#define NFB_LB_FLOWS_H

#include "dataplane/nf.h"

bool lb_flow_next(void *st, uint64_t *pos, uint64_t now, struct nf_flow *f);

#endif
