/* SPDX-License-Identifier: MIT */
/*
 * fw_stats.h - the firewall's counters and how they are printed.
 *
 *   firewall.*          totals, flow-table occupancy, drops by reason
 *   firewall_PORTNAME.* per ingress port: accepted, dropped, rejected
 *   firewall_rules.*    per rule (1-based, file order) and the default:
 *                       packets and bytes it decided, and where it is
 *
 * Rule counters count the packets a rule decided: the first packet of each
 * flow when stateful, every packet when not.  Packets of known flows are
 * counted as `established` (and `related` for ICMP errors about them).
 * Rule counters start again from zero when a reload installs new rules.
 */
#ifndef NFB_FW_STATS_H
#define NFB_FW_STATS_H

#include "nfb/port.h"
#include "dataplane/stats.h"

#define FW_DROPS(X)                                                                   \
	X(POLICY, "policy")             /* a drop rule or the default */              \
	X(REJECT, "reject")             /* a reject rule (answer sent or not) */      \
	X(INVALID, "invalid")           /* TCP flags impossible in the flow's state */ \
	X(WRONG_PORT, "wrong_port")     /* a flow's packet on the other side's port */ \
	X(TABLE_FULL, "table_full")     /* new flow, no room in the flow table */     \
	X(FRAG_NO_FIRST, "frag_no_first") /* later fragment, first not seen */        \
	X(FRAG_DROPPED, "frag_of_dropped") /* later fragment of a dropped first */   \
	X(FRAG_OVERLAP, "frag_overlap") /* later fragment overlapping the L4 header */ \
	X(FRAG_UNKNOWN, "frag_unknown") /* fragment header not found (IPv6) */        \
	X(NON_IP, "non_ip")             /* `non-ip drop` */                           \
	X(NO_PORT, "no_port")           /* no port to send it out of */

enum fw_drop {
#define FW_DROP_ENUM_(n, s) FW_DROP_##n,
	FW_DROPS(FW_DROP_ENUM_)
#undef FW_DROP_ENUM_
	FW_DROP_COUNT
};

struct fw_port_ctr {
	uint64_t accepted, dropped, rejected;
};

struct fw_counters {
	uint64_t accepted, dropped;
	uint64_t established;     /* passed on a known flow */
	uint64_t related;         /* ICMP errors about a known flow */
	uint64_t flows_created, flows_expired, flows_reopened;
	uint64_t flows_early_dropped; /* unreplied flows deleted for a new one */
	uint64_t rejects_sent, rejects_not_due, rejects_nobuf;
	uint64_t rejects_limited; /* not answered: over the rate limit (nf/reply.h) */
	uint64_t frags_tracked, frags_followed, frags_evicted;
	uint64_t non_ip_accepted;
	uint64_t invalid_window;  /* of drop[INVALID]: TCP seq/ack outside the window */
	uint64_t drop[FW_DROP_COUNT];
	struct fw_port_ctr port[PORT_MAX];
};

struct fw;
void fw_stats_write(struct fw *fw, struct stats_writer *w);
/* The reasons' names, by enum fw_drop (nf_ops.drop_names). */
extern const char *const fw_drop_names[FW_DROP_COUNT];

#endif
