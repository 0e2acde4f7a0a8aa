/* SPDX-License-Identifier: MIT */
#include "tests/lib/nf_udp.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "dataplane/csum.h"
#include "dataplane/parse.h"

struct pkt *nf_udp1(const struct nf_ops *nf, void *st, struct pkt_pool *pool, uint32_t src,
		    uint32_t dst, uint16_t sport, uint16_t dport, uint16_t port, uint64_t now,
		    uint16_t *out)
{
	uint8_t f[42] = {0};
	f[12] = 0x08;
	struct ipv4_hdr ip = {.ver_ihl = 0x45, .ttl = 64, .proto = IPPROTO_UDP_,
			      .total_len = sys_htons(28), .src = sys_htonl(src), .dst = sys_htonl(dst)};
	memcpy(f + 14, &ip, 20);
	struct udp_hdr u = {.sport = sys_htons(sport), .dport = sys_htons(dport), .len = sys_htons(8)};
	memcpy(f + 34, &u, 8);
	struct pkt *p = pkt_alloc(pool);
	assert_non_null(p);
	assert_int_equal(pkt_set_data(p, f, sizeof(f)), 0);
	p->port = port;
	assert_int_equal(parse_pkt(p), PARSE_OK);
	assert_int_equal(csum_fill(p), 0);
	struct pkt *pk[1] = {p};
	struct nf_batch b = {.pkts = pk, .n = 1, .port = port, .out_all = NF_OUT_PER_PKT};
	nf->process(st, &b, now);
	*out = b.out_all != NF_OUT_PER_PKT ? b.out_all : p->out_port;
	if (*out != PKT_DROP)
		assert_true(csum_verify(p));
	return p;
}
