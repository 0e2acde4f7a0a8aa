/* SPDX-License-Identifier: MIT */
/*
 * nat.h - the NAT function's state (private to nf/nat/).
 *
 * A session is two flow-table entries (dataplane/flowtable.h):
 *
 *   inside  (zone NAT_ZONE_IN):  the packet as the inside host sent it,
 *           int_addr:int_port -> remote:rport.  It carries the session's
 *           deadline, and in `user` (NAT_U_*) the outside entry's index,
 *           the TCP state bits, the protocol class, the external port and
 *           the external address's index in the pool.
 *   outside (zone NAT_ZONE_OUT): the translated packet,
 *           ext_addr:ext_port -> remote:rport; replies from the outside
 *           are its reverse.  `user` is the inside entry's index.  Its own
 *           deadline is as far as the table allows (~13 days): the inside
 *           entry decides when the session ends, and its expiry callback
 *           returns the port and deletes the outside entry, so both go
 *           together, once.  If a session outlives the far deadline, the
 *           callback files the outside entry again.
 */
#ifndef NFB_NAT_H
#define NFB_NAT_H

#include "dataplane/flowtable.h"
#include "dataplane/nf.h"
#include "nf/nat/nat_config.h"
#include "nf/nat/nat_stats.h"

#define NAT_ZONE_IN 1
#define NAT_ZONE_OUT 2

#define NAT_U_PARTNER_MASK 0x3ffffffull     /* bits 0-25 */
#define NAT_NO_PARTNER NAT_U_PARTNER_MASK
#define NAT_U_REPLIED (1ull << 26)          /* the outside has answered */
#define NAT_U_CLOSING (1ull << 27)          /* TCP FIN or RST seen */
#define NAT_U_CLS_SHIFT 30                  /* bits 30-31: enum nat_class */
#define NAT_U_PORT_SHIFT 32                 /* bits 32-47: external port, host order */
#define NAT_U_ADDR_SHIFT 48                 /* bits 48-63: pool address index */

static inline uint32_t nat_u_partner(uint64_t u) { return (uint32_t)(u & NAT_U_PARTNER_MASK); }
static inline unsigned nat_u_cls(uint64_t u) { return (unsigned)(u >> NAT_U_CLS_SHIFT) & 3; }
static inline uint16_t nat_u_port(uint64_t u) { return (uint16_t)(u >> NAT_U_PORT_SHIFT); }
static inline uint32_t nat_u_addr(uint64_t u) { return (uint32_t)(u >> NAT_U_ADDR_SHIFT); }
static inline uint64_t nat_u_make(uint32_t partner, unsigned cls, uint16_t port, uint32_t ai)
{
	return (uint64_t)partner | (uint64_t)cls << NAT_U_CLS_SHIFT |
	       (uint64_t)port << NAT_U_PORT_SHIFT | (uint64_t)ai << NAT_U_ADDR_SHIFT;
}

struct nat {
	struct nat_conf *nc;
	struct ft *ft;
	uint16_t n_ports;
	uint64_t now;           /* latest `now` seen: the expiry callback needs it */
	struct nat_counters c;
};

#endif
