/* SPDX-License-Identifier: MIT */
/*
 * capture.h - copies of the frames a function sees, in a bounded ring.
 * Prefix cap_.
 *
 * `nfbox capture` arms a capture on a running main loop: one port, the
 * directions wanted and a count.  The directions, as the function sees
 * them:
 *   rx    a frame handed to the function from that port (parsed cleanly,
 *         before the function rewrites it)
 *   tx    a frame the function sends out of that port (after rewriting;
 *         generated ones too), before the driver takes it
 *   drop  a frame that came in on that port and was dropped: malformed,
 *         the function's verdict (with its reason where the function gives
 *         one, nf_ops.drop_names), a verdict naming no port, or the TX
 *         ring full
 * While armed, the loop copies each matching frame (at most `snaplen`
 * bytes of it) into a byte ring of fixed size; the control channel drains
 * the ring between bursts.  A frame that finds the ring full is not
 * copied, only counted (`lost`): a capture never holds a buffer nor waits
 * for its reader, so what it can cost forwarding is one copy per matching
 * frame, bounded by what the reader drains plus the ring's size.  Not
 * armed, the loop pays one branch per burst (loop.c: l->cap is NULL).
 *
 * One producer (the loop) and one consumer (the control channel, or
 * `nfbox replay` after each burst) on the same core, never concurrent:
 * no atomics.  Portable: builds freestanding and hosted.
 */
#ifndef NFB_DATAPLANE_CAPTURE_H
#define NFB_DATAPLANE_CAPTURE_H

#include "nfb/pkt.h"

struct nf_ops;

/* Directions, as a mask. */
#define CAP_RX 1u
#define CAP_TX 2u
#define CAP_DROP 4u
#define CAP_ALL (CAP_RX | CAP_TX | CAP_DROP)

/* Why a frame was dropped (a record's `why`; 0 for rx and tx). */
#define CAP_WHY_NONE 0
#define CAP_WHY_NF 1          /* the function's verdict, no reason given */
#define CAP_WHY_BAD_PORT 2    /* a verdict naming a port that does not exist */
#define CAP_WHY_TX_FULL 3     /* the out port's TX ring was full */
#define CAP_WHY_MALFORMED 16  /* + enum parse_result (parse.h) */
#define CAP_WHY_NF_REASON 128 /* + the function's reason: nf_ops.drop_names[i] */

/* A function that says why it drops stores its reason's index + 1 in
 * pkt.nf_why (0: none given).  The loop clears it before process() only
 * while drops are captured, so it is read only then. */
static inline void cap_set_why(struct pkt *p, unsigned reason)
{
	p->nf_why = (uint8_t)(reason + 1);
}

#define CAP_RING_MIN 4096u
#define CAP_SNAPLEN_MAX 65535u

/* One record in the ring: this header, then cap_len bytes, the whole
 * rounded up to 8 bytes. */
struct cap_rec {
	uint32_t size;     /* of the record; CAP_REC_WRAP: the rest of the ring is skipped */
	uint16_t port;     /* the port captured */
	uint8_t dir;       /* CAP_RX, CAP_TX or CAP_DROP */
	uint8_t why;       /* CAP_WHY_* */
	uint32_t orig_len; /* the frame's length */
	uint32_t cap_len;  /* bytes kept (snaplen) */
	uint64_t ts_ns;    /* the loop's clock when it was seen */
	uint64_t seq;      /* 0 for the first frame copied */
};
#define CAP_REC_WRAP 0xffffffffu

struct capture {
	uint8_t *buf;
	uint32_t size;       /* bytes of buf, a power of two */
	uint64_t head, tail; /* free-running byte positions: written, read */
	uint16_t port;       /* what is captured */
	uint8_t dirs;        /* CAP_* mask */
	uint32_t snaplen;
	uint64_t left;       /* frames still to copy (UINT64_MAX: until stopped) */
	uint64_t copied;     /* frames copied */
	uint64_t lost;       /* matching frames not copied: the ring was full */
};

/* Set up an unarmed capture over buf[size] (a power of two, at least
 * CAP_RING_MIN).  -SYS_EINVAL for a bad size. */
int cap_init(struct capture *c, void *buf, uint32_t size);
/* Start copying: frames of `port` in directions `dirs` (a non-empty
 * CAP_* mask), `count` of them (0: until cap_stop), at most `snaplen`
 * bytes each (1 .. CAP_SNAPLEN_MAX; records must fit a quarter of the
 * ring, so it is cut to that).  The ring is emptied; the counters start
 * at 0.  -SYS_EINVAL for a bad argument. */
int cap_arm(struct capture *c, uint16_t port, unsigned dirs, uint64_t count, uint32_t snaplen);
/* Copy no more frames; what the ring holds stays readable. */
static inline void cap_stop(struct capture *c)
{
	c->left = 0;
}

/* Is a frame of `port` going `dir` wanted (armed, the port, the
 * direction, frames left)? */
static inline bool cap_want(const struct capture *c, uint16_t port, unsigned dir)
{
	return c->left && c->port == port && (c->dirs & dir);
}

/* Copy `p` as a frame of `port` in direction `dir` (why: CAP_WHY_*) if it
 * is wanted; a full ring counts it lost. */
void cap_frame(struct capture *c, const struct pkt *p, uint16_t port, unsigned dir, unsigned why,
	       uint64_t now);

/* The oldest record and its bytes, or NULL if the ring is empty. */
const struct cap_rec *cap_peek(const struct capture *c, const uint8_t **data);
/* Drop the record cap_peek returned. */
void cap_pop(struct capture *c);
/* Copying finished (count reached or stopped) and everything read. */
static inline bool cap_done(const struct capture *c)
{
	return !c->left && c->head == c->tail;
}

/* The reason of a drop record as a word: "malformed:runt",
 * "firewall:policy", "tx_full", ...; "-" for CAP_WHY_NONE.  `nf` (or
 * NULL) names the function's reasons.  Returns buf. */
const char *cap_why_name(const struct nf_ops *nf, unsigned why, char *buf, size_t n);
/* "rx", "tx", "drop" for one direction; NULL for anything else. */
const char *cap_dir_name(unsigned dir);
/* Parse "rx", "tx", "drop", "all" or a comma-separated list of them into
 * a mask; 0 if s is not that. */
unsigned cap_dirs_parse(const char *s, size_t n);

#endif
