/* SPDX-License-Identifier: MIT */
/* fw_log.c - rate-limited packet log lines (see fw_log.h). */
#include "nf/firewall/fw_log.h"

#include "dataplane/flow.h"

#define INTERVAL_NS (1000000000ull / FW_LOG_RATE)

static bool allow(struct fw_log *l, uint64_t now)
{
	if (!l->started) {
		l->started = true;
		l->credit = INTERVAL_NS * FW_LOG_BURST;
	} else if (now > l->last) {
		l->credit += now - l->last;
		if (l->credit > INTERVAL_NS * FW_LOG_BURST)
			l->credit = INTERVAL_NS * FW_LOG_BURST;
	}
	l->last = now > l->last ? now : l->last;
	if (l->credit < INTERVAL_NS)
		return false;
	l->credit -= INTERVAL_NS;
	return true;
}

void fw_log_pkt(struct fw_log *l, uint64_t now, const struct pkt *p, const char *verdict,
		unsigned rule, const char *where, const char *port_name)
{
	if (!allow(l, now)) {
		l->suppressed++;
		return;
	}
	l->lines++;
	char flow[128];
	struct flow_key k;
	if (flow_key_from_pkt(p, 0, &k) == 0)
		flow_key_format(&k, flow, sizeof(flow));
	else
		snprintf(flow, sizeof(flow), "non-ip");
	if (rule)
		sys_log("firewall: %s by rule %u (%s): %s len %u in %s\n", verdict, rule, where, flow,
			(unsigned)p->len, port_name);
	else
		sys_log("firewall: %s by default: %s len %u in %s\n", verdict, flow, (unsigned)p->len,
			port_name);
}
