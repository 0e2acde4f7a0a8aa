/* SPDX-License-Identifier: MIT */
/*
 * Unit-test helper: one UDP/IPv4 datagram through a network function, for
 * the tests that follow what an address-rewriting function (nat, lb) does
 * to a single packet.
 */
#ifndef NFBOX_TESTS_LIB_NF_UDP_H
#define NFBOX_TESTS_LIB_NF_UDP_H

#include <stdint.h>

#include "dataplane/nf.h"
#include "nfb/pkt.h"

/* src:sport -> dst:dport (host order) arriving on `port` at `now`, with
 * valid checksums, through nf's process(); *out is where it went.  A packet
 * not dropped must still have valid checksums (cmocka assertions).
 * Returns the packet, as the function left it, for the caller to inspect
 * and free. */
struct pkt *nf_udp1(const struct nf_ops *nf, void *st, struct pkt_pool *pool, uint32_t src,
		    uint32_t dst, uint16_t sport, uint16_t dport, uint16_t port, uint64_t now,
		    uint16_t *out);

#endif
