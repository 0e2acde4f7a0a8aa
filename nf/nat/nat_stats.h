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
	X(BAD_CHECKSUM, "bad_checksum") /* an ICMP error with a bad checksum; IPv6 UDP checksum 0 */ \
	X(NAT64_NOT_PREFIX, "nat64_not_prefix") /* inside IPv6 not to the NAT64 prefix (`ipv6 drop`) */ \
	X(NAT64_BAD_ADDR, "nat64_bad_addr")     /* source in the prefix, or no unicast (global) IPv4 */ \
	X(NAT64_IPV6_EXT, "nat64_ipv6_ext")     /* an extension header RFC 7915 does not skip (AH) */ \
	X(NAT64_IPV6_ROUTE, "nat64_ipv6_route") /* a routing header with segments left */ \
	X(NAT64_FRAGMENT, "nat64_fragment")     /* a fragment of (or for) a NAT64 session */ \
	X(NAT64_HOP_LIMIT, "nat64_hop_limit")   /* hop limit / TTL would reach 0 */ \
	X(NAT64_IPV4_OPTIONS, "nat64_ipv4_options") /* a source route (or bad options) */ \
	X(NAT64_ICMP, "nat64_icmp")             /* ICMP type/code/pointer with no counterpart */ \
	X(NAT64_NO_ROOM, "nat64_no_room")       /* headroom short: never with our buffers */ \
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
	uint64_t ports_reclaimed;                /* new sessions given a port an unanswered one held */
	uint64_t unreachable_sent, unreachable_not_sent; /* ICMP 3/13 for no mapping */
	uint64_t nat64_param_problem_sent;       /* ICMPv6 4/0 for a routing header with segments left */
	uint64_t icmp_errors_limited;            /* errors not sent: over the rate limit */
	uint64_t ipv6_passed, non_ip_passed;
	uint64_t nat64_out, nat64_in;            /* of translated_*: NAT64 (both kinds) */
	uint64_t nat64_udp_csum_computed;        /* IPv4 UDP without checksum, to IPv6 */
	uint64_t nat64_ext_skipped;              /* IPv6 packets whose extension headers were skipped */
	uint64_t dropped;
	uint64_t drop[NAT_DROP_COUNT];
};

struct nat;
/* The reasons' names, by enum nat_drop (nf_ops.drop_names). */
extern const char *const nat_drop_names[NAT_DROP_COUNT];
void nat_stats_write(struct nat *n, struct stats_writer *w);

#endif
