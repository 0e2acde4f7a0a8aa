/* SPDX-License-Identifier: MIT */
/*
 * mktrace - write a benchmark trace: Ethernet/IPv4/UDP (or IPv6/UDP) frames
 * of one size or an IMIX, spread over N flows.
 *
 *   mktrace --size 64|imix --flows N [--packets P] [--v6|--nat64] [--tcp-syn] -o FILE
 *
 * Frame sizes are RFC 2544 sizes including the 4-byte FCS, which a capture
 * does not hold: "64" writes 60-byte frames.  IMIX is the classic 7:4:1 mix
 * of 64, 594 and 1518-byte frames.  Flow i is 10.x.y.z:port -> 198.18.x.y:53
 * (RFC 2544 benchmark range); packets visit flows in a scrambled order so
 * consecutive packets rarely share a flow, like real traffic at a busy box.
 * --tcp-syn: IPv4 TCP SYNs to port 80 instead of UDP (new connections,
 * a SYN flood).
 * --nat64: IPv6 frames to 64:ff9b::198.18.x.y (RFC 6052), what a NAT64's
 * inside sends.
 */
#define _GNU_SOURCE
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/csum.h"
#include "dataplane/parse.h"

static const unsigned imix_sizes[12] = { 64, 64, 594, 64, 64, 1518, 64, 594, 64, 594, 64, 594 };

static void usage(void)
{
	fprintf(stderr, "usage: mktrace --size 64|imix|N --flows N [--packets P] [--v6|--nat64] [--tcp-syn] "
			"-o FILE\n");
	exit(2);
}

