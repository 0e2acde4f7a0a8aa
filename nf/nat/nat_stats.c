/* SPDX-License-Identifier: MIT */
/* nat_stats.c - printing the NAT's counters (see nat_stats.h). */
#include "nf/nat/nat.h"

#include "nf/drop_stats.h"

const char *const nat_drop_names[NAT_DROP_COUNT] = {NF_DROP_NAMES(NAT_DROPS)};

static const char *const cls_names[NAT_CLS_COUNT] = {"tcp", "udp", "icmp"};

void nat_stats_write(struct nat *n, struct stats_writer *w)
{
	const struct nat_counters *c = &n->c;
	const struct nat_conf *nc = n->nc;
	char name[80];

	stats_section(w, "nat");
	stats_u64(w, "rules", nc->n_rules);
	stats_str(w, "mapping", nc->mapping_apdm ? "address-port-dependent" : "endpoint-independent");
	stats_u64(w, "mappings", n->map.n);
	stats_u64(w, "pool_addresses", nc->pool->n);
	stats_str(w, "ipv6", nc->ipv6_pass ? "pass" : "drop");
	stats_str(w, "non_ip", nc->non_ip_pass ? "pass" : "drop");
	conn2_stats_write(&n->cn, w, "sessions");
	stats_u64(w, "translated_out", c->translated_out);
	stats_u64(w, "translated_in", c->translated_in);
	stats_u64(w, "icmp_errors_out", c->icmp_errors_out);
	stats_u64(w, "icmp_errors_in", c->icmp_errors_in);
	stats_u64(w, "hairpinned", c->hairpinned);
	stats_u64(w, "ports_reclaimed", c->ports_reclaimed);
	stats_u64(w, "unreachable_sent", c->unreachable_sent);
	stats_u64(w, "unreachable_not_sent", c->unreachable_not_sent);
	stats_u64(w, "nat64_param_problem_sent", c->nat64_param_problem_sent);
	stats_u64(w, "icmp_errors_limited", c->icmp_errors_limited);
	if (nc->nat64) {
		char pfx[64];
		struct cfg_addr a = {.family = CFG_AF_V6, .prefix = nc->pref64.len};
		memcpy(a.a, nc->pref64.a, 16);
		cfg_addr_format(&a, pfx, sizeof(pfx));
		stats_str(w, "nat64_prefix", pfx);
		stats_u64(w, "nat64_out", c->nat64_out);
		stats_u64(w, "nat64_in", c->nat64_in);
		stats_u64(w, "nat64_udp_csum_computed", c->nat64_udp_csum_computed);
		stats_u64(w, "nat64_ext_skipped", c->nat64_ext_skipped);
	}
	stats_u64(w, "ipv6_passed", c->ipv6_passed);
	stats_u64(w, "non_ip_passed", c->non_ip_passed);
	stats_u64(w, "dropped", c->dropped);
	nf_drop_stats_write(w, "", nat_drop_names, c->drop, NAT_DROP_COUNT);
	nat_frag_stats_write(&n->frag, w);

	/* Ports in use per address and class: where exhaustion comes from.
	 * The first 64 addresses only, so a /22 pool does not flood the
	 * console. */
	stats_section(w, "nat_pool");
	uint32_t shown = SYS_MIN(nc->pool->n, 64u);
	for (uint32_t i = 0; i < shown; i++) {
		uint32_t a = sys_be32(nc->pool->a[i].addr);
		for (unsigned k = 0; k < NAT_CLS_COUNT; k++) {
			snprintf(name, sizeof(name), "%u.%u.%u.%u_%s_ports_used", a >> 24, (a >> 16) & 255,
				 (a >> 8) & 255, a & 255, cls_names[k]);
			stats_u64(w, name, nat_pool_used(nc->pool, i, k));
		}
	}
	if (nc->pool->n > shown)
		stats_u64(w, "addresses_not_shown", nc->pool->n - shown);
}
