/* SPDX-License-Identifier: MIT */
/*
 * fw.h - the firewall function's state (private to nf/firewall/).
 *
 * The rule set (rules, sets, classifier, rule counters) is one object that
 * configure() builds whole and swaps in; the flow table, the fragment
 * table and the other counters belong to the instance and survive reloads.
 */
#ifndef NFB_FW_H
#define NFB_FW_H

#include "dataplane/flowtable.h"
#include "dataplane/nf.h"
#include "nf/firewall/fw_frag.h"
#include "nf/firewall/fw_log.h"
#include "nf/firewall/fw_rules.h"
#include "nf/firewall/fw_stats.h"
#include "nf/firewall/fw_tcpwin.h"
#include "nf/reply.h"

struct fw {
	struct fw_rules *rs;
	struct ft *ft;
	struct fw_frag *frag;
	struct fw_tcpwin *tcpw;    /* [flow capacity]: TCP windows, by flow index */
	uint32_t *born;            /* [flow capacity]: the tick each flow opened, for `flows` */
	struct pkt_pool *pool;
	struct nf_reply_limit reply_limit; /* the rate of reject answers */
	uint16_t n_ports;
	uint32_t frag_entries;
	uint64_t now;              /* latest `now` seen, for stats */
	struct fw_counters c;
	struct fw_log log;
};

/*
 * The flow an ICMP or ICMPv6 error quotes, keyed as the quoted packet
 * itself would be (so it is found in the direction that packet went).
 * False if nothing usable is quoted, or if the error is not addressed to
 * the quoted packet's sender (RFC 792/4443: errors go back to the source).
 */
bool fw_related_key(const struct pkt *p, struct flow_key *k);

/* nf_ops.flow_next (fw_flows.c): the connection table, one flow a call. */
struct nf_flow;
bool fw_flow_next(void *st, uint64_t *pos, uint64_t now, struct nf_flow *f);

#endif
