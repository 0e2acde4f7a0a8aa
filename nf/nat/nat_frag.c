/* SPDX-License-Identifier: MIT */
/* nat_frag.c - IPv4 fragments through the NAT (see nat_frag.h). */
#include "nf/nat/nat_frag.h"

#include "dataplane/parse.h"
#include "dataplane/stats.h"
#include "nf/drop_stats.h"
#include "nf/nat/nat.h"
#include "nf/nat/nat64.h"
#include "nf/xlate.h"
#include "nf/xlate64.h"

/* pkt.nf_mark of a packet kept in the burst in progress: it is still the
 * burst's, so it is sent or dropped by its verdict (nf.h). */
#define MARK_NOW 1

static const char *const drop_names[NAT_FRAG_DROP_COUNT] = {NF_DROP_NAMES(NAT_FRAG_DROPS)};

/* ---- the table ---------------------------------------------------------------- */
int nat_frag_init(struct nat_frag *t, uint32_t flow_capacity)
{
	memset(t, 0, sizeof(*t));
	uint32_t cap = NAT_FRAG_MIN;
	while (cap < flow_capacity / 8 && cap < NAT_FRAG_MAX)
		cap <<= 1;
	t->e = sys_alloc((size_t)cap * sizeof(*t->e), SYS_CACHE_LINE);
	t->bucket = sys_alloc((size_t)cap * 2 * sizeof(*t->bucket), SYS_CACHE_LINE);
	t->a6 = sys_alloc((size_t)cap * sizeof(*t->a6), SYS_CACHE_LINE);
	t->x6 = sys_alloc((size_t)cap * sizeof(*t->x6), SYS_CACHE_LINE);
	if (!t->e || !t->bucket || !t->a6 || !t->x6) {
		nat_frag_fini(t);
		return -SYS_ENOMEM;
	}
	t->cap = cap;
	t->mask = cap * 2 - 1;
	t->held_max = SYS_MIN(SYS_MAX(cap / 2, NAT_FRAG_HELD_MIN), NAT_FRAG_HELD_MAX);
	t->tmo_ns = NAT_FRAG_TMO_DEFAULT * 1000000000ull;
	for (uint32_t i = 0; i <= t->mask; i++)
		t->bucket[i] = NAT_FRAG_NONE;
	for (uint32_t i = 0; i < cap; i++) {
		t->e[i] = (struct nat_frag_ent){.state = NAT_FRAG_FREE, .hnext = NAT_FRAG_NONE,
						.older = NAT_FRAG_NONE,
						.newer = i + 1 < cap ? i + 1 : NAT_FRAG_NONE};
	}
	t->free = 0;
	t->oldest = t->newest = NAT_FRAG_NONE;
	return 0;
}

static struct pkt *chain_next(const struct pkt *p) { return (struct pkt *)(uintptr_t)p->nf_data; }
/* Append `p` to the chain first..last (both NULL when empty). */
static void chain_append(struct pkt **first, struct pkt **last, struct pkt *p)
{
	p->nf_data = 0;
	if (*last)
		(*last)->nf_data = (uint64_t)(uintptr_t)p;
	else
		*first = p;
	*last = p;
}

static void free_chain(struct pkt *p)
{
	while (p) {
		struct pkt *next = chain_next(p);
		pkt_free(p);
		p = next;
	}
}

void nat_frag_fini(struct nat_frag *t)
{
	if (t->e)
		for (uint32_t i = 0; i < t->cap; i++)
			free_chain(t->e[i].held);
	free_chain(t->ready);
	sys_free(t->e);
	sys_free(t->bucket);
	sys_free(t->a6);
	sys_free(t->x6);
	t->e = NULL;
	t->bucket = NULL;
	t->a6 = NULL;
	t->x6 = NULL;
	t->ready = t->ready_last = NULL;
	t->n = t->n_held = 0;
}

void nat_frag_key_of(const struct pkt *p, uint8_t zone, struct nat_frag_key *k)
{
	const struct ipv4_hdr *ip = (const struct ipv4_hdr *)pkt_l3(p);
	k->src = sys_ld32(&ip->src);
	k->dst = sys_ld32(&ip->dst);
	k->id = sys_ld16(&ip->id);
	k->proto = p->l4_proto;
	k->zone = zone;
}

