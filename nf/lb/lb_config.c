/* SPDX-License-Identifier: MIT */
/*
 * lb_config.c - the load balancer's statements (see lb_config.h).  The
 * messages are checked in the golden case lb-bad-config.
 */
#include "nf/lb/lb_config.h"

#include "dataplane/flowtable.h"
#include "dataplane/parse.h"
#include "nf/lb/lb_maglev.h"
#include "nf/stmt.h"

/* The firewall's and the NAT's defaults (RFC 5382, RFC 4787). */
const uint32_t lb_tmo_default[LB_TMO_COUNT] = {
	[LB_TMO_TCP_EST] = 7440, [LB_TMO_TCP_TRANS] = 240, [LB_TMO_UDP] = 300,
};

static const char *const tmo_names[LB_TMO_COUNT + 1] = {
	"tcp-established", "tcp-transitory", "udp", NULL,
};

struct build {
	const struct cfg *cfg;
	struct cfg_errors *errs;
	struct lb_conf *lc;
	const struct cfg_token *seen_tmo[LB_TMO_COUNT];
	const struct cfg_token *seen_nonvip, *seen_nonip;
	const struct cfg_token *vip_kw[LB_VIPS_MAX];
	const struct cfg_token *be_addr[LB_BACKENDS_MAX];
	const struct cfg_token *seen_src[2], *seen_mtu;
	uint32_t src4;        /* encap-source, network order */
	uint8_t src6[16];
};

static const char *const mode_names[] = {"nat", "ipip", "ip6ip6", "gue"};

void lb_addr_format(uint8_t family, const union flow_addr *a, char *buf, size_t n)
{
	struct cfg_addr ca = {.family = family, .prefix = family == FLOW_FAMILY_V4 ? 32 : 128};
	memcpy(ca.a, a->v6, 16);
	cfg_addr_format(&ca, buf, n);
}

/* A single address of either family. */
static int take_host(struct cfg_cursor *c, const char *what, uint8_t *family, union flow_addr *out)
{
	struct cfg_addr a;
	if (cfg_take_addr(c, what, true, &a))
		return -SYS_EINVAL;
	*family = a.family;
	memcpy(out->v6, a.a, 16); /* IPv4 in the first 4 bytes, the rest zero */
	return 0;
}

static const char *fam_name(uint8_t family) { return family == FLOW_FAMILY_V4 ? "IPv4" : "IPv6"; }

static int32_t vip_by_name(const struct lb_conf *lc, const char *name)
{
	for (uint32_t i = 0; i < lc->n_vips; i++)
		if (strcmp(lc->vips[i].name, name) == 0)
			return (int32_t)i;
	return -1;
}

/* A vip's outer source address of its family (`source ADDRESS`). */
static int take_source(struct cfg_cursor *c, bool *has4, uint32_t *src4, bool *has6, uint8_t *src6)
{
	const struct cfg_token *t = cfg_peek(c);
	union flow_addr a;
	uint8_t fam;
	if (take_host(c, "encapsulation source address", &fam, &a))
		return -SYS_EINVAL;
	bool *has = fam == FLOW_FAMILY_V4 ? has4 : has6;
	if (*has)
		return cfg_error_at(c, t, "a second %s source address", fam_name(fam));
	*has = true;
	if (fam == FLOW_FAMILY_V4)
		*src4 = a.v4;
	else
		memcpy(src6, a.v6, 16);
	return 0;
}

