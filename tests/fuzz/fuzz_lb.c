/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer: packets through a configured load balancer.
 *
 * Input: one byte of options (bit 0: the second config; bit 1: reload to
 * a third config - backends removed and reweighted - halfway through;
 * bit 2: after every burst a web or dns backend is set down or up through
 * the control op, `nfbox lb` at run time, which bits 3-7 steer; IPv4
 * and IPv6 vips in every forwarding mode, a small mtu),
 * then records (nf_harness.h) as in fuzz_nat.c: bursts of up to 8 frames
 * from one port, expire() between bursts, a flow table of 16 so it fills
 * up, ft_check after each burst.
 * At the end every connection must be counted exactly once overall, per
 * vip and per backend.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "dataplane/nf.h"
#include "nf/lb/lb.h"
#include "tests/fuzz/nf_harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const configs[3] = {
	"port 0 name clients\nport 1 name servers\n"
	"timeout tcp-established 20 tcp-transitory 3 udp 2\n"
	"vip web 203.0.113.10 proto tcp port 80 table-size 7\n"
	"backend web 10.0.1.1 port 8080 weight 2\nbackend web 10.0.1.2 port 8080\n"
	"vip dns 203.0.113.10 proto udp port 53 table-size 13\n"
	"backend dns 10.0.2.1\nbackend dns 10.0.2.2 weight 0\n"
	/* IPv6 and every encapsulation, a small mtu so too big happens */
	"encap-source 192.0.2.100\nencap-source 2001:db8:ff::1\nmtu 1280\n"
	"vip web6 2001:db8:10::10 proto tcp port 80 table-size 7\n"
	"backend web6 2001:db8:1::1 port 8080\nbackend web6 2001:db8:1::2 weight 2\n"
	"vip dns6 2001:db8:10::10 proto udp port 53 table-size 7\nbackend dns6 2001:db8:2::1\n"
	"vip tun 203.0.113.10 proto udp port 4500 mode ipip table-size 7\n"
	"backend tun 10.0.4.1\nbackend tun 10.0.4.2\n"
	"vip tun6 2001:db8:10::10 proto udp port 4500 mode ip6ip6 table-size 7\n"
	"backend tun6 2001:db8:4::1\n"
	"vip gue 203.0.113.10 proto tcp port 443 mode gue table-size 7\n"
	"backend gue 10.0.5.1\nbackend gue 2001:db8:5::1\n"
	"vip gue6 2001:db8:10::10 proto tcp port 443 mode gue source 10.9.9.9 table-size 7\n"
	"backend gue6 10.0.6.1\n",
	"port 0 name clients\nport 1 name servers\n"
	"vip u 198.51.100.1 proto udp port 7\nbackend u 10.0.0.1 port 9\n"
	"non-vip pass\nnon-ip drop\ntimeout udp 1 tcp-transitory 1 tcp-established 2\n",
	/* the first one after a reload: backends removed and reweighted */
	"port 0 name clients\nport 1 name servers\n"
	"vip web 203.0.113.10 proto tcp port 80 table-size 7\n"
	"backend web 10.0.1.2 port 8080 weight 3\n"
	"vip dns 203.0.113.10 proto udp port 53\nbackend dns 10.0.2.3\n"
	/* web6 reweighted, tun from ipip to gue (kept), gue to nat (ended) */
	"encap-source 192.0.2.100\nencap-source 2001:db8:ff::1\n"
	"vip web6 2001:db8:10::10 proto tcp port 80 table-size 7\n"
	"backend web6 2001:db8:1::2 weight 1\nbackend web6 2001:db8:1::3\n"
	"vip tun 203.0.113.10 proto udp port 4500 mode gue table-size 7\nbackend tun 10.0.4.2\n"
	"vip gue 203.0.113.10 proto tcp port 443 table-size 7\nbackend gue 10.0.5.1\n",
};

static struct cfg *cfgs[3];
static struct pkt_pool *pool;

/* Burst k of an input with steering bits `seed`: one of the backends the
 * configs name (some absent from the running one) down or up.  Only a
 * missing backend may be refused; the answer is always a line. */
static void admin_step(const struct nf_ops *nf, void *st, unsigned seed, unsigned k)
{
	static const char *const be[] = {"10.0.1.1",        "10.0.1.2:8080",        "10.0.2.1",
					 "10.0.2.2",        "10.0.2.3",             "10.0.0.1:9",
					 "2001:db8:1::2",   "[2001:db8:1::1]:8080", "10.0.4.1",
					 "2001:db8:5::1"};
	unsigned x = (seed * 2654435761u) ^ (k * 40503u);
	char cmd[64], ans[160];
	snprintf(cmd, sizeof(cmd), "backend %s %s", be[x % 10], (x >> 8) & 1 ? "down" : "up");
	ans[0] = '\0';
	int rc = nf->control(st, cmd, ans, sizeof(ans));
	if ((rc != 0 && rc != -SYS_ENOENT) || !ans[0] || strchr(ans, '\n'))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!pool)
		pool = fuzz_setup(cfgs, configs, 3);
	if (size < 1)
		return 0;
	const struct nf_ops *nf = nf_find("lb");
	void *st = fuzz_nf_start(nf, pool, cfgs[data[0] & 1]);
	static struct cfg_errors errs;
	struct fuzz_feed f;
	struct fuzz_burst fb;
	fuzz_feed_init(&f, data, size);
	bool reloaded = false;
	unsigned bursts = 0;
	for (;;) {
		if ((data[0] & 2) && !reloaded && f.off > size / 2 && f.off + 4 <= size) {
			reloaded = true; /* connections must survive or end cleanly */
			cfg_errors_init(&errs);
			if (nf->configure(st, cfgs[2], &errs))
				abort();
		}
		if (!fuzz_next_burst(&f, pool, &fb))
			break;
		fuzz_burst_run(nf, st, &fb, f.now, NULL);
		if (ft_check(((struct lb *)st)->cn.ft))
			abort();
		if (data[0] & 4)
			admin_step(nf, st, data[0] >> 3, bursts);
		bursts++;
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
	fuzz_stats(nf, st, buf, sizeof(buf));
	nf->destroy(st);
	return 0;
}
