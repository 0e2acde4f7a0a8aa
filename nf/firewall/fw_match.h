/* SPDX-License-Identifier: MIT */
/*
 * fw_match.h - what rules look at in a packet (struct fw_key), one rule's
 * match, and the linear reference classifier.
 *
 * The reference is the specification the fast classifier (fw_cls.h) is
 * tested against: it walks the rules in order and asks every match
 * literally, scanning sets prefix by prefix.  It is never on the data path.
 */
#ifndef NFB_FW_MATCH_H
#define NFB_FW_MATCH_H

#include "nfb/pkt.h"
#include "nf/firewall/fw_rules.h"

/* Addresses in host order: IPv4 in src[0] (src[1] = 0), IPv6 as the two
 * 64-bit halves, so both compare and mask as integers. */
struct fw_key {
	uint64_t src[2], dst[2];
	uint16_t sport, dport;  /* host order; 0 when the packet has none */
	uint8_t fam;            /* FW_FAM_V4 or FW_FAM_V6 */
	uint8_t proto;
	uint8_t in_port;
	uint8_t tcp_flags;      /* 0 unless TCP */
};

/* Fill `k` from a parsed IPv4 or IPv6 packet (the caller checked pkt.l3).
 * Ports and flags come from a complete TCP/UDP header only (not from later
 * fragments). */
void fw_key_from_pkt(const struct pkt *p, struct fw_key *k);

/* Does rule `r` match?  `ref`: test sets by scanning their prefixes (the
 * reference) rather than with their lookup structures. */
bool fw_rule_match(const struct fw_rule *r, const struct fw_key *k, bool ref);

/* Index of the first matching rule, or -1 for the default. */
int32_t fw_ref_classify(const struct fw_rules *rs, const struct fw_key *k);

#endif
