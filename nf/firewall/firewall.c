/* SPDX-License-Identifier: MIT */
/*
 * firewall - a stateful packet filter between two ports (0 <-> 1, and
 * 2 <-> 3 ... for more): rules top-down, first match wins, default policy;
 * accepted flows are tracked so their later packets, both ways, pass
 * without rule evaluation.  The config language is in fw_rules.c, the
 * state machine in fw_ct.h, fragments in fw_frag.h, answers to `reject`
 * in fw_reject.h, counters in fw_stats.h.
 *
 * Per burst (stateful):
 *   1. non-IP frames, later fragments and ICMP errors take their own
 *      (cold) paths;
 *   2. the rest get a flow key and hash, and are looked up together
 *      (ft_lookup_bulk prefetches every bucket first);
 *   3. a hit steps the flow's state and passes; a miss is classified
 *      (fw_cls.h) and, if accepted, inserted.
 * Step 3 has a fast path for the common case, a packet that changes
 * nothing but its flow's deadline (and TCP window): it runs as a tight
 * loop until the first packet it cannot take, touches no counter (they
 * are added per burst) and leaves the verdicts to one batch-wide store
 * when it took every packet.  The rest of the chunk goes the general way
 * (fw_slow).  Once the burst has inserted or deleted a flow, later packets
 * of it are looked up again rather than trusting step 2 (they may belong
 * to the new flow, or their entry may be gone).
 */
#include "dataplane/flow.h"
#include "dataplane/parse.h"
#include "nf/firewall/fw.h"
#include "nf/firewall/fw_cls.h"
#include "nf/firewall/fw_ct.h"
#include "nf/firewall/fw_match.h"
#include "nf/firewall/fw_reject.h"

#define FW_EXPIRE_BUDGET 4096
#define FW_FRAG_MIN 256
#define FW_FRAG_MAX 65536

/* ---- verdicts ------------------------------------------------------------- */
static inline void fw_drop(struct fw *fw, struct pkt *p, enum fw_drop why)
{
	p->out_port = PKT_DROP;
	cap_set_why(p, why);
	fw->c.dropped++;
	fw->c.drop[why]++;
	fw->c.port[p->port & (PORT_MAX - 1)].dropped++;
}

static inline void fw_pass(struct fw *fw, struct pkt *p)
{
	uint16_t out = p->port ^ 1u;
	if (unlikely(out >= fw->n_ports)) {
		fw_drop(fw, p, FW_DROP_NO_PORT);
		return;
	}
	p->out_port = out;
	fw->c.accepted++;
	fw->c.port[p->port & (PORT_MAX - 1)].accepted++;
}

static void fw_reject(struct fw *fw, struct nf_batch *b, struct pkt *p, uint64_t now)
{
	fw_drop(fw, p, FW_DROP_REJECT);
	struct pkt *r;
	if (nf_reply_due(p) && !nf_reply_limit_take(&fw->reply_limit, now)) {
		fw->c.rejects_limited++;
		return;
	}
	switch (fw_reject_build(fw->pool, p, &r)) {
	case NF_REPLY_SENT:
		if (nf_batch_emit(b, r)) {
			fw->c.rejects_sent++;
			fw->c.port[p->port & (PORT_MAX - 1)].rejected++;
		} else {
			fw->c.rejects_nobuf++;
		}
		break;
	case NF_REPLY_NOT_DUE:
		fw->c.rejects_not_due++;
		break;
	case NF_REPLY_NO_BUF:
		fw->c.rejects_nobuf++;
		break;
	}
}

/* Count and log a rule decision; returns the action. */
static unsigned fw_decide(struct fw *fw, struct pkt *p, int32_t r, uint64_t now)
{
	const struct fw_rules *rs = fw->rs;
	uint32_t slot = r >= 0 ? (uint32_t)r : rs->n_rules;
	rs->ctr[slot].pkts++;
	rs->ctr[slot].bytes += p->len;
	p->nf_mark = (uint16_t)(r + 1);
	unsigned action = r >= 0 ? rs->rules[r].action : rs->def_action;
	bool log = r >= 0 ? rs->rules[r].log : rs->def_log;
	if (unlikely(log))
		fw_log_pkt(&fw->log, now, p, fw_action_name(action), (unsigned)(r + 1),
			   r >= 0 ? rs->rules[r].where : "", rs->port_name[p->port & (CFG_PORT_MAX - 1)]);
	return action;
}

