/* SPDX-License-Identifier: MIT */
/* reply.c - answers sent back to a packet's sender (see reply.h). */
#include "nf/reply.h"

#include "dataplane/csum.h"
#include "dataplane/flow.h"
#include "dataplane/parse.h"

#define V4_QUOTE_TOTAL 576u
#define V6_QUOTE_TOTAL 1280u
#define REPLY_TTL 64

static bool v4_unicast(uint32_t a /* host order */)
{
	return (a >> 24) != 0 && (a >> 28) < 14; /* not 0/8, 224/4, 240/4 */
}

static bool v6_unicast(const uint8_t *a)
{
	static const uint8_t zero[16];
	return a[0] != 0xff && memcmp(a, zero, 16) != 0;
}

bool nf_reply_due(const struct pkt *p)
{
	if (p->flags & PKT_F_FRAG_LATER)
		return false;
	if (p->data[0] & 1)
		return false; /* Ethernet multicast or broadcast */
	const uint8_t *l3 = pkt_l3(p), *l4 = pkt_l4(p);
	if (p->l3 == PKT_L3_IPV4) {
		const struct ipv4_hdr *ip = (const struct ipv4_hdr *)l3;
		if (!v4_unicast(sys_be32(sys_ld32(&ip->src))) || !v4_unicast(sys_be32(sys_ld32(&ip->dst))))
			return false;
	} else if (p->l3 == PKT_L3_IPV6) {
		const struct ipv6_hdr *ip = (const struct ipv6_hdr *)l3;
		if (!v6_unicast(ip->src) || !v6_unicast(ip->dst))
			return false;
	} else {
		return false;
	}
	bool l4ok = p->flags & PKT_F_L4;
	if (p->l4_proto == IPPROTO_TCP_)
		return l4ok && !(((const struct tcp_hdr *)l4)->flags & TCP_RST);
	if (p->l4_proto == IPPROTO_ICMP_ || p->l4_proto == IPPROTO_ICMPV6_)
		return l4ok && !flow_icmp_is_error(p->l4_proto, l4[0]);
	return true;
}

uint16_t nf_reply_l2(uint8_t *d, const struct pkt *p)
{
	memcpy(d, p->data, p->l3_off);
	memcpy(d, p->data + 6, 6);
	memcpy(d + 6, p->data, 6);
	return p->l3_off;
}

uint16_t nf_reply_ip(uint8_t *d, const struct pkt *p, uint8_t proto, uint32_t l4_len)
{
	const uint8_t *l3 = pkt_l3(p);
	if (p->l3 == PKT_L3_IPV4) {
		const struct ipv4_hdr *o = (const struct ipv4_hdr *)l3;
		struct ipv4_hdr ip = {
			.ver_ihl = 0x45,
			.total_len = sys_htons((uint16_t)(20 + l4_len)),
			.frag_off = sys_htons(0x4000), /* DF */
			.ttl = REPLY_TTL,
			.proto = proto,
			.src = sys_ld32(&o->dst),
			.dst = sys_ld32(&o->src),
		};
		memcpy(d, &ip, sizeof(ip));
		return 20;
	}
	const struct ipv6_hdr *o = (const struct ipv6_hdr *)l3;
	struct ipv6_hdr ip = {
		.ver_tc_flow = sys_htonl(0x60000000u),
		.payload_len = sys_htons((uint16_t)l4_len),
		.next = proto,
		.hop_limit = REPLY_TTL,
	};
	memcpy(ip.src, o->dst, 16);
	memcpy(ip.dst, o->src, 16);
	memcpy(d, &ip, sizeof(ip));
	return 40;
}

bool nf_reply_finish(struct pkt *r, uint32_t len, const struct pkt *p)
{
	/* Ethernet minimum (60 without FCS): pad with zeros. */
	while (len < 60)
		r->data[len++] = 0;
	r->len = (uint16_t)len;
	r->port = p->port;
	r->rx_ts = p->rx_ts;
	if (parse_pkt(r) != PARSE_OK || csum_fill(r) != 0) {
		pkt_free(r); /* cannot happen for what we built; never send junk */
		return false;
	}
	r->out_port = p->port;
	return true;
}

enum nf_reply_result nf_reply_icmp_error(struct pkt_pool *pool, const struct pkt *p,
					 uint8_t type, uint8_t code, uint32_t rest,
					 struct pkt **out)
{
	if (!nf_reply_due(p))
		return NF_REPLY_NOT_DUE;
	struct pkt *r = pool ? pkt_alloc(pool) : NULL;
	if (!r)
		return NF_REPLY_NO_BUF;
	bool v4 = p->l3 == PKT_L3_IPV4;
	uint32_t iphl = v4 ? 20 : 40;
	uint32_t limit = (v4 ? V4_QUOTE_TOTAL : V6_QUOTE_TOTAL) - iphl - 8;
	uint32_t quote = p->l3_len < limit ? p->l3_len : limit;
	uint8_t *d = r->data;
	uint32_t off = nf_reply_l2(d, p);
	off += nf_reply_ip(d + off, p, v4 ? IPPROTO_ICMP_ : IPPROTO_ICMPV6_, 8 + quote);
	struct icmp_hdr h = {.type = type, .code = code, .rest = rest};
	memcpy(d + off, &h, sizeof(h));
	memcpy(d + off + 8, pkt_l3(p), quote);
	if (!nf_reply_finish(r, off + 8 + quote, p))
		return NF_REPLY_NO_BUF;
	*out = r;
	return NF_REPLY_SENT;
}

bool nf_reply_limit_take(struct nf_reply_limit *l, uint64_t now)
{
	const uint64_t every = 1000000000ull / NF_REPLY_PER_S;
	if (now > l->at) {
		uint64_t add = (now - l->at) / every;
		if (add) {
			l->tokens = add >= NF_REPLY_BURST - l->tokens ? NF_REPLY_BURST : l->tokens + (uint32_t)add;
			l->at += add * every;
		}
	}
	if (!l->tokens)
		return false;
	l->tokens--;
	return true;
}