void nat_frag_key6_of(struct nat_frag *t, const struct pkt *p, const uint8_t *fh, uint8_t zone,
		      struct nat_frag_key *k)
{
	const uint8_t *ip = pkt_l3(p);
	memcpy(t->cur6, ip + 8, 32);
	memcpy(t->cur6 + 32, fh + 4, 4);
	uint32_t f[8];
	memcpy(f, ip + 8, 32);
	k->src = f[0] ^ f[1] ^ f[2] ^ f[3];
	k->dst = f[4] ^ f[5] ^ f[6] ^ f[7];
	k->id = sys_ld16(fh + 6);
	k->proto = p->l4_proto;
	k->zone = (uint8_t)(zone | NAT_FRAG_ZONE_V6);
}

static uint32_t key_hash(const struct nat_frag_key *k)
{
	uint64_t h = __builtin_ia32_crc32di(0x9e3779b9u, (uint64_t)k->src << 32 | k->dst);
	return (uint32_t)__builtin_ia32_crc32di(h, (uint64_t)k->id | (uint64_t)k->proto << 16 |
							   (uint64_t)k->zone << 24);
}

/* Entry i's key is k (an IPv6 one: with a6's addresses and id). */
static bool key_eq(const struct nat_frag *t, uint32_t i, const struct nat_frag_key *k,
		   const uint8_t *a6)
{
	const struct nat_frag_key *a = &t->e[i].k;
	return a->src == k->src && a->dst == k->dst && a->id == k->id && a->proto == k->proto &&
	       a->zone == k->zone &&
	       (!(k->zone & NAT_FRAG_ZONE_V6) || memcmp(t->a6[i], a6, NAT_FRAG_A6) == 0);
}

static uint32_t find_a6(const struct nat_frag *t, const struct nat_frag_key *k, const uint8_t *a6)
{
	uint32_t i = t->bucket[key_hash(k) & t->mask];
	while (i != NAT_FRAG_NONE && !key_eq(t, i, k, a6))
		i = t->e[i].hnext;
	return i;
}

static uint32_t find(const struct nat_frag *t, const struct nat_frag_key *k)
{
	return find_a6(t, k, t->cur6);
}

static void count_drop(struct nat_frag *t, enum nat_frag_drop why)
{
	t->c.drop[why]++;
	for (unsigned i = 0; i < 2; i++)
		if (t->sink[i])
			(*t->sink[i])++;
}

/* `p` of the burst in progress is dropped. */
static void drop_now(struct nat_frag *t, struct pkt *p, enum nat_frag_drop why)
{
	p->out_port = PKT_DROP;
	count_drop(t, why);
}

/* A held packet is dropped: by its verdict if the burst in progress is
 * still its own, else freed here. */
static void drop_held(struct nat_frag *t, struct pkt *p, enum nat_frag_drop why)
{
	t->n_held--;
	if (p->nf_mark == MARK_NOW)
		p->out_port = PKT_DROP;
	else
		pkt_free(p);
	count_drop(t, why);
}

static void drop_all_held(struct nat_frag *t, struct nat_frag_ent *e, enum nat_frag_drop why)
{
	for (struct pkt *p = e->held, *next; p; p = next) {
		next = chain_next(p);
		drop_held(t, p, why);
	}
	e->held = e->held_last = NULL;
	e->n_held = 0;
}

/* Take entry i out of its bucket and the age list, back on the free list. */
static void release_entry(struct nat_frag *t, uint32_t i)
{
	struct nat_frag_ent *e = &t->e[i];
	uint32_t *link = &t->bucket[key_hash(&e->k) & t->mask];
	while (*link != i)
		link = &t->e[*link].hnext;
	*link = e->hnext;
	if (e->older != NAT_FRAG_NONE)
		t->e[e->older].newer = e->newer;
	else
		t->oldest = e->newer;
	if (e->newer != NAT_FRAG_NONE)
		t->e[e->newer].older = e->older;
	else
		t->newest = e->older;
	*e = (struct nat_frag_ent){.state = NAT_FRAG_FREE, .hnext = NAT_FRAG_NONE,
				   .older = NAT_FRAG_NONE, .newer = t->free};
	t->free = i;
	t->n--;
}