static int32_t fw_classify(struct fw *fw, const struct pkt *p)
{
	struct fw_key k;
	fw_key_from_pkt(p, &k);
	return fw_cls_classify(fw->rs->cls, &k);
}

static inline uint8_t tcp_flags(const struct pkt *p)
{
	return ((const struct tcp_hdr *)pkt_l4(p))->flags;
}

/* ICMP query requests (echo, timestamp, ...) open flows; replies only
 * belong to one, and other ICMP messages are judged each time. */
static bool fw_opens_flow(const struct pkt *p)
{
	if (p->l4_proto == IPPROTO_ICMP_ || p->l4_proto == IPPROTO_ICMPV6_)
		return flow_icmp_tag_is_request(flow_icmp_tag(p->l4_proto, pkt_l4(p)[0]));
	return true;
}

static bool fw_is_icmp_error(const struct pkt *p)
{
	if (p->l4_proto != IPPROTO_ICMP_ && p->l4_proto != IPPROTO_ICMPV6_)
		return false;
	return (p->flags & PKT_F_L4) && flow_icmp_is_error(p->l4_proto, pkt_l4(p)[0]);
}

/* Judge by the rules alone, creating no state.  `r` is the packet's rule
 * if already classified, FW_UNCLASSIFIED if not. */
#define FW_UNCLASSIFIED (-2)

static void fw_judge(struct fw *fw, struct nf_batch *b, struct pkt *p, int32_t r, uint64_t now)
{
	if (r == FW_UNCLASSIFIED)
		r = fw_classify(fw, p);
	switch (fw_decide(fw, p, r, now)) {
	case FW_ACT_ACCEPT:
		fw_pass(fw, p);
		break;
	case FW_ACT_DROP:
		fw_drop(fw, p, FW_DROP_POLICY);
		break;
	default:
		fw_reject(fw, b, p, now);
		break;
	}
}

/* ---- fragments ------------------------------------------------------------ */
static void fw_later_fragment(struct fw *fw, struct pkt *p, uint64_t now)
{
	struct fw_frag_key fk;
	uint32_t off;
	if (!fw_frag_key_from_pkt(p, &fk, &off)) {
		fw_drop(fw, p, FW_DROP_FRAG_UNKNOWN);
		return;
	}
	/* RFC 1858 3.2: a fragment overlapping the TCP header the rules saw
	 * could rewrite its ports or flags. */
	if (p->l4_proto == IPPROTO_TCP_ && off < 20) {
		fw_drop(fw, p, FW_DROP_FRAG_OVERLAP);
		return;
	}
	int32_t out = fw_frag_get(fw->frag, &fk, now);
	if (out < 0) {
		fw_drop(fw, p, FW_DROP_FRAG_NO_FIRST);
	} else if (out == PKT_DROP) {
		fw_drop(fw, p, FW_DROP_FRAG_DROPPED);
	} else if (out == p->port || out >= fw->n_ports) {
		fw_drop(fw, p, FW_DROP_WRONG_PORT);
	} else {
		p->out_port = (uint16_t)out;
		fw->c.accepted++;
		fw->c.frags_followed++;
		fw->c.port[p->port & (PORT_MAX - 1)].accepted++;
	}
}

static void fw_first_fragment(struct fw *fw, const struct pkt *p, uint64_t now)
{
	struct fw_frag_key fk;
	uint32_t off;
	if (!fw_frag_key_from_pkt(p, &fk, &off))
		return;
	fw->c.frags_tracked++;
	if (fw_frag_put(fw->frag, &fk, p->out_port, now, fw->rs->tmo_ticks[FW_TMO_FRAG]))
		fw->c.frags_evicted++;
}

/* ---- flows ---------------------------------------------------------------- */
enum { FLOW_DONE, FLOW_REOPEN };

