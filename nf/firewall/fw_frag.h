/* SPDX-License-Identifier: MIT */
/*
 * fw_frag.h - which way the rest of a fragmented datagram goes.
 *
 * Only a first fragment carries the L4 header, so only it can be judged
 * (by its flow or by the rules).  Its verdict (an out port, or PKT_DROP) is
 * remembered here under (src, dst, proto, id) for the `fragment` timeout,
 * and the later fragments of the datagram follow it.  A later fragment
 * whose first has not been seen (lost, reordered ahead of it, or evicted)
 * is dropped: the firewall does not buffer or reassemble, so fragments can
 * never carry what the rules would refuse.
 *
 * A fixed table of 4-way buckets; when a bucket is full the entry closest
 * to its deadline is replaced (counted as an eviction).  No allocation
 * after creation.
 */
#ifndef NFB_FW_FRAG_H
#define NFB_FW_FRAG_H

#include "nfb/pkt.h"

struct fw_frag;

struct fw_frag_key {
	uint64_t src[2], dst[2]; /* as struct fw_key */
	uint32_t id;             /* IPv4 identification or IPv6 fragment id */
	uint8_t proto, fam;
	uint16_t pad;
};

/* `entries` is rounded up to a power of two, at least 64. */
struct fw_frag *fw_frag_create(uint32_t entries);
void fw_frag_free(struct fw_frag *t);

/* Remember `out_port` for the datagram until now + ticks.  Returns true if
 * a live entry of another datagram had to make room. */
bool fw_frag_put(struct fw_frag *t, const struct fw_frag_key *k, uint16_t out_port, uint64_t now,
		 uint32_t ticks);

/* The remembered out port (PKT_DROP included), or -1 if none is live. */
int32_t fw_frag_get(const struct fw_frag *t, const struct fw_frag_key *k, uint64_t now);

/* Live entries (an O(entries) walk: stats only). */
uint32_t fw_frag_count(const struct fw_frag *t, uint64_t now);

/*
 * Fill the key of a fragment and find its offset (bytes) in the datagram.
 * Returns false if the packet is not a fragment this code understands
 * (IPv6: the fragment header was not found among the extension headers).
 * IPv6 ids are 32 bits, IPv4 ids 16.
 */
bool fw_frag_key_from_pkt(const struct pkt *p, struct fw_frag_key *k, uint32_t *offset);

#endif
