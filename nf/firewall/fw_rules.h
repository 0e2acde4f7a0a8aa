/* SPDX-License-Identifier: MIT */
/*
 * fw_rules.h - the firewall's rule set: what `configure` builds from the
 * config, what both classifiers (the linear reference, fw_match.c, and the
 * fast one, fw_cls.c) read, and what a reload swaps in whole.
 *
 * Semantics (the contract the two classifiers must agree on):
 *  - Rules are tried top-down; the first whose every match holds decides.
 *    A packet no rule matches gets the default action.
 *  - A rule only matches the address families it can: `ip` / `ip6`, the
 *    families present in its src / dst (a negated address or set restricts
 *    the rule to the families it names, as nft's `ip saddr != ...` does),
 *    `proto icmp` (IPv4 only) and `proto icmp6` (IPv6 only).
 *  - sport/dport imply `proto { tcp udp }` and `flags` implies `proto
 *    tcp` when the rule names no protocol; with another protocol they are
 *    an error.  A rule never matches ports of a packet that has none.
 *  - `flags` tests (tcp_flags & mask) == want.
 *
 * All memory of a rule set hangs off it (fw_rules_free releases it);
 * nothing in it points into the `struct cfg` it was built from.
 */
#ifndef NFB_FW_RULES_H
#define NFB_FW_RULES_H

#include "config/config.h"
#include "nfb/port.h"

#define FW_FAM_V4 1u
#define FW_FAM_V6 2u
#define FW_FAM_ANY (FW_FAM_V4 | FW_FAM_V6)

#define FW_RULES_MAX 65535u   /* rule numbers fit pkt.nf_mark */
#define FW_NO_PORT 0xffu      /* fw_rule.in_port: any ingress port */

enum fw_action {
	FW_ACT_ACCEPT,
	FW_ACT_DROP,
	FW_ACT_REJECT,
};

/* An address or prefix; bytes in network order (IPv4 in a[0..3]). */
struct fw_prefix {
	uint8_t family; /* CFG_AF_V4 or CFG_AF_V6 */
	uint8_t len;
	uint8_t a[16];
};

struct fw_set; /* fw_set.h: a compiled address set */

enum fw_addr_kind {
	FW_ADDR_ANY,
	FW_ADDR_LIST, /* one address or a { list }: `pfx[0..n)` */
	FW_ADDR_SET,  /* @name: `set` */
};

struct fw_addr_match {
	uint8_t kind;   /* enum fw_addr_kind */
	bool negate;
	uint8_t fams;   /* FW_FAM_* this match can match at all */
	uint32_t n;
	struct fw_prefix *pfx;
	const struct fw_set *set;
	uint32_t set_idx; /* index in fw_rules.sets */
};

struct fw_range16 {
	uint16_t lo, hi;
};

struct fw_port_match {
	bool any;
	bool negate;
	uint16_t n;
	struct fw_range16 *r;
};

struct fw_rule {
	uint8_t action;     /* enum fw_action */
	bool log;
	uint8_t fams;       /* FW_FAM_* */
	uint8_t in_port;    /* FW_NO_PORT: any */
	bool any_proto;
	uint8_t flags_mask; /* TCP flags: (flags & mask) == want; mask 0: any */
	uint8_t flags_want;
	uint64_t proto[4];  /* bitmap of IP protocols (when !any_proto) */
	struct fw_addr_match src, dst;
	struct fw_port_match sport, dport;
	char where[64];     /* "file:line", for logs and counters */
};

/* Idle timeouts (seconds in the config, ticks here; see flowtable.h). */
enum fw_tmo {
	FW_TMO_TCP_EST,
	FW_TMO_TCP_TRANS,
	FW_TMO_TCP_CLOSED,
	FW_TMO_UDP,
	FW_TMO_ICMP,
	FW_TMO_OTHER,
	FW_TMO_FRAG,
	FW_TMO_COUNT
};

struct fw_cls;

/* Per-rule counters: packets and bytes the rule decided. */
struct fw_rule_ctr {
	uint64_t pkts, bytes;
};

struct fw_rules {
	uint32_t n_rules;
	struct fw_rule *rules;
	uint8_t def_action;      /* enum fw_action */
	bool def_log;
	bool stateful;
	bool non_ip_accept;      /* ARP and other non-IP frames */
	bool tcp_sloppy;         /* `tcp-window sloppy`: no sequence-window checks */
	uint32_t tmo_sec[FW_TMO_COUNT];
	uint32_t tmo_ticks[FW_TMO_COUNT];
	uint32_t n_sets;
	struct fw_set **sets;    /* the config's sets that rules use */
	const char **set_names;
	char port_name[CFG_PORT_MAX][PORT_NAME_MAX];
	struct fw_cls *cls;      /* the fast classifier over `rules` */
	struct fw_rule_ctr *ctr; /* [n_rules + 1]: the last is the default */
	struct fw_chunk *mem;    /* every allocation above (fw_rules_alloc) */
};

/*
 * Build a rule set from a parsed config.  Every statement that is not the
 * framework's (port, set, include) must be the firewall's; errors go to
 * `errs` as FILE:LINE:COL and the function returns -SYS_EINVAL (or
 * -SYS_ENOMEM) with *out NULL.  The fast classifier is not built here:
 * see fw_cls_build().
 */
int fw_rules_compile(const struct cfg *cfg, struct cfg_errors *errs, struct fw_rules **out);
void fw_rules_free(struct fw_rules *rs);

/* Zeroed memory owned by the rule set, freed with it.  NULL if short. */
void *fw_rules_alloc(struct fw_rules *rs, size_t size);

/* "accept" / "drop" / "reject". */
const char *fw_action_name(unsigned action);

/* Defaults, seconds: see the table in fw_rules.c. */
extern const uint32_t fw_tmo_default[FW_TMO_COUNT];

#endif
