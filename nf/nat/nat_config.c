/* SPDX-License-Identifier: MIT */
/*
 * nat_config.c - the NAT's statements (see nat_config.h).  The messages it
 * adds to the framework's are checked one by one in
 * tests/unit/test_nat_config.c and the golden case nat-bad-config.
 */
#include "nf/nat/nat_config.h"

#include "dataplane/flowtable.h"
#include "nf/nat/nat_frag.h"
#include "nf/stmt.h"

/* RFC 5382 (TCP: 2 h 4 min established, 4 min transitory), RFC 4787 (UDP:
 * 5 min), RFC 5508 (ICMP: 60 s): what the firewall uses too.  Fragments:
 * the time a datagram's fragments may take to come after its first one
 * seen (nat_frag.h): 2 s, a few round trips, short because held fragments
 * hold packet buffers. */
const uint32_t nat_tmo_default[NAT_TMO_COUNT] = {
	[NAT_TMO_TCP_EST] = 7440, [NAT_TMO_TCP_TRANS] = 240, [NAT_TMO_UDP] = 300, [NAT_TMO_ICMP] = 60,
	[NAT_TMO_FRAG] = NAT_FRAG_TMO_DEFAULT,
};

static const char *const tmo_names[NAT_TMO_COUNT + 1] = {
	"tcp-established", "tcp-transitory", "udp", "icmp", "fragment", NULL,
};

struct build {
	const struct cfg *cfg;
	struct cfg_errors *errs;
	struct nat_conf *nc;
	bool nomem;
	const struct cfg_token *seen_tmo[NAT_TMO_COUNT];
	const struct cfg_token *seen_ipv6, *seen_nonip, *seen_mapping, *seen_nat64, *seen_unreach;
	const struct cfg_token *first_v6_from; /* an IPv6 snat source: needs `nat64` */
	const char *first_v6_text;
	/* the pool as it is collected, before nat_pool_create */
	uint32_t n_pool;
	uint32_t pool_addr[NAT_POOL_MAX];
	uint16_t pool_lo[NAT_POOL_MAX], pool_hi[NAT_POOL_MAX];
	uint32_t pool_line[NAT_POOL_MAX];
};

static void nomem(struct build *b)
{
	if (!b->nomem)
		cfg_errorf(b->errs, NULL, "out of memory");
	b->nomem = true;
}

/* Room for one more of the `*n` elements of `size` bytes at *arr
 * (capacity *cap, doubled when full); false: out of memory (reported). */
static bool room_for_one(struct build *b, void **arr, uint32_t n, uint32_t *cap, size_t size)
{
	if (n < *cap)
		return true;
	uint32_t c = *cap ? *cap * 2 : 16;
	void *a = sys_alloc((size_t)c * size, 8);
	if (!a) {
		nomem(b);
		return false;
	}
	if (n)
		memcpy(a, *arr, (size_t)n * size);
	sys_free(*arr);
	*arr = a;
	*cap = c;
	return true;
}

static bool add_from(struct build *b, uint32_t addr, uint8_t len)
{
	struct nat_conf *nc = b->nc;
	if (!room_for_one(b, (void **)&nc->from, nc->n_from, &nc->cap_from, sizeof(*nc->from)))
		return false;
	uint32_t mask = len ? ~0u << (32 - len) : 0;
	nc->from[nc->n_from++] = (struct nat_prefix){.addr = addr & mask, .mask = mask};
	return true;
}

static bool add_from6(struct build *b, const uint8_t *addr, uint8_t len)
{
	struct nat_conf *nc = b->nc;
	if (!room_for_one(b, (void **)&nc->from6, nc->n_from6, &nc->cap_from6, sizeof(*nc->from6)))
		return false;
	struct nat_prefix6 *p = &nc->from6[nc->n_from6++];
	memset(p, 0, sizeof(*p));
	p->len = len;
	memcpy(p->addr, addr, len / 8u);
	if (len % 8u)
		p->addr[len / 8u] = (uint8_t)(addr[len / 8u] & (0xff00u >> (len % 8u)));
	return true;
}

