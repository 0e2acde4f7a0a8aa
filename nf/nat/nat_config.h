/* SPDX-License-Identifier: MIT */
/*
 * nat_config.h - the NAT's statements, compiled into one object that
 * configure() builds whole and swaps in (config/examples/nat-reference.conf
 * documents each):
 *
 *   snat from ADDRSPEC to ADDRSPEC [ports N-M]
 *   timeout NAME SECONDS [NAME SECONDS]...   tcp-established tcp-transitory udp icmp
 *                                            fragment (nat_frag.h)
 *   mapping endpoint-independent|address-port-dependent   (NAT_MAPPING_DEFAULT)
 *   ipv6 pass|drop                           (drop)
 *   non-ip pass|drop                         (pass)
 *   nat64 [prefix PREFIX]                    NAT64 (nat64.h), default 64:ff9b::/96;
 *                                            snat sources may then be IPv6
 *
 * The inside is the port named `inside` (else port 0), the outside the one
 * named `outside` (else port 1).  Mistakes are reported at their token as
 * FILE:LINE:COL, one per statement; the config is rejected whole.
 */
#ifndef NFB_NAT_CONFIG_H
#define NFB_NAT_CONFIG_H

#include "config/config.h"
#include "nf/nat/nat_pool.h"
#include "nf/xlate64.h"

#define NAT_RULES_MAX 64
#define NAT_POOL_MAX 1024     /* external addresses over all rules */
#define NAT_TMO_MAX 1000000u  /* seconds; the flow table clamps at ~13 days */
/* Without a `mapping` statement: endpoint-independent (false), as RFC 4787
 * REQ-1 requires. */
#define NAT_MAPPING_DEFAULT_APDM false

/* Session timeouts, then the fragmented datagrams' (not a session's). */
enum nat_tmo {
	NAT_TMO_TCP_EST, NAT_TMO_TCP_TRANS, NAT_TMO_UDP, NAT_TMO_ICMP, NAT_TMO_FRAG, NAT_TMO_COUNT
};

struct nat_prefix {
	uint32_t addr, mask; /* host order */
};

/* An IPv6 source prefix of a NAT64 rule: bytes past len are zero. */
struct nat_prefix6 {
	uint8_t addr[16];
	uint8_t len;
};

struct nat_rule {
	uint32_t from_first, from_n;     /* slice of nat_conf.from */
	uint32_t from6_first, from6_n;   /* slice of nat_conf.from6 (NAT64 clients) */
	uint32_t pool_first, pool_n;     /* slice of the pool's addresses */
	uint32_t line;                   /* for counters and messages */
};

struct nat_conf {
	uint32_t n_rules;
	struct nat_rule rules[NAT_RULES_MAX];
	uint32_t n_from, cap_from;
	struct nat_prefix *from;         /* every rule's sources (lists and sets copied) */
	uint32_t n_from6, cap_from6;
	struct nat_prefix6 *from6;       /* every rule's IPv6 sources (NAT64) */
	bool nat64;                      /* a `nat64` statement */
	struct xlate64_prefix pref64;    /* its prefix (RFC 6052) */
	struct nat_pool *pool;
	uint32_t tmo_sec[NAT_TMO_COUNT];
	uint32_t tmo_ticks[NAT_TMO_COUNT];
	bool ipv6_pass, non_ip_pass;
	bool mapping_apdm;               /* `mapping address-port-dependent` */
	bool unreachable;                /* `unreachable on`: ICMP 3/13 when no mapping */
	uint16_t in_port, out_port;
	char in_name[24], out_name[24];
};

extern const uint32_t nat_tmo_default[NAT_TMO_COUNT];

/* Compile `cfg`; 0 and *out, or a negative errno with every error in errs. */
int nat_conf_compile(const struct cfg *cfg, struct cfg_errors *errs, struct nat_conf **out);
void nat_conf_free(struct nat_conf *nc);

/* The rule covering inside source `src` (network order), or -1. */
int32_t nat_conf_match(const struct nat_conf *nc, uint32_t src);
/* The rule covering IPv6 inside source `src` (NAT64), or -1. */
int32_t nat_conf_match6(const struct nat_conf *nc, const uint8_t src[16]);

#endif