/* A packet of a known flow: check its side, step its state, pass it. */
static int fw_known(struct fw *fw, struct pkt *p, int32_t idx, const struct flow_key *k,
		    uint64_t now)
{
	struct ft_entry *e = ft_entry(fw->ft, (uint32_t)idx);
	int dir = flow_key_eq(&e->key, k) ? FT_DIR_ORIG : FT_DIR_REPLY;
	uint64_t u = e->user;
	if (unlikely((dir == FT_DIR_ORIG) != (p->port == fw_ct_port(u)))) {
		fw_drop(fw, p, FW_DROP_WRONG_PORT);
		return FLOW_DONE;
	}
	if (k->proto == IPPROTO_TCP_) {
		unsigned before = fw_ct_state(u);
		enum fw_ct_verdict v = fw_ct_tcp(&u, dir, tcp_flags(p));
		if (unlikely(v != FW_CT_PASS)) {
			if (v == FW_CT_REOPEN)
				return FLOW_REOPEN;
			fw_drop(fw, p, FW_DROP_INVALID);
			return FLOW_DONE;
		}
		struct fw_tcp_seg seg;
		fw_tcp_seg_from_pkt(p, &seg);
		bool handshake = before == FW_CT_SYN_SENT || before == FW_CT_SYN_SENT2 ||
				 before == FW_CT_SYN_RECV;
		if (!fw_tcpwin_step(&fw->tcpw[idx], dir, &seg, handshake, fw->rs->tcp_sloppy)) {
			fw->c.invalid_window++;
			fw_drop(fw, p, FW_DROP_INVALID);
			return FLOW_DONE;
		}
	} else if (dir == FT_DIR_REPLY && fw_ct_state(u) == FW_CT_ONEWAY) {
		u = (u & ~0xffull) | FW_CT_REPLIED;
	}
	e->user = u;
	/* A state change may shorten the timeout (established -> closing):
	 * re-filed so the entry leaves the table at its new deadline. */
	ft_set_deadline(fw->ft, (uint32_t)idx, now, fw->rs->tmo_ticks[fw_ct_tmo(u, k->proto)]);
	fw->c.established++;
	fw_pass(fw, p);
	return FLOW_DONE;
}

static void fw_expired(void *ctx, uint32_t idx, struct ft_entry *e)
{
	(void)idx;
	(void)e;
	((struct fw *)ctx)->c.flows_expired++;
}

/* A full table under a flood of opens (SYN flood, UDP scan): make room by
 * deleting the oldest flow near the new key's home bucket that has not been
 * answered yet (SYN sent, or UDP/ICMP one way), as Linux conntrack's
 * early_drop deletes an unassured entry of the new tuple's chain.  Flows
 * that were answered are never touched, so a flood cannot push out
 * established connections; new ones still get in as long as unanswered
 * entries exist, and the oldest goes first, so a real SYN keeps its slot
 * longer than its SYN-ACK takes.  False if every candidate was answered. */
static int32_t fw_unanswered(void *ctx, uint32_t idx)
{
	unsigned st = fw_ct_state(ft_entry(((struct fw *)ctx)->ft, idx)->user);
	return st == FW_CT_SYN_SENT || st == FW_CT_SYN_SENT2 || st == FW_CT_ONEWAY ? (int32_t)idx
										   : FT_MISS;
}

static bool fw_early_drop(struct fw *fw, uint32_t hash)
{
	/* Same timeout for all of them: the earliest deadline is the oldest. */
	int32_t victim = ft_near_oldest(fw->ft, hash, fw_unanswered, fw);
	if (victim == FT_MISS)
		return false;
	ft_delete(fw->ft, (uint32_t)victim);
	fw->c.flows_early_dropped++;
	return true;
}

/* A packet no flow knows: the rules decide; an accepted one opens a flow.
 * Sets *changed when the table changed. */
