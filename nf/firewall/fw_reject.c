/* SPDX-License-Identifier: MIT */
/* fw_reject.c - TCP RST and ICMP unreachable builders (see fw_reject.h). */
#include "nf/firewall/fw_reject.h"

#include "dataplane/csum.h"
#include "dataplane/flow.h"
#include "dataplane/parse.h"
#include "nf/reply.h"

static uint32_t build_rst(uint8_t *d, const struct pkt *p)
{
	const struct tcp_hdr *t = (const struct tcp_hdr *)pkt_l4(p);
	uint32_t off = nf_reply_l2(d, p);
	off += nf_reply_ip(d + off, p, IPPROTO_TCP_, 20);
	uint32_t hdr = (uint32_t)(t->doff_res >> 4) * 4;
	uint32_t seg = (uint32_t)p->l3_len - (uint32_t)(p->l4_off - p->l3_off) - hdr;
	struct tcp_hdr r = {
		.sport = t->dport,
		.dport = t->sport,
		.doff_res = 5 << 4,
	};
	if (t->flags & TCP_ACK) {
		r.seq = t->ack;
		r.flags = TCP_RST;
	} else {
		seg += (t->flags & TCP_SYN ? 1u : 0u) + (t->flags & TCP_FIN ? 1u : 0u);
		r.ack = sys_htonl(sys_ntohl(sys_ld32(&t->seq)) + seg);
		r.flags = TCP_RST | TCP_ACK;
	}
	memcpy(d + off, &r, sizeof(r));
	return off + 20;
}

enum nf_reply_result fw_reject_build(struct pkt_pool *pool, const struct pkt *p, struct pkt **out)
{
	if (p->l4_proto != IPPROTO_TCP_) {
		/* Port unreachable for UDP, administratively prohibited else. */
		bool v4 = p->l3 == PKT_L3_IPV4, udp = p->l4_proto == IPPROTO_UDP_;
		return nf_reply_icmp_error(pool, p, v4 ? 3 : 1, v4 ? (udp ? 3 : 13) : (udp ? 4 : 1), 0,
					   out);
	}
	if (!nf_reply_due(p))
		return NF_REPLY_NOT_DUE;
	struct pkt *r = pool ? pkt_alloc(pool) : NULL;
	if (!r)
		return NF_REPLY_NO_BUF;
	if (!nf_reply_finish(r, build_rst(r->data, p), p))
		return NF_REPLY_NO_BUF;
	*out = r;
	return NF_REPLY_SENT;
}