/* An IPv6 source (NAT64 clients): taken, and remembered for the check
 * that a `nat64` statement exists (it may come later). */
static void take_v6_from(struct build *b, const struct cfg_token *t, const uint8_t *addr,
			 uint8_t len)
{
	if (!b->first_v6_from) {
		b->first_v6_from = t;
		b->first_v6_text = t->text;
	}
	add_from6(b, addr, len);
}

/* `from`: any, an address or prefix, a { list } or an @set; IPv6 ones are
 * NAT64 clients (`any` is IPv4's any). */
static int take_from(struct build *b, struct cfg_cursor *c)
{
	const struct cfg_token *t = cfg_peek(c);
	struct cfg_addr_spec s;
	if (cfg_take_addr_spec(c, "source address, prefix, list or set", &s))
		return -SYS_EINVAL;
	if (s.negate)
		return cfg_error_at(c, t, "snat sources cannot be negated");
	switch (s.kind) {
	case CFG_ADDR_ANY:
		add_from(b, 0, 0);
		return 0;
	case CFG_ADDR_ONE:
		if (s.one.family != CFG_AF_V4)
			take_v6_from(b, t, s.one.a, s.one.prefix);
		else
			add_from(b, cfg_addr_v4(&s.one), s.one.prefix);
		return 0;
	case CFG_ADDR_SET:
		if (!s.has_v4 && !s.has_v6)
			return cfg_error_at(c, t, "set '@%s' has no IPv4 entries", t->text);
		for (uint32_t i = 0; i < s.set->n4 && !b->nomem; i++)
			add_from(b, s.set->v4[i].addr, s.set->v4[i].len);
		for (uint32_t i = 0; i < s.set->n6 && !b->nomem; i++)
			take_v6_from(b, t, s.set->v6[i].addr, s.set->v6[i].len);
		return 0;
	case CFG_ADDR_LIST:
		for (uint32_t i = 0; i < s.n; i++) {
			const struct cfg_addr *a = cfg_addr_spec_item(&s, i);
			if (a->family != CFG_AF_V4)
				take_v6_from(b, &s.list[i], a->a, a->prefix);
			else
				add_from(b, cfg_addr_v4(a), a->prefix);
		}
		return 0;
	}
	return 0;
}

/* Every address of one IPv4 prefix into the pool. */
static int add_pool_prefix(struct build *b, struct cfg_cursor *c, const struct cfg_token *t,
			   uint32_t addr, uint8_t len, uint32_t line)
{
	uint64_t count = 1ull << (32 - len);
	if (b->n_pool + count > NAT_POOL_MAX)
		return cfg_error_at(c, t, "the pools hold more than %u addresses with '%s'",
				    NAT_POOL_MAX, t->text);
	for (uint64_t k = 0; k < count; k++) {
		uint32_t a = sys_be32(addr + (uint32_t)k);
		for (uint32_t j = 0; j < b->n_pool; j++) {
			if (b->pool_addr[j] != a)
				continue;
			char txt[16];
			uint32_t h = addr + (uint32_t)k;
			snprintf(txt, sizeof(txt), "%u.%u.%u.%u", h >> 24, (h >> 16) & 255, (h >> 8) & 255,
				 h & 255);
			return cfg_error_at(c, t, "pool address %s is already in the pool of the snat rule at line %u",
					    txt, (unsigned)b->pool_line[j]);
		}
		b->pool_addr[b->n_pool] = a;
		b->pool_line[b->n_pool] = line;
		b->n_pool++;
	}
	return 0;
}

