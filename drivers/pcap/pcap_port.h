/* SPDX-License-Identifier: MIT */
/*
 * pcap_port.h - hosted ports backed by pcap files (libpcap).
 *
 * A pcap port may have an input file (its rx_burst replays it) and an output
 * file (its tx_burst writes to it), or either alone.  Input frames are copied
 * once into pool buffers: this is the hosted replay path, not the zero-copy
 * one.  Each received packet carries its capture timestamp in pkt.rx_ts, and
 * a transmitted packet is written with that timestamp (generated packets get
 * the replay clock), so outputs are reproducible.
 *
 * Replay in timestamp order: pcapport_next_ts() peeks at the next input
 * timestamp and pcapport_set_rx_limit() bounds what the next rx_burst may
 * return, so the replayer can interleave several inputs exactly.
 */
#ifndef NFB_PCAP_PORT_H
#define NFB_PCAP_PORT_H

#include <stddef.h>

#include "nfb/port.h"

struct pcapport;

/*
 * Open a port.  in_path/out_path may be NULL.  On error returns NULL and
 * writes a one-line message (naming the file) into err.
 * A capture whose link type is not Ethernet is refused.
 */
struct pcapport *pcapport_open(struct port *port, uint16_t id, const char *name,
			       const char *in_path, const char *out_path,
			       struct pkt_pool *pool, char *err, size_t errlen);
void pcapport_close(struct pcapport *pp);

/* Timestamp (ns) of the next input frame; false when the input is done. */
bool pcapport_next_ts(struct pcapport *pp, uint64_t *ts);

/* The next rx_burst returns only frames with timestamp < limit (or <= limit
 * if inclusive), and none later than `span_ns` after the first one. */
void pcapport_set_rx_limit(struct pcapport *pp, uint64_t limit, bool inclusive, uint64_t span_ns);

/* Clock used to stamp generated packets (those without rx_ts). */
void pcapport_set_clock(struct pcapport *pp, uint64_t now);

/* Frames skipped because they could not be represented in a buffer. */
uint64_t pcapport_rx_skipped(const struct pcapport *pp);

#endif
