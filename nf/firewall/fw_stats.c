/* SPDX-License-Identifier: MIT */
/* fw_stats.c - printing the firewall's counters (see fw_stats.h). */
#include "nf/firewall/fw.h"
#include "nf/firewall/fw_cls.h"

const char *const fw_drop_names[FW_DROP_COUNT] = {
#define FW_DROP_NAME_(n, s) s,
	FW_DROPS(FW_DROP_NAME_)
#undef FW_DROP_NAME_
};

void fw_stats_write(struct fw *fw, struct stats_writer *w)
{
	const struct fw_counters *c = &fw->c;
	const struct fw_rules *rs = fw->rs;
	char name[80];

	stats_section(w, "firewall");
	stats_str(w, "stateful", rs->stateful ? "on" : "off");
	stats_u64(w, "rules", rs->n_rules);
	stats_u64(w, "accepted", c->accepted);
	stats_u64(w, "dropped", c->dropped);
	stats_u64(w, "established", c->established);
	stats_u64(w, "related", c->related);
	stats_u64(w, "flows", ft_count(fw->ft));
	stats_u64(w, "flow_capacity", ft_capacity(fw->ft));
	/* All of it is taken at start: entries, buckets and wheel, and the
	 * TCP window state next to each entry. */
	size_t eb, bb;
	ft_memory(fw->ft, &eb, &bb);
	stats_u64(w, "flow_memory_bytes",
		  eb + bb + (uint64_t)ft_capacity(fw->ft) * sizeof(struct fw_tcpwin));
	stats_u64(w, "flows_created", c->flows_created);
	stats_u64(w, "flows_expired", c->flows_expired);
	stats_u64(w, "flows_reopened", c->flows_reopened);
	stats_u64(w, "flows_early_dropped", c->flows_early_dropped);
	for (int i = 0; i < FW_DROP_COUNT; i++) {
		snprintf(name, sizeof(name), "drop_%s", fw_drop_names[i]);
		stats_u64(w, name, c->drop[i]);
	}
	stats_u64(w, "drop_invalid_out_of_window", c->invalid_window);
	stats_u64(w, "rejects_sent", c->rejects_sent);
	stats_u64(w, "rejects_not_due", c->rejects_not_due);
	stats_u64(w, "rejects_nobuf", c->rejects_nobuf);
	stats_u64(w, "rejects_limited", c->rejects_limited);
	stats_u64(w, "frags_tracked", c->frags_tracked);
	stats_u64(w, "frags_followed", c->frags_followed);
	stats_u64(w, "frags_evicted", c->frags_evicted);
	stats_u64(w, "frag_table", fw_frag_count(fw->frag, fw->now));
	stats_u64(w, "frag_capacity", fw->frag_entries);
	stats_u64(w, "non_ip_accepted", c->non_ip_accepted);
	stats_u64(w, "log_lines", fw->log.lines);
	stats_u64(w, "log_suppressed", fw->log.suppressed);
	char desc[160];
	fw_cls_describe(rs->cls, desc, sizeof(desc));
	stats_str(w, "classifier", desc);

	for (unsigned i = 0; i < fw->n_ports; i++) {
		snprintf(name, sizeof(name), "firewall_%s", rs->port_name[i]);
		stats_section(w, name);
		stats_u64(w, "accepted", c->port[i].accepted);
		stats_u64(w, "dropped", c->port[i].dropped);
		stats_u64(w, "rejected", c->port[i].rejected);
	}

	stats_section(w, "firewall_rules");
	for (uint32_t i = 0; i <= rs->n_rules; i++) {
		const char *who = i < rs->n_rules ? "rule" : "default";
		if (i < rs->n_rules) {
			snprintf(name, sizeof(name), "rule%u_at", i + 1);
			stats_str(w, name, rs->rules[i].where);
			snprintf(name, sizeof(name), "rule%u_packets", i + 1);
		} else {
			snprintf(name, sizeof(name), "%s_packets", who);
		}
		stats_u64(w, name, rs->ctr[i].pkts);
		if (i < rs->n_rules)
			snprintf(name, sizeof(name), "rule%u_bytes", i + 1);
		else
			snprintf(name, sizeof(name), "default_bytes");
		stats_u64(w, name, rs->ctr[i].bytes);
	}
}