/* `to`: an address, a prefix (every address in it), a { list } or an @set. */
static int take_pool(struct build *b, struct cfg_cursor *c, uint32_t line)
{
	const struct cfg_token *t = cfg_peek(c);
	struct cfg_addr_spec s;
	if (cfg_take_addr_spec(c, "pool address, prefix, list or set", &s))
		return -SYS_EINVAL;
	if (s.negate || s.kind == CFG_ADDR_ANY)
		return cfg_error_at(c, t, "a pool must name its addresses");
	switch (s.kind) {
	case CFG_ADDR_ONE:
		if (s.one.family != CFG_AF_V4)
			return cfg_error_at(c, t, "snat translates IPv4 only, '%s' is IPv6", t->text);
		return add_pool_prefix(b, c, t, cfg_addr_v4(&s.one), s.one.prefix, line);
	case CFG_ADDR_SET:
		if (s.has_v6)
			return cfg_error_at(c, t, "set '@%s' holds IPv6 entries; a pool is IPv4 only",
					    t->text);
		for (uint32_t i = 0; i < s.set->n4; i++)
			if (add_pool_prefix(b, c, t, s.set->v4[i].addr, s.set->v4[i].len, line))
				return -SYS_EINVAL;
		return 0;
	case CFG_ADDR_LIST:
		for (uint32_t i = 0; i < s.n; i++) {
			const struct cfg_addr *a = cfg_addr_spec_item(&s, i);
			if (a->family != CFG_AF_V4)
				return cfg_error_at(c, &s.list[i], "snat translates IPv4 only, '%s' is IPv6",
						    s.list[i].text);
			if (add_pool_prefix(b, c, &s.list[i], cfg_addr_v4(a), a->prefix, line))
				return -SYS_EINVAL;
		}
		return 0;
	default:
		return 0;
	}
}

static int snat_stmt(struct build *b, struct cfg_cursor *c)
{
	struct nat_conf *nc = b->nc;
	const struct cfg_stmt *st = c->stmt;
	if (nc->n_rules == NAT_RULES_MAX)
		return cfg_error_at(c, st->kw, "more than %u snat rules", NAT_RULES_MAX);
	struct nat_rule *r = &nc->rules[nc->n_rules];
	r->line = st->kw->loc.line;
	r->from_first = nc->n_from;
	r->from6_first = nc->n_from6;
	r->pool_first = b->n_pool;
	if (cfg_expect_keyword(c, "from") || take_from(b, c) || cfg_expect_keyword(c, "to") ||
	    take_pool(b, c, r->line))
		goto fail;
	uint16_t lo = 1024, hi = 65535;
	if (cfg_next_keyword(c, "ports")) {
		const struct cfg_token *t = cfg_peek(c);
		uint64_t l, h;
		if (t && t->kind == CFG_TOK_RANGE) {
			l = t->range.lo;
			h = t->range.hi;
		} else if (t && t->kind == CFG_TOK_NUMBER) {
			l = h = t->num;
		} else {
			cfg_error_at(c, t, "expected a port range N-M, got '%s'", t ? t->text : "end of statement");
			goto fail;
		}
		if (l < 1 || h > 65535) {
			cfg_error_at(c, t, "port range %s out of range 1-65535", t->text);
			goto fail;
		}
		if (l > h) {
			cfg_error_at(c, t, "port range %s is empty (%llu > %llu)", t->text,
				     (unsigned long long)l, (unsigned long long)h);
			goto fail;
		}
		lo = (uint16_t)l;
		hi = (uint16_t)h;
		cfg_take(c);
	}
	if (cfg_expect_end(c))
		goto fail;
	for (uint32_t i = r->pool_first; i < b->n_pool; i++) {
		b->pool_lo[i] = lo;
		b->pool_hi[i] = hi;
	}
	r->from_n = nc->n_from - r->from_first;
	r->from6_n = nc->n_from6 - r->from6_first;
	r->pool_n = b->n_pool - r->pool_first;
	nc->n_rules++;
	return 0;
fail:
	nc->n_from = r->from_first; /* a failed rule leaves nothing behind */
	nc->n_from6 = r->from6_first;
	b->n_pool = r->pool_first;
	return -SYS_EINVAL;
}

/* nat64 [prefix PREFIX]: RFC 6052 lengths, bits 64-71 zero, no bits past
 * the length. */
