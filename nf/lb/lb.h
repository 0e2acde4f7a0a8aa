/* SPDX-License-Identifier: MIT */
/*
 * lb.h - the load balancer's state (private to nf/lb/).
 *
 * A connection is two flow-table entries (dataplane/flowtable.h), as a NAT
 * session is (nf/nat/nat.h):
 *
 *   client (zone LB_ZONE_CLIENT): client:cport -> vip:vport, as the client
 *          sends it.  It carries the deadline and, in `user` (LB_U_*), the
 *          server entry's index, TCP state bits, the vip's and the
 *          backend's index in the config (lb_conf.vips / lb_conf.be).
 *   server (zone LB_ZONE_SERVER): client:cport -> backend:bport, the
 *          packet as rewritten; replies from the backend are its reverse.
 *          `user` is the client entry's index.  Its deadline is as far as
 *          the table allows; the client entry's expiry deletes it.
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
#include "nf/lb/lb_config.h"
#include "nf/lb/lb_stats.h"

#define LB_ZONE_CLIENT 3
#define LB_ZONE_SERVER 4

#define LB_U_PARTNER_MASK 0x3ffffffull     /* bits 0-25 */
#define LB_NO_PARTNER LB_U_PARTNER_MASK
#define LB_U_REPLIED (1ull << 26)          /* the backend has answered */
#define LB_U_CLOSING (1ull << 27)          /* TCP FIN or RST seen */
#define LB_U_TCP (1ull << 28)
#define LB_U_VIP_SHIFT 32                  /* bits 32-47 */
#define LB_U_BE_SHIFT 48                   /* bits 48-63 */

static inline uint32_t lb_u_partner(uint64_t u) { return (uint32_t)(u & LB_U_PARTNER_MASK); }
static inline uint32_t lb_u_vip(uint64_t u) { return (uint32_t)(u >> LB_U_VIP_SHIFT) & 0xffff; }
static inline uint32_t lb_u_be(uint64_t u) { return (uint32_t)(u >> LB_U_BE_SHIFT); }
static inline uint64_t lb_u_rebind(uint64_t u, uint32_t vip, uint32_t be)
{
	return (u & 0xffffffffull) | (uint64_t)vip << LB_U_VIP_SHIFT | (uint64_t)be << LB_U_BE_SHIFT;
}

struct lb {
	struct lb_conf *lc;
	struct ft *ft;
	uint16_t n_ports;
	uint64_t now;           /* latest `now` seen: the expiry callback needs it */
	struct lb_global c;
};

#endif
