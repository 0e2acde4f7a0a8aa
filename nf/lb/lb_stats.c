/* SPDX-License-Identifier: MIT */
/* lb_stats.c - printing the load balancer's counters (see lb_stats.h). */
#include "nf/lb/lb.h"

#include "nf/drop_stats.h"

const char *const lb_drop_names[LB_DROP_COUNT] = {NF_DROP_NAMES(LB_DROPS)};

static void counters(struct stats_writer *w, const char *prefix, const struct lb_counters *c)
{
	static const char *const names[6] = {"connections", "active", "packets_to_server",
					     "bytes_to_server", "packets_to_client", "bytes_to_client"};
	const uint64_t v[6] = {c->conns, c->active, c->pkts_to_server, c->bytes_to_server,
			       c->pkts_to_client, c->bytes_to_client};
	char name[96];
	for (int i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "%s_%s", prefix, names[i]);
		stats_u64(w, name, v[i]);
	}
}

void lb_counters_add_traffic(struct lb_counters *dst, const struct lb_counters *src, int sign)
{
	uint64_t m = sign < 0 ? UINT64_MAX : 1; /* modular: -x is x * (2^64 - 1) */
	dst->pkts_to_server += m * src->pkts_to_server;
	dst->bytes_to_server += m * src->bytes_to_server;
	dst->pkts_to_client += m * src->pkts_to_client;
	dst->bytes_to_client += m * src->bytes_to_client;
}

void lb_vip_counters(const struct lb_conf *lc, uint32_t v, struct lb_counters *out)
{
	*out = lc->vips[v].c;
	for (uint32_t i = 0; i < lc->n_be; i++)
		if (lc->be[i].vip == v)
			lb_counters_add_traffic(out, &lc->be[i].c, 1);
}

void lb_stats_write(struct lb *l, struct stats_writer *w)
{
	const struct lb_global *c = &l->c;
	const struct lb_conf *lc = l->lc;
	char name[80];

	stats_section(w, "lb");
	stats_u64(w, "vips", lc->n_vips);
	stats_u64(w, "backends", lc->n_be);
	uint64_t down = 0;
	for (uint32_t i = 0; i < lc->n_be; i++)
		down += lc->be[i].down;
	stats_u64(w, "backends_down", down);
	stats_u64(w, "backend_state_changes", c->backend_state_changes);
	stats_str(w, "non_vip", lc->non_vip_pass ? "pass" : "drop");
	stats_str(w, "non_ip", lc->non_ip_pass ? "pass" : "drop");
	conn2_stats_write(&l->cn, w, "connections");
	stats_u64(w, "to_servers", c->to_servers);
	stats_u64(w, "to_clients", c->to_clients);
	stats_u64(w, "icmp_errors_to_servers", c->icmp_errors_to_servers);
	stats_u64(w, "icmp_errors_to_clients", c->icmp_errors_to_clients);
	stats_u64(w, "passed", c->passed);
	stats_u64(w, "encapsulated", c->encapsulated);
	stats_u64(w, "frag_needed_sent", c->frag_needed_sent);
	stats_u64(w, "packet_too_big_sent", c->packet_too_big_sent);
	stats_u64(w, "too_big_not_answered", c->too_big_not_answered);
	stats_u64(w, "too_big_limited", c->too_big_limited);
	stats_u64(w, "mtu", lc->mtu);
	stats_u64(w, "dropped", c->dropped);
	nf_drop_stats_write(w, "", lb_drop_names, c->drop, LB_DROP_COUNT);

	stats_section(w, "lb_vip");
	for (uint32_t v = 0; v < lc->n_vips; v++) {
		struct lb_counters vc;
		lb_vip_counters(lc, v, &vc);
		counters(w, lc->vips[v].name, &vc);
	}

	/* Backends as VIP_ADDR_PORT; the first 256 only, so a big config does
	 * not flood the console. */
	stats_section(w, "lb_backend");
	uint32_t shown = SYS_MIN(lc->n_be, 256u);
	for (uint32_t i = 0; i < shown; i++) {
		const struct lb_backend *be = &lc->be[i];
		char a[48];
		lb_addr_format(be->family, &be->addr, a, sizeof(a));
		snprintf(name, sizeof(name), "%s_%s_%u", lc->vips[be->vip].name, a, sys_be16(be->port));
		char key[96];
		snprintf(key, sizeof(key), "%s_weight", name);
		stats_u64(w, key, be->weight);
		if (be->draining) {
			snprintf(key, sizeof(key), "%s_draining", name);
			stats_u64(w, key, 1);
		} else {
			/* A draining backend has no admin state (lb_admin.h). */
			snprintf(key, sizeof(key), "%s_admin", name);
			stats_str(w, key, be->down ? "down" : "up");
		}
		counters(w, name, &be->c);
	}
	if (lc->n_be > shown)
		stats_u64(w, "backends_not_shown", lc->n_be - shown);
}
