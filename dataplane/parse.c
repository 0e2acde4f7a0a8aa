/* SPDX-License-Identifier: MIT */
/*
 * parse.c - header parsing and validation (contract in parse.h).
 *
 * Shape: parse_pkt() (inline in parse.h) handles the common case - untagged IPv4 with a 20-byte
 * header, not fragmented, carrying sound TCP/UDP - in straight-line code
 * with one predictable branch per check and no loop.  Everything else
 * (errors, VLAN tags, IPv4 options, fragments, IPv6, ARP, ICMP) goes to
 * parse_pkt_full(), the complete parser, whose own rare parts are out of line
 * again, so each path stays small.
 *
 * Every check compares a length derived from the packet against the bytes
 * actually present *before* the bytes are read.  Once an IP header has been
 * validated, the end of the IP packet (not the end of the frame) bounds
 * everything after it, so an Ethernet padding tail is never taken for
 * headers.  All lengths are computed in 32-bit arithmetic from 16-bit
 * inputs: none of the sums can wrap.
 */
#include "dataplane/parse.h"

/* Flags owned by the parser: cleared on entry, so a re-parse (after a
 * rewrite) starts clean.  PKT_F_GENERATED belongs to whoever made the
 * packet and is kept. */
#define IPV6_HLEN 40
#define ICMP_HLEN 8      /* RFC 792: every message starts with 8 bytes */
#define ICMP6_HLEN 4     /* RFC 4443 2.1: type, code, checksum */
#define ICMP6_ECHO_HLEN 8 /* RFC 4443 4.1/4.2: + identifier, sequence */
#define ARP_FIXED 8      /* RFC 826: hrd, pro, hln, pln, op */
#define ARP_ETH_IPV4 28  /* the fixed part + 2 * (6 + 4) */

/* IPv6 extension headers we walk (RFC 8200 4, RFC 4302 for AH). */
#define IP6_HOPOPTS 0
#define IP6_ROUTING 43
#define IP6_FRAGMENT 44
#define IP6_AH 51
#define IP6_DSTOPTS 60
#define IP6_EXT_MIN 8    /* every one of them is at least 8 bytes */
/* All five are below 64: membership is one shift and mask. */
#define IP6_EXT_SET                                                             \
	((1ull << IP6_HOPOPTS) | (1ull << IP6_ROUTING) | (1ull << IP6_FRAGMENT) | \
	 (1ull << IP6_AH) | (1ull << IP6_DSTOPTS))

#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY 129

/* ---- L4 ------------------------------------------------------------------ */

/*
 * TCP and UDP are checked the same way after IPv4 and IPv6.  `avail` is the
 * number of IP payload bytes from the L4 header to the end of the IP packet.
 *
 * `frag` is true for a first fragment (offset 0, more to come).  Its L4
 * header must still fit: a first fragment too short to hold the whole
 * transport header is the "tiny fragment" attack of RFC 1858 3.2 and is
 * forbidden for IPv6 by RFC 7112 5 (the first fragment carries the whole
 * header chain), so it is reported with the L4 reason (TCP_TRUNC, TCP_DOFF,
 * UDP_TRUNC, ICMP_TRUNC...).  Only UDP's length field is not checked against
 * the fragment: it covers the whole reassembled datagram.
 */
static inline __attribute__((always_inline)) enum parse_result
parse_tcp(struct pkt *p, const uint8_t *l4, uint32_t avail)
{
	if (unlikely(avail < TCP_HLEN))
		return PARSE_ERR_TCP_TRUNC;
	/* RFC 9293 3.1: data offset in 32-bit words, at least 5. */
	uint32_t hlen = (uint32_t)(l4[12] >> 4) * 4;
	if (unlikely(hlen - TCP_HLEN > avail - TCP_HLEN)) /* hlen < 20 wraps */
		return PARSE_ERR_TCP_DOFF;
	p->flags |= PKT_F_L4;
	return PARSE_OK;
}

