/* SPDX-License-Identifier: MIT */
/*
 * lb.h - the load balancer's state (private to nf/lb/).
 *
 * A connection is a two-entry connection (nf/conn2.h), as a NAT session is:
 *
 *   client (zone LB_ZONE_CLIENT, the first entry): client:cport ->
 *          vip:vport, as the client sends it.  Its `user` (LB_U_*) holds,
 *          past conn2's partner bits, TCP state bits and the vip's and the
 *          backend's index in the config (lb_conf.vips / lb_conf.be).
 *   server (zone LB_ZONE_SERVER, the second): client:cport ->
 *          backend:bport, the packet as rewritten; replies from the
 *          backend are its reverse.
 *
 * A vip that encapsulates (lb_encap.h) files the client entry only: the
 * backend answers the client directly, nothing comes back to match.
 *
 * Affinity: the backend of a connection is chosen once (Maglev, on its
 * 5-tuple) and stays in the entry; a reload rebinds the indices to the
 * new config, and a backend the reload removed stays as a "draining"
 * backend (weight 0, in no table) while connections use it.
 */
#ifndef NFB_LB_H
#define NFB_LB_H

#include "dataplane/flowtable.h"
#include "dataplane/nf.h"
#include "nf/conn2.h"
#include "nf/reply.h"
#include "nf/lb/lb_config.h"
#include "nf/lb/lb_stats.h"

#define LB_ZONE_CLIENT 3
#define LB_ZONE_SERVER 4

/* bits 0-25: conn2's partner index */
#define LB_U_REPLIED (1ull << 26)          /* the backend has answered */
#define LB_U_CLOSING (1ull << 27)          /* TCP FIN or RST seen */
#define LB_U_TCP (1ull << 28)
#define LB_U_ENCAP (1ull << 29)            /* the vip encapsulates: one entry, no reply path */
#define LB_U_VIP_SHIFT 32                  /* bits 32-47 */
#define LB_U_BE_SHIFT 48                   /* bits 48-63 */

static inline uint32_t lb_u_vip(uint64_t u) { return (uint32_t)(u >> LB_U_VIP_SHIFT) & 0xffff; }
static inline uint32_t lb_u_be(uint64_t u) { return (uint32_t)(u >> LB_U_BE_SHIFT); }
static inline uint64_t lb_u_rebind(uint64_t u, uint32_t vip, uint32_t be)
{
	return (u & 0xffffffffull) | (uint64_t)vip << LB_U_VIP_SHIFT | (uint64_t)be << LB_U_BE_SHIFT;
}

struct lb {
	struct lb_conf *lc;
	struct conn2 cn;
	uint16_t n_ports;
	bool from_clients;      /* the burst being processed */
	struct nf_batch *batch; /* the burst being processed: ICMP errors go with it */
	struct pkt_pool *pool;  /* for ICMP errors */
	struct nf_reply_limit err_limit; /* ... at a bounded rate */
	uint64_t now;           /* the burst being processed: its time */
	struct lb_global c;
};

#endif