static void fw_new(struct fw *fw, struct nf_batch *b, struct pkt *p, const struct flow_key *k,
		   uint32_t hash, int32_t r, uint64_t now, bool *changed)
{
	const struct fw_rules *rs = fw->rs;
	if (r == FW_UNCLASSIFIED)
		r = fw_classify(fw, p);
	unsigned action = fw_decide(fw, p, r, now);
	if (action == FW_ACT_DROP) {
		fw_drop(fw, p, FW_DROP_POLICY);
		return;
	}
	if (action == FW_ACT_REJECT) {
		fw_reject(fw, b, p, now);
		return;
	}
	if (!fw_opens_flow(p)) {
		fw_pass(fw, p);
		return;
	}
	bool tcp = k->proto == IPPROTO_TCP_;
	if (tcp && !fw_ct_tcp_opens(tcp_flags(p))) {
		fw_drop(fw, p, FW_DROP_INVALID);
		return;
	}
	uint64_t u = fw_ct_make(tcp ? FW_CT_SYN_SENT : FW_CT_ONEWAY, p->port, (uint32_t)(r + 1));
	unsigned tmo = fw_ct_tmo(u, k->proto);
	uint64_t tmo_ns = FT_TICKS_NS(rs->tmo_ticks[tmo]);
	int32_t idx = ft_insert(fw->ft, k, hash, now, tmo_ns, u);
	if (unlikely(idx == -SYS_ENOSPC)) {
		/* Expired entries hold their slots until the wheel reaps them,
		 * and the loop runs the wheel only after the burst: reap now
		 * before calling the table full. */
		if (ft_expire(fw->ft, now, FW_EXPIRE_BUDGET, fw_expired, fw)) {
			*changed = true;
			idx = ft_insert(fw->ft, k, hash, now, tmo_ns, u);
		}
	}
	if (idx == -SYS_ENOSPC && fw_early_drop(fw, hash)) {
		*changed = true;
		idx = ft_insert(fw->ft, k, hash, now, tmo_ns, u);
	}
	if (idx == -SYS_ENOSPC) {
		fw_drop(fw, p, FW_DROP_TABLE_FULL);
		return;
	}
	if (idx < 0) {
		/* -SYS_EEXIST: callers look up again after any change, so this
		 * is unreachable; judged as a drop rather than trusted. */
		fw_drop(fw, p, FW_DROP_INVALID);
		return;
	}
	*changed = true;
	fw->c.flows_created++;
	fw->born[idx] = (uint32_t)(now >> FT_TICK_SHIFT);
	if (tcp) {
		struct fw_tcp_seg seg;
		fw_tcp_seg_from_pkt(p, &seg);
		fw_tcpwin_init(&fw->tcpw[idx], &seg);
	}
	fw_pass(fw, p);
}

/* An ICMP error: passes as related if it quotes a known flow and comes
 * from that flow's far side; otherwise the rules judge it. */
static void fw_icmp_error(struct fw *fw, struct nf_batch *b, struct pkt *p, uint64_t now)
{
	struct flow_key k;
	if (fw->rs->stateful && fw_related_key(p, &k)) {
		int dir;
		int32_t idx = ft_lookup(fw->ft, &k, flow_hash(&k), now, &dir);
		if (idx >= 0) {
			unsigned orig = fw_ct_port(ft_entry(fw->ft, (uint32_t)idx)->user);
			/* The quoted packet went out on the far side of where it
			 * came in; its error comes back from there. */
			bool quoted_in_orig = dir == FT_DIR_ORIG;
			if (quoted_in_orig == (p->port != orig)) {
				fw->c.related++;
				fw_pass(fw, p);
				return;
			}
		}
	}
	fw_judge(fw, b, p, FW_UNCLASSIFIED, now);
}

static void fw_non_ip(struct fw *fw, struct pkt *p)
{
	if (fw->rs->non_ip_accept) {
		fw->c.non_ip_accepted++;
		fw_pass(fw, p);
	} else {
		fw_drop(fw, p, FW_DROP_NON_IP);
	}
}

/* Steps 1 of the file comment; false if the packet went a cold way. */
static inline bool fw_cold(struct fw *fw, struct nf_batch *b, struct pkt *p, uint64_t now)
{
	if (unlikely(p->l3 != PKT_L3_IPV4 && p->l3 != PKT_L3_IPV6)) {
		fw_non_ip(fw, p);
		return true;
	}
	if (unlikely(p->flags & PKT_F_FRAG_LATER)) {
		fw_later_fragment(fw, p, now);
		return true;
	}
	if (unlikely(p->l4_proto == IPPROTO_ICMP_ || p->l4_proto == IPPROTO_ICMPV6_) &&
	    fw_is_icmp_error(p)) {
		fw_icmp_error(fw, b, p, now);
		if (p->flags & PKT_F_FRAG)
			fw_first_fragment(fw, p, now);
		return true;
	}
	return false;
}

/* Cold packets whose judgement depends on what came before them in the
 * burst: a later fragment (its first may be ahead of it) and an ICMP
 * error (the flow it quotes may be opened by an earlier packet).  The
 * packets collected before one are processed first. */
static inline bool fw_cold_waits(const struct pkt *p)
{
	return (p->flags & PKT_F_FRAG_LATER) ||
	       ((p->l4_proto == IPPROTO_ICMP_ || p->l4_proto == IPPROTO_ICMPV6_) &&
		(p->l3 == PKT_L3_IPV4 || p->l3 == PKT_L3_IPV6) && fw_is_icmp_error(p));
}

