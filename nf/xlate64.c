/* SPDX-License-Identifier: MIT */
/* xlate64.c - IPv6 <-> IPv4 header and ICMP translation (see xlate64.h). */
#include "nf/xlate64.h"

#include "dataplane/csum.h"
#include "nf/xlate64_pkt.h"

#define V6_HLEN XLATE64_V6_HLEN
#define ICMP_HLEN 8
#define ICMP6_MAX 1280    /* RFC 7915 4.2 / RFC 4443 2.4: an ICMPv6 error fits the minimum MTU */
#define ICMP4_MAX 576     /* RFC 1812 4.3.2.3 */

/* ---- RFC 6052 ---------------------------------------------------------------- */
/* Where the four bytes of the IPv4 address go, by prefix length (byte 8,
 * bits 64-71, is always skipped: RFC 6052 2.2). */
static const uint8_t *v4_pos(uint8_t len)
{
	static const uint8_t pos[6][4] = {
		{4, 5, 6, 7}, {5, 6, 7, 9}, {6, 7, 9, 10}, {7, 9, 10, 11}, {9, 10, 11, 12}, {12, 13, 14, 15},
	};
	switch (len) {
	case 32: return pos[0];
	case 40: return pos[1];
	case 48: return pos[2];
	case 56: return pos[3];
	case 64: return pos[4];
	default: return pos[5];
	}
}

void xlate64_prefix_set(struct xlate64_prefix *pf, const uint8_t a[16], uint8_t len)
{
	static const uint8_t wkp[12] = {0x00, 0x64, 0xff, 0x9b};
	memset(pf, 0, sizeof(*pf));
	memcpy(pf->a, a, len / 8u);
	pf->len = len;
	pf->wkp = len == 96 && memcmp(pf->a, wkp, 12) == 0;
	memcpy(pf->v4_at, v4_pos(len), 4);
}

bool xlate64_match(const struct xlate64_prefix *pf, const uint8_t a[16])
{
	return memcmp(pf->a, a, pf->len / 8u) == 0;
}

void xlate64_embed(const struct xlate64_prefix *pf, uint32_t v4, uint8_t out[16])
{
	uint8_t b[4];
	sys_st32(b, v4);
	memcpy(out, pf->a, 16);
	for (int i = 0; i < 4; i++)
		out[pf->v4_at[i]] = b[i];
}

bool xlate64_v4_ok(const struct xlate64_prefix *pf, uint32_t v4)
{
	uint32_t h = sys_be32(v4);
	uint32_t a = h >> 24;
	if (a == 0 || a == 127 || a >= 224)
		return false;
	if (!pf->wkp)
		return true;
	return a != 10 && (h & 0xffc00000u) != 0x64400000u && (h & 0xffff0000u) != 0xa9fe0000u &&
	       (h & 0xfff00000u) != 0xac100000u && (h & 0xffff0000u) != 0xc0a80000u;
}

/* ---- packets ----------------------------------------------------------------- */
int xlate64_6to4(struct pkt *p, uint32_t src, uint32_t dst, uint16_t sport, uint16_t ip_id)
{
	return xlate64_6to4_proto(p, p->l4_proto, src, dst, sport, ip_id);
}

int xlate64_4to6(struct pkt *p, const uint8_t src[16], const uint8_t dst[16], uint16_t dport)
{
	return xlate64_4to6_proto(p, pkt_l3(p)[9], src, dst, dport);
}

/* The last header's next header, or -XLATE64_EXT_*; for
 * -XLATE64_EXT_ROUTE *route_at is where the routing header's Segments
 * Left is, from the start of the IPv6 header. */
static int ext_walk(const struct pkt *p, uint32_t *route_at)
{
	const uint32_t at = p->l3_off, end = p->l4_off;
	uint8_t next = pkt_l3(p)[6];
	/* The parser walked the chain (dataplane/parse.h): every header is
	 * whole and the last one ends at l4_off. */
	for (uint32_t cur = at + V6_HLEN; cur < end;) {
		const uint8_t *h = p->data + cur;
		uint32_t len;
		switch (next) {
		case 0:  /* hop-by-hop options */
		case 60: /* destination options */
			len = ((uint32_t)h[1] + 1) * 8;
			break;
		case 43: /* routing */
			if (h[3] != 0) {
				*route_at = cur + 3 - at;
				return -XLATE64_EXT_ROUTE;
			}
			len = ((uint32_t)h[1] + 1) * 8;
			break;
		case 44: /* fragment: atomic, or a first fragment's (nat_frag.h) */
			len = 8;
			break;
		default: /* AH, and anything the parser may walk one day */
			return -XLATE64_EXT_OTHER;
		}
		next = h[0];
		cur += len;
	}
	return next;
}