static inline __attribute__((always_inline)) enum parse_result
parse_udp(struct pkt *p, const uint8_t *l4, uint32_t avail, bool frag)
{
	if (unlikely(avail < UDP_HLEN))
		return PARSE_ERR_UDP_TRUNC;
	/* RFC 768: length counts header and data.  Below 8 is impossible;
	 * above the IP payload means bytes that are not there.  A length of
	 * 0 (RFC 2675 jumbogram UDP) is rejected with the jumbogram. */
	uint32_t ulen = sys_be16(sys_ld16(l4 + 4));
	if (frag ? unlikely(ulen < UDP_HLEN) : unlikely(ulen - UDP_HLEN > avail - UDP_HLEN))
		return PARSE_ERR_UDP_LEN; /* ulen < 8 wraps: one test */
	p->flags |= PKT_F_L4;
	return PARSE_OK;
}

static inline __attribute__((always_inline)) enum parse_result
parse_l4_v4(struct pkt *p, const uint8_t *d, uint32_t l4_off, uint32_t end, uint8_t proto, bool frag)
{
	const uint8_t *l4 = d + l4_off;
	uint32_t avail = end - l4_off;

	p->l4_proto = proto;
	p->l4_off = (uint16_t)l4_off;
	if (likely(proto == IPPROTO_UDP_))
		return parse_udp(p, l4, avail, frag);
	if (likely(proto == IPPROTO_TCP_))
		return parse_tcp(p, l4, avail);
	if (proto == IPPROTO_ICMP_) {
		if (unlikely(avail < ICMP_HLEN))
			return PARSE_ERR_ICMP_TRUNC;
		p->flags |= PKT_F_L4;
	}
	/* Any other protocol: understood up to L3, no PKT_F_L4. */
	return PARSE_OK;
}

static enum parse_result parse_l4_v6(struct pkt *p, const uint8_t *d, uint32_t l4_off,
				     uint32_t end, uint8_t proto, bool frag)
{
	const uint8_t *l4 = d + l4_off;
	uint32_t avail = end - l4_off;

	p->l4_proto = proto;
	p->l4_off = (uint16_t)l4_off;
	switch (proto) {
	case IPPROTO_TCP_:
		return parse_tcp(p, l4, avail);
	case IPPROTO_UDP_:
		return parse_udp(p, l4, avail, frag);
	case IPPROTO_ICMPV6_:
		if (unlikely(avail < ICMP6_HLEN))
			return PARSE_ERR_ICMP6_TRUNC;
		/* Echo carries the identifier flow keys use (flow.h). */
		if ((l4[0] == ICMP6_ECHO_REQUEST || l4[0] == ICMP6_ECHO_REPLY) &&
		    unlikely(avail < ICMP6_ECHO_HLEN))
			return PARSE_ERR_ICMP6_TRUNC;
		p->flags |= PKT_F_L4;
		return PARSE_OK;
	default:
		/* Includes 59 "no next header" (RFC 8200 4.7), ESP (whose
		 * payload is opaque) and protocols we do not interpret. */
		return PARSE_OK;
	}
}

/* ---- IPv4 ------------------------------------------------------------------ */

/*
 * The rare parts of IPv4, entered with the fixed 20 bytes known to be
 * present: version, IHL, options.  Separate so the hot path does not carry
 * them.
 */
static __attribute__((noinline)) enum parse_result
parse_ipv4_slow(struct pkt *p, const uint8_t *d, uint32_t off, uint32_t room);

/*
 * Fragments (RFC 791 3.2): MF or a non-zero offset.  Offset (in 8-byte
 * units) plus this fragment's payload must stay within the 65535 bytes an
 * IPv4 datagram can have - the "ping of death" check.  A later fragment
 * carries no L4 header: we stop at L3 with PKT_F_FRAG_LATER, l4_proto from
 * the IP header and l4_off at the fragment's payload.
 */
static __attribute__((noinline)) enum parse_result
parse_ipv4_frag(struct pkt *p, const uint8_t *d, uint32_t off, uint32_t ihl, uint32_t tot)
{
	const uint8_t *ip = d + off;
	uint32_t foff = (uint32_t)(sys_be16(sys_ld16(ip + 6)) & IPV4_OFFMASK) * 8;

	p->flags |= PKT_F_FRAG;
	if (unlikely(foff + (tot - ihl) > 65535))
		return PARSE_ERR_IPV4_FRAG;
	if (foff != 0) {
		p->flags |= PKT_F_FRAG_LATER;
		p->l4_proto = ip[9];
		p->l4_off = (uint16_t)(off + ihl);
		return PARSE_OK;
	}
	return parse_l4_v4(p, d, off + ihl, off + tot, ip[9], true);
}