#define FW_CHUNK 32 /* < 64: bitmaps of a chunk fit a uint64_t */

/*
 * The key of an untagged-or-tagged unfragmented IPv4 TCP/UDP packet,
 * built from whole words in registers: flow_key_from_pkt() writes the key
 * field by field, and reading it back as words right after (to hash and
 * compare) stalls on store forwarding.  The hash is flow_hash()'s, from the
 * same registers (flow_hash_v4_words).  False for every other packet.
 */
static inline bool fw_key_v4_fast(const struct pkt *p, struct flow_key *k, uint32_t *hash)
{
	if ((p->flags & (PKT_F_L4 | PKT_F_FRAG)) != PKT_F_L4 || p->l3 != PKT_L3_IPV4 ||
	    (p->l4_proto != IPPROTO_TCP_ && p->l4_proto != IPPROTO_UDP_))
		return false;
	const uint8_t *l3 = pkt_l3(p);
	uint64_t s = sys_ld32(l3 + 12), d = sys_ld32(l3 + 16);
	uint64_t tail = sys_ld32(pkt_l4(p)) | (uint64_t)p->l4_proto << 32 |
			(uint64_t)FLOW_FAMILY_V4 << 40;
	uint64_t *w = (uint64_t *)k;
	w[0] = s;
	w[1] = 0;
	w[2] = d;
	w[3] = 0;
	w[4] = tail;
	*hash = flow_hash_v4_words(s, d, tail);
	return true;
}

/* What the fast path needs, loaded once per burst. */
struct fw_fast {
	struct ft_entry *entries;  /* the flow table's, by index */
	struct fw_tcpwin *tcpw;
	/* A refreshed flow's deadline: established TCP, UDP, ICMP, other. */
	uint32_t dl_tcp, dl_udp, dl_icmp, dl_other;
	uint16_t port;             /* where the burst came in */
};

/*
 * The common case of a known flow, decided without the state machine: its
 * packet arrives on the expected side and changes nothing (TCP established
 * with ACK and no SYN/FIN/RST, inside the window; a non-TCP flow that
 * already has its state).  Then only the deadline (and the TCP window)
 * moves.  `reply`: the lookup matched the reverse of the stored key.
 * Anything else goes to fw_known().
 */
static inline bool fw_known_fast(const struct fw_fast *c, const struct pkt *p, uint32_t idx,
				 uint8_t proto, unsigned reply)
{
	struct ft_entry *e = c->entries + idx;
	uint64_t u = e->user;
	/* The originator's packets come in where the flow was created, the
	 * replier's anywhere else. */
	if ((fw_ct_port(u) == c->port) == reply)
		return false;
	unsigned st = fw_ct_state(u);
	if (proto == IPPROTO_TCP_) {
		if (st != FW_CT_ESTABLISHED ||
		    (tcp_flags(p) & (TCP_SYN | TCP_FIN | TCP_RST | TCP_ACK)) != TCP_ACK ||
		    !fw_tcpwin_ack(&c->tcpw[idx], (int)reply, p))
			return false;
		e->deadline = c->dl_tcp;
		return true;
	}
	if (st != FW_CT_REPLIED && (st != FW_CT_ONEWAY || reply))
		return false;
	/* fw_ct_tmo() of a non-TCP flow */
	if (likely(proto == IPPROTO_UDP_))
		e->deadline = c->dl_udp;
	else if (flow_proto_has_id(proto))
		e->deadline = c->dl_icmp;
	else
		e->deadline = c->dl_other;
	return true;
}

/* One chunk of a burst, by position among the packets that have a flow
 * key (m of them; `which` maps back to the burst). */
struct fw_chunk {
	struct flow_key keys[FW_CHUNK];
	uint32_t hashes[FW_CHUNK];
	int32_t idx[FW_CHUNK];   /* the bulk lookup's answer */
	int32_t rule[FW_CHUNK];  /* misses: their rule; FW_UNCLASSIFIED otherwise */
	uint8_t which[FW_CHUNK];
	struct pkt *pkt[FW_CHUNK]; /* pkts[which[j]] */
	uint32_t m;
};