int xlate64_ext_check(const struct pkt *p)
{
	uint32_t route_at;
	int next = ext_walk(p, &route_at);
	return next < 0 ? -next : XLATE64_EXT_OK;
}

int xlate64_route_pointer(const struct pkt *p)
{
	uint32_t route_at = 0;
	return ext_walk(p, &route_at) == -XLATE64_EXT_ROUTE ? (int)route_at : -1;
}

int xlate64_skip_ext(struct pkt *p)
{
	uint32_t route_at;
	int r = ext_walk(p, &route_at);
	if (r < 0)
		return -r;
	const uint8_t next = (uint8_t)r;
	uint8_t *ip = pkt_l3(p);
	const uint32_t at = p->l3_off, end = p->l4_off;
	const uint32_t ext = end - at - V6_HLEN;
	uint8_t h6[V6_HLEN];
	memcpy(h6, ip, V6_HLEN);
	if (pkt_resize_hdr(p, at, V6_HLEN + ext, V6_HLEN))
		return XLATE64_EXT_OTHER; /* cannot happen: a pull within the frame */
	ip = pkt_l3(p);
	memcpy(ip, h6, V6_HLEN);
	sys_st16(ip + 4, sys_be16((uint16_t)(sys_be16(sys_ld16(h6 + 4)) - ext)));
	ip[6] = next;
	p->l3_len = (uint16_t)(p->l3_len - ext);
	p->l4_off = (uint16_t)(at + V6_HLEN);
	p->flags &= (uint16_t)~PKT_F_IPV6_EXT;
	return XLATE64_EXT_OK;
}

const uint8_t *xlate64_frag_hdr(const struct pkt *p)
{
	const uint8_t *ip = pkt_l3(p);
	uint8_t next = ip[6];
	for (uint32_t cur = (uint32_t)p->l3_off + V6_HLEN; cur < p->l4_off;) {
		const uint8_t *h = p->data + cur;
		if (next == 44)
			return h;
		cur += next == 51 ? ((uint32_t)h[1] + 2) * 4 : ((uint32_t)h[1] + 1) * 8;
		next = h[0];
	}
	return NULL;
}

void xlate64_v4_first_frag(struct pkt *p, uint32_t id)
{
	uint8_t *ip = pkt_l3(p);
	sys_st16(ip + 4, (uint16_t)id);
	sys_st16(ip + 6, SYS_BE16(IPV4_MF));
	sys_st16(ip + 10, 0);
	sys_st16(ip + 10, csum_ipv4_hdr(ip, IPV4_HLEN));
}

int xlate64_v6_first_frag(struct pkt *p, uint16_t id)
{
	const uint32_t at = p->l3_off;
	uint8_t h6[V6_HLEN];
	memcpy(h6, pkt_l3(p), V6_HLEN);
	if (pkt_resize_hdr(p, at, V6_HLEN, V6_HLEN + 8))
		return XLATE64_NO_ROOM;
	uint8_t *ip = pkt_l3(p), *fh = ip + V6_HLEN;
	memcpy(ip, h6, V6_HLEN);
	sys_st16(ip + 4, sys_be16((uint16_t)(sys_be16(sys_ld16(h6 + 4)) + 8)));
	ip[6] = 44;
	fh[0] = h6[6];
	fh[1] = 0;
	sys_st16(fh + 2, SYS_BE16(1)); /* offset 0, M */
	sys_st16(fh + 4, 0);
	sys_st16(fh + 6, id);
	p->l3_len = (uint16_t)(p->l3_len + 8);
	p->l4_off = (uint16_t)(at + V6_HLEN + 8);
	p->flags |= PKT_F_IPV6_EXT;
	return XLATE64_OK;
}

