/* SPDX-License-Identifier: MIT */
/*
 * flows_match.h - the filter of `nfbox flows --match EXPR`.  Prefix
 * flows_match_.
 *
 *   EXPR  := TERM { "and" TERM }
 *   TERM  := [ "not" ] PRIM
 *   PRIM  := "src" NET | "dst" NET | "host" NET     (NET: ADDR or ADDR/LEN)
 *          | "sport" PORTS | "dport" PORTS | "port" PORTS  (N or N-M)
 *          | "proto" tcp|udp|icmp|icmp6|sctp|N | "state" WORD
 *          | "ipv4" | "ipv6"
 *
 * src, dst, sport and dport are the original direction's (as the opener
 * sent it); host and port match any address or port the flow shows: both
 * directions and its NAT mapping or backend.  Words are case-insensitive.
 */
#ifndef NFB_TOOLS_FLOWS_MATCH_H
#define NFB_TOOLS_FLOWS_MATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "dataplane/nf.h"

#define FLOWS_MATCH_TERMS 16

struct flows_match_term {
	unsigned kind; /* private to flows_match.c */
	bool neg;
	uint8_t family, plen, proto;
	union flow_addr addr;
	uint16_t lo, hi; /* host order */
	char state[NF_FLOW_STATE_MAX];
};

struct flows_match {
	unsigned n;
	struct flows_match_term t[FLOWS_MATCH_TERMS];
};

/* Parse `expr`.  0, or -1 with "column N: what was wanted" in err[n]
 * (columns count from 1). */
int flows_match_parse(const char *expr, struct flows_match *m, char *err, size_t n);
/* Does flow `f` pass every term?  An empty filter passes everything. */
bool flows_match_eval(const struct flows_match *m, const struct nf_flow *f);

#endif
