/* SPDX-License-Identifier: MIT */
/*
 * ctl_flows.c - `nfbox flows` over the control channel: the rounds of
 * "flows POS MAX" (nf/flows.h), each its own request through ctl_exchange,
 * the position carried from one answer to the next request.  The image
 * answers a chunk per round and keeps nothing between rounds; the
 * client may stop asking at any time (--limit).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "topology/ctl.h"

int ctl_flows(const struct ctl_target *t, unsigned timeout_ms, unsigned chunk,
	      bool (*line)(void *ctx, const char *l, size_t n), void *ctx, const char **why)
{
	unsigned long long pos = 0;
	*why = NULL;
	for (;;) {
		char req[64], *out;
		snprintf(req, sizeof(req), "flows %llu %u\n", pos, chunk);
		int rc = ctl_exchange(t, req, "end", &out, timeout_ms);
		if (rc)
			return rc;
		bool stop = false, more = false, done = false, unknown = false;
		for (char *l = out; *l;) {
			size_t n = strcspn(l, "\r\n");
			if (!stop && line(ctx, l, n))
				stop = true;
			unsigned long long next;
			char c;
			if (n > 11 && sscanf(l, "flows next %llu%c", &next, &c) == 2 && (c == '\n' || c == '\r')) {
				more = next > pos; /* a position that does not move would loop */
				pos = next;
			} else if ((n == 9 && strncmp(l, "flows end", 9) == 0) ||
				   (n > 11 && strncmp(l, "flows none ", 11) == 0)) {
				done = true;
			} else if (strncmp(l, "nfbox: unknown command 'flows", 29) == 0) {
				unknown = true;
			}
			l += n;
			while (*l == '\r' || *l == '\n')
				l++;
		}
		free(out);
		if (stop || done)
			return 0;
		if (!more) {
			*why = unknown ? "the image does not know 'flows' (built before nfbox flows?)"
				       : "the image's answer to 'flows' says neither where to go on nor that it ended";
			return -EPROTO;
		}
	}
}