/* Neither holding, nor waiting, nor pointed at by the burst in progress:
 * forgetting it early loses nothing held. */
static bool evictable(const struct nat_frag_ent *e)
{
	return (e->state == NAT_FRAG_PASS || e->state == NAT_FRAG_DROP) && !e->noted;
}

#define EVICT_LOOK 8 /* oldest entries looked at for one to reuse */

/* A new entry for `k`, state WAIT, or NULL. */
static struct nat_frag_ent *alloc_entry(struct nat_frag *t, const struct nat_frag_key *k,
					uint64_t now)
{
	if (t->free == NAT_FRAG_NONE) {
		uint32_t i = t->oldest;
		for (unsigned n = 0; i != NAT_FRAG_NONE && !evictable(&t->e[i]); n++)
			i = n + 1 < EVICT_LOOK ? t->e[i].newer : NAT_FRAG_NONE;
		if (i == NAT_FRAG_NONE)
			return NULL;
		release_entry(t, i);
		t->c.evicted++;
	}
	uint32_t i = t->free;
	struct nat_frag_ent *e = &t->e[i];
	t->free = e->newer;
	uint32_t *b = &t->bucket[key_hash(k) & t->mask];
	*e = (struct nat_frag_ent){.k = *k, .hnext = *b, .older = t->newest, .newer = NAT_FRAG_NONE,
				   .state = NAT_FRAG_WAIT, .born = now};
	*b = i;
	if (k->zone & NAT_FRAG_ZONE_V6)
		memcpy(t->a6[i], t->cur6, NAT_FRAG_A6);
	if (t->newest != NAT_FRAG_NONE)
		t->e[t->newest].newer = i;
	else
		t->oldest = i;
	t->newest = i;
	t->n++;
	return e;
}

uint32_t nat_frag_expire(struct nat_frag *t, uint64_t now)
{
	uint32_t ended = 0;
	/* Born in order, one timeout for all: the oldest ends first.  A noted
	 * entry was live at this `now` when it was noted: it cannot be due. */
	while (t->oldest != NAT_FRAG_NONE) {
		struct nat_frag_ent *e = &t->e[t->oldest];
		if (e->born + t->tmo_ns > now || e->noted)
			break;
		drop_all_held(t, e, NAT_FRAG_DROP_TIMEOUT);
		release_entry(t, t->oldest);
		ended++;
	}
	return ended;
}

uint64_t nat_frag_next_expiry(const struct nat_frag *t)
{
	if (t->oldest == NAT_FRAG_NONE)
		return NF_TIMER_NONE;
	return t->e[t->oldest].born + t->tmo_ns;
}

int32_t nat_frag_first(struct nat_frag *t, const struct nat_frag_key *k, struct pkt *p,
		       uint64_t now)
{
	nat_frag_expire(t, now);
	t->c.firsts++;
	uint32_t i = find(t, k);
	if (i == NAT_FRAG_NONE) {
		struct nat_frag_ent *e = alloc_entry(t, k, now);
		if (!e) {
			drop_now(t, p, NAT_FRAG_DROP_TABLE_FULL);
			return -1;
		}
		i = (uint32_t)(e - t->e);
	}
	t->e[i].noted = 1;
	t->n_waiting++;
	p->nf_data = (uint64_t)i + 1;
	return (int32_t)i;
}

/* The datagram cannot get through whole: `p` (if any), those held and
 * those to come are dropped for `why`. */
static void doom(struct nat_frag *t, struct nat_frag_ent *e, struct pkt *p,
		 enum nat_frag_drop why)
{
	if (p)
		drop_now(t, p, why);
	drop_all_held(t, e, why);
	e->state = NAT_FRAG_DROP;
	e->why = (uint8_t)why;
}