static int vip_options(struct cfg_cursor *c, struct lb_vip *v)
{
	static const struct cfg_name_value modes[] = {{"nat", LB_MODE_NAT}, {"ipip", LB_MODE_IPIP},
						      {"ip6ip6", LB_MODE_IP6IP6}, {"gue", LB_MODE_GUE},
						      {NULL, 0}};
	const struct cfg_token *mt = NULL, *gt = NULL;
	uint32_t gport = LB_GUE_PORT_DEFAULT;
	for (;;) {
		const struct cfg_token *t = cfg_peek(c);
		if (cfg_next_keyword(c, "table-size")) {
			t = cfg_peek(c);
			if (cfg_take_u32(c, LB_MAGLEV_MIN, LB_MAGLEV_MAX, "table size", &v->m))
				return -SYS_EINVAL;
			if (!lb_is_prime(v->m))
				return cfg_error_at(c, t, "table size %u is not a prime", v->m);
		} else if (cfg_next_keyword(c, "mode")) {
			uint32_t m;
			mt = cfg_peek(c);
			if (cfg_take_name_or_number(c, "forwarding mode (nat|ipip|ip6ip6|gue)", modes, 0, &m))
				return -SYS_EINVAL;
			v->mode = (uint8_t)m;
		} else if (cfg_next_keyword(c, "gue-port")) {
			gt = t;
			if (cfg_take_u32(c, 1, 65535, "GUE port", &gport))
				return -SYS_EINVAL;
		} else if (cfg_next_keyword(c, "source")) {
			if (take_source(c, &v->has_src4, &v->src4, &v->has_src6, v->src6))
				return -SYS_EINVAL;
		} else {
			break;
		}
	}
	if (cfg_expect_end(c))
		return -SYS_EINVAL;
	if ((v->mode == LB_MODE_IPIP && v->family != FLOW_FAMILY_V4) ||
	    (v->mode == LB_MODE_IP6IP6 && v->family != FLOW_FAMILY_V6))
		return cfg_error_at(c, mt, "mode %s carries %s, but vip '%s' is %s", mode_names[v->mode],
				    v->mode == LB_MODE_IPIP ? "IPv4" : "IPv6", v->name,
				    fam_name(v->family));
	if (gt && v->mode != LB_MODE_GUE)
		return cfg_error_at(c, gt, "gue-port without mode gue");
	v->gue_port = sys_be16((uint16_t)gport);
	return 0;
}


static uint32_t vip_slot(uint8_t family, const union flow_addr *a, uint16_t port, uint8_t proto)
{
	uint64_t x = (a->u64[0] ^ (a->u64[1] * 0x9e3779b97f4a7c15ull)) ^
		     ((uint64_t)port << 16 | (uint64_t)proto << 8 | family);
	x *= 0xff51afd7ed558ccdull;
	return (uint32_t)(x >> 40) & (LB_VIP_HASH - 1);
}

static void vip_hash_add(struct lb_conf *lc, uint32_t vi)
{
	const struct lb_vip *v = &lc->vips[vi];
	uint32_t h = vip_slot(v->family, &v->addr, v->port, v->proto);
	while (lc->vip_hash[h])
		h = (h + 1) & (LB_VIP_HASH - 1);
	lc->vip_hash[h] = (uint16_t)(vi + 1);
}

static int vip_stmt(struct build *b, struct cfg_cursor *c)
{
	static const struct cfg_name_value protos[] = {{"tcp", IPPROTO_TCP_}, {"udp", IPPROTO_UDP_},
						       {NULL, 0}};
	struct lb_conf *lc = b->lc;
	const struct cfg_stmt *st = c->stmt;
	if (lc->n_vips == LB_VIPS_MAX)
		return cfg_error_at(c, st->kw, "more than %u vips", LB_VIPS_MAX);
	struct lb_vip v = {.m = LB_MAGLEV_DEFAULT, .line = st->kw->loc.line};
	const struct cfg_token *nt = cfg_peek(c), *pt;
	const char *name;
	uint32_t proto = 0, port = 0;
	if (cfg_take_word(c, "vip name", &name))
		return -SYS_EINVAL;
	if (strlen(name) >= LB_NAME_LEN)
		return cfg_error_at(c, nt, "vip name '%s' is longer than %u characters", name,
				    LB_NAME_LEN - 1);
	int32_t dup = vip_by_name(lc, name);
	if (dup >= 0)
		return cfg_error_at(c, nt, "vip '%s' already declared at line %u", name,
				    (unsigned)lc->vips[dup].line);
	snprintf(v.name, sizeof(v.name), "%s", name);
	if (take_host(c, "vip address", &v.family, &v.addr) || cfg_expect_keyword(c, "proto"))
		return -SYS_EINVAL;
	pt = cfg_peek(c);
	if (cfg_take_name_or_number(c, "protocol (tcp|udp)", protos, 255, &proto))
		return -SYS_EINVAL;
	if (proto != IPPROTO_TCP_ && proto != IPPROTO_UDP_)
		return cfg_error_at(c, pt, "a vip balances tcp or udp, not '%s'", pt->text);
	if (cfg_expect_keyword(c, "port"))
		return -SYS_EINVAL;
	pt = cfg_peek(c);
	if (cfg_take_u32(c, 1, 65535, "vip port", &port) || vip_options(c, &v))
		return -SYS_EINVAL;
	v.port = sys_be16((uint16_t)port);
	v.proto = (uint8_t)proto;
	int32_t same = lb_conf_vip(lc, v.family, &v.addr, v.port, v.proto);
	if (same >= 0)
		return cfg_error_at(c, pt, "vip '%s' already balances %s port %u (line %u)",
				    lc->vips[same].name, proto == IPPROTO_TCP_ ? "tcp" : "udp", port,
				    (unsigned)lc->vips[same].line);
	b->vip_kw[lc->n_vips] = st->kw;
	lc->vips[lc->n_vips++] = v;
	vip_hash_add(lc, lc->n_vips - 1);
	return 0;
}

