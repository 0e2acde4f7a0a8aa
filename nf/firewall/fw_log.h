/* SPDX-License-Identifier: MIT */
/*
 * fw_log.h - `log` on a rule: every match is counted, and printed through
 * sys_log at most FW_LOG_RATE lines a second (bursts of FW_LOG_BURST), so
 * a flood cannot turn the console into the bottleneck.  Lines over the
 * rate are counted as suppressed.  Time is the loop's `now`.
 */
#ifndef NFB_FW_LOG_H
#define NFB_FW_LOG_H

#include "nfb/pkt.h"

#define FW_LOG_RATE 10
#define FW_LOG_BURST 20

struct fw_log {
	uint64_t credit;   /* ns of allowance saved up, at most BURST lines' worth */
	uint64_t last;     /* `now` of the last refill */
	bool started;
	uint64_t lines, suppressed;
};

/* Print one line about packet `p` and its verdict, if the rate allows.
 * `rule` is 1-based, 0 for the default; `where` is its "file:line". */
void fw_log_pkt(struct fw_log *l, uint64_t now, const struct pkt *p, const char *verdict,
		unsigned rule, const char *where, const char *port_name);

#endif
