/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer: packets through a configured NAT.
 *
 * Input (nf_harness.h): one byte of options (bit 0: the second config;
 * bit 1: the third, NAT64 with a /64 prefix beside NAT44; bit 2: the
 * fourth, the NAT64 golden cases' own - the well-known prefix,
 * endpoint-independent mapping - so their seeds reach hairpinning,
 * fragments and extension headers),
 * then records that become bursts of up to 8 frames, each burst at its own
 * time (so timeouts and the fragment table are exercised), with expire()
 * between bursts.  The configs use pools, sets, tiny port ranges
 * (exhaustion), short timeouts and a flow table of 16 so it fills up.
 * After every burst the flow table's and the fragment table's invariants
 * are checked, and at the end the pool must account for exactly the live
 * sessions' ports; the harness checks that every packet the NAT kept
 * comes back (released to the other port, or freed).
 */
#include <stdlib.h>

#include "config/config.h"
#include "dataplane/nf.h"
#include "nf/nat/nat.h"
#include "tests/fuzz/nf_harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define N_CONFIGS 4
static const char *const configs[N_CONFIGS] = {
	"port 0 name inside\nport 1 name outside\n"
	"timeout tcp-established 20 tcp-transitory 3 udp 2 icmp 1 fragment 1\n"
	"set pool { 198.51.100.1 198.51.100.2 }\n"
	"snat from 10.0.0.0/8 to @pool ports 1000-1003\n"
	"snat from { 172.16.0.0/12 192.168.0.0/16 } to 203.0.113.0/30\n"
	"ipv6 pass\nnon-ip drop\nmapping endpoint-independent\n",
	"port 0 name inside\nport 1 name outside\n"
	"snat from any to 198.51.100.9 ports 1-2\n"
	"mapping address-port-dependent\n"
	"timeout udp 1 icmp 1 tcp-transitory 1 tcp-established 2\n",
	"port 0 name inside\nport 1 name outside\n"
	"nat64 prefix 2001:db8:64::/64\n"
	"timeout tcp-established 20 tcp-transitory 3 udp 2 icmp 1 fragment 1\n"
	"snat from { 2001:db8:1::/48 10.0.0.0/8 } to 198.51.100.1 ports 1000-1003\n"
	"snat from ::/0 to 203.0.113.0/31\n"
	"ipv6 drop\n",
	"port 0 name inside\nport 1 name outside\n"
	"nat64\n"
	"timeout tcp-established 20 tcp-transitory 3 udp 2 icmp 1 fragment 1\n"
	"snat from { 2001:db8:1::/48 10.0.0.0/8 } to 198.51.100.1\n"
	"mapping endpoint-independent\n",
};

static struct cfg *cfgs[N_CONFIGS];
static struct pkt_pool *pool;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!pool)
		pool = fuzz_setup(cfgs, configs, N_CONFIGS);
	fuzz_back_port = 0; /* hairpinned packets go back inside (all configs: port 0) */
	if (size < 1)
		return 0;
	const struct nf_ops *nf = nf_find("nat");
	void *st = fuzz_nf_start(nf, pool, cfgs[data[0] & 4 ? 3 : data[0] & 2 ? 2 : data[0] & 1]);
	struct fuzz_feed f;
	struct fuzz_burst fb;
	fuzz_feed_init(&f, data, size);
	while (fuzz_next_burst(&f, pool, &fb)) {
		fuzz_burst_run(nf, st, &fb, f.now, NULL);
		if (ft_check(((struct nat *)st)->cn.ft) || nat_frag_check(&((struct nat *)st)->frag))
			abort();
	}
	/* Every port in use belongs to exactly one unmapped session or one
	 * mapping, and every mapping's count is its live sessions. */
	struct nat *n = st;
	uint64_t used = 0, sessions = 0, unmapped = 0, mapped = 0, refs = 0;
	for (uint32_t a = 0; a < n->nc->pool->n; a++)
		for (unsigned k = 0; k < NAT_CLS_COUNT; k++)
			used += nat_pool_used(n->nc->pool, a, k);
	for (int32_t i = ft_next(n->cn.ft, 0); i != FT_MISS; i = ft_next(n->cn.ft, (uint32_t)i + 1)) {
		const struct ft_entry *e = ft_entry(n->cn.ft, (uint32_t)i);
		if (e->key.zone != NAT_ZONE_IN)
			continue;
		sessions++;
		if (!(e->user & NAT_U_MAPPED)) {
			unmapped++;
			continue;
		}
		mapped++;
		unsigned cls = nat_u_cls(e->user) | (e->key.family == FLOW_FAMILY_V4 ? 0 : NAT_MAP_V6);
		const struct nat_map_ent *m = nat_map_find(&n->map, &e->key.src,
							   sys_be16(e->key.sport), cls);
		if (!m || m->ai != nat_u_addr(e->user) || m->ext_port != nat_u_port(e->user))
			abort();
	}
	for (uint32_t i = 0; i <= n->map.mask; i++)
		refs += n->map.e[i].used ? n->map.e[i].refs : 0;
	if (used != unmapped + n->map.n || refs != mapped || sessions != n->cn.c.active)
		abort();
	static char buf[1 << 16];
	fuzz_stats(nf, st, buf, sizeof(buf));
	nf->destroy(st);
	return 0;
}