static int backend_stmt(struct build *b, struct cfg_cursor *c)
{
	struct lb_conf *lc = b->lc;
	const struct cfg_stmt *st = c->stmt;
	if (lc->n_be == LB_BACKENDS_MAX)
		return cfg_error_at(c, st->kw, "more than %u backends", LB_BACKENDS_MAX);
	const struct cfg_token *nt = cfg_peek(c), *at, *pt;
	const char *name;
	union flow_addr addr;
	uint8_t fam;
	uint32_t port, weight = 1;
	if (cfg_take_word(c, "vip name", &name))
		return -SYS_EINVAL;
	int32_t vi = vip_by_name(lc, name);
	if (vi < 0)
		return cfg_error_at(c, nt, "no vip named '%s' above this backend", name);
	const struct lb_vip *v = &lc->vips[vi];
	at = cfg_peek(c);
	if (take_host(c, "backend address", &fam, &addr))
		return -SYS_EINVAL;
	port = sys_be16(v->port);
	pt = cfg_peek(c);
	if (cfg_next_keyword(c, "port")) {
		if (v->mode != LB_MODE_NAT)
			return cfg_error_at(c, pt, "vip '%s' encapsulates (mode %s): its backends get "
					    "the packet as sent to the vip, no port", name,
					    mode_names[v->mode]);
		if (cfg_take_u32(c, 1, 65535, "backend port", &port))
			return -SYS_EINVAL;
	}
	if (cfg_next_keyword(c, "weight") &&
	    cfg_take_u32(c, 0, LB_WEIGHT_MAX, "backend weight", &weight))
		return -SYS_EINVAL;
	if (cfg_expect_end(c))
		return -SYS_EINVAL;
	/* nat rewrites within a family; ipip and ip6ip6 carry one family in
	 * itself; gue carries either in either. */
	bool fam_ok = v->mode == LB_MODE_GUE || fam == v->family;
	if (!fam_ok)
		return cfg_error_at(c, at, "vip '%s' (%s, mode %s) cannot reach %s backend '%s'", name,
				    fam_name(v->family), mode_names[v->mode], fam_name(fam), at->text);
	uint16_t pbe = sys_be16((uint16_t)port);
	int32_t dup = lb_conf_backend(lc, (uint32_t)vi, fam, &addr, pbe);
	if (dup >= 0)
		return cfg_error_at(c, at, "backend %s port %u of vip '%s' already declared at line %u",
				    at->text, port, name, (unsigned)lc->be[dup].line);
	b->be_addr[lc->n_be] = at;
	lc->be[lc->n_be++] = (struct lb_backend){.addr = addr, .family = fam, .port = pbe,
						 .vip = (uint16_t)vi, .weight = (uint16_t)weight,
						 .line = st->kw->loc.line};
	return 0;
}

