/* SPDX-License-Identifier: MIT */
/*
 * mem_port.h - in-memory ports for benchmarks: a pcap loaded once, then
 * "received" again and again with no I/O.
 *
 * The port emulates a NIC: it owns a ring of MEMPORT_RING buffers (like a
 * 1024-entry RX ring whose buffers a LIFO pool keeps recycling) and, for each
 * packet, writes the frame's first MEMPORT_HDR bytes into the next buffer
 * and sets its length, as the device's DMA would.  So the buffer working set
 * is that of a real poll-mode loop whatever the trace length, and a trace of
 * 1M flows costs 1M different headers, not 2 GiB of buffers.  Bytes past
 * MEMPORT_HDR are whatever the buffer held: functions read headers only.
 * The copy (one or two cache lines from a sequential stream) is the
 * emulated DMA; its cost is included in every number, which errs against us.
 *
 * tx_burst counts what it is given and drops it on the floor (ring buffers
 * are reused; generated packets, PKT_F_GENERATED, are freed).  The ring
 * reuses a buffer whoever holds it: a trace whose packets the function
 * keeps (NF_KEPT, dataplane/nf.h: NAT fragments ahead of their first) has
 * them overwritten while kept, so benchmark with other traffic.
 */
#ifndef NFB_MEM_PORT_H
#define NFB_MEM_PORT_H

#include <stddef.h>

#include "nfb/port.h"

#define MEMPORT_RING 1024
#define MEMPORT_HDR 128

struct memport;

/* Load up to max_pkts frames of `pcap_path` (NULL: an empty port that only
 * transmits).  NULL and a message in err on failure. */
struct memport *memport_open(struct port *port, uint16_t id, const char *pcap_path,
			     uint32_t max_pkts, char *err, size_t errlen);
void memport_close(struct memport *mp);

uint32_t memport_trace_len(const struct memport *mp);
uint64_t memport_trace_bytes(const struct memport *mp);
/* Packets taken by tx_burst since open. */
uint64_t memport_tx_count(const struct memport *mp);

#endif