int xlate64_frag_6to4(struct pkt *p, uint32_t src, uint32_t dst)
{
	const uint8_t *h6 = pkt_l3(p), *fh = pkt_l4(p) - 8;
	const uint32_t at = p->l3_off, hlen = (uint32_t)p->l4_off - at;
	const uint32_t len = p->l3_len - hlen;
	uint8_t tc = (uint8_t)(sys_be32(sys_ld32(h6)) >> 20), hop = h6[7], proto = fh[0];
	uint16_t fo = sys_be16(sys_ld16(fh + 2)); /* offset << 3 | M */
	uint16_t id = sys_ld16(fh + 6);
	if (pkt_resize_hdr(p, at, hlen, IPV4_HLEN))
		return XLATE64_NO_ROOM;
	uint8_t *ip = pkt_l3(p);
	xlate64_put_v4(ip, tc, IPV4_HLEN + len, sys_be16(id), (uint8_t)(hop - 1),
		       xlate64_proto_to4(proto), src, dst);
	sys_st16(ip + 6, sys_be16((uint16_t)((fo >> 3) | (fo & 1 ? IPV4_MF : 0))));
	sys_st16(ip + 10, 0);
	sys_st16(ip + 10, csum_ipv4_hdr(ip, IPV4_HLEN));
	xlate64_set_meta(p, false, IPV4_HLEN, IPV4_HLEN + len, xlate64_proto_to4(proto));
	return XLATE64_OK;
}

int xlate64_frag_4to6(struct pkt *p, const uint8_t src[16], const uint8_t dst[16])
{
	const uint8_t *ip4 = pkt_l3(p);
	const uint32_t at = p->l3_off, ihl = (uint32_t)p->l4_off - at;
	const uint32_t len = p->l3_len - ihl;
	uint8_t tos = ip4[1], ttl = ip4[8], proto = ip4[9];
	uint16_t ff = sys_be16(sys_ld16(ip4 + 6)), id = sys_ld16(ip4 + 4);
	if (pkt_resize_hdr(p, at, ihl, V6_HLEN + 8))
		return XLATE64_NO_ROOM;
	uint8_t *ip = pkt_l3(p), *fh = ip + V6_HLEN;
	uint8_t next = xlate64_proto_to6(proto);
	xlate64_put_v6(ip, tos, 8 + len, 44, (uint8_t)(ttl - 1), src, dst);
	fh[0] = next;
	fh[1] = 0;
	sys_st16(fh + 2, sys_be16((uint16_t)((ff & IPV4_OFFMASK) << 3 | (ff & IPV4_MF ? 1 : 0))));
	sys_st16(fh + 4, 0);
	sys_st16(fh + 6, id);
	xlate64_set_meta(p, true, V6_HLEN + 8, V6_HLEN + 8 + len, next);
	p->flags |= PKT_F_IPV6_EXT;
	return XLATE64_OK;
}

int xlate64_frag_6to6(struct pkt *p, const uint8_t src[16], const uint8_t dst[16])
{
	const uint8_t *h6 = pkt_l3(p), *fh = pkt_l4(p) - 8;
	const uint32_t at = p->l3_off, hlen = (uint32_t)p->l4_off - at;
	const uint32_t len = p->l3_len - hlen;
	uint8_t tc = (uint8_t)(sys_be32(sys_ld32(h6)) >> 20), hop = h6[7], next = fh[0];
	uint16_t fo = sys_ld16(fh + 2) & SYS_BE16(0xfff9), id = sys_ld16(fh + 6);
	if (pkt_resize_hdr(p, at, hlen, V6_HLEN + 8))
		return XLATE64_NO_ROOM;
	uint8_t *ip = pkt_l3(p), *nfh = ip + V6_HLEN;
	xlate64_put_v6(ip, tc, 8 + len, 44, (uint8_t)(hop - 1), src, dst);
	nfh[0] = next;
	nfh[1] = 0;
	sys_st16(nfh + 2, fo);
	sys_st16(nfh + 4, 0);
	sys_st16(nfh + 6, id);
	xlate64_set_meta(p, true, V6_HLEN + 8, V6_HLEN + 8 + len, next);
	p->flags |= PKT_F_IPV6_EXT;
	return XLATE64_OK;
}

bool xlate64_v4_source_route(const struct pkt *p)
{
	if (!(p->flags & PKT_F_IPV4_OPTS))
		return false;
	const uint8_t *ip = pkt_l3(p);
	const uint8_t *o = ip + IPV4_HLEN, *end = ip + (ip[0] & 15) * 4;
	while (o < end) {
		if (o[0] == 0) /* end of options */
			break;
		if (o[0] == 1) { /* no-op */
			o++;
			continue;
		}
		if (end - o < 2 || o[1] < 2 || o[1] > end - o)
			return true; /* malformed: not trusted to hold no route */
		if ((o[0] == 131 || o[0] == 137) && o[1] >= 3 && o[2] <= o[1])
			return true; /* LSRR / SSRR with addresses left */
		o += o[1];
	}
	return false;
}

