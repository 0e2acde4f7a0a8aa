/* SPDX-License-Identifier: MIT */
/*
 * nat64.h - stateful NAT64 (RFC 6146) as a mode of the NAT (private to
 * nf/nat/): `nat64 [prefix PREFIX]` (nat_config.h) and snat rules with
 * IPv6 sources.
 *
 * An inside IPv6 host (an snat rule's IPv6 source) reaches IPv4 host X at
 * PREFIX+X (RFC 6052, default 64:ff9b::/96).  Its session is an ordinary
 * NAT session (nat.h, the same table, pools, mappings, timers and
 * counters): the inside entry is the IPv6 packet's key (family 6, zone
 * NAT_ZONE_IN; ICMPv6 echo keyed by identifier and tag), the outside entry
 * the translated packet's IPv4 key (pool address and port -> X), whose
 * reverse the replies are.  The headers are translated by nf/xlate64.h.
 *
 * What is dropped, counted (nat_stats.h): inside IPv6 not to the prefix
 * (nat64_not_prefix, unless `ipv6 pass`), a source inside the prefix or a
 * destination that is no translatable IPv4 address (nat64_bad_addr), a
 * destination that is one of our pool addresses (nat64_hairpin: RFC 6146
 * 3.8 hairpinning is not done), extension headers (nat64_ipv6_ext),
 * fragments either way (nat64_fragment: not translated), a hop limit or
 * TTL of 1 or less (nat64_hop_limit; no ICMP error is sent), an IPv4
 * source route (nat64_ipv4_options), ICMP messages without counterpart
 * (nat64_icmp), IPv6 UDP with checksum 0 (bad_checksum).
 */
#ifndef NFB_NAT64_H
#define NFB_NAT64_H

#include "nf/nat/nat.h"

/* An IPv6 packet from the inside with NAT64 on: decided (true), or false
 * for one not to the prefix that `ipv6 pass` lets through untouched. */
bool nat64_out(struct nat *n, struct pkt *p, uint64_t now);

/* An IPv4 packet from the outside answering NAT64 session `e` (its live
 * first entry). */
void nat64_in(struct nat *n, struct pkt *p, struct ft_entry *e, uint64_t now);

/* An ICMPv4 error from the outside (checksum verified, addressed to the
 * quote's source) quoting a packet of NAT64 session `e`. */
void nat64_icmp_error_in(struct nat *n, struct pkt *p, const struct xlate_inner *q,
			 const struct ft_entry *e);

#endif
