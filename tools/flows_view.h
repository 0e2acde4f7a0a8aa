/* SPDX-License-Identifier: MIT */
/*
 * flows_view.h - the flow lines of an image or a replay (nf/flows.h) as
 * the table `nfbox flows` and `nfbox replay --dump-flows` print: one
 * formatter for both, so their outputs compare.  Prefix flows_view_.
 *
 * Text: a header, then one flow per line in aligned columns (IPv4 fits
 * them; IPv6 widens its line), as conntrack -L lists them:
 *   proto state  original  reply  mapping  expires  age
 * JSON: one array of objects with the keys proto, state, src, sport,
 * dst, dport (for ICMP queries "id" in place of the ports), reply (the
 * same keys, or null when nothing comes back), expires_ms, and where the
 * function keeps them age_ms, nat {addr, port}, backend {addr, port}.
 * Lines are printed as they come: a million flows are never held.
 */
#ifndef NFB_TOOLS_FLOWS_VIEW_H
#define NFB_TOOLS_FLOWS_VIEW_H

#include <stdio.h>

#include "tools/flows_match.h"

struct flows_view {
	FILE *to;
	bool json;
	const struct flows_match *match; /* NULL: every flow */
	unsigned long limit;             /* 0: no limit */
	unsigned long shown, bad;        /* flows printed; lines not understood */
	char function[32];               /* from "flows function NAME" */
	char none[128];                  /* "fwd keeps no flows", when so */
	bool started;
};

void flows_view_init(struct flows_view *v, FILE *to, bool json, const struct flows_match *m,
		     unsigned long limit);
/* One line of a round (without its '\n'): flow and flows lines are
 * taken, others ignored.  Returns true once the limit is reached (the
 * caller need ask no further). */
bool flows_view_line(struct flows_view *v, const char *line, size_t n);
/* Close the table (the JSON array); a table never started is started
 * first, so no flows still print a header or "[]". */
void flows_view_finish(struct flows_view *v);

/* A "flow ..." line back into a record; false if it is not one. */
bool flows_view_decode(const char *line, size_t n, struct nf_flow *f);

#endif