/* ---- ICMP errors ----------------------------------------------------------------- */
/* RFC 1191 table 7-1: the largest plateau below the quoted length. */
static uint32_t plateau(uint32_t len)
{
	static const uint16_t pl[] = {65535, 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68};
	for (unsigned i = 0; i < sizeof(pl) / sizeof(pl[0]); i++)
		if (pl[i] < len)
			return pl[i];
	return 68;
}

bool xlate64_icmp4_map(uint8_t type, uint8_t code, const uint8_t rest[4], uint16_t inner_len,
		       uint8_t *type6, uint8_t *code6, uint8_t rest6[4])
{
	memset(rest6, 0, 4);
	uint32_t ptr;
	switch (type) {
	case 3: /* destination unreachable */
		*type6 = 1;
		switch (code) {
		case 0: case 1: case 5: case 6: case 7: case 8: case 11: case 12:
			*code6 = 0; /* no route */
			return true;
		case 9: case 10: case 13: case 15:
			*code6 = 1; /* administratively prohibited */
			return true;
		case 3:
			*code6 = 4; /* port unreachable */
			return true;
		case 2: /* protocol unreachable: parameter problem at Next Header */
			*type6 = 4;
			*code6 = 1;
			sys_st32(rest6, sys_be32(6));
			return true;
		case 4: { /* fragmentation needed: packet too big, 20 bytes more */
			uint32_t mtu = sys_be16(sys_ld16(rest + 2));
			*type6 = 2;
			*code6 = 0;
			sys_st32(rest6, sys_be32((mtu ? mtu : plateau(inner_len)) + 20));
			return true;
		}
		default:
			return false; /* 14 (precedence cutoff) and unknown codes */
		}
	case 11: /* time exceeded */
		*type6 = 3;
		*code6 = code;
		return code <= 1;
	case 12: /* parameter problem (code 1, a missing option, has no counterpart) */
		if (code != 0 && code != 2)
			return false;
		switch (rest[0]) {
		case 0: case 1: ptr = rest[0]; break;     /* version/IHL, TOS */
		case 2: case 3: ptr = 4; break;           /* total length -> payload length */
		case 8: ptr = 7; break;                   /* TTL -> hop limit */
		case 9: ptr = 6; break;                   /* protocol -> next header */
		case 12: case 13: case 14: case 15: ptr = 8; break;
		case 16: case 17: case 18: case 19: ptr = 24; break;
		default: return false;                    /* id, flags, offset, checksum, options */
		}
		*type6 = 4;
		*code6 = 0;
		sys_st32(rest6, sys_be32(ptr));
		return true;
	default:
		return false; /* source quench, redirect, anything else */
	}
}

bool xlate64_icmp6_map(uint8_t type, uint8_t code, const uint8_t rest[4], uint8_t *type4,
		       uint8_t *code4, uint8_t rest4[4])
{
	memset(rest4, 0, 4);
	switch (type) {
	case 1: /* destination unreachable */
		*type4 = 3;
		switch (code) {
		case 0: case 2: case 3: *code4 = 1; return true; /* host unreachable */
		case 1: *code4 = 10; return true;                /* host prohibited */
		case 4: *code4 = 3; return true;                 /* port unreachable */
		default: return false;
		}
	case 2: { /* packet too big: fragmentation needed, 20 bytes less */
		uint32_t mtu = sys_be32(sys_ld32(rest));
		mtu = mtu > 20 ? mtu - 20 : 0;
		*type4 = 3;
		*code4 = 4;
		sys_st16(rest4 + 2, sys_be16((uint16_t)SYS_MIN(mtu, 65535u)));
		return true;
	}
	case 3: /* time exceeded */
		*type4 = 11;
		*code4 = code;
		return code <= 1;
	case 4: /* parameter problem */
		if (code == 1) { /* unrecognised next header: protocol unreachable */
			*type4 = 3;
			*code4 = 2;
			return true;
		}
		if (code != 0)
			return false;
		uint32_t p6 = sys_be32(sys_ld32(rest)), p4;
		if (p6 <= 1)
			p4 = p6;          /* version/traffic class */
		else if (p6 == 4 || p6 == 5)
			p4 = 2;           /* payload length -> total length */
		else if (p6 == 6)
			p4 = 9;           /* next header -> protocol */
		else if (p6 == 7)
			p4 = 8;           /* hop limit -> TTL */
		else if (p6 >= 8 && p6 < 24)
			p4 = 12;
		else if (p6 >= 24 && p6 < 40)
			p4 = 16;
		else
			return false;     /* flow label, past the header */
		*type4 = 12;
		*code4 = 0;
		rest4[0] = (uint8_t)p4;
		return true;
	default:
		return false;
	}
}

