/* SPDX-License-Identifier: MIT */
/* drop_stats.c - printing drop counters by reason (see drop_stats.h). */
#include "nf/drop_stats.h"

void nf_drop_stats_write(struct stats_writer *w, const char *prefix, const char *const *names,
			 const uint64_t *counts, unsigned n)
{
	char name[80];
	for (unsigned i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%sdrop_%s", prefix, names[i]);
		stats_u64(w, name, counts[i]);
	}
}