/* A later fragment of passing datagram `e` as its first left; false if it
 * cannot be (dropped, counted: NAT64's hop limit, headroom). */
static bool translate(struct nat_frag *t, const struct nat_frag_ent *e, struct pkt *p)
{
	int rc = 0;
	switch (e->xl) {
	case NAT_FRAG_XL_44:
		xlate_rewrite_addr(p, true, e->new_src);
		xlate_rewrite_addr(p, false, e->new_dst);
		break;
	case NAT_FRAG_XL_TO4:
		if (pkt_l3(p)[7] <= 1) {
			drop_now(t, p, NAT_FRAG_DROP_HOP_LIMIT);
			return false;
		}
		rc = xlate64_frag_6to4(p, e->new_src, e->new_dst);
		break;
	case NAT_FRAG_XL_66:
		if (pkt_l3(p)[7] <= 1) {
			drop_now(t, p, NAT_FRAG_DROP_HOP_LIMIT);
			return false;
		}
		rc = xlate64_frag_6to6(p, t->x6[e - t->e], t->x6[e - t->e] + 16);
		break;
	default:
		if (pkt_l3(p)[8] <= 1) {
			drop_now(t, p, NAT_FRAG_DROP_HOP_LIMIT);
			return false;
		}
		rc = xlate64_frag_4to6(p, t->x6[e - t->e], t->x6[e - t->e] + 16);
	}
	if (rc) {
		drop_now(t, p, NAT_FRAG_DROP_NO_ROOM);
		return false;
	}
	p->out_port = e->out_port;
	t->c.translated++;
	return true;
}

void nat_frag_later(struct nat_frag *t, const struct nat_frag_key *k, struct pkt *p,
		    uint64_t now)
{
	uint32_t off;
	if (p->l3 == PKT_L3_IPV6) /* the Fragment header's offset, in 8-byte units << 3 */
		off = sys_be16(sys_ld16(pkt_l4(p) - 6)) & 0xfff8u;
	else
		off = (uint32_t)(sys_be16(sys_ld16(pkt_l3(p) + 6)) & IPV4_OFFMASK) * 8;
	/* RFC 1858 3.2: on reassembly these bytes would replace the
	 * translated ports or checksum.  UDP and ICMP headers are 8 bytes:
	 * a later fragment never reaches them. */
	if (k->proto == IPPROTO_TCP_ && off < TCP_HLEN) {
		drop_now(t, p, NAT_FRAG_DROP_OVERLAP);
		return;
	}
	nat_frag_expire(t, now);
	uint32_t i = find(t, k);
	struct nat_frag_ent *e = i == NAT_FRAG_NONE ? NULL : &t->e[i];
	if (e && e->state == NAT_FRAG_PASS) {
		translate(t, e, p);
		return;
	}
	if (e && e->state == NAT_FRAG_DROP) {
		drop_now(t, p, (enum nat_frag_drop)e->why);
		return;
	}
	if (e && e->n_held >= NAT_FRAG_PER_DGRAM) {
		doom(t, e, p, NAT_FRAG_DROP_DATAGRAM_FULL);
		return;
	}
	if (t->n_held >= t->held_max) {
		if (e)
			doom(t, e, p, NAT_FRAG_DROP_HELD_FULL);
		else
			drop_now(t, p, NAT_FRAG_DROP_HELD_FULL);
		return;
	}
	if (!e && !(e = alloc_entry(t, k, now))) {
		drop_now(t, p, NAT_FRAG_DROP_TABLE_FULL);
		return;
	}
	chain_append(&e->held, &e->held_last, p);
	e->n_held++;
	t->n_held++;
	p->out_port = NF_KEPT;
	p->nf_mark = MARK_NOW;
	t->kept_now++;
	t->c.held++;
}

