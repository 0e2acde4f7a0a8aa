/* SPDX-License-Identifier: MIT */
/*
 * bench_trace.h - the trace a chain's OVS generator replays (DPDK net_pcap
 * reads a pcap file): the user's pcap, its frames padded to --frame-size,
 * or generated UDP frames, written to a file of our own.
 */
#ifndef NFB_TOOLS_BENCH_TRACE_H
#define NFB_TOOLS_BENCH_TRACE_H

/* Write `out`: the frames of `pcap` (NULL: 1024 generated UDP/IPv4 frames
 * going round `flows` flows, 10.0.0.1:1024+i -> 10.0.1.1:4096), each
 * padded with zeros to `size` bytes with FCS when shorter (0: as they
 * are; generated frames: 64).  *mean gets the mean frame size with FCS.
 * 0, or -1 with the reason on stderr. */
int bench_trace_write(const char *out, const char *pcap, unsigned size, unsigned flows, double *mean);

#endif
