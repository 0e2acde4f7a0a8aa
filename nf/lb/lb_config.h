/* SPDX-License-Identifier: MIT */
/*
 * lb_config.h - the load balancer's statements, compiled into one object
 * that configure() builds whole and swaps in (config/examples/
 * lb-reference.conf documents each):
 *
 *   vip NAME ADDRESS proto tcp|udp port N [table-size PRIME]
 *   backend NAME ADDRESS [port N] [weight W]    NAME: a vip declared above;
 *                                               port: the vip's; W 0-100 (1)
 *   timeout NAME SECONDS [NAME SECONDS]...      tcp-established tcp-transitory udp
 *   non-vip pass|drop                           (drop)
 *   non-ip pass|drop                            (pass)
 *
 * A backend may also be set down at run time (lb_admin.h); a reload
 * keeps that.  The clients are on the port named `clients` (else port 0), the servers
 * on `servers` (else port 1).  IPv4 only.  Mistakes are reported at their
 * token as FILE:LINE:COL, one per statement; the config is rejected whole.
 */
#ifndef NFB_LB_CONFIG_H
#define NFB_LB_CONFIG_H

#include "config/config.h"
#include "nf/lb/lb_maglev.h"
#include "nf/lb/lb_stats.h"

#define LB_VIPS_MAX 256
#define LB_BACKENDS_MAX 1024      /* over all vips, as configured */
#define LB_WEIGHT_MAX 100
#define LB_TMO_MAX 1000000u       /* seconds; the flow table clamps at ~13 days */
#define LB_NAME_LEN 32
/* Room for backends that a reload removed but whose connections live on
 * ("draining", see lb.c): as many again as configured. */
#define LB_BE_SLOTS (2 * LB_BACKENDS_MAX)

enum lb_tmo { LB_TMO_TCP_EST, LB_TMO_TCP_TRANS, LB_TMO_UDP, LB_TMO_COUNT };

struct lb_backend {
	uint32_t addr;        /* network order */
	uint16_t port;        /* network order */
	uint16_t vip;         /* index in lb_conf.vips */
	uint16_t weight;      /* 0: no new connections */
	bool draining;        /* removed by a reload, kept for its connections */
	bool down;            /* set down at run time (lb_admin.h): no new connections */
	uint32_t line;
	struct lb_counters c;
};

struct lb_vip {
	char name[LB_NAME_LEN];
	uint32_t addr;        /* network order */
	uint16_t port;        /* network order */
	uint8_t proto;
	uint32_t m;           /* table size (prime) */
	uint16_t *table;      /* m slots of lb_conf.be indices, or LB_MAGLEV_EMPTY */
	uint32_t line;
	struct lb_counters c;
};

struct lb_conf {
	uint32_t n_vips, n_be;
	struct lb_vip vips[LB_VIPS_MAX];
	struct lb_backend be[LB_BE_SLOTS];
	uint32_t tmo_sec[LB_TMO_COUNT];
	uint32_t tmo_ticks[LB_TMO_COUNT];
	bool non_vip_pass, non_ip_pass;
	uint16_t client_port, server_port;
};

extern const uint32_t lb_tmo_default[LB_TMO_COUNT];

/* Compile `cfg`; 0 and *out, or a negative errno with every error in errs. */
int lb_conf_compile(const struct cfg *cfg, struct cfg_errors *errs, struct lb_conf **out);
void lb_conf_free(struct lb_conf *lc);

/* Fill `table` (vip v's m slots) with v's backends that take new
 * connections - weight > 0, not down - in config order, so the same
 * backends always give the same table.  `in` has room for
 * LB_BACKENDS_MAX.  0 or lb_maglev_fill's error. */
int lb_conf_fill_table(const struct lb_conf *lc, uint32_t v, uint16_t *table,
		       struct lb_maglev_in *in);

/* The vip for destination addr:port and proto (network order), or -1. */
int32_t lb_conf_vip(const struct lb_conf *lc, uint32_t addr, uint16_t port, uint8_t proto);
/* True if `addr` is the address of any vip. */
bool lb_conf_is_vip_addr(const struct lb_conf *lc, uint32_t addr);
/* The backend of vip `vip` at addr:port (network order), or -1. */
int32_t lb_conf_backend(const struct lb_conf *lc, uint32_t vip, uint32_t addr, uint16_t port);

#endif