/* The first fragment `p` left through `port`: the datagram passes. */
static void pass(struct nat_frag *t, struct nat_frag_ent *e, const struct pkt *p, uint16_t port)
{
	const uint8_t *ip = pkt_l3(p);
	e->state = NAT_FRAG_PASS;
	e->out_port = port;
	if (p->l3 == PKT_L3_IPV6) {
		/* The first left as IPv6: NAT64 from the outside, or an inside
		 * IPv6 datagram hairpinned. */
		e->xl = e->k.zone & NAT_FRAG_ZONE_V6 ? NAT_FRAG_XL_66 : NAT_FRAG_XL_TO6;
		memcpy(t->x6[e - t->e], ip + 8, 32);
	} else {
		e->xl = e->k.zone & NAT_FRAG_ZONE_V6 ? NAT_FRAG_XL_TO4 : NAT_FRAG_XL_44;
		e->new_src = sys_ld32(ip + 12);
		e->new_dst = sys_ld32(ip + 16);
	}
	for (struct pkt *q = e->held, *next; q; q = next) {
		next = chain_next(q);
		if (!translate(t, e, q)) {
			t->n_held--;
			if (q->nf_mark != MARK_NOW)
				pkt_free(q);
			continue;
		}
		t->c.released++;
		if (q->nf_mark == MARK_NOW) {
			t->n_held--; /* the burst's again: it goes by its verdict */
			continue;
		}
		/* Still ours (counted in n_held) until it finds emit room. */
		chain_append(&t->ready, &t->ready_last, q);
	}
	e->held = e->held_last = NULL;
	e->n_held = 0;
}

void nat_frag_burst_end_(struct nat_frag *t, struct nf_batch *b)
{
	if (t->n_waiting) {
		for (uint16_t i = 0; i < b->n; i++) {
			struct pkt *p = b->pkts[i];
			if ((p->l3 != PKT_L3_IPV4 && p->l3 != PKT_L3_IPV6) ||
			    (p->flags & (PKT_F_FRAG | PKT_F_FRAG_LATER)) != PKT_F_FRAG || !p->nf_data ||
			    p->nf_data > t->cap)
				continue;
			struct nat_frag_ent *e = &t->e[p->nf_data - 1];
			p->nf_data = 0;
			e->noted = 0;
			if (e->state != NAT_FRAG_WAIT)
				continue; /* a repeated first changes nothing */
			uint16_t v = b->out_all != NF_OUT_PER_PKT ? b->out_all : p->out_port;
			if (v < NF_KEPT)
				pass(t, e, p, v);
			else
				doom(t, e, NULL, NAT_FRAG_DROP_FIRST_DROPPED);
		}
		t->n_waiting = 0;
	}
	if (t->kept_now) {
		/* Those still kept stay ours past this burst. */
		for (uint16_t i = 0; i < b->n; i++)
			if (b->pkts[i]->out_port == NF_KEPT)
				b->pkts[i]->nf_mark = 0;
		t->kept_now = 0;
	}
	while (t->ready && nf_batch_release(b, t->ready)) {
		t->ready = chain_next(t->ready);
		t->n_held--;
	}
	if (!t->ready)
		t->ready_last = NULL;
}

int nat_frag_check(const struct nat_frag *t)
{
	uint32_t live = 0, held = 0, prev = NAT_FRAG_NONE;
	for (uint32_t i = t->oldest; i != NAT_FRAG_NONE; prev = i, i = t->e[i].newer) {
		const struct nat_frag_ent *e = &t->e[i];
		if (i >= t->cap || e->older != prev || e->state == NAT_FRAG_FREE || e->noted ||
		    find_a6(t, &e->k, t->a6[i]) != i || ++live > t->cap)
			return -1;
		if (prev != NAT_FRAG_NONE && t->e[prev].born > e->born)
			return -1;
		uint32_t n = 0;
		for (const struct pkt *p = e->held; p; p = chain_next(p))
			if (++n > NAT_FRAG_PER_DGRAM || p->out_port != NF_KEPT || p->nf_mark)
				return -1;
		if (n != e->n_held || (n && e->state != NAT_FRAG_WAIT) ||
		    (e->held_last && chain_next(e->held_last)))
			return -1;
		held += n;
	}
	if (prev != t->newest || live != t->n)
		return -1;
	uint32_t free = 0;
	for (uint32_t i = t->free; i != NAT_FRAG_NONE; i = t->e[i].newer)
		if (t->e[i].state != NAT_FRAG_FREE || ++free > t->cap)
			return -1;
	for (const struct pkt *p = t->ready; p; p = chain_next(p))
		if (++held > t->held_max || p->out_port >= NF_KEPT)
			return -1;
	if (free + live != t->cap || held != t->n_held || held > t->held_max || t->n_waiting ||
	    t->kept_now)
		return -1;
	return 0;
}

