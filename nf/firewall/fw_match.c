/* SPDX-License-Identifier: MIT */
/* fw_match.c - packet keys, one rule's match, the reference classifier. */
#include "nf/firewall/fw_match.h"

#include "dataplane/parse.h"
#include "nf/firewall/fw_set.h"

void fw_key_from_pkt(const struct pkt *p, struct fw_key *k)
{
	memset(k, 0, sizeof(*k));
	const uint8_t *l3 = pkt_l3(p);
	if (p->l3 == PKT_L3_IPV4) {
		const struct ipv4_hdr *ip = (const struct ipv4_hdr *)l3;
		k->fam = FW_FAM_V4;
		k->src[0] = sys_be32(sys_ld32(&ip->src));
		k->dst[0] = sys_be32(sys_ld32(&ip->dst));
	} else {
		const struct ipv6_hdr *ip = (const struct ipv6_hdr *)l3;
		k->fam = FW_FAM_V6;
		k->src[0] = sys_be64(sys_ld64(ip->src));
		k->src[1] = sys_be64(sys_ld64(ip->src + 8));
		k->dst[0] = sys_be64(sys_ld64(ip->dst));
		k->dst[1] = sys_be64(sys_ld64(ip->dst + 8));
	}
	k->proto = p->l4_proto;
	k->in_port = (uint8_t)p->port;
	if ((p->flags & (PKT_F_L4 | PKT_F_FRAG_LATER)) != PKT_F_L4)
		return;
	const uint8_t *l4 = pkt_l4(p);
	if (k->proto == IPPROTO_TCP_ || k->proto == IPPROTO_UDP_) {
		k->sport = sys_be16(sys_ld16(l4));
		k->dport = sys_be16(sys_ld16(l4 + 2));
		if (k->proto == IPPROTO_TCP_)
			k->tcp_flags = ((const struct tcp_hdr *)l4)->flags;
	}
}

/* Does prefix `p` cover the address (host-order halves) of family `fam`? */
static bool pfx_covers(const struct fw_prefix *p, const uint64_t a[2], uint8_t fam)
{
	if (fam == FW_FAM_V4) {
		if (p->family != CFG_AF_V4)
			return false;
		uint32_t v = sys_be32(sys_ld32(p->a));
		uint32_t m = p->len ? ~0u << (32 - p->len) : 0;
		return ((uint32_t)a[0] & m) == v;
	}
	if (p->family != CFG_AF_V6)
		return false;
	uint64_t hi = sys_be64(sys_ld64(p->a)), lo = sys_be64(sys_ld64(p->a + 8));
	uint64_t mh = p->len == 0 ? 0 : p->len >= 64 ? ~0ull : ~0ull << (64 - p->len);
	uint64_t ml = p->len <= 64 ? 0 : p->len >= 128 ? ~0ull : ~0ull << (128 - p->len);
	return (a[0] & mh) == hi && (a[1] & ml) == lo;
}

static bool addr_match(const struct fw_addr_match *m, const uint64_t a[2], uint8_t fam, bool ref)
{
	bool in = false;
	switch (m->kind) {
	case FW_ADDR_ANY:
		return true;
	case FW_ADDR_LIST:
		for (uint32_t i = 0; i < m->n && !in; i++)
			in = pfx_covers(&m->pfx[i], a, fam);
		break;
	case FW_ADDR_SET:
		if (fam == FW_FAM_V4)
			in = ref ? fw_set_has4_ref(m->set, (uint32_t)a[0]) : fw_set_has4(m->set, (uint32_t)a[0]);
		else
			in = ref ? fw_set_has6_ref(m->set, a[0], a[1]) : fw_set_has6(m->set, a[0], a[1]);
		break;
	}
	return in != m->negate;
}

static bool port_match(const struct fw_port_match *m, uint16_t v)
{
	if (m->any)
		return true;
	bool in = false;
	for (uint16_t i = 0; i < m->n && !in; i++)
		in = v >= m->r[i].lo && v <= m->r[i].hi;
	return in != m->negate;
}

bool fw_rule_match(const struct fw_rule *r, const struct fw_key *k, bool ref)
{
	if (!(r->fams & k->fam))
		return false;
	if (r->in_port != FW_NO_PORT && r->in_port != k->in_port)
		return false;
	if (!r->any_proto && !((r->proto[k->proto >> 6] >> (k->proto & 63)) & 1))
		return false;
	if ((k->tcp_flags & r->flags_mask) != r->flags_want)
		return false;
	return addr_match(&r->src, k->src, k->fam, ref) && addr_match(&r->dst, k->dst, k->fam, ref) &&
	       port_match(&r->sport, k->sport) && port_match(&r->dport, k->dport);
}

int32_t fw_ref_classify(const struct fw_rules *rs, const struct fw_key *k)
{
	for (uint32_t i = 0; i < rs->n_rules; i++)
		if (fw_rule_match(&rs->rules[i], k, true))
			return (int32_t)i;
	return -1;
}
