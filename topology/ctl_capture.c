/* SPDX-License-Identifier: MIT */
/*
 * ctl_capture.c - `nfbox capture` over the control channel: "capture
 * start", then rounds of "capture read MAX" (control/capture.h), each its
 * own request through ctl_exchange as `nfbox flows` asks for its chunks,
 * until the image says "capture done".  A round that finds the ring empty
 * ("wait") is followed by a short sleep, so an idle capture costs the
 * image one console request every ~20 ms.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "control/capture.h"
#include "topology/ctl.h"

#define ROUND_BYTES 16384u
#define WAIT_NS (20 * 1000 * 1000)

/* The first line of out that starts with `pre`, copied (without it) into
 * msg[n]; false if none. */
static bool find_line(const char *out, const char *pre, char *msg, size_t n)
{
	size_t pl = strlen(pre);
	for (const char *l = out; *l;) {
		size_t ln = strcspn(l, "\r\n");
		if (ln >= pl && strncmp(l, pre, pl) == 0) {
			snprintf(msg, n, "%.*s", (int)(ln - pl), l + pl);
			return true;
		}
		l += ln;
		while (*l == '\r' || *l == '\n')
			l++;
	}
	return false;
}

int ctl_capture(const struct ctl_target *t, const struct ctl_capture_req *q,
		int (*frame)(void *ctx, const struct control_cap_frame *f, const uint8_t *data),
		void *ctx, struct ctl_capture_res *res)
{
	char req[128], *out;
	memset(res, 0, sizeof(*res));
	snprintf(req, sizeof(req), "capture start %s %s %llu %u\n", q->port, q->dirs,
		 (unsigned long long)q->count, q->snaplen);
	int rc = ctl_exchange(t, req, "end", &out, q->timeout_ms);
	if (rc)
		return rc;
	if (find_line(out, "capture armed ", res->msg, sizeof(res->msg))) {
		rc = 0;
	} else if (find_line(out, "capture none ", res->msg, sizeof(res->msg))) {
		rc = -EPROTO;
	} else {
		snprintf(res->msg, sizeof(res->msg), "%s",
			 strstr(out, "unknown command 'capture") ?
				 "the image does not know 'capture' (built before nfbox capture?)" :
				 "no answer to 'capture start' from the image");
		rc = -EPROTO;
	}
	free(out);
	if (rc)
		return rc;
	res->armed = true;
	uint8_t *data = malloc(CAP_SNAPLEN_MAX);
	if (!data)
		return -ENOMEM;
	bool stopping = false;
	for (;;) {
		if (q->stop && *q->stop && !stopping) {
			stopping = true;
			snprintf(req, sizeof(req), "capture stop\ncapture read %u\n", ROUND_BYTES);
		} else {
			snprintf(req, sizeof(req), "capture read %u\n", ROUND_BYTES);
		}
		rc = ctl_exchange(t, req, "end", &out, q->timeout_ms);
		if (rc)
			break;
		enum { NONE, MORE, WAIT, DONE, GONE } end = NONE;
		for (char *l = out; *l && rc == 0;) {
			size_t n = strcspn(l, "\r\n");
			struct control_cap_frame f;
			int k = control_cap_parse(l, n, &f, data, CAP_SNAPLEN_MAX);
			unsigned long long a, b;
			if (k < 0) {
				res->bad++;
			} else if (k > 0) {
				rc = frame(ctx, &f, data);
				res->frames++;
			} else if (sscanf(l, "capture more %llu %llu", &a, &b) == 2) {
				end = MORE;
			} else if (sscanf(l, "capture wait %llu %llu", &a, &b) == 2) {
				end = WAIT;
			} else if (sscanf(l, "capture done %llu %llu", &a, &b) == 2) {
				end = DONE;
			} else if (n > 13 && strncmp(l, "capture none ", 13) == 0) {
				snprintf(res->msg, sizeof(res->msg), "%.*s", (int)(n - 13), l + 13);
				end = GONE;
			}
			if (end == MORE || end == WAIT || end == DONE) {
				res->copied = a;
				res->lost = b;
			}
			l += n;
			while (*l == '\r' || *l == '\n')
				l++;
		}
		free(out);
		if (rc)
			break;
		if (end == DONE)
			break;
		if (end == GONE || end == NONE) {
			if (end == NONE)
				snprintf(res->msg, sizeof(res->msg),
					 "the image's answer to 'capture read' says neither more, wait nor done");
			rc = -EPROTO;
			break;
		}
		if (end == WAIT) {
			struct timespec ts = {0, WAIT_NS};
			nanosleep(&ts, NULL);
		}
	}
	free(data);
	return rc;
}
