/* SPDX-License-Identifier: MIT */
/* flow.c - flow keys from parsed packets, their symmetric hash, formatting. */
#include "dataplane/flow.h"
#include "dataplane/parse.h"


static void flow_ports(const struct pkt *p, struct flow_key *k)
{
	/* A later fragment has no L4 header at l4_off, and a header parse
	 * could not complete carries no trustworthy ports. */
	if ((p->flags & (PKT_F_L4 | PKT_F_FRAG_LATER)) != PKT_F_L4)
		return;
	const uint8_t *l4 = pkt_l4(p);
	switch (k->proto) {
	case IPPROTO_TCP_:
	case IPPROTO_UDP_:
		/* sport and dport lead both headers. */
		k->sport = sys_ld16(l4);
		k->dport = sys_ld16(l4 + 2);
		break;
	case IPPROTO_ICMP_:
	case IPPROTO_ICMPV6_:
		k->dport = flow_icmp_tag(k->proto, l4[0]);
		if (k->dport)
			k->sport = sys_ld16(l4 + 4); /* identifier */
		break;
	default:
		break;
	}
}

int flow_key_from_pkt(const struct pkt *p, uint16_t zone, struct flow_key *k)
{
	memset(k, 0, sizeof(*k));
	const uint8_t *l3 = pkt_l3(p);
	if (p->l3 == PKT_L3_IPV4) {
		const struct ipv4_hdr *ip = (const struct ipv4_hdr *)l3;
		k->src.v4 = sys_ld32(&ip->src);
		k->dst.v4 = sys_ld32(&ip->dst);
		k->family = FLOW_FAMILY_V4;
	} else if (p->l3 == PKT_L3_IPV6) {
		const struct ipv6_hdr *ip = (const struct ipv6_hdr *)l3;
		memcpy(k->src.v6, ip->src, 16);
		memcpy(k->dst.v6, ip->dst, 16);
		k->family = FLOW_FAMILY_V6;
	} else {
		return -SYS_EINVAL;
	}
	/* l4_proto is the protocol after IPv6 extension headers, which the
	 * IPv6 next-header field is not. */
	k->proto = p->l4_proto;
	k->zone = zone;
	flow_ports(p, k);
	return 0;
}

void flow_key_reverse(const struct flow_key *k, struct flow_key *rev)
{
	struct flow_key r = *k; /* k and rev may alias */
	r.src = k->dst;
	r.dst = k->src;
	uint64_t tail = flow_key_tail_reverse(flow_key_tail(k));
	memcpy(&r.sport, &tail, sizeof(tail));
	*rev = r;
}

/* The IPv4 case is inline in flow.h. */
uint32_t flow_hash_v6(const struct flow_key *k)
{
	const uint64_t *w = (const uint64_t *)k;
	const uint64_t *lo = w, *hi = w + 2;
	if (w[0] > w[2] || (w[0] == w[2] && w[1] > w[3])) {
		lo = w + 2;
		hi = w;
	}
	/* Two independent chains: CRC32 has a 3-cycle latency but a
	 * throughput of one per cycle. */
	uint64_t a = flow_crc_(FLOW_HASH_SEED, lo[0]);
	uint64_t b = flow_crc_(~(uint64_t)FLOW_HASH_SEED, hi[0]);
	a = flow_crc_(a, lo[1]);
	b = flow_crc_(b, hi[1]);
	a = flow_crc_(a, flow_hash_meta_(w[4]));
	return (uint32_t)flow_crc_(a, b);
}

/* ---- formatting (cold) ----------------------------------------------------- */

static const char *flow_proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP_: return "tcp";
	case IPPROTO_UDP_: return "udp";
	case IPPROTO_ICMP_: return "icmp";
	case IPPROTO_ICMPV6_: return "icmp6";
	case 132: return "sctp";
	default: return NULL;
	}
}

/* RFC 5952 text: lower case, no leading zeros, the longest run of two or
 * more zero groups (the first, on a tie) shortened to "::". */
static int flow_fmt_v6(const uint8_t *a, char *buf, size_t size)
{
	uint16_t g[8];
	for (int i = 0; i < 8; i++)
		g[i] = (uint16_t)(a[2 * i] << 8 | a[2 * i + 1]);
	int best = -1, best_len = 1;
	for (int i = 0; i < 8;) {
		int j = i;
		while (j < 8 && g[j] == 0)
			j++;
		if (j - i > best_len) {
			best = i;
			best_len = j - i;
		}
		i = j > i ? j : i + 1;
	}
	size_t n = 0;
	for (int i = 0; i < 8; i++) {
		if (i == best) {
			n += (size_t)snprintf(buf + SYS_MIN(n, size), size - SYS_MIN(n, size), "::");
			i += best_len - 1;
			continue;
		}
		const char *sep = (i == 0 || i == best + best_len) ? "" : ":";
		n += (size_t)snprintf(buf + SYS_MIN(n, size), size - SYS_MIN(n, size), "%s%x", sep,
				      g[i]);
	}
	return (int)n;
}

int flow_addr_format(uint8_t family, const union flow_addr *a, char *buf, size_t size)
{
	if (family == FLOW_FAMILY_V4) {
		const uint8_t *b = (const uint8_t *)&a->v4;
		return snprintf(buf, size, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
	}
	return flow_fmt_v6(a->v6, buf, size);
}

/* Appends to buf at offset *n, tracking the untruncated length like
 * snprintf so the caller can report it. */
static void flow_fmt_end(const struct flow_key *k, const union flow_addr *a, uint16_t port,
			 bool with_port, char *buf, size_t size, size_t *n)
{
	char addr[48];
	flow_addr_format(k->family, a, addr, sizeof(addr));
	size_t off = SYS_MIN(*n, size);
	int r;
	if (!with_port)
		r = snprintf(buf + off, size - off, "%s", addr);
	else if (k->family == FLOW_FAMILY_V6)
		r = snprintf(buf + off, size - off, "[%s]:%u", addr, sys_ntohs(port));
	else
		r = snprintf(buf + off, size - off, "%s:%u", addr, sys_ntohs(port));
	*n += (size_t)r;
}

int flow_key_format(const struct flow_key *k, char *buf, size_t size)
{
	const char *name = flow_proto_name(k->proto);
	bool ports = name && !flow_proto_has_id(k->proto);
	size_t n;
	if (name)
		n = (size_t)snprintf(buf, size, "%s ", name);
	else
		n = (size_t)snprintf(buf, size, "proto %u ", k->proto);
	flow_fmt_end(k, &k->src, k->sport, ports, buf, size, &n);
	n += (size_t)snprintf(buf + SYS_MIN(n, size), size - SYS_MIN(n, size), " -> ");
	flow_fmt_end(k, &k->dst, k->dport, ports, buf, size, &n);
	if (flow_proto_has_id(k->proto) && k->sport)
		n += (size_t)snprintf(buf + SYS_MIN(n, size), size - SYS_MIN(n, size), " id %u",
				      sys_ntohs(k->sport));
	if (k->zone)
		n += (size_t)snprintf(buf + SYS_MIN(n, size), size - SYS_MIN(n, size), " zone %u",
				      k->zone);
	return (int)n;
}