/* Everything after the version/IHL byte has been accepted. */
static inline __attribute__((always_inline)) enum parse_result
parse_ipv4_rest(struct pkt *p, const uint8_t *d, uint32_t off, uint32_t room, uint32_t ihl)
{
	const uint8_t *ip = d + off;
	uint32_t tot = sys_be16(sys_ld16(ip + 2));

	/* RFC 791: total length covers header and data.  Less than the
	 * header is nonsense; more than the frame means missing bytes.  Less
	 * than the frame is an Ethernet padding tail, which is fine.  The
	 * caller guarantees ihl <= room. */
	if (unlikely(tot - ihl > room - ihl)) /* tot < ihl wraps: one test */
		return PARSE_ERR_IPV4_TOTLEN;
	p->l3_len = (uint16_t)tot;
	/* MF or offset set (the reserved and DF bits are ignored). */
	if (unlikely(sys_ld16(ip + 6) & SYS_BE16(IPV4_MF | IPV4_OFFMASK)))
		return parse_ipv4_frag(p, d, off, ihl, tot);
	return parse_l4_v4(p, d, off + ihl, off + tot, ip[9], false);
}

static inline __attribute__((always_inline)) enum parse_result
parse_ipv4(struct pkt *p, const uint8_t *d, uint32_t off, uint32_t len)
{
	uint32_t room = len - off;

	p->l3 = PKT_L3_IPV4;
	p->l3_off = (uint16_t)off;
	if (unlikely(room < IPV4_HLEN))
		return PARSE_ERR_IPV4_TRUNC;
	/* 0x45: version 4, 20-byte header.  Anything else is the slow path. */
	if (unlikely(d[off] != 0x45))
		return parse_ipv4_slow(p, d, off, room);
	return parse_ipv4_rest(p, d, off, room, IPV4_HLEN);
}

static __attribute__((noinline)) enum parse_result
parse_ipv4_slow(struct pkt *p, const uint8_t *d, uint32_t off, uint32_t room)
{
	uint8_t vihl = d[off];
	uint32_t ihl = (uint32_t)(vihl & 0x0f) * 4;

	if ((vihl >> 4) != 4)
		return PARSE_ERR_IPV4_VERSION;
	if (ihl < IPV4_HLEN || ihl > room)
		return PARSE_ERR_IPV4_IHL;
	/* Options are not interpreted (RFC 791 3.1); they are only skipped,
	 * with the header length bounding them. */
	p->flags |= PKT_F_IPV4_OPTS;
	return parse_ipv4_rest(p, d, off, room, ihl);
}

/* ---- IPv6 ------------------------------------------------------------------ */

/*
 * RFC 8200 4: walk the extension headers we know, at most
 * PARSE_IPV6_EXT_MAX of them, each bounded by the payload length.
 * Hop-by-hop, routing and destination options are (len + 1) * 8 bytes
 * (RFC 8200 4.3-4.6); AH is (len + 2) * 4 bytes (RFC 4302 2.2); the fragment
 * header is 8 bytes (RFC 8200 4.5).
 *
 * Jumbograms (RFC 2675: payload length 0 with a hop-by-hop Jumbo Payload
 * option) need payloads above 65535 bytes, far beyond PARSE_FRAME_MAX, so
 * they cannot be genuine here: payload length 0 with a hop-by-hop header
 * is reported as IPV6_PLEN.  Payload length 0 with anything else is an
 * empty payload, and whatever header it announces is then truncated.
 *
 * A fragment header with offset 0 and M clear is an "atomic fragment"
 * (RFC 6946): a whole packet, parsed as one, without PKT_F_FRAG.
 */
