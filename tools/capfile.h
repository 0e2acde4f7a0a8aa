/* SPDX-License-Identifier: MIT */
/*
 * capfile.h - captured frames into a pcapng or pcap file, for `nfbox
 * capture` and `nfbox replay --capture`.  Prefix capfile_.
 *
 * pcapng (the default): one section, one interface (the port, its name,
 * Ethernet, nanosecond timestamps), an Enhanced Packet Block per frame
 * with its direction in epb_flags (rx inbound, tx outbound) and, for a
 * drop, the comment "drop: REASON" (tshark: frame.comment).  pcap (the
 * classic format, nanosecond magic) has no place for either, so a drop
 * capture also writes FILE.drops: "FRAME REASON" lines, FRAME counted
 * from 1 as tshark numbers them.
 */
#ifndef NFB_TOOLS_CAPFILE_H
#define NFB_TOOLS_CAPFILE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct capfile {
	FILE *f, *drops;
	bool ng;
	uint64_t frames;
	char path[4096];
};

/* Create path ("-": stdout) for frames of port `port_name`; ng: pcapng,
 * else pcap (and path.drops when `drops`).  0 or -errno. */
int capfile_open(struct capfile *c, const char *path, bool ng, const char *port_name,
		 uint32_t snaplen, bool drops);
/* One frame: dir CAP_RX/CAP_TX/CAP_DROP, why (a drop's reason or "-").
 * 0 or -errno. */
int capfile_write(struct capfile *c, uint64_t ts_ns, unsigned dir, const char *why,
		  const uint8_t *data, uint32_t cap_len, uint32_t orig_len);
/* Flush and close; 0 or -errno (a write that failed). */
int capfile_close(struct capfile *c);

#endif