static int nat64_stmt(struct build *b, struct cfg_cursor *c)
{
	const struct cfg_stmt *st = c->stmt;
	if (b->seen_nat64)
		return cfg_error_at(c, st->kw, "'nat64' given twice (first at line %u)",
				    (unsigned)b->seen_nat64->loc.line);
	static const uint8_t wkp[16] = {0x00, 0x64, 0xff, 0x9b};
	struct cfg_addr a = {.family = CFG_AF_V6, .prefix = 96};
	memcpy(a.a, wkp, 16);
	if (cfg_next_keyword(c, "prefix")) {
		const struct cfg_token *t = cfg_peek(c);
		if (cfg_take_addr(c, "NAT64 prefix (RFC 6052)", false, &a))
			return -SYS_EINVAL;
		if (a.family != CFG_AF_V6)
			return cfg_error_at(c, t, "the NAT64 prefix must be IPv6, '%s' is IPv4", t->text);
		if (!xlate64_prefix_len_ok(a.prefix))
			return cfg_error_at(c, t, "NAT64 prefix length /%u: RFC 6052 allows /32, /40, /48, "
						  "/56, /64 or /96", a.prefix);
		for (unsigned i = a.prefix / 8u; i < 16; i++)
			if (a.a[i])
				return cfg_error_at(c, t, "NAT64 prefix '%s' has bits set past /%u", t->text,
						    a.prefix);
		if (a.prefix == 96 && a.a[8])
			return cfg_error_at(c, t, "NAT64 prefix '%s': bits 64-71 must be zero (RFC 6052 2.2)",
					    t->text);
	}
	if (cfg_expect_end(c))
		return -SYS_EINVAL;
	b->seen_nat64 = st->kw; /* a valid one: another is "given twice" */
	b->nc->nat64 = true;
	xlate64_prefix_set(&b->nc->pref64, a.a, a.prefix);
	return 0;
}

static int statement(struct build *b, const struct cfg_stmt *st)
{
	struct cfg_cursor c;
	cfg_cursor_init(&c, b->cfg, st, b->errs);
	const char *kw = cfg_stmt_keyword(st);
	if (strcmp(kw, "snat") == 0)
		return snat_stmt(b, &c);
	if (strcmp(kw, "timeout") == 0)
		return nf_timeout_stmt(&c, tmo_names, NAT_TMO_COUNT, b->seen_tmo, NAT_TMO_MAX,
				       b->nc->tmo_sec);
	if (strcmp(kw, "ipv6") == 0)
		return nf_pass_drop_stmt(&c, &b->seen_ipv6, "IPv6 policy", &b->nc->ipv6_pass);
	if (strcmp(kw, "mapping") == 0) {
		static const char *const words[] = {"endpoint-independent", "address-port-dependent",
						    NULL};
		unsigned i = 2; /* set once the word is taken */
		int rc = nf_choice_stmt(&c, &b->seen_mapping, "mapping behaviour", words, &i);
		if (i < 2)
			b->nc->mapping_apdm = i == 1;
		return rc;
	}
	if (strcmp(kw, "nat64") == 0)
		return nat64_stmt(b, &c);
	if (strcmp(kw, "unreachable") == 0) {
		static const char *const words[] = {"off", "on", NULL};
		unsigned i = 2; /* set once the word is taken */
		int rc = nf_choice_stmt(&c, &b->seen_unreach, "unreachable answers", words, &i);
		if (i < 2)
			b->nc->unreachable = i == 1;
		return rc;
	}
	if (strcmp(kw, "non-ip") == 0)
		return nf_pass_drop_stmt(&c, &b->seen_nonip, "non-IP policy",
				      &b->nc->non_ip_pass);
	return cfg_unknown_statement(&c);
}