bool xlate64_icmp6_inner(const struct pkt *p, struct xlate_inner *in)
{
	if (p->l3 != PKT_L3_IPV6 || p->l4_proto != IPPROTO_ICMPV6_ || !(p->flags & PKT_F_L4) ||
	    (p->flags & (PKT_F_FRAG | PKT_F_IPV6_EXT)) || pkt_l4(p)[0] >= 128)
		return false;
	uint32_t end = SYS_MIN((uint32_t)p->l3_off + p->l3_len, (uint32_t)p->len);
	uint32_t ipo = (uint32_t)p->l4_off + ICMP_HLEN;
	if (ipo + V6_HLEN + 8 > end)
		return false;
	const uint8_t *qi = p->data + ipo;
	if ((qi[0] >> 4) != 6)
		return false;
	memset(&in->key, 0, sizeof(in->key));
	in->ip = ipo;
	in->l4 = ipo + V6_HLEN;
	in->avail = end - in->l4;
	const uint8_t *l4 = p->data + in->l4;
	in->key.family = FLOW_FAMILY_V6;
	in->key.proto = qi[6];
	memcpy(in->key.src.v6, qi + 8, 16);
	memcpy(in->key.dst.v6, qi + 24, 16);
	switch (qi[6]) {
	case IPPROTO_TCP_:
	case IPPROTO_UDP_:
		in->key.sport = sys_ld16(l4);
		in->key.dport = sys_ld16(l4 + 2);
		return true;
	case IPPROTO_ICMPV6_:
		if (l4[0] != 128 && l4[0] != 129)
			return false;
		in->key.sport = sys_ld16(l4 + 4);
		in->key.dport = flow_icmp_tag(IPPROTO_ICMPV6_, l4[0]);
		return true;
	default:
		return false; /* extension headers in the quote, other protocols */
	}
}

/* An ICMP error's headers (outer IP, ICMP, quoted IP header: old_front
 * bytes) replaced by room for new_front bytes of the other family's; the
 * quote's transport bytes kept (*avail) so the packet stays within `max`.
 * The new IP header, or NULL if the headroom is short. */
static uint8_t *icmp_refront(struct pkt *p, const struct xlate_inner *q, uint32_t old_front,
			     uint32_t new_front, uint32_t max, uint32_t *avail)
{
	*avail = SYS_MIN(q->avail, max - new_front);
	if (pkt_resize_hdr(p, p->l3_off, old_front, new_front))
		return NULL;
	return p->data + p->l3_off;
}

