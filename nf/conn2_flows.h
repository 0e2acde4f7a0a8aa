/* SPDX-License-Identifier: MIT */
/*
 * conn2_flows.h - the connections of a two-entry table (conn2.h) for
 * `nfbox flows`: what the NAT's and the LB's flow_next share.
 *
 * A table position is an entry index.  Only first entries are shown (one
 * line per connection); the second entry gives the reply direction, and
 * the first entry alone the deadline.  Neither function keeps packet or
 * byte counts, nor when a connection opened.
 */
#ifndef NFB_NF_CONN2_FLOWS_H
#define NFB_NF_CONN2_FLOWS_H

#include "nf/conn2.h"
#include "nf/flows.h"

/* The first entry of the next live connection at index *pos or after,
 * with *pos moved past it and f's directions and expiry filled; NULL when
 * there is none.  The caller adds state and mapping from its user bits. */
const struct ft_entry *conn2_flow_next(struct conn2 *c, uint64_t *pos, uint64_t now,
				       struct nf_flow *f);

/* The state word of a connection that follows TCP by its replied and
 * closing bits (xlate_tcp_step) or, not TCP, by replied alone:
 * syn_sent, established, closing; oneway, replied (the firewall's words). */
const char *conn2_flow_state(bool tcp, bool replied, bool closing);

#endif