void nat_frag_stats_write(const struct nat_frag *t, struct stats_writer *w)
{
	const struct nat_frag_counters *c = &t->c;
	stats_u64(w, "frag_firsts", c->firsts);
	stats_u64(w, "frag_translated", c->translated);
	stats_u64(w, "frag_held", c->held);
	stats_u64(w, "frag_released", c->released);
	stats_u64(w, "frag_evicted", c->evicted);
	nf_drop_stats_write(w, "frag_", drop_names, c->drop, NAT_FRAG_DROP_COUNT);
	stats_u64(w, "frag_datagrams", t->n);
	stats_u64(w, "frag_held_now", t->n_held);
	stats_u64(w, "frag_capacity", t->cap);
	stats_u64(w, "frag_held_max", t->held_max);
}

/* ---- with the NAT ------------------------------------------------------------ */
int nat_frag_setup(struct nat *n, uint32_t flow_capacity)
{
	int rc = nat_frag_init(&n->frag, flow_capacity);
	n->frag.sink[0] = &n->c.dropped;
	n->frag.sink[1] = &n->c.drop[NAT_DROP_FRAGMENT];
	return rc;
}

bool nat_frag_cold(struct nat *n, struct pkt *p, uint64_t now)
{
	uint8_t proto = p->l4_proto;
	p->nf_data = 0; /* not a noted first (nat_frag_burst_end_) */
	if (proto != IPPROTO_TCP_ && proto != IPPROTO_UDP_ && proto != IPPROTO_ICMP_)
		return false;
	struct nat_frag_key k;
	nat_frag_key_of(p, n->from_inside ? NAT_ZONE_IN : NAT_ZONE_OUT, &k);
	if (!(p->flags & PKT_F_FRAG_LATER))
		return nat_frag_first(&n->frag, &k, p, now) < 0;
	nat_frag_later(&n->frag, &k, p, now);
	return true;
}

uint64_t nat_frag_timers(struct nat *n, uint64_t now)
{
	nat_frag_expire(&n->frag, now);
	return nat_frag_next_expiry(&n->frag);
}

bool nat_frag_cold6(struct nat *n, struct pkt *p, const uint8_t *fh, uint64_t now)
{
	if (p->l4_proto != IPPROTO_TCP_ && p->l4_proto != IPPROTO_UDP_) {
		/* ICMPv6: its IPv4 checksum needs the whole datagram's length,
		 * which no first fragment says. */
		nat_drop(n, p, NAT_DROP_NAT64_FRAGMENT);
		return true;
	}
	struct nat_frag_key k;
	nat_frag_key6_of(&n->frag, p, fh, NAT_ZONE_IN, &k);
	int ext = xlate64_ext_check(p);
	if (p->flags & PKT_F_FRAG_LATER) {
		if (ext)
			nat_drop(n, p, ext == XLATE64_EXT_ROUTE ? NAT_DROP_NAT64_IPV6_ROUTE
								  : NAT_DROP_NAT64_IPV6_EXT);
		else
			nat_frag_later(&n->frag, &k, p, now);
		return true;
	}
	if (nat_frag_first(&n->frag, &k, p, now) < 0)
		return true;
	/* Noted: its verdict decides the datagram, a drop here too. */
	if (ext == XLATE64_EXT_ROUTE)
		nat64_route_refuse(n, p, now);
	else if (ext)
		nat_drop(n, p, NAT_DROP_NAT64_IPV6_EXT);
	else
		xlate64_skip_ext(p);
	return ext != 0;
}

uint16_t nat_frag_id4(const struct nat_frag *t, const struct pkt *p)
{
	return t->e[p->nf_data - 1].k.id;
}
