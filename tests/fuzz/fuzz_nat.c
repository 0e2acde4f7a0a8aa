/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer: packets through a configured NAT.
 *
 * Input: one byte of options (bit 0: the second config), then records
 *   [port:u8][dt:u8 in 50 ms units][len:u16 little endian][len bytes]
 * until the input runs out.  Frames that parse go to process() in bursts
 * of up to 8, each burst at its own time (so timeouts, the fragment table
 are exercised), with expire() between bursts.  The configs use pools,
 * sets, tiny port ranges (exhaustion), short timeouts and a flow table of
 * 16 so it fills up.  After every burst the flow table's invariants are
 * checked, and at the end the pool must account for exactly the live
 * sessions' ports.
 *
 * Every frame is copied to a heap buffer of exactly its length, so ASan
 * reports any read past its end (the NAT reads ICMP error quotes the parser
 * did not validate).
 */
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "dataplane/nf.h"
#include "dataplane/parse.h"
#include "dataplane/stats.h"
#include "nf/nat/nat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const configs[2] = {
	"port 0 name inside\nport 1 name outside\n"
	"timeout tcp-established 20 tcp-transitory 3 udp 2 icmp 1\n"
	"set pool { 198.51.100.1 198.51.100.2 }\n"
	"snat from 10.0.0.0/8 to @pool ports 1000-1003\n"
	"snat from { 172.16.0.0/12 192.168.0.0/16 } to 203.0.113.0/30\n"
	"ipv6 pass\nnon-ip drop\n",
	"port 0 name inside\nport 1 name outside\n"
	"snat from any to 198.51.100.9 ports 1-2\n"
	"timeout udp 1 icmp 1 tcp-transitory 1 tcp-established 2\n",
};

static struct cfg *cfgs[2];
static struct pkt_pool *pool;

static void setup(void)
{
	static struct cfg_errors errs;
	for (int i = 0; i < 2; i++) {
		cfg_errors_init(&errs);
		if (cfg_parse("fuzz.conf", configs[i], strlen(configs[i]), NULL, NULL, &cfgs[i], &errs))
			abort();
	}
	pool = pkt_pool_create(256);
	if (!pool)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!pool)
		setup();
	if (size < 1)
		return 0;
	const struct nf_ops *nf = nf_find("nat");
	struct nf_env env = {.pool = pool, .n_ports = 2, .flow_capacity = 16};
	void *st = nf->create(&env);
	static struct cfg_errors errs;
	cfg_errors_init(&errs);
	if (!st || nf->configure(st, cfgs[data[0] & 1], &errs))
		abort();
	size_t off = 1;
	uint64_t now = 1000000000ull;
	while (off + 4 <= size) {
		struct pkt *pkts[8];
		uint8_t *frames[8];
		uint16_t n = 0;
		uint8_t burst_port = data[off] & 1;
		now += (uint64_t)data[off + 1] * 50000000ull;
		while (n < 8 && off + 4 <= size) {
			uint8_t port = data[off];
			if ((port & 1) != burst_port)
				break; /* a burst comes from one port (nf.h) */
			size_t len = (size_t)data[off + 2] | ((size_t)data[off + 3] << 8);
			off += 4;
			if (len > size - off)
				len = size - off;
			if (len > PKT_DATA_ROOM)
				len = PKT_DATA_ROOM;
			struct pkt *p = pkt_alloc(pool);
			frames[n] = malloc(len ? len : 1);
			memcpy(frames[n], data + off, len);
			off += len;
			p->data = frames[n];
			p->len = (uint16_t)len;
			p->port = port & 1;
			if (parse_pkt(p) != PARSE_OK) {
				pkt_free(p);
				free(frames[n]);
				continue;
			}
			pkts[n++] = p;
			if (port & 0x80)
				break; /* end of burst */
		}
		struct nf_batch b = {.pkts = pkts, .n = n, .port = burst_port, .out_all = NF_OUT_PER_PKT};
		nf->process(st, &b, now);
		for (uint16_t i = 0; i < n; i++) {
			uint16_t out = b.out_all != NF_OUT_PER_PKT ? b.out_all : pkts[i]->out_port;
			if (out != PKT_DROP && (out > 1 || out == burst_port))
				abort(); /* only the two ports exist, and never back */
			pkt_free(pkts[i]);
			free(frames[i]);
		}
		for (uint16_t i = 0; i < b.n_emit; i++) {
			if (parse_pkt(b.emit[i]) != PARSE_OK)
				abort(); /* generated packets are well formed */
			pkt_free(b.emit[i]);
		}
		nf->expire(st, now);
		if (ft_check(((struct nat *)st)->cn.ft))
			abort();
	}
	/* Every port in use belongs to exactly one session. */
	struct nat *n = st;
	uint64_t used = 0, sessions = 0;
	for (uint32_t a = 0; a < n->nc->pool->n; a++)
		for (unsigned k = 0; k < NAT_CLS_COUNT; k++)
			used += nat_pool_used(n->nc->pool, a, k);
	for (int32_t i = ft_next(n->cn.ft, 0); i != FT_MISS; i = ft_next(n->cn.ft, (uint32_t)i + 1))
		sessions += ft_entry(n->cn.ft, (uint32_t)i)->key.zone == NAT_ZONE_IN;
	if (used != sessions || sessions != n->cn.c.active)
		abort();
	static char buf[1 << 16];
	struct stats_writer w;
	stats_init(&w, buf, sizeof(buf), STATS_TEXT);
	nf->stats(st, &w);
	nf->destroy(st);
	return 0;
}