static int statement(struct build *b, const struct cfg_stmt *st)
{
	struct cfg_cursor c;
	cfg_cursor_init(&c, b->cfg, st, b->errs);
	const char *kw = cfg_stmt_keyword(st);
	if (strcmp(kw, "vip") == 0)
		return vip_stmt(b, &c);
	if (strcmp(kw, "backend") == 0)
		return backend_stmt(b, &c);
	if (strcmp(kw, "timeout") == 0)
		return nf_timeout_stmt(&c, tmo_names, LB_TMO_COUNT, b->seen_tmo, LB_TMO_MAX,
				       b->lc->tmo_sec);
	if (strcmp(kw, "non-vip") == 0)
		return nf_pass_drop_stmt(&c, &b->seen_nonvip, "non-vip policy", &b->lc->non_vip_pass);
	if (strcmp(kw, "encap-source") == 0) {
		const struct cfg_token *t = cfg_peek(&c);
		bool had4 = b->seen_src[0], had6 = b->seen_src[1];
		if (take_source(&c, &had4, &b->src4, &had6, b->src6) || cfg_expect_end(&c))
			return -SYS_EINVAL;
		b->seen_src[0] = had4 ? (b->seen_src[0] ? b->seen_src[0] : t) : NULL;
		b->seen_src[1] = had6 ? (b->seen_src[1] ? b->seen_src[1] : t) : NULL;
		return 0;
	}
	if (strcmp(kw, "mtu") == 0) {
		if (b->seen_mtu)
			return cfg_error_at(&c, st->kw, "mtu already set at line %u",
					    (unsigned)b->seen_mtu->loc.line);
		b->seen_mtu = st->kw;
		if (cfg_take_u32(&c, LB_MTU_MIN, LB_MTU_MAX, "mtu", &b->lc->mtu))
			return -SYS_EINVAL;
		return cfg_expect_end(&c);
	}
	if (strcmp(kw, "non-ip") == 0)
		return nf_pass_drop_stmt(&c, &b->seen_nonip, "non-IP policy", &b->lc->non_ip_pass);
	return cfg_unknown_statement(&c);
}

/* clients/servers: the ports so named, else 0 and 1. */
static void pick_ports(struct lb_conf *lc, const struct cfg *cfg, struct cfg_errors *errs)
{
	int cl = cfg_port_by_name(cfg, "clients"), sv = cfg_port_by_name(cfg, "servers");
	lc->client_port = (uint16_t)(cl >= 0 ? cl : 0);
	lc->server_port = (uint16_t)(sv >= 0 ? sv : 1);
	if (lc->client_port == lc->server_port)
		cfg_errorf(errs, NULL, "the clients and the servers are both port %u; name two ports "
				       "'clients' and 'servers'", lc->client_port);
}

int lb_conf_fill_table(const struct lb_conf *lc, uint32_t v, uint16_t *table,
		       struct lb_maglev_in *in)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < lc->n_be; i++) {
		const struct lb_backend *be = &lc->be[i];
		/* A draining backend has weight 0: never here. */
		if (be->vip == v && be->weight && !be->down)
			in[n++] = (struct lb_maglev_in){.addr = lb_fold_addr(be->family, &be->addr),
							.port = sys_be16(be->port),
							.id = (uint16_t)i,
							.weight = be->weight};
	}
	return lb_maglev_fill(table, lc->vips[v].m, in, n);
}

/* An encapsulating vip takes the LB's encap-source where it has none of
 * its own; each of its backends needs one of its family. */
static void resolve_sources(struct build *b)
{
	struct lb_conf *lc = b->lc;
	for (uint32_t v = 0; v < lc->n_vips; v++) {
		struct lb_vip *vip = &lc->vips[v];
		if (!vip->has_src4 && b->seen_src[0]) {
			vip->has_src4 = true;
			vip->src4 = b->src4;
		}
		if (!vip->has_src6 && b->seen_src[1]) {
			vip->has_src6 = true;
			memcpy(vip->src6, b->src6, 16);
		}
	}
	for (uint32_t i = 0; i < lc->n_be; i++) {
		const struct lb_backend *be = &lc->be[i];
		const struct lb_vip *vip = &lc->vips[be->vip];
		if (vip->mode == LB_MODE_NAT)
			continue;
		if (be->family == FLOW_FAMILY_V4 ? !vip->has_src4 : !vip->has_src6)
			cfg_errorf(b->errs, &b->be_addr[i]->loc,
				   "no %s source address to encapsulate towards backend '%s' of vip "
				   "'%s' (encap-source, or the vip's source)",
				   fam_name(be->family), b->be_addr[i]->text, vip->name);
	}
}