/* The packets the fast path could not take, from position j on, in
 * order: fw_known() or fw_new().  Once the table changed, later packets
 * are looked up again rather than trusting the bulk lookup.  Returns the
 * positions (among keys) it still passed fast. */
static __attribute__((noinline)) uint64_t
fw_slow(struct fw *fw, struct nf_batch *b, struct fw_chunk *ch, uint32_t j,
	const struct fw_fast *c, uint64_t fast_ok, uint64_t reply, uint64_t now)
{
	bool changed = false;
	uint64_t fast = 0;
	for (; j < ch->m; j++) {
		struct pkt *p = ch->pkt[j];
		struct flow_key *k = &ch->keys[j];
		int32_t x = ch->idx[j];
		if (!changed && ((fast_ok >> j) & 1) &&
		    fw_known_fast(c, p, (uint32_t)x, k->proto, (reply >> j) & 1)) {
			fast |= 1ull << j;
			continue;
		}
		if (unlikely(changed))
			x = ft_lookup(fw->ft, k, ch->hashes[j], now, NULL);
		if (likely(x >= 0)) {
			if (unlikely(fw_known(fw, p, x, k, now) == FLOW_REOPEN)) {
				ft_delete(fw->ft, (uint32_t)x);
				changed = true;
				fw->c.flows_reopened++;
				fw_new(fw, b, p, k, ch->hashes[j], FW_UNCLASSIFIED, now, &changed);
			}
		} else {
			/* A miss in the bulk lookup has its rule; a packet found
			 * missing only on the re-lookup (its flow expired or was
			 * reopened meanwhile) is classified now. */
			fw_new(fw, b, p, k, ch->hashes[j],
			       ch->idx[j] < 0 ? ch->rule[j] : FW_UNCLASSIFIED, now, &changed);
		}
		if (unlikely(p->flags & PKT_F_FRAG))
			fw_first_fragment(fw, p, now);
	}
	return fast;
}

/* The packets no flow knows are classified together up front, so their
 * tree walks overlap (fw_cls_classify_burst); rules do not change during
 * a burst, so the answers stay valid even if an earlier packet of the
 * burst opens the flow after all. */
static __attribute__((noinline)) void fw_classify_misses(struct fw *fw, struct fw_chunk *ch)
{
	struct fw_key fk[FW_CHUNK];
	uint8_t miss[FW_CHUNK];
	uint32_t n_miss = 0;
	for (uint32_t j = 0; j < ch->m; j++) {
		ch->rule[j] = FW_UNCLASSIFIED;
		if (ch->idx[j] < 0) {
			fw_key_from_pkt(ch->pkt[j], &fk[n_miss]);
			miss[n_miss++] = (uint8_t)j;
		}
	}
	if (!n_miss)
		return;
	int32_t r[FW_CHUNK];
	fw_cls_classify_burst(fw->rs->cls, fk, n_miss, r);
	for (uint32_t i = 0; i < n_miss; i++)
		ch->rule[miss[i]] = r[i];
}

/* Processes pkts[0 .. *used) (all n, unless an order-sensitive cold
 * packet comes after others: fw_cold_waits).  Returns a bitmap of the
 * packets (by position in pkts) the fast path passed, their out_port not
 * yet set. */
