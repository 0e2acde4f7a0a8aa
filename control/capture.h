/* SPDX-License-Identifier: MIT */
/*
 * capture.h - a capture ring (dataplane/capture.h) as console lines, and
 * back.  Prefix control_cap_.
 *
 * `nfbox capture` drains a running image's ring in rounds (control/
 * proto.h, "capture read MAX"), as `nfbox flows` reads the flow table:
 * each round prints the oldest records, about MAX bytes of lines at most
 * (one record at least), then says what is left:
 *
 *   capture frame SEQ TS PORT DIR WHY LEN CAPLEN B64
 *                  one record: its number (0 first), the loop's clock in
 *                  ns, the port's index, rx|tx|drop, the drop's reason
 *                  ("-" for rx and tx; cap_why_name), the frame's length,
 *                  the bytes kept, and those bytes in base64 (one line,
 *                  CONTROL_CAP_LINE_MAX characters at most)
 *   capture more COPIED LOST   the ring holds more: ask again at once
 *   capture wait COPIED LOST   the ring is empty, frames are still wanted
 *   capture done COPIED LOST   the count is reached (or the capture was
 *                  stopped) and everything was read: the capture is over
 *   capture none WHY           no capture is armed, or it cannot be
 *
 * COPIED counts the frames copied so far, LOST those that found the ring
 * full.  Portable: builds freestanding (the image prints) and hosted (the
 * host parses).
 */
#ifndef NFB_CONTROL_CAPTURE_H
#define NFB_CONTROL_CAPTURE_H

#include "control/proto.h"
#include "dataplane/capture.h"

/* A frame line's longest prefix, then base64 of a snap length's bytes. */
#define CONTROL_CAP_PREFIX_MAX 160
#define CONTROL_CAP_LINE_MAX(snaplen) (CONTROL_CAP_PREFIX_MAX + CONTROL_B64_LEN(snaplen))
#define CONTROL_CAP_ROUND 8192u      /* bytes a round prints when the client names no MAX */
#define CONTROL_CAP_ROUND_MAX 65536u /* and at most */

typedef void (*control_out_fn)(void *ctx, const char *s, size_t n);

/* One round over ring `c` (function `nf` names the drop reasons): records
 * as frame lines until about max bytes are out (1 .. CONTROL_CAP_ROUND_MAX;
 * 0: CONTROL_CAP_ROUND), each popped, then the "more", "wait" or "done"
 * line.  Returns the bytes printed. */
size_t control_cap_round(struct capture *c, const struct nf_ops *nf, size_t max,
			 control_out_fn out, void *ctx);

/* A frame line, decoded. */
struct control_cap_frame {
	uint64_t seq, ts_ns;
	unsigned port, dir;           /* dir: CAP_RX, CAP_TX or CAP_DROP */
	char why[48];                 /* "-" unless a drop */
	uint32_t orig_len, cap_len;   /* cap_len bytes are in the caller's data */
};

/* Decode line l[n] (no '\n') if it is a frame line: 1, with the frame's
 * bytes in data[max]; 0 if it is some other line; -1 if it is a frame
 * line that does not decode (or holds more than max bytes). */
int control_cap_parse(const char *l, size_t n, struct control_cap_frame *f, uint8_t *data,
		      size_t max);

#endif