int xlate64_icmp_4to6(struct pkt *p, const struct xlate_inner *q, const uint8_t osrc[16],
		      const uint8_t odst[16], const uint8_t qsrc[16], const uint8_t qdst[16],
		      uint16_t qsport)
{
	const uint8_t *ip4 = pkt_l3(p), *ic = pkt_l4(p), *qi = p->data + q->ip;
	uint32_t ihl = (uint32_t)p->l4_off - p->l3_off, qihl = q->l4 - q->ip;
	uint32_t qtot = sys_be16(sys_ld16(qi + 2));
	uint8_t t6, c6, rest6[4];
	if (!xlate64_icmp4_map(ic[0], ic[1], ic + 4, (uint16_t)qtot, &t6, &c6, rest6))
		return XLATE64_ICMP;
	if (qtot < qihl + 8)
		return XLATE64_QUOTE;
	uint8_t otos = ip4[1], ottl = ip4[8];
	uint8_t qtos = qi[1], qttl = qi[8], qproto = qi[9];
	uint32_t qs4 = sys_ld32(qi + 12), qd4 = sys_ld32(qi + 16), qlen = qtot - qihl;
	const uint32_t new_front = 2 * V6_HLEN + ICMP_HLEN;
	uint32_t avail;
	uint8_t *ip = icmp_refront(p, q, ihl + ICMP_HLEN + qihl, new_front, ICMP6_MAX, &avail);
	if (!ip)
		return XLATE64_NO_ROOM;
	uint8_t qnext = xlate64_proto_to6(qproto);
	xlate64_put_v6(ip + V6_HLEN + ICMP_HLEN, qtos, qlen, qnext, qttl, qsrc, qdst);
	xlate64_l4(ip + new_front, avail, qproto, true, true, qsport,
		   qproto == IPPROTO_ICMP_ ? 0 : csum_pseudo_v4(qs4, qd4, qproto, qlen),
		   csum_pseudo_v6(qsrc, qdst, qnext, qlen));
	uint32_t plen = ICMP_HLEN + V6_HLEN + avail;
	xlate64_put_v6(ip, otos, plen, IPPROTO_ICMPV6_, (uint8_t)(ottl - 1), osrc, odst);
	uint8_t *ic6 = ip + V6_HLEN;
	ic6[0] = t6;
	ic6[1] = c6;
	sys_st16(ic6 + 2, 0);
	memcpy(ic6 + 4, rest6, 4);
	sys_st16(ic6 + 2, csum_fold(csum_partial(ic6, plen,
						 csum_pseudo_v6(osrc, odst, IPPROTO_ICMPV6_, plen))));
	xlate64_set_meta(p, true, V6_HLEN, V6_HLEN + plen, IPPROTO_ICMPV6_);
	return XLATE64_OK;
}

int xlate64_icmp_6to4(struct pkt *p, const struct xlate_inner *q, uint32_t osrc, uint32_t odst,
		      uint32_t qsrc, uint32_t qdst, uint16_t qdport, uint16_t ip_id)
{
	const uint8_t *ip6 = pkt_l3(p), *ic = pkt_l4(p), *qi = p->data + q->ip;
	uint8_t t4, c4, rest4[4];
	if (!xlate64_icmp6_map(ic[0], ic[1], ic + 4, &t4, &c4, rest4))
		return XLATE64_ICMP;
	uint8_t qs6[16], qd6[16];
	memcpy(qs6, qi + 8, 16);
	memcpy(qd6, qi + 24, 16);
	uint32_t qlen = sys_be16(sys_ld16(qi + 4));
	if (qlen < 8)
		return XLATE64_QUOTE;
	uint8_t qtc = (uint8_t)(sys_be32(sys_ld32(qi)) >> 20), qhop = qi[7], qnext = qi[6];
	uint8_t otc = (uint8_t)(sys_be32(sys_ld32(ip6)) >> 20), ohop = ip6[7];
	const uint32_t new_front = 2 * IPV4_HLEN + ICMP_HLEN;
	uint32_t avail;
	uint8_t *ip = icmp_refront(p, q, 2 * V6_HLEN + ICMP_HLEN, new_front, ICMP4_MAX, &avail);
	if (!ip)
		return XLATE64_NO_ROOM;
	uint8_t qproto = xlate64_proto_to4(qnext);
	xlate64_put_v4(ip + IPV4_HLEN + ICMP_HLEN, qtc, IPV4_HLEN + qlen, 0, qhop, qproto, qsrc, qdst);
	xlate64_l4(ip + new_front, avail, qproto, false, false, qdport,
		   csum_pseudo_v6(qs6, qd6, qnext, qlen),
		   qproto == IPPROTO_ICMP_ ? 0 : csum_pseudo_v4(qsrc, qdst, qproto, qlen));
	uint32_t len4 = ICMP_HLEN + IPV4_HLEN + avail;
	xlate64_put_v4(ip, otc, IPV4_HLEN + len4, ip_id, (uint8_t)(ohop - 1), IPPROTO_ICMP_, osrc, odst);
	uint8_t *ic4 = ip + IPV4_HLEN;
	ic4[0] = t4;
	ic4[1] = c4;
	sys_st16(ic4 + 2, 0);
	memcpy(ic4 + 4, rest4, 4);
	sys_st16(ic4 + 2, csum_fold(csum_partial(ic4, len4, 0)));
	xlate64_set_meta(p, false, IPV4_HLEN, IPV4_HLEN + len4, IPPROTO_ICMP_);
	return XLATE64_OK;
}