static uint64_t fw_process_stateful(struct fw *fw, struct nf_batch *b, struct pkt **pkts,
				    uint16_t n, uint64_t now, uint16_t *used)
{
	struct fw_chunk ch;
	const struct flow_key *kp[FW_CHUNK];
	uint32_t m = 0;
	uint64_t tcp = 0;  /* by position among keys */
	uint64_t frag = 0; /* first fragments: fw_first_fragment() must see them */
	for (uint16_t i = 0; i < n; i++) {
		struct pkt *p = pkts[i];
		kp[m] = &ch.keys[m];
		if (likely(fw_key_v4_fast(p, &ch.keys[m], &ch.hashes[m]))) {
			tcp |= (uint64_t)(p->l4_proto == IPPROTO_TCP_) << m;
			ch.pkt[m] = p;
			ch.which[m++] = (uint8_t)i;
			continue;
		}
		if (unlikely(m && fw_cold_waits(p))) {
			n = i;
			break;
		}
		if (fw_cold(fw, b, p, now))
			continue;
		flow_key_from_pkt(p, 0, &ch.keys[m]);
		ch.hashes[m] = flow_hash(&ch.keys[m]);
		tcp |= (uint64_t)(ch.keys[m].proto == IPPROTO_TCP_) << m;
		frag |= (uint64_t)((p->flags & PKT_F_FRAG) != 0) << m;
		ch.pkt[m] = p;
		ch.which[m++] = (uint8_t)i;
	}
	*used = n;
	if (!m)
		return 0;
	ch.m = m;
	uint64_t reply;
	uint64_t hits = ft_lookup_bulk_dir(fw->ft, kp, ch.hashes, m, now, ch.idx, &reply);
	/* Known TCP flows also need their window state, a line of its own. */
	for (uint64_t t = tcp & hits; t; t &= t - 1)
		__builtin_prefetch(&fw->tcpw[ch.idx[__builtin_ctzll(t)]]);
	if (unlikely(hits != (1ull << m) - 1))
		fw_classify_misses(fw, &ch);
	const struct fw_rules *rs = fw->rs;
	struct fw_fast c = {
		.entries = ft_entry(fw->ft, 0),
		.tcpw = fw->tcpw,
		.dl_tcp = ft_deadline(now, rs->tmo_ticks[FW_TMO_TCP_EST]),
		.dl_udp = ft_deadline(now, rs->tmo_ticks[FW_TMO_UDP]),
		.dl_icmp = ft_deadline(now, rs->tmo_ticks[FW_TMO_ICMP]),
		.dl_other = ft_deadline(now, rs->tmo_ticks[FW_TMO_OTHER]),
		.port = b->port,
	};
	/* Without a port to pass to, nothing is fast (fw_pass drops); first
	 * fragments go the slow way, which remembers them for the later ones. */
	uint64_t fast_ok = (b->port ^ 1u) < fw->n_ports ? hits & ~frag : 0;
	/* The fast path alone, while it lasts; the first packet it cannot
	 * take hands the rest of the chunk to fw_slow().  (fast_ok has no bit
	 * at m or above: the loop ends there.) */
	uint32_t j = 0;
	while (((fast_ok >> j) & 1) &&
	       fw_known_fast(&c, ch.pkt[j], (uint32_t)ch.idx[j], ch.keys[j].proto,
			     (reply >> j) & 1))
		j++;
	uint64_t fast = j == 64 ? ~0ull : (1ull << j) - 1;
	if (unlikely(j < m))
		fast |= fw_slow(fw, b, &ch, j, &c, fast_ok, reply, now);
	/* Counted once per burst: the fast path touches no counter. */
	uint32_t n_fast = (uint32_t)__builtin_popcountll(fast);
	fw->c.established += n_fast;
	fw->c.accepted += n_fast;
	fw->c.port[b->port & (PORT_MAX - 1)].accepted += n_fast;
	return likely(m == n) ? fast : nf_fast_in_chunk(fast, ch.which);
}

/* `stateful off`: every packet is classified, a burst at a time.
 * Processes pkts[0 .. returned) (see fw_process_stateful). */
static uint16_t fw_process_stateless(struct fw *fw, struct nf_batch *b, struct pkt **pkts,
				     uint16_t n, uint64_t now)
{
	struct fw_key fk[FW_CHUNK];
	uint8_t which[FW_CHUNK];
	int32_t rule[FW_CHUNK];
	uint32_t m = 0;
	for (uint16_t i = 0; i < n; i++) {
		if (unlikely(m && fw_cold_waits(pkts[i]))) {
			n = i;
			break;
		}
		if (fw_cold(fw, b, pkts[i], now))
			continue;
		fw_key_from_pkt(pkts[i], &fk[m]);
		which[m++] = (uint8_t)i;
	}
	if (!m)
		return n;
	fw_cls_classify_burst(fw->rs->cls, fk, m, rule);
	for (uint32_t j = 0; j < m; j++) {
		struct pkt *p = pkts[which[j]];
		fw_judge(fw, b, p, rule[j], now);
		if (unlikely(p->flags & PKT_F_FRAG))
			fw_first_fragment(fw, p, now);
	}
	return n;
}

