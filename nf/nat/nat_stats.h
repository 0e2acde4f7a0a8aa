/* SPDX-License-Identifier: MIT */
/*
 * nat_stats.h - the NAT's counters and how they are printed (section
 * `nat`): sessions active, created, expired; packets translated each way;
 * ICMP errors translated; drops by reason; per pool address, the ports in
 * use by protocol (section `nat_pool`).
 */
#ifndef NFB_NAT_STATS_H
#define NFB_NAT_STATS_H

#include "dataplane/stats.h"

#define NAT_DROPS(X)                                                                  \
	X(NO_MAPPING, "no_mapping")     /* from outside, no session (or expired) */  \
	X(PORTS_EXHAUSTED, "ports_exhausted") /* new session, its address is full */ \
	X(TABLE_FULL, "table_full")     /* new session, no room in the flow table */ \
	X(NO_RULE, "no_rule")           /* from inside, no snat rule covers the source */ \
	X(FRAGMENT, "fragment")         /* a fragment, by frag_drop_* (nat_frag.h) */ \
	X(UNSUPPORTED, "unsupported")   /* not TCP, UDP, ICMP or IPv4; a reply from inside */ \
	X(ICMP_UNKNOWN, "icmp_unknown") /* an ICMP query but echo/timestamp, an unknown type */ \
	X(IPV6, "ipv6")                 /* `ipv6 drop` */                            \
	X(NON_IP, "non_ip")             /* `non-ip drop` */                          \
	X(NO_PORT, "no_port")           /* the other side's port is not wired */     \
	X(BAD_CHECKSUM, "bad_checksum") /* an ICMP error from outside with a bad checksum */ \
	X(INVALID, "invalid")           /* a session key clash: never expected */

enum nat_drop {
#define NAT_DROP_ENUM_(n, s) NAT_DROP_##n,
	NAT_DROPS(NAT_DROP_ENUM_)
#undef NAT_DROP_ENUM_
	NAT_DROP_COUNT
};

struct nat_counters {
	uint64_t translated_out, translated_in;  /* packets */
	uint64_t icmp_errors_out, icmp_errors_in;
	uint64_t hairpinned;                     /* inside -> inside through the outside */
	uint64_t ipv6_passed, non_ip_passed;
	uint64_t dropped;
	uint64_t drop[NAT_DROP_COUNT];
};

struct nat;
void nat_stats_write(struct nat *n, struct stats_writer *w);

#endif