static unsigned long gcd(unsigned long a, unsigned long b)
{
	while (b) {
		unsigned long t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/* IPv4 TCP SYN of flow: 10.x.y.z:port -> 198.18.0.x:80. */
static unsigned build_syn(uint8_t *f, unsigned frame_size, uint32_t flow)
{
	unsigned len = frame_size - 4;
	memset(f, 0, len);
	struct eth_hdr *eth = (struct eth_hdr *)f;
	memcpy(eth->dst, "\x02\x00\x00\x00\x00\x02", 6);
	memcpy(eth->src, "\x02\x00\x00\x00\x00\x01", 6);
	eth->type = sys_htons(ETH_TYPE_IPV4);
	struct ipv4_hdr *ip = (struct ipv4_hdr *)(f + ETH_HLEN);
	ip->ver_ihl = 0x45;
	ip->total_len = sys_htons(40); /* the rest of a 64-byte frame is padding */
	ip->ttl = 64;
	ip->proto = IPPROTO_TCP_;
	ip->src = sys_htonl(0x0a000000u | (flow >> 15));
	ip->dst = sys_htonl(0xc6120000u | (flow & 0xff));
	ip->csum = csum_ipv4_hdr(ip, 20);
	struct tcp_hdr *t = (struct tcp_hdr *)(f + ETH_HLEN + 20);
	t->sport = sys_htons((uint16_t)(1024 + (flow & 0x7fff)));
	t->dport = sys_htons(80);
	t->seq = sys_htonl(flow * 2654435761u);
	t->doff_res = 0x50;
	t->flags = TCP_SYN;
	t->window = sys_htons(65535);
	unsigned l4 = 20;
	t->csum = csum_fold(csum_partial(t, l4, csum_pseudo_v4(ip->src, ip->dst, IPPROTO_TCP_, l4)));
	return len;
}

static unsigned build(uint8_t *f, unsigned frame_size, uint32_t flow, int v6)
{
	unsigned len = frame_size - 4; /* no FCS in a capture */
	memset(f, 0, len);
	struct eth_hdr *eth = (struct eth_hdr *)f;
	memcpy(eth->dst, "\x02\x00\x00\x00\x00\x02", 6);
	memcpy(eth->src, "\x02\x00\x00\x00\x00\x01", 6);
	uint16_t sport = (uint16_t)(1024 + (flow & 0x7fff));
	struct udp_hdr *udp;
	if (!v6) {
		eth->type = sys_htons(ETH_TYPE_IPV4);
		struct ipv4_hdr *ip = (struct ipv4_hdr *)(f + ETH_HLEN);
		ip->ver_ihl = 0x45;
		ip->total_len = sys_htons((uint16_t)(len - ETH_HLEN));
		ip->ttl = 64;
		ip->proto = IPPROTO_UDP_;
		ip->src = sys_htonl(0x0a000000u | (flow >> 15));
		ip->dst = sys_htonl(0xc6120000u | (flow & 0xff));
		ip->csum = 0;
		ip->csum = csum_ipv4_hdr(ip, 20);
		udp = (struct udp_hdr *)(f + ETH_HLEN + 20);
		udp->len = sys_htons((uint16_t)(len - ETH_HLEN - 20));
		udp->sport = sys_htons(sport);
		udp->dport = sys_htons(53);
		udp->csum = csum_fold(csum_partial(udp, len - ETH_HLEN - 20,
						   csum_pseudo_v4(ip->src, ip->dst, IPPROTO_UDP_,
								  len - ETH_HLEN - 20)));
		if (!udp->csum)
			udp->csum = 0xffff;
	} else {
		eth->type = sys_htons(ETH_TYPE_IPV6);
		struct ipv6_hdr *ip = (struct ipv6_hdr *)(f + ETH_HLEN);
		ip->ver_tc_flow = sys_htonl(0x60000000u);
		ip->payload_len = sys_htons((uint16_t)(len - ETH_HLEN - 40));
		ip->next = IPPROTO_UDP_;
		ip->hop_limit = 64;
		memcpy(ip->src, "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00", 12);
		sys_st32(ip->src + 12, sys_htonl(flow >> 15));
		if (v6 == 2) { /* --nat64 */
			memcpy(ip->dst, "\x00\x64\xff\x9b\x00\x00\x00\x00\x00\x00\x00\x00", 12);
			sys_st32(ip->dst + 12, sys_htonl(0xc6120000u | (flow & 0xffff)));
		} else {
			memcpy(ip->dst, "\x20\x01\x0d\xb8\x00\x01\x00\x00\x00\x00\x00\x00", 12);
			sys_st32(ip->dst + 12, sys_htonl(flow & 0xff));
		}
		udp = (struct udp_hdr *)(f + ETH_HLEN + 40);
		udp->len = sys_htons((uint16_t)(len - ETH_HLEN - 40));
		udp->sport = sys_htons(sport);
		udp->dport = sys_htons(53);
		udp->csum = csum_fold(csum_partial(udp, len - ETH_HLEN - 40,
						   csum_pseudo_v6(ip->src, ip->dst, IPPROTO_UDP_,
								  len - ETH_HLEN - 40)));
	}
	return len;
}

int main(int argc, char **argv)
{
	const char *size = NULL, *out = NULL;
	unsigned long flows = 0, packets = 0;
	int v6 = 0, syn = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--size") && i + 1 < argc)
			size = argv[++i];
		else if (!strcmp(argv[i], "--flows") && i + 1 < argc)
			flows = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--packets") && i + 1 < argc)
			packets = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--v6"))
			v6 = 1;
		else if (!strcmp(argv[i], "--tcp-syn"))
			syn = 1;
		else if (!strcmp(argv[i], "--nat64"))
			v6 = 2;
		else if (!strcmp(argv[i], "-o") && i + 1 < argc)
			out = argv[++i];
		else
			usage();
	}
	if (!size || !out || !flows || (syn && v6))
		usage();
	int imix = !strcmp(size, "imix");
	unsigned fixed = imix ? 0 : (unsigned)atoi(size);
	if (!imix && (fixed < (v6 ? 66u : 64u) || fixed > 1518)) {
		fprintf(stderr, "mktrace: --size must be imix or %u..1518\n", v6 ? 66 : 64);
		return 2;
	}
	if (!packets)
		packets = flows < 4096 ? 4096 : flows;
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d = pcap_dump_open(dead, out);
	if (!d) {
		fprintf(stderr, "mktrace: cannot write %s: %s\n", out, pcap_geterr(dead));
		return 1;
	}
	uint8_t frame[1600];
	/* A multiplier coprime with `flows` visits every flow once per lap in a
	 * scrambled order. */
	unsigned long step = flows > 1 ? 2654435761ul % flows : 0;
	while (flows > 1 && (step < 2 || gcd(step, flows) != 1))
		step = (step + 1) % flows;
	for (unsigned long i = 0; i < packets; i++) {
		uint32_t flow = (uint32_t)((i * step) % flows);
		unsigned fs = imix ? imix_sizes[i % 12] : fixed;
		unsigned len = syn ? build_syn(frame, fs, flow) : build(frame, fs, flow, v6);
		struct pcap_pkthdr h = { .ts = { .tv_sec = (time_t)(1000000 + i / 1000000),
						 .tv_usec = (suseconds_t)(i % 1000000) },
					 .caplen = len, .len = len };
		pcap_dump((u_char *)d, &h, frame);
	}
	pcap_dump_close(d);
	pcap_close(dead);
	return 0;
}
