/* SPDX-License-Identifier: MIT */
/*
 * drop_stats.h - the `drop_REASON` counters every function prints, from
 * its X-macro list of reasons (NAT_DROPS, LB_DROPS: X(ENUM, "name")), so
 * the names and the printing live in one place.
 */
#ifndef NFB_NF_DROP_STATS_H
#define NFB_NF_DROP_STATS_H

#include "dataplane/stats.h"

/* The string column of an X-macro list of drop reasons, for
 * `static const char *const names[] = { NF_DROP_NAMES(LIST) };` */
#define NF_DROP_NAME_(n, s) s,
#define NF_DROP_NAMES(LIST) LIST(NF_DROP_NAME_)

/* `PREFIXdrop_NAME` = counts[i] for each of the n reasons (prefix "" for
 * a function's own drops, "frag_" for the NAT's fragment table, ...). */
void nf_drop_stats_write(struct stats_writer *w, const char *prefix, const char *const *names,
			 const uint64_t *counts, unsigned n);

#endif