static __attribute__((noinline)) enum parse_result
parse_ipv6(struct pkt *p, const uint8_t *d, uint32_t off, uint32_t len)
{
	uint32_t room = len - off;
	const uint8_t *ip = d + off;

	p->l3 = PKT_L3_IPV6;
	p->l3_off = (uint16_t)off;
	if (room < IPV6_HLEN)
		return PARSE_ERR_IPV6_TRUNC;
	if ((ip[0] >> 4) != 6)
		return PARSE_ERR_IPV6_VERSION;

	uint32_t plen = sys_be16(sys_ld16(ip + 4));
	uint8_t next = ip[6];
	if (plen > room - IPV6_HLEN || (plen == 0 && next == IP6_HOPOPTS))
		return PARSE_ERR_IPV6_PLEN;
	p->l3_len = (uint16_t)(IPV6_HLEN + plen);

	uint32_t end = off + IPV6_HLEN + plen;
	uint32_t cur = off + IPV6_HLEN;
	bool frag = false;
	for (unsigned n = 0;; n++) {
		if (next >= 64 || !((IP6_EXT_SET >> next) & 1))
			break;
		if (n == PARSE_IPV6_EXT_MAX)
			return PARSE_ERR_IPV6_EXT_DEPTH;
		p->flags |= PKT_F_IPV6_EXT;
		if (end - cur < IP6_EXT_MIN)
			return PARSE_ERR_IPV6_EXT_TRUNC;

		const uint8_t *h = d + cur;
		uint32_t hlen;
		if (next == IP6_FRAGMENT) {
			/* offset (13 bits) | res (2) | M (1) */
			uint16_t fo = sys_be16(sys_ld16(h + 2));
			hlen = IP6_EXT_MIN;
			if (fo & 0xfff9) {
				p->flags |= PKT_F_FRAG;
				frag = true;
				if (fo & 0xfff8) {
					/* Later fragment: the rest is payload. */
					p->flags |= PKT_F_FRAG_LATER;
					p->l4_proto = h[0];
					p->l4_off = (uint16_t)(cur + hlen);
					return PARSE_OK;
				}
			}
		} else if (next == IP6_AH) {
			hlen = ((uint32_t)h[1] + 2) * 4;
		} else {
			hlen = ((uint32_t)h[1] + 1) * 8;
		}
		if (hlen > end - cur)
			return PARSE_ERR_IPV6_EXT_TRUNC;
		next = h[0];
		cur += hlen;
	}
	return parse_l4_v6(p, d, cur, end, next, frag);
}

/* ---- ARP, VLAN ----------------------------------------------------------- */

/*
 * RFC 826: 8 fixed bytes, then sender and target hardware and protocol
 * addresses, so 8 + 2 * (hln + pln) bytes.  Ethernet/IPv4 ARP (hrd 1,
 * pro 0x0800) must also have its full 28 bytes whatever hln/pln claim, so
 * a function can read its fields at fixed offsets after checking only hrd
 * and pro.  l3_len is the length required.
 */
static __attribute__((noinline)) enum parse_result
parse_arp(struct pkt *p, const uint8_t *d, uint32_t off, uint32_t len)
{
	uint32_t room = len - off;
	const uint8_t *a = d + off;

	p->l3 = PKT_L3_ARP;
	p->l3_off = (uint16_t)off;
	if (room < ARP_FIXED)
		return PARSE_ERR_ARP_TRUNC;
	uint32_t need = ARP_FIXED + 2 * ((uint32_t)a[4] + a[5]);
	if (sys_ld16(a) == SYS_BE16(1) && sys_ld16(a + 2) == SYS_BE16(ETH_TYPE_IPV4))
		need = SYS_MAX(need, (uint32_t)ARP_ETH_IPV4);
	if (need > room)
		return PARSE_ERR_ARP_TRUNC;
	p->l3_len = (uint16_t)need;
	return PARSE_OK;
}

static inline bool is_vlan_type(uint16_t type_be)
{
	return type_be == SYS_BE16(ETH_TYPE_VLAN) || type_be == SYS_BE16(ETH_TYPE_QINQ);
}

/* Everything that is not untagged IPv4. */
static __attribute__((noinline)) enum parse_result
parse_other(struct pkt *p, const uint8_t *d, uint32_t len, uint16_t type)
{
	uint32_t off = ETH_HLEN;

	/* IEEE 802.1Q tags: TPID (already read as `type`), TCI, then the
	 * next ethertype.  Either TPID may appear in either position. */
	if (is_vlan_type(type)) {
		if (len - off < 4)
			return PARSE_ERR_VLAN_TRUNC;
		p->flags |= PKT_F_VLAN;
		p->vlan_tci = sys_be16(sys_ld16(d + off));
		type = sys_ld16(d + off + 2);
		off += 4;
		if (is_vlan_type(type)) {
			if (len - off < 4)
				return PARSE_ERR_VLAN_TRUNC;
			p->flags |= PKT_F_QINQ;
			type = sys_ld16(d + off + 2);
			off += 4;
			if (is_vlan_type(type))
				return PARSE_ERR_VLAN_DEPTH;
		}
	}

	switch (type) {
	case SYS_BE16(ETH_TYPE_IPV4):
		return parse_ipv4(p, d, off, len);
	case SYS_BE16(ETH_TYPE_IPV6):
		return parse_ipv6(p, d, off, len);
	case SYS_BE16(ETH_TYPE_ARP):
		return parse_arp(p, d, off, len);
	default:
		/* Not ours to interpret: l3 stays PKT_L3_NONE. */
		return PARSE_OK;
	}
}

