/* SPDX-License-Identifier: MIT */
/* bench_trace.c - the trace of a chain benchmark (bench_trace.h). */
#include "tools/bench_trace.h"

#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dataplane/csum.h"

#define PROG "nfbox bench"
#define MAX_FRAME 9018

/* One UDP/IPv4 frame of `len` bytes (no FCS) of flow `flow`. */
static void udp_frame(uint8_t *b, unsigned len, unsigned flow)
{
	static const uint8_t hdr[42] = {
		0x52, 0x54, 0x00, 0x00, 0x00, 0x11, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,
		0x45, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00,
		10, 0, 0, 1, 10, 0, 1, 1,
		0x04, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	memset(b, 0, len);
	memcpy(b, hdr, sizeof(hdr));
	b[34] = (uint8_t)((1024 + flow) >> 8);
	b[35] = (uint8_t)(1024 + flow);
	b[16] = (uint8_t)((len - 14) >> 8);
	b[17] = (uint8_t)(len - 14);
	b[38] = (uint8_t)((len - 34) >> 8);
	b[39] = (uint8_t)(len - 34);
	uint16_t sum = csum_ipv4_hdr(b + 14, 20); /* in memory order, as stored */
	memcpy(b + 24, &sum, sizeof(sum));
}

int bench_trace_write(const char *out, const char *pcap, unsigned size, unsigned flows, double *mean)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	pcap_t *in = NULL;
	if (pcap && !(in = pcap_open_offline(pcap, ebuf))) {
		fprintf(stderr, PROG ": %s\n", ebuf);
		return -1;
	}
	if (in && pcap_datalink(in) != DLT_EN10MB) {
		fprintf(stderr, PROG ": %s: not an Ethernet capture\n", pcap);
		pcap_close(in);
		return -1;
	}
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, MAX_FRAME);
	pcap_dumper_t *d = dead ? pcap_dump_open(dead, out) : NULL;
	if (!d) {
		fprintf(stderr, PROG ": %s: %s\n", out, dead ? pcap_geterr(dead) : "out of memory");
		if (dead)
			pcap_close(dead);
		if (in)
			pcap_close(in);
		return -1;
	}
	static uint8_t frame[MAX_FRAME];
	unsigned long long n = 0, bytes = 0;
	int rc = 0;
	for (;;) {
		struct pcap_pkthdr h = {0};
		unsigned len;
		if (in) {
			struct pcap_pkthdr *ih;
			const u_char *data;
			int r = pcap_next_ex(in, &ih, &data);
			if (r != 1) {
				if (r == PCAP_ERROR) {
					fprintf(stderr, PROG ": %s: %s\n", pcap, pcap_geterr(in));
					rc = -1;
				}
				break;
			}
			len = ih->caplen;
			if (len > MAX_FRAME || (size && len + 4 > size)) {
				fprintf(stderr, PROG ": %s: frame %llu has %u bytes, more than %s\n", pcap, n + 1,
					len + 4, size ? "--frame-size" : "a jumbo frame");
				rc = -1;
				break;
			}
			memcpy(frame, data, len);
			if (size) {
				memset(frame + len, 0, size - 4 - len);
				len = size - 4;
			}
		} else {
			if (n == 1024)
				break;
			len = (size ? size : 64) - 4;
			udp_frame(frame, len, (unsigned)(n % (flows ? flows : 1)));
		}
		h.caplen = h.len = len;
		h.ts.tv_usec = (long)(n % 1000000);
		pcap_dump((u_char *)d, &h, frame);
		n++;
		bytes += len + 4;
	}
	pcap_dump_close(d);
	pcap_close(dead);
	if (in)
		pcap_close(in);
	if (!rc && !n) {
		fprintf(stderr, PROG ": %s: no frames\n", pcap);
		rc = -1;
	}
	*mean = n ? (double)bytes / (double)n : 0;
	return rc;
}
