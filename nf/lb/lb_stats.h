/* SPDX-License-Identifier: MIT */
/*
 * lb_stats.h - the load balancer's counters and how they are printed:
 * section `lb` (connections, packets each way, ICMP errors, drops by
 * reason, backends down and how often one was set down or up), `lb_vip`
 * and `lb_backend` (per vip and per backend: connections created and
 * active, packets and bytes to the servers and back to the clients; per
 * backend also its weight and admin state, `up` or `down`).
 */
#ifndef NFB_LB_STATS_H
#define NFB_LB_STATS_H

#include "dataplane/stats.h"

#define LB_DROPS(X)                                                                          \
	X(NON_VIP, "non_vip")             /* from clients, not to a vip (`non-vip drop`) */ \
	X(NO_CONNECTION, "no_connection") /* from servers, no connection (`non-vip drop`) */ \
	X(NO_BACKEND, "no_backend")       /* new connection, every backend weight 0 or down */ \
	X(TABLE_FULL, "table_full")       /* new connection, no room in the flow table */   \
	X(FRAGMENT, "fragment")           /* an IPv4 fragment to a vip: not reassembled */  \
	X(UNSUPPORTED, "unsupported")     /* to a vip address, not its protocol */          \
	X(IPV6, "ipv6")                   /* IPv6 not to a vip nor of a connection (`non-vip drop`) */ \
	X(NON_IP, "non_ip")               /* `non-ip drop` */                               \
	X(NO_PORT, "no_port")             /* the other side's port is not wired */          \
	X(TUPLE_CLASH, "tuple_clash")     /* one client port to two vips on one backend */  \
	X(TOO_BIG, "too_big")             /* encapsulated it would exceed the mtu */       \
	X(NO_HEADROOM, "no_headroom")     /* no room in front of the frame to encapsulate */

enum lb_drop {
#define LB_DROP_ENUM_(n, s) LB_DROP_##n,
	LB_DROPS(LB_DROP_ENUM_)
#undef LB_DROP_ENUM_
	LB_DROP_COUNT
};

/* Per vip and per backend.  Packets and bytes are counted per backend
 * only (the fast path then touches one block of counters, next to the
 * backend's address): a vip's are its own block's (traffic of backends a
 * reload removed) plus its backends', see lb_vip_counters(). */
struct lb_counters {
	uint64_t conns, active;
	uint64_t pkts_to_server, bytes_to_server;
	uint64_t pkts_to_client, bytes_to_client;
};

struct lb_global {
	uint64_t to_servers, to_clients;        /* packets translated */
	uint64_t icmp_errors_to_servers, icmp_errors_to_clients;
	uint64_t passed;                         /* non-vip / non-ip passed untouched */
	uint64_t encapsulated;                   /* packets sent to a backend in an outer header */
	uint64_t frag_needed_sent;               /* ICMP 3/4 for an IPv4 packet too big (DF) */
	uint64_t packet_too_big_sent;            /* ICMPv6 2/0 for an IPv6 packet too big */
	uint64_t too_big_not_answered;           /* no answer due (DF clear, multicast...) or no buffer */
	uint64_t too_big_limited;                /* not answered: over the rate limit (nf/reply.h) */
	uint64_t backend_state_changes;          /* set down or up at run time (lb_admin.h) */
	uint64_t dropped;
	uint64_t drop[LB_DROP_COUNT];
};

struct lb;
struct lb_conf;
/* The reasons' names, by enum lb_drop (nf_ops.drop_names). */
extern const char *const lb_drop_names[LB_DROP_COUNT];
void lb_stats_write(struct lb *l, struct stats_writer *w);

/* Vip `v`'s counters as reported: its own, plus its backends' packets and
 * bytes. */
void lb_vip_counters(const struct lb_conf *lc, uint32_t v, struct lb_counters *out);
/* dst's packets and bytes += src's (sign 1) or -= (sign -1). */
void lb_counters_add_traffic(struct lb_counters *dst, const struct lb_counters *src, int sign);

#endif