/* inside/outside: the ports so named, else 0 and 1. */
static void pick_ports(struct nat_conf *nc, const struct cfg *cfg, struct cfg_errors *errs)
{
	int in = cfg_port_by_name(cfg, "inside"), out = cfg_port_by_name(cfg, "outside");
	nc->in_port = (uint16_t)(in >= 0 ? in : 0);
	nc->out_port = (uint16_t)(out >= 0 ? out : 1);
	if (nc->in_port == nc->out_port)
		cfg_errorf(errs, NULL, "the inside and the outside are both port %u; name two ports "
				       "'inside' and 'outside'", nc->in_port);
	const char *n = cfg_port_name(cfg, nc->in_port);
	snprintf(nc->in_name, sizeof(nc->in_name), "%s", n ? n : "inside");
	n = cfg_port_name(cfg, nc->out_port);
	snprintf(nc->out_name, sizeof(nc->out_name), "%s", n ? n : "outside");
}

int nat_conf_compile(const struct cfg *cfg, struct cfg_errors *errs, struct nat_conf **out)
{
	*out = NULL;
	struct nat_conf *nc = sys_alloc(sizeof(*nc), SYS_CACHE_LINE);
	struct build *b = sys_alloc(sizeof(*b), 8);
	if (!nc || !b) {
		sys_free(nc);
		sys_free(b);
		cfg_errorf(errs, NULL, "out of memory");
		return -SYS_ENOMEM;
	}
	*b = (struct build){.cfg = cfg, .errs = errs, .nc = nc};
	nc->non_ip_pass = true;
	nc->mapping_apdm = NAT_MAPPING_DEFAULT_APDM;
	memcpy(nc->tmo_sec, nat_tmo_default, sizeof(nc->tmo_sec));
	unsigned before = errs->count;
	for (uint32_t i = 0; i < cfg_stmt_count(cfg) && !b->nomem; i++)
		statement(b, cfg_stmt_at(cfg, i));
	pick_ports(nc, cfg, errs);
	if (b->first_v6_from && !nc->nat64)
		cfg_errorf(errs, &b->first_v6_from->loc,
			   "snat translates IPv4 only, '%s' is IPv6 (IPv6 sources need a 'nat64' statement)",
			   b->first_v6_text);
	for (unsigned i = 0; i < NAT_TMO_COUNT; i++)
		nc->tmo_ticks[i] = ft_timeout_ticks((uint64_t)nc->tmo_sec[i] * 1000000000ull);
	if (errs->count == before) {
		nc->pool = nat_pool_create(b->pool_addr, b->pool_lo, b->pool_hi, b->n_pool);
		if (!nc->pool)
			nomem(b);
	}
	bool failed = errs->count != before, oom = b->nomem;
	sys_free(b);
	if (failed) {
		nat_conf_free(nc);
		return oom ? -SYS_ENOMEM : -SYS_EINVAL;
	}
	*out = nc;
	return 0;
}

void nat_conf_free(struct nat_conf *nc)
{
	if (!nc)
		return;
	nat_pool_free(nc->pool);
	sys_free(nc->from);
	sys_free(nc->from6);
	sys_free(nc);
}

int32_t nat_conf_match(const struct nat_conf *nc, uint32_t src)
{
	uint32_t h = sys_be32(src);
	for (uint32_t r = 0; r < nc->n_rules; r++) {
		const struct nat_rule *rule = &nc->rules[r];
		for (uint32_t i = 0; i < rule->from_n; i++) {
			const struct nat_prefix *p = &nc->from[rule->from_first + i];
			if ((h & p->mask) == p->addr)
				return (int32_t)r;
		}
	}
	return -1;
}

static bool in_prefix6(const struct nat_prefix6 *p, const uint8_t a[16])
{
	unsigned full = p->len / 8u, rest = p->len % 8u;
	if (memcmp(p->addr, a, full))
		return false;
	return !rest || (a[full] & (0xff00u >> rest)) == p->addr[full];
}

int32_t nat_conf_match6(const struct nat_conf *nc, const uint8_t src[16])
{
	for (uint32_t r = 0; r < nc->n_rules; r++) {
		const struct nat_rule *rule = &nc->rules[r];
		for (uint32_t i = 0; i < rule->from6_n; i++)
			if (in_prefix6(&nc->from6[rule->from6_first + i], src))
				return (int32_t)r;
	}
	return -1;
}
