/* SPDX-License-Identifier: MIT */
/*
 * fw_ct.h - connection tracking state, kept in the 64-bit `user` word of a
 * flow-table entry (flowtable.h), so the state sits in the cache line the
 * lookup already loaded.
 *
 *   bits  0-7   state (enum fw_ct_state)
 *   bits  8-11  ingress port of the packet that created the flow
 *   bits 12-14  TCP: FIN seen from the originator / the replier; which side
 *               sent the second FIN
 *   bits 32-63  the rule that accepted the flow (for `flows` dumps and logs)
 *
 * TCP follows the handshake by flags here; sequence numbers are checked
 * against the windows apart from this word (fw_tcpwin.h):
 *
 *   SYN_SENT --reply SYN+ACK--> SYN_RECV --ACK--> ESTABLISHED
 *   SYN_SENT --reply SYN------> SYN_SENT2 (simultaneous open)
 *                                --SYN+ACK either way--> SYN_RECV
 *   ESTABLISHED --FIN--> FIN_WAIT --FIN other way--> CLOSING
 *                                 --ACK from the other side--> TIME_WAIT
 *   any --RST--> CLOSED
 *   TIME_WAIT / CLOSED --SYN--> reopened: the entry goes, rules judge anew
 *
 * A packet that does not fit its state (a SYN on an established flow, an
 * ACK before the handshake, SYN+FIN, ...) is INVALID: dropped and counted,
 * the state unchanged.  Timeouts: SYN_*, FIN_WAIT, CLOSING tcp-transitory;
 * ESTABLISHED tcp-established; TIME_WAIT, CLOSED tcp-closed.  Other
 * protocols have two states, ONEWAY and REPLIED, and their protocol's
 * timeout.
 */
#ifndef NFB_FW_CT_H
#define NFB_FW_CT_H

#include "nfb/sys.h"

enum fw_ct_state {
	FW_CT_NONE,
	FW_CT_SYN_SENT,
	FW_CT_SYN_SENT2,
	FW_CT_SYN_RECV,
	FW_CT_ESTABLISHED,
	FW_CT_FIN_WAIT,
	FW_CT_CLOSING,
	FW_CT_TIME_WAIT,
	FW_CT_CLOSED,
	FW_CT_ONEWAY,   /* not TCP: only the originator has spoken */
	FW_CT_REPLIED,  /* not TCP: both have */
	FW_CT_STATE_COUNT
};

#define FW_CT_FIN_ORIG (1ull << 12)
#define FW_CT_FIN_REPLY (1ull << 13)
#define FW_CT_FIN2_REPLY (1ull << 14) /* the second FIN came from the replier */

static inline unsigned fw_ct_state(uint64_t u) { return (unsigned)(u & 0xff); }
static inline unsigned fw_ct_port(uint64_t u) { return (unsigned)((u >> 8) & 0xf); }
static inline uint32_t fw_ct_rule(uint64_t u) { return (uint32_t)(u >> 32); }

static inline uint64_t fw_ct_make(unsigned state, unsigned port, uint32_t rule)
{
	return (uint64_t)state | ((uint64_t)(port & 0xf) << 8) | ((uint64_t)rule << 32);
}

enum fw_ct_verdict {
	FW_CT_PASS,
	FW_CT_INVALID,
	FW_CT_REOPEN,   /* a SYN after the close: forget the flow, judge anew */
};

/* Can this TCP packet open a flow?  A SYN without ACK, RST or FIN. */
static inline bool fw_ct_tcp_opens(uint8_t flags)
{
	return (flags & (0x02 | 0x10 | 0x04 | 0x01)) == 0x02;
}

/* Step a TCP flow's state with a packet of direction `dir` (FT_DIR_ORIG or
 * FT_DIR_REPLY) carrying `flags`; updates *user unless INVALID. */
enum fw_ct_verdict fw_ct_tcp(uint64_t *user, int dir, uint8_t flags);

/* The timeout class (enum fw_tmo) of a flow in state *user. */
unsigned fw_ct_tmo(uint64_t user, uint8_t proto);

/* "established", "syn_sent", ... */
const char *fw_ct_state_name(unsigned state);

#endif
