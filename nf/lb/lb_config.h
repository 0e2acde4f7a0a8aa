/* SPDX-License-Identifier: MIT */
/*
 * lb_config.h - the load balancer's statements, compiled into one object
 * that configure() builds whole and swaps in (config/examples/
 * lb-reference.conf documents each):
 *
 *   vip NAME ADDRESS proto tcp|udp port N [table-size PRIME]
 *       [mode nat|ipip|ip6ip6|gue] [gue-port N] [source ADDRESS]...
 *   backend NAME ADDRESS [port N] [weight W]    NAME: a vip declared above;
 *                                               port: the vip's; W 0-100 (1)
 *   timeout NAME SECONDS [NAME SECONDS]...      tcp-established tcp-transitory udp
 *   non-vip pass|drop                           (drop)
 *   non-ip pass|drop                            (pass)
 *   encap-source ADDRESS                        outer source, per family
 *   mtu N                                       encapsulated size (1500)
 *
 * A backend may also be set down at run time (lb_admin.h); a reload
 * keeps that.  The clients are on the port named `clients` (else port 0), the servers
 * on `servers` (else port 1).  IPv4 and IPv6.  Mistakes are reported at their
 * token as FILE:LINE:COL, one per statement; the config is rejected whole.
 */
#ifndef NFB_LB_CONFIG_H
#define NFB_LB_CONFIG_H

#include "config/config.h"
#include "dataplane/flow.h"
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

#define LB_MTU_DEFAULT 1500
#define LB_MTU_MIN 1280           /* the IPv6 minimum (RFC 8200 5) */
#define LB_MTU_MAX 9000
#define LB_GUE_PORT_DEFAULT 6080

/* How a vip's packets reach their backend (lb_encap.h). */
enum lb_mode { LB_MODE_NAT, LB_MODE_IPIP, LB_MODE_IP6IP6, LB_MODE_GUE };

enum lb_tmo { LB_TMO_TCP_EST, LB_TMO_TCP_TRANS, LB_TMO_UDP, LB_TMO_COUNT };

struct lb_backend {
	union flow_addr addr; /* network order; IPv4 zero-extended, as in flow keys */
	uint8_t family;       /* FLOW_FAMILY_V4 or _V6 */
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
	union flow_addr addr; /* network order; IPv4 zero-extended */
	uint8_t family;
	uint8_t mode;         /* enum lb_mode */
	uint16_t port;        /* network order */
	uint8_t proto;
	uint16_t gue_port;    /* network order (mode gue) */
	bool has_src4, has_src6;
	uint32_t src4;        /* encapsulation's outer source, network order */
	uint8_t src6[16];
	uint32_t m;           /* table size (prime) */
	uint16_t *table;      /* m slots of lb_conf.be indices, or LB_MAGLEV_EMPTY */
	uint32_t line;
	struct lb_counters c;
};

/* Open addressing over (address, port, protocol): a new connection finds
 * its vip in a probe or two, not a scan of up to 256 (a flood opens one
 * connection per packet).  Slots hold index + 1; 0 is empty. */
#define LB_VIP_HASH (4 * LB_VIPS_MAX)

struct lb_conf {
	uint32_t n_vips, n_be;
	struct lb_vip vips[LB_VIPS_MAX];
	uint16_t vip_hash[LB_VIP_HASH];
	struct lb_backend be[LB_BE_SLOTS];
	uint32_t tmo_sec[LB_TMO_COUNT];
	uint32_t tmo_ticks[LB_TMO_COUNT];
	bool non_vip_pass, non_ip_pass;
	uint32_t mtu;         /* largest encapsulated IP packet */
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

static inline bool lb_addr_eq(uint8_t fa, const union flow_addr *a, uint8_t fb,
			      const union flow_addr *b)
{
	return fa == fb && a->u64[0] == b->u64[0] && a->u64[1] == b->u64[1];
}
static inline union flow_addr lb_addr4(uint32_t a_be)
{
	union flow_addr a = {.u64 = {0, 0}};
	a.v4 = a_be;
	return a;
}

/* The vip for destination addr:port and proto (network order), or -1. */
int32_t lb_conf_vip(const struct lb_conf *lc, uint8_t family, const union flow_addr *addr,
		    uint16_t port, uint8_t proto);
/* True if `addr` is the address of any vip. */
bool lb_conf_is_vip_addr(const struct lb_conf *lc, uint8_t family, const union flow_addr *addr);
/* The backend of vip `vip` at addr:port (network order), or -1. */
int32_t lb_conf_backend(const struct lb_conf *lc, uint32_t vip, uint8_t family,
			const union flow_addr *addr, uint16_t port);
/* Backend `nbi` of `nc` as it was in `old`: the backend at the same
 * address and port of the vip at the same address, port and protocol (a
 * configured backend is found before a draining copy), or -1. */
int32_t lb_conf_backend_in(const struct lb_conf *old, const struct lb_conf *nc, uint32_t nbi);
/* "10.0.1.2" or "2001:db8::1". */
void lb_addr_format(uint8_t family, const union flow_addr *a, char *buf, size_t n);

#endif
