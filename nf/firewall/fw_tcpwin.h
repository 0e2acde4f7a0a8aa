/* SPDX-License-Identifier: MIT */
/*
 * fw_tcpwin.h - TCP sequence-window tracking: is a segment inside the
 * window its connection has opened?  After G. van Rooij, "Real Stateful
 * TCP Packet Filtering in IP Filter" (2001), the scheme Linux conntrack and
 * pf also follow.
 *
 * Per direction (the sender S of a segment, its receiver R):
 *   end     highest seq + len S has sent (SYN and FIN count one)
 *   maxend  highest sequence number S may send up to: max over R's
 *           ack + window (R's window scaled by R's shift)
 *   maxwin  largest window S has advertised (scaled), at least 1 once S
 *           has been seen; 0 while S has not sent its SYN yet
 *   scale   S's window shift: its SYN's option, or 0 unless both SYNs
 *           carried the option (RFC 7323 2.2), at most 14
 *
 * A segment seq..end carrying ack (R's ack is taken as R.end without ACK)
 * and window win (scaled by S.scale unless a SYN) is in the window when
 *   I    seq <= S.maxend                   not beyond what R allows
 *   II   end >= S.end - R.maxwin           not older than R's window
 *   III  ack <= R.end                      acknowledges nothing unsent
 *   IV   ack >= R.end - max(S.maxwin, 66000) not too stale an ack
 * (sequence arithmetic modulo 2^32).  Retransmissions and keepalives
 * (seq = end - 1) satisfy them; a blind attacker must guess seq and ack
 * within a window each.  An RST is judged the same way, with end = seq:
 * it is honoured only if its seq falls in the window (RFC 5961 3 in spirit;
 * the exact-match-or-challenge-ACK rule is the endpoint's).  An RST
 * answering a SYN (the replier still unseen) must acknowledge that SYN
 * exactly (RFC 793 p. 36).
 *
 * Accepted segments move S.end, S.maxwin and R.maxend forward.  In sloppy
 * mode (`tcp-window sloppy`: pf's `sloppy`, conntrack's be_liberal) every
 * segment is taken as in the window, and the state is still updated, so a
 * reload back to strict finds it current.
 *
 * Mid-stream flows: a TCP packet of no known flow that is not a plain SYN
 * opens no flow (fw_ct.h), in either mode: dropped as invalid.  Flows
 * survive a reload; an image restart forgets them and their connections
 * must reconnect.  A first fragment's length is the fragment's, so its end
 * is underestimated; the check stays correct, only less tight.
 *
 * The state is 32 bytes per flow, too much for the flow entry's 64-bit user
 * word (fw_ct.h: state, port, FIN bits and rule; 17 bits free): the
 * firewall keeps an array of them indexed like the flow table's entries.
 */
#ifndef NFB_FW_TCPWIN_H
#define NFB_FW_TCPWIN_H

#include "dataplane/parse.h"

#define FW_TW_WS 0x01     /* this side's SYN carried the window-scale option */
#define FW_TW_MAXACK 66000u /* RFC 1323's largest unscaled window, rounded up */
#define FW_TW_SCALE_MAX 14

struct fw_tcpwin_dir {
	uint32_t end;
	uint32_t maxend;
	uint32_t maxwin;
	uint8_t scale;
	uint8_t flags;
	uint16_t pad;
};

struct fw_tcpwin {
	struct fw_tcpwin_dir d[2]; /* [FT_DIR_ORIG], [FT_DIR_REPLY] */
};
_Static_assert(sizeof(struct fw_tcpwin) == 32, "two flows per cache line");

/* What the tracker needs of a segment. */
struct fw_tcp_seg {
	uint32_t seq, ack, end, win; /* win as sent, unscaled */
	uint8_t flags;
	int8_t wscale;               /* SYN's window-scale option, -1 if none */
};

/* The segment of a parsed TCP packet (PKT_F_L4, l4_proto TCP). */
void fw_tcp_seg_from_pkt(const struct pkt *p, struct fw_tcp_seg *s);

/* A new flow's state from its opening SYN (direction FT_DIR_ORIG). */
void fw_tcpwin_init(struct fw_tcpwin *w, const struct fw_tcp_seg *syn);

/* Check segment `s` of direction `dir` (FT_DIR_*) against the window and,
 * if it passes (or `sloppy`), update the state.  `handshake`: the flow has
 * not been established yet (a side may then restart with a new SYN).
 * Returns true if the segment is in the window (always when sloppy). */
bool fw_tcpwin_step(struct fw_tcpwin *w, int dir, const struct fw_tcp_seg *s, bool handshake,
		    bool sloppy);

static inline bool fw_seq_le(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }

/*
 * The fast path's case: a segment with ACK and without SYN/FIN/RST on an
 * established flow (both sides known).  The same checks and updates as
 * fw_tcpwin_step (not sloppy), inline and with one branch for the common
 * case: the conditions are combined without short-circuit jumps and the
 * updates are stores of maxima (an in-window segment seldom changes more
 * than S.end and R.maxend, but storing unchanged values costs less than
 * predicting which ones change).  False, changing nothing, if out of the
 * window: the caller's slow path then judges it (sloppy mode included).
 */
static inline bool fw_tcpwin_ack(struct fw_tcpwin *w, int dir, const struct pkt *p)
{
	const struct tcp_hdr *th = (const struct tcp_hdr *)pkt_l4(p);
	struct fw_tcpwin_dir *s = &w->d[dir], *r = &w->d[dir ^ 1];
	uint32_t seq = sys_ntohl(th->seq), ack = sys_ntohl(th->ack);
	uint32_t len = (uint32_t)p->l3_off + p->l3_len - p->l4_off - ((th->doff_res >> 2) & 0x3c);
	uint32_t end = seq + len, win = (uint32_t)sys_ntohs(th->window) << s->scale;
	uint32_t s_end = s->end, s_maxend = s->maxend, s_maxwin = s->maxwin;
	uint32_t r_end = r->end, r_maxend = r->maxend;
	uint32_t maxack = s_maxwin > FW_TW_MAXACK ? s_maxwin : FW_TW_MAXACK;
	/* III and IV as one unsigned range check: R.end - ack in [0, maxack]
	 * (maxack < 2^31). */
	unsigned in = (unsigned)fw_seq_le(seq, s_maxend) &
		      (unsigned)fw_seq_le(s_end - r->maxwin, end) & (unsigned)(r_end - ack <= maxack);
	if (unlikely(!in))
		return false;
	/* Data overrunning S.maxend (allowed: only seq must be inside) widens
	 * what II tolerates for its retransmissions. */
	if (unlikely(!fw_seq_le(end, s_maxend)))
		r->maxwin += end - s_maxend;
	s->maxwin = s_maxwin < win ? win : s_maxwin;
	s->end = fw_seq_le(end, s_end) ? s_end : end;
	uint32_t lim = ack + (win ? win : 1);
	r->maxend = fw_seq_le(lim, r_maxend) ? r_maxend : lim;
	return true;
}

#endif
