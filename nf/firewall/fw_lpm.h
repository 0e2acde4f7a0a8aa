/* SPDX-License-Identifier: MIT */
/*
 * fw_lpm.h - address-set membership for the firewall's `@set` matches:
 * "is this address covered by any prefix of the set?", at a cost that does
 * not depend on how many prefixes the set holds.
 *
 * IPv4: a three-level (16-8-8) trie whose nodes store two bits per child
 * ("covered", "look deeper") as 64-bit masks, with a running count per mask
 * so a child's position in the next level is a popcount away (no pointers,
 * no empty nodes).  A lookup is at most three dependent loads; a set of 10
 * prefixes costs 24 KiB, 1M random /32s about 40 MiB.
 *
 * IPv6: one hash table of (prefix length, masked address) in 64-byte
 * buckets; a lookup probes once per distinct prefix length present in the
 * set (typically a handful: /32, /48, /64, /128), longest first.  The cost
 * grows with the number of distinct lengths (at most 129), never with the
 * number of prefixes.
 *
 * Membership only: overlapping prefixes are merged, so /8 and a /32 inside
 * it cost nothing extra.  Built once (config load), read-only afterwards.
 */
#ifndef NFB_FW_LPM_H
#define NFB_FW_LPM_H

#include "config/config.h"

struct fw_lpm4;
struct fw_lpm6;

/* Build from prefixes sorted ascending by (address, length), as a cfg_set
 * holds them (host-order IPv4).  NULL if memory is short. */
struct fw_lpm4 *fw_lpm4_build(const struct cfg_prefix4 *p, uint32_t n);
void fw_lpm4_free(struct fw_lpm4 *l);
/* `addr` in host byte order. */
bool fw_lpm4_lookup(const struct fw_lpm4 *l, uint32_t addr);
size_t fw_lpm4_memory(const struct fw_lpm4 *l);

struct fw_lpm6 *fw_lpm6_build(const struct cfg_prefix6 *p, uint32_t n);
void fw_lpm6_free(struct fw_lpm6 *l);
/* The address as two host-order halves (bytes 0-7 and 8-15). */
bool fw_lpm6_lookup(const struct fw_lpm6 *l, uint64_t hi, uint64_t lo);
size_t fw_lpm6_memory(const struct fw_lpm6 *l);

#endif
