/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer: packets through a configured load balancer.
 *
 * Input: one byte of options (bit 0: the second config; bit 1: reload to
 * a third config - backends removed and reweighted - halfway through),
 * then records [port:u8][dt:u8 in 50 ms units][len:u16 LE][len bytes] as
 * in fuzz_nat.c: bursts of up to 8 frames from one port, expire() between
 * bursts, a flow table of 16 so it fills up, ft_check after each burst.
 * At the end every connection must be counted exactly once overall, per
 * vip and per backend.  Frames sit in heap buffers of their exact length
 * so ASan sees reads past the end (ICMP error quotes).
 */
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "dataplane/nf.h"
#include "dataplane/parse.h"
#include "dataplane/stats.h"
#include "nf/lb/lb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const configs[3] = {
	"port 0 name clients\nport 1 name servers\n"
	"timeout tcp-established 20 tcp-transitory 3 udp 2\n"
	"vip web 203.0.113.10 proto tcp port 80 table-size 7\n"
	"backend web 10.0.1.1 port 8080 weight 2\nbackend web 10.0.1.2 port 8080\n"
	"vip dns 203.0.113.10 proto udp port 53 table-size 13\n"
	"backend dns 10.0.2.1\nbackend dns 10.0.2.2 weight 0\n",
	"port 0 name clients\nport 1 name servers\n"
	"vip u 198.51.100.1 proto udp port 7\nbackend u 10.0.0.1 port 9\n"
	"non-vip pass\nnon-ip drop\ntimeout udp 1 tcp-transitory 1 tcp-established 2\n",
	/* the first one after a reload: backends removed and reweighted */
	"port 0 name clients\nport 1 name servers\n"
	"vip web 203.0.113.10 proto tcp port 80 table-size 7\n"
	"backend web 10.0.1.2 port 8080 weight 3\n"
	"vip dns 203.0.113.10 proto udp port 53\nbackend dns 10.0.2.3\n",
};

static struct cfg *cfgs[3];
static struct pkt_pool *pool;

static void setup(void)
{
	static struct cfg_errors errs;
	for (int i = 0; i < 3; i++) {
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
	const struct nf_ops *nf = nf_find("lb");
	struct nf_env env = {.pool = pool, .n_ports = 2, .flow_capacity = 16};
	void *st = nf->create(&env);
	static struct cfg_errors errs;
	cfg_errors_init(&errs);
	if (!st || nf->configure(st, cfgs[data[0] & 1], &errs))
		abort();
	size_t off = 1;
	uint64_t now = 1000000000ull;
	bool reloaded = false;
	while (off + 4 <= size) {
		if ((data[0] & 2) && !reloaded && off > size / 2) {
			reloaded = true; /* connections must survive or end cleanly */
			if (nf->configure(st, cfgs[2], &errs))
				abort();
		}
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
		if (ft_check(((struct lb *)st)->cn.ft))
			abort();
	}
	/* Every connection is one client entry, counted once per vip. */
	struct lb *l = st;
	uint64_t conns = 0, by_vip = 0, by_be = 0;
	for (int32_t i = ft_next(l->cn.ft, 0); i != FT_MISS; i = ft_next(l->cn.ft, (uint32_t)i + 1))
		conns += ft_entry(l->cn.ft, (uint32_t)i)->key.zone == LB_ZONE_CLIENT;
	for (uint32_t v = 0; v < l->lc->n_vips; v++)
		by_vip += l->lc->vips[v].c.active;
	for (uint32_t i = 0; i < l->lc->n_be; i++)
		by_be += l->lc->be[i].c.active;
	if (conns != l->cn.c.active || by_vip != conns || by_be != conns)
		abort();
	static char buf[1 << 16];
	struct stats_writer w;
	stats_init(&w, buf, sizeof(buf), STATS_TEXT);
	nf->stats(st, &w);
	nf->destroy(st);
	return 0;
}
