/* SPDX-License-Identifier: MIT */
/*
 * flows.h - a function's flow table as console lines, a chunk at a time.
 *
 * `nfbox flows` dumps a running image's table over its serial console in
 * rounds (control/proto.h, "flows POS [MAX]"): each round answers at most
 * MAX flows from table position POS on and says where the next round
 * starts.  The image keeps nothing between rounds -- the position is the
 * client's -- so a million flows need neither a million-line buffer in the
 * image nor a pause of its data path longer than one chunk.  `nfbox replay
 * --dump-flows` makes the same lines from the same code, and the host
 * turns both into the same table (tools/flows_fmt.h).
 *
 * A round's lines:
 *   flows function NAME          first: the function answering
 *   flow P SRC SP DST DP RSRC RSP RDST RDP STATE EXPIRES [age MS]
 *        [nat ADDR PORT] [backend ADDR PORT]
 *                                one per flow: IP protocol number, the
 *                                original then the reply direction
 *                                (ports in host order; an ICMP query's
 *                                identifier and tag; "- - - -" when nothing
 *                                comes back), EXPIRES the idle ms left
 *   flows next POS               more from POS on (the next round's POS)
 *   flows end                    the table is done
 *   flows none WHY               the function keeps no flows ("fwd keeps
 *                                no flows")
 *
 * Portable: builds freestanding and hosted.
 */
#ifndef NFB_NF_FLOWS_H
#define NFB_NF_FLOWS_H

#include "dataplane/nf.h"

/* A flow line: four IPv6 ends and a mapping (46 characters each with
 * their ports), state, times. */
#define NF_FLOWS_LINE_MAX 352
#define NF_FLOWS_CHUNK 256       /* flows a round answers when the client names no MAX */
#define NF_FLOWS_CHUNK_MAX 4096  /* and at most, whatever it names */

/* Flow `f` as a "flow ..." line, without '\n'.  Returns its length (what
 * snprintf returns: cut if >= n). */
int nf_flow_encode(const struct nf_flow *f, char *buf, size_t n);

typedef void (*nf_flows_out_fn)(void *ctx, const char *s, size_t n);

/* One round: the lines above for at most `max` flows (1 ..
 * NF_FLOWS_CHUNK_MAX; 0: NF_FLOWS_CHUNK) of function `nf` (state st) from
 * table position `pos` on, through out(ctx, ...) in pieces of whole lines. */
void nf_flows_round(const struct nf_ops *nf, void *st, uint64_t pos, unsigned max, uint64_t now,
		    nf_flows_out_fn out, void *ctx);

/* Helpers for the functions' flow_next. */
/* The time left until tick `deadline` at `now` (0 once it passed). */
uint64_t nf_flow_left_ns(uint32_t deadline, uint64_t now);
/* `k` without its zone. */
static inline struct flow_key nf_flow_key(const struct flow_key *k)
{
	struct flow_key c = *k;
	c.zone = 0;
	return c;
}
/* The walk both kinds of table share: the next entry of `t` at index
 * *pos or after that is live at `now` (expired ones the wheel has not
 * reaped yet are hidden, as lookups hide them) and, unless zone is
 * NF_FLOWS_ANY_ZONE, keyed in `zone`; *pos moves past it.  FT_MISS when
 * none is left. */
#define NF_FLOWS_ANY_ZONE (-1)
struct ft;
int32_t nf_flows_next_entry(struct ft *t, uint64_t *pos, uint64_t now, int zone);
/* Copy state name `s` into f->state. */
void nf_flow_set_state(struct nf_flow *f, const char *s);

#endif