static void fw_process(void *st, struct nf_batch *b, uint64_t now)
{
	struct fw *fw = st;
	fw->now = now;
	if (likely(fw->rs->stateful)) {
		/* The fast path leaves its packets' verdicts to here (nf.h). */
		uint16_t out = b->port ^ 1u;
		uint32_t done = 0;
		for (uint16_t i = 0, n; i < b->n; i += n) {
			uint64_t fast = fw_process_stateful(fw, b, b->pkts + i,
							    (uint16_t)SYS_MIN(FW_CHUNK, b->n - i), now, &n);
			nf_fast_chunk(b, &done, i, n, fast, out);
		}
		nf_fast_done(b, done, out);
		return;
	}
	for (uint16_t i = 0; i < b->n;)
		i += fw_process_stateless(fw, b, b->pkts + i, (uint16_t)SYS_MIN(FW_CHUNK, b->n - i), now);
}

/* ---- life cycle ----------------------------------------------------------- */
/* Fragment state needs no timer: its entries are dead past their deadline
 * and their slots are reused in place (fw_frag.c). */
static uint64_t fw_expire(void *st, uint64_t now)
{
	struct fw *fw = st;
	ft_expire(fw->ft, now, FW_EXPIRE_BUDGET, fw_expired, fw);
	return ft_next_expiry(fw->ft, now);
}

static int fw_apply(struct fw *fw, const struct cfg *cfg, struct cfg_errors *errs)
{
	struct fw_rules *rs;
	int rc = fw_rules_compile(cfg, errs, &rs);
	if (rc)
		return rc;
	rs->cls = fw_cls_build(rs);
	if (!rs->cls) {
		fw_rules_free(rs);
		cfg_errorf(errs, NULL, "out of memory building the rule classifier");
		return -SYS_ENOMEM;
	}
	/* Everything is built: the swap cannot fail half-way.  Flows and
	 * their state stay; rule counters start again with the new rules. */
	struct fw_rules *old = fw->rs;
	fw->rs = rs;
	fw_rules_free(old);
	return 0;
}

static void fw_destroy(void *st)
{
	struct fw *fw = st;
	if (!fw)
		return;
	fw_rules_free(fw->rs);
	ft_destroy(fw->ft);
	sys_free(fw->tcpw);
	sys_free(fw->born);
	fw_frag_free(fw->frag);
	sys_free(fw);
}

static void *fw_create(const struct nf_env *env)
{
	struct fw *fw = sys_alloc(sizeof(*fw), SYS_CACHE_LINE);
	if (!fw)
		return NULL;
	fw->pool = env->pool;
	nf_reply_limit_init(&fw->reply_limit);
	fw->n_ports = env->n_ports > PORT_MAX ? PORT_MAX : env->n_ports;
	uint32_t cap = env->flow_capacity ? env->flow_capacity : 1;
	fw->frag_entries = SYS_MIN(SYS_MAX(cap / 16, FW_FRAG_MIN), FW_FRAG_MAX);
	fw->ft = ft_create(cap);
	fw->tcpw = sys_alloc((size_t)cap * sizeof(*fw->tcpw), SYS_CACHE_LINE);
	fw->born = sys_alloc((size_t)cap * sizeof(*fw->born), SYS_CACHE_LINE);
	fw->frag = fw_frag_create(fw->frag_entries);
	/* Until configure() runs: the rules of an empty config. */
	struct cfg *cfg = NULL;
	struct cfg_errors *errs = sys_alloc(sizeof(*errs), 8);
	if (errs) {
		cfg_errors_init(errs);
		if (cfg_parse("(none)", "", 0, NULL, NULL, &cfg, errs) == 0)
			fw_apply(fw, cfg, errs);
		cfg_free(cfg);
		sys_free(errs);
	}
	if (!fw->ft || !fw->tcpw || !fw->born || !fw->frag || !fw->rs) {
		fw_destroy(fw);
		return NULL;
	}
	return fw;
}

static int fw_configure(void *st, const struct cfg *cfg, struct cfg_errors *errs)
{
	return fw_apply(st, cfg, errs);
}

static void fw_stats(void *st, struct stats_writer *w)
{
	fw_stats_write(st, w);
}

static const struct nf_ops fw_ops = {
	.name = "firewall",
	.summary = "stateful packet filter: rules, sets, connection tracking, reject",
	.create = fw_create,
	.configure = fw_configure,
	.process = fw_process,
	.expire = fw_expire,
	.stats = fw_stats,
	.destroy = fw_destroy,
	.flow_next = fw_flow_next,
	.drop_names = fw_drop_names,
	.n_drop_names = FW_DROP_COUNT,
};
NF_REGISTER(fw_ops);
