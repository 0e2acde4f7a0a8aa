/* SPDX-License-Identifier: MIT */
/*
 * mem_port.h - in-memory ports for benchmarks: a pcap loaded into buffers
 * once, then handed out again and again with no I/O and no copy.
 *
 * rx_burst returns the trace's buffers in order, wrapping around at the end;
 * tx_burst counts what it is given and keeps it (trace buffers are reused on
 * the next lap; buffers from elsewhere, e.g. a generated RST, are freed).  A
 * function that rewrites headers (NAT, LB) would see its own rewrite on the
 * next lap, so with `restore` the first PKT_MEM_RESTORE bytes of each packet
 * are copied back from a pristine copy on every rx: a cost such functions
 * pay in the numbers, and say so.
 */
#ifndef NFB_MEM_PORT_H
#define NFB_MEM_PORT_H

#include <stddef.h>

#include "dataplane/port.h"

#define PKT_MEM_RESTORE 128

struct memport;

/* Load up to max_pkts frames of `pcap_path` (NULL: an empty port that only
 * transmits).  NULL and a message in err on failure. */
struct memport *memport_open(struct port *port, uint16_t id, const char *pcap_path,
			     uint32_t max_pkts, bool restore, char *err, size_t errlen);
void memport_close(struct memport *mp);

uint32_t memport_trace_len(const struct memport *mp);
uint64_t memport_trace_bytes(const struct memport *mp);
/* Packets taken by tx_burst since open. */
uint64_t memport_tx_count(const struct memport *mp);

#endif
