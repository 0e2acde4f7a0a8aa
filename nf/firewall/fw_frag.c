/* SPDX-License-Identifier: MIT */
/* fw_frag.c - verdicts of first fragments for the later ones (fw_frag.h). */
#include "nf/firewall/fw_frag.h"

#include "dataplane/flowtable.h"
#include "dataplane/parse.h"

#define WAYS 4

struct frag_ent {
	struct fw_frag_key k;
	uint32_t deadline; /* tick, as flowtable.h; 0 = free */
	uint16_t out_port;
	uint16_t pad;
};

struct fw_frag {
	struct frag_ent *e;
	uint32_t mask; /* buckets - 1 */
};

struct fw_frag *fw_frag_create(uint32_t entries)
{
	uint32_t n = 64;
	while (n < entries && n < (1u << 24))
		n <<= 1;
	struct fw_frag *t = sys_alloc(sizeof(*t), 8);
	if (!t)
		return NULL;
	t->e = sys_alloc((size_t)n * sizeof(*t->e), SYS_CACHE_LINE);
	if (!t->e) {
		sys_free(t);
		return NULL;
	}
	t->mask = n / WAYS - 1;
	return t;
}

void fw_frag_free(struct fw_frag *t)
{
	if (!t)
		return;
	sys_free(t->e);
	sys_free(t);
}

static uint32_t hash(const struct fw_frag_key *k)
{
	const uint64_t *w = (const uint64_t *)k;
	uint64_t h = 0x85ebca6bu;
	for (unsigned i = 0; i < sizeof(*k) / 8; i++)
		h = __builtin_ia32_crc32di(h, w[i]);
	return (uint32_t)h;
}

static bool key_eq(const struct fw_frag_key *a, const struct fw_frag_key *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

/* Live while now's tick is before the deadline, as in the flow table. */
static bool live(const struct frag_ent *e, uint32_t tick)
{
	return e->deadline && (int32_t)(e->deadline - tick) > 0;
}

bool fw_frag_put(struct fw_frag *t, const struct fw_frag_key *k, uint16_t out_port, uint64_t now,
		 uint32_t ticks)
{
	struct frag_ent *b = &t->e[(hash(k) & t->mask) * WAYS];
	uint32_t tick = (uint32_t)(now >> FT_TICK_SHIFT);
	struct frag_ent *slot = NULL;
	for (unsigned i = 0; i < WAYS; i++) {
		if (live(&b[i], tick) && key_eq(&b[i].k, k)) {
			slot = &b[i]; /* a retransmitted first fragment */
			break;
		}
		if (!slot && !live(&b[i], tick))
			slot = &b[i];
	}
	bool evicted = false;
	if (!slot) {
		slot = &b[0];
		for (unsigned i = 1; i < WAYS; i++)
			if ((int32_t)(b[i].deadline - slot->deadline) < 0)
				slot = &b[i];
		evicted = true;
	}
	slot->k = *k;
	slot->out_port = out_port;
	slot->deadline = tick + (ticks ? ticks : 1);
	if (!slot->deadline)
		slot->deadline = 1; /* 0 means free */
	return evicted;
}

int32_t fw_frag_get(const struct fw_frag *t, const struct fw_frag_key *k, uint64_t now)
{
	const struct frag_ent *b = &t->e[(hash(k) & t->mask) * WAYS];
	uint32_t tick = (uint32_t)(now >> FT_TICK_SHIFT);
	for (unsigned i = 0; i < WAYS; i++)
		if (live(&b[i], tick) && key_eq(&b[i].k, k))
			return b[i].out_port;
	return -1;
}

uint32_t fw_frag_count(const struct fw_frag *t, uint64_t now)
{
	uint32_t tick = (uint32_t)(now >> FT_TICK_SHIFT), n = 0;
	for (uint32_t i = 0; i < (t->mask + 1) * WAYS; i++)
		n += live(&t->e[i], tick);
	return n;
}

/* IPv6 extension headers the parser walks (parse.h), and their length. */
static bool v6_ext(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 44 || nh == 60 || nh == 51;
}

bool fw_frag_key_from_pkt(const struct pkt *p, struct fw_frag_key *k, uint32_t *offset)
{
	memset(k, 0, sizeof(*k));
	const uint8_t *l3 = pkt_l3(p);
	k->proto = p->l4_proto;
	if (p->l3 == PKT_L3_IPV4) {
		const struct ipv4_hdr *ip = (const struct ipv4_hdr *)l3;
		k->fam = 1;
		k->src[0] = sys_be32(sys_ld32(&ip->src));
		k->dst[0] = sys_be32(sys_ld32(&ip->dst));
		k->id = sys_be16(sys_ld16(&ip->id));
		*offset = (uint32_t)(sys_be16(sys_ld16(&ip->frag_off)) & IPV4_OFFMASK) * 8;
		return true;
	}
	if (p->l3 != PKT_L3_IPV6)
		return false;
	const struct ipv6_hdr *ip = (const struct ipv6_hdr *)l3;
	k->fam = 2;
	k->src[0] = sys_be64(sys_ld64(ip->src));
	k->src[1] = sys_be64(sys_ld64(ip->src + 8));
	k->dst[0] = sys_be64(sys_ld64(ip->dst));
	k->dst[1] = sys_be64(sys_ld64(ip->dst + 8));
	/* The parser validated the chain up to l4_off; walk it again to find
	 * the fragment header, bounded by l4_off. */
	uint8_t nh = ip->next;
	uint32_t off = p->l3_off + 40u;
	while (v6_ext(nh) && off + 8 <= p->l4_off) {
		const uint8_t *h = p->data + off;
		if (nh == 44) {
			*offset = (uint32_t)(sys_be16(sys_ld16(h + 2)) & 0xfff8u);
			k->id = sys_be32(sys_ld32(h + 4));
			return true;
		}
		uint32_t len = nh == 51 ? ((uint32_t)h[1] + 2) * 4 : ((uint32_t)h[1] + 1) * 8;
		nh = h[0];
		off += len;
	}
	return false;
}