/* ---- entry ----------------------------------------------------------------- */

/* The whole parser: every kind of frame, every error reason.  The fast path
 * of the common case is parse_pkt(), inline in parse.h. */
enum parse_result parse_pkt_full(struct pkt *p)
{
	const uint8_t *d = p->data;
	uint32_t len = p->len;

	p->flags &= (uint16_t)~PARSE_FLAGS;
	p->l3 = PKT_L3_NONE;
	p->l4_proto = 0;
	p->l3_off = 0;
	p->l4_off = 0;
	p->l3_len = 0;
	p->vlan_tci = 0;

	if (unlikely(len < ETH_HLEN))
		return PARSE_ERR_RUNT;
	if (unlikely(len > PARSE_FRAME_MAX))
		return PARSE_ERR_OVERSIZED;

	uint16_t type = sys_ld16(d + 12);
	if (likely(type == SYS_BE16(ETH_TYPE_IPV4)))
		return parse_ipv4(p, d, ETH_HLEN, len);
	return parse_other(p, d, len, type);
}

/* ---- names ---------------------------------------------------------------- */

/* The X-macro gives upper-case enum names; the stable identifiers are their
 * lower-case forms, spelled out (the preprocessor cannot lower-case).  The
 * unit test checks each entry against its enum name. */
static const char *const parse_names[PARSE_ERR_COUNT] = {
	[PARSE_ERR_OK] = "ok",
	[PARSE_ERR_RUNT] = "runt",
	[PARSE_ERR_OVERSIZED] = "oversized",
	[PARSE_ERR_VLAN_TRUNC] = "vlan_trunc",
	[PARSE_ERR_VLAN_DEPTH] = "vlan_depth",
	[PARSE_ERR_ARP_TRUNC] = "arp_trunc",
	[PARSE_ERR_IPV4_TRUNC] = "ipv4_trunc",
	[PARSE_ERR_IPV4_VERSION] = "ipv4_version",
	[PARSE_ERR_IPV4_IHL] = "ipv4_ihl",
	[PARSE_ERR_IPV4_TOTLEN] = "ipv4_totlen",
	[PARSE_ERR_IPV4_FRAG] = "ipv4_frag",
	[PARSE_ERR_IPV6_TRUNC] = "ipv6_trunc",
	[PARSE_ERR_IPV6_VERSION] = "ipv6_version",
	[PARSE_ERR_IPV6_PLEN] = "ipv6_plen",
	[PARSE_ERR_IPV6_EXT_TRUNC] = "ipv6_ext_trunc",
	[PARSE_ERR_IPV6_EXT_DEPTH] = "ipv6_ext_depth",
	[PARSE_ERR_TCP_TRUNC] = "tcp_trunc",
	[PARSE_ERR_TCP_DOFF] = "tcp_doff",
	[PARSE_ERR_UDP_TRUNC] = "udp_trunc",
	[PARSE_ERR_UDP_LEN] = "udp_len",
	[PARSE_ERR_ICMP_TRUNC] = "icmp_trunc",
	[PARSE_ERR_ICMP6_TRUNC] = "icmp6_trunc",
};

static const char *const parse_texts[PARSE_ERR_COUNT] = {
#define PARSE_TEXT_(name, text) [PARSE_ERR_##name] = text,
	PARSE_ERRORS(PARSE_TEXT_)
#undef PARSE_TEXT_
};

const char *parse_err_name(enum parse_result r)
{
	if ((unsigned)r >= PARSE_ERR_COUNT || !parse_names[r])
		return "unknown";
	return parse_names[r];
}

const char *parse_err_text(enum parse_result r)
{
	if ((unsigned)r >= PARSE_ERR_COUNT)
		return "unknown parse result";
	return parse_texts[r];
}