/* Each vip's Maglev table over its backends of weight > 0, in config order. */
static int build_tables(struct build *b)
{
	struct lb_conf *lc = b->lc;
	struct lb_maglev_in *in = sys_alloc(sizeof(*in) * LB_BACKENDS_MAX, 8);
	if (!in)
		return -SYS_ENOMEM;
	int rc = 0;
	for (uint32_t v = 0; v < lc->n_vips && !rc; v++) {
		struct lb_vip *vip = &lc->vips[v];
		uint32_t all = 0;
		for (uint32_t i = 0; i < lc->n_be; i++)
			all += lc->be[i].vip == v;
		if (!all) {
			cfg_errorf(b->errs, &b->vip_kw[v]->loc, "vip '%s' has no backend", vip->name);
			rc = -SYS_EINVAL;
			break;
		}
		vip->table = sys_alloc((size_t)vip->m * sizeof(uint16_t), 64);
		rc = vip->table ? lb_conf_fill_table(lc, v, vip->table, in) : -SYS_ENOMEM;
	}
	sys_free(in);
	if (rc == -SYS_ENOMEM)
		cfg_errorf(b->errs, NULL, "out of memory");
	return rc;
}

int lb_conf_compile(const struct cfg *cfg, struct cfg_errors *errs, struct lb_conf **out)
{
	*out = NULL;
	struct lb_conf *lc = sys_alloc(sizeof(*lc), SYS_CACHE_LINE);
	struct build *b = sys_alloc(sizeof(*b), 8);
	if (!lc || !b) {
		sys_free(lc);
		sys_free(b);
		cfg_errorf(errs, NULL, "out of memory");
		return -SYS_ENOMEM;
	}
	memset(lc, 0, sizeof(*lc));
	*b = (struct build){.cfg = cfg, .errs = errs, .lc = lc};
	lc->non_ip_pass = true;
	lc->mtu = LB_MTU_DEFAULT;
	memcpy(lc->tmo_sec, lb_tmo_default, sizeof(lc->tmo_sec));
	unsigned before = errs->count;
	for (uint32_t i = 0; i < cfg_stmt_count(cfg); i++)
		statement(b, cfg_stmt_at(cfg, i));
	pick_ports(lc, cfg, errs);
	if (errs->count == before)
		resolve_sources(b);
	for (unsigned i = 0; i < LB_TMO_COUNT; i++)
		lc->tmo_ticks[i] = ft_timeout_ticks((uint64_t)lc->tmo_sec[i] * 1000000000ull);
	int rc = errs->count == before ? build_tables(b) : -SYS_EINVAL;
	sys_free(b);
	if (rc || errs->count != before) {
		lb_conf_free(lc);
		return rc ? rc : -SYS_EINVAL;
	}
	*out = lc;
	return 0;
}

void lb_conf_free(struct lb_conf *lc)
{
	if (!lc)
		return;
	for (uint32_t v = 0; v < lc->n_vips; v++)
		sys_free(lc->vips[v].table);
	sys_free(lc);
}

int32_t lb_conf_vip(const struct lb_conf *lc, uint8_t family, const union flow_addr *addr,
		    uint16_t port, uint8_t proto)
{
	for (uint32_t h = vip_slot(family, addr, port, proto);; h = (h + 1) & (LB_VIP_HASH - 1)) {
		uint16_t s = lc->vip_hash[h];
		if (!s)
			return -1; /* fewer vips than slots: an empty one ends every probe */
		const struct lb_vip *v = &lc->vips[s - 1];
		if (v->port == port && v->proto == proto && lb_addr_eq(v->family, &v->addr, family, addr))
			return (int32_t)(s - 1);
	}
}

bool lb_conf_is_vip_addr(const struct lb_conf *lc, uint8_t family, const union flow_addr *addr)
{
	for (uint32_t i = 0; i < lc->n_vips; i++)
		if (lb_addr_eq(lc->vips[i].family, &lc->vips[i].addr, family, addr))
			return true;
	return false;
}

int32_t lb_conf_backend_in(const struct lb_conf *old, const struct lb_conf *nc, uint32_t nbi)
{
	const struct lb_backend *nb = &nc->be[nbi];
	const struct lb_vip *nv = &nc->vips[nb->vip];
	int32_t ov = lb_conf_vip(old, nv->family, &nv->addr, nv->port, nv->proto);
	return ov >= 0 ? lb_conf_backend(old, (uint32_t)ov, nb->family, &nb->addr, nb->port) : -1;
}

int32_t lb_conf_backend(const struct lb_conf *lc, uint32_t vip, uint8_t family,
			const union flow_addr *addr, uint16_t port)
{
	for (uint32_t i = 0; i < lc->n_be; i++) {
		const struct lb_backend *be = &lc->be[i];
		if (be->vip == vip && be->port == port && lb_addr_eq(be->family, &be->addr, family, addr))
			return (int32_t)i;
	}
	return -1;
}
