/* SPDX-License-Identifier: MIT */
/*
 * fw_rules.c - the firewall's config statements, compiled into a rule set.
 *
 *   default accept|drop|reject [log]      what no rule matched gets (drop)
 *   stateful on|off                       track flows (on)
 *   timeout NAME SECONDS [NAME SECONDS]... idle timeouts, see fw_tmo_names
 *   non-ip accept|drop                    ARP and other non-IP frames (accept)
 *   tcp-window strict|sloppy              TCP sequence-window checks (strict)
 *   ACTION MATCH... [log]                 a rule; ACTION accept|drop|reject
 *
 * MATCH is one of (each at most once per rule, in any order):
 *   from PORT   ip   ip6   proto NAME|N|{ NAME|N ... }
 *   src ADDRSPEC   dst ADDRSPEC   sport PORTSPEC   dport PORTSPEC
 *   flags FLAGS   (syn !ack ... | pf's S/SA)
 *
 * Every mistake is reported at its token as FILE:LINE:COL, one per
 * statement (the cursor stops at the first), and the config is rejected
 * whole.  The kinds this file adds to the framework's (unknown keyword, bad
 * address or CIDR, unknown or empty set, bad port number or range,
 * duplicate port name, unknown port, ...) are listed in
 * tests/unit/test_firewall_config.c, which checks each message.
 */
#include "nf/firewall/fw_rules.h"

#include "dataplane/flowtable.h"

#include "nf/firewall/fw_cls.h"
#include "nf/firewall/fw_set.h"

/* RFC 5382 (TCP: 2 h 4 min established, 4 min transitory), RFC 4787 (UDP:
 * 5 min), RFC 5508 (ICMP: 60 s); 30 s for fragments as Linux's ipfrag_time;
 * 10 s after a RST or the closing handshake, to let retransmissions pass. */
const uint32_t fw_tmo_default[FW_TMO_COUNT] = {
	[FW_TMO_TCP_EST] = 7440, [FW_TMO_TCP_TRANS] = 240, [FW_TMO_TCP_CLOSED] = 10,
	[FW_TMO_UDP] = 300,      [FW_TMO_ICMP] = 60,       [FW_TMO_OTHER] = 600,
	[FW_TMO_FRAG] = 30,
};

static const char *const fw_tmo_names[FW_TMO_COUNT + 1] = {
	[FW_TMO_TCP_EST] = "tcp-established", [FW_TMO_TCP_TRANS] = "tcp-transitory",
	[FW_TMO_TCP_CLOSED] = "tcp-closed",   [FW_TMO_UDP] = "udp",
	[FW_TMO_ICMP] = "icmp",               [FW_TMO_OTHER] = "other",
	[FW_TMO_FRAG] = "fragment",           [FW_TMO_COUNT] = NULL,
};

/* Longest accepted timeout: the flow table clamps deadlines at 2^30 ticks
 * (about 13 days); 10^6 s stays below. */
#define FW_TMO_MAX 1000000u

static const struct cfg_name_value fw_protos[] = {
	{"icmp", 1},  {"igmp", 2},   {"tcp", 6},        {"udp", 17},
	{"gre", 47},  {"esp", 50},   {"ah", 51},        {"icmp6", 58},
	{"ipv6-icmp", 58}, {"icmpv6", 58}, {"ospf", 89}, {"pim", 103},
	{"vrrp", 112}, {"sctp", 132}, {"udplite", 136}, {NULL, 0},
};

static const char *const fw_actions[] = {"accept", "drop", "reject", NULL};

const char *fw_action_name(unsigned action)
{
	return action < 3 ? fw_actions[action] : "?";
}

/* ---- memory owned by a rule set ------------------------------------------- */
struct fw_chunk {
	struct fw_chunk *next;
	uint64_t pad; /* keeps the payload 16-byte aligned */
};

void *fw_rules_alloc(struct fw_rules *rs, size_t size)
{
	struct fw_chunk *c = sys_alloc(sizeof(*c) + size, 16);
	if (!c)
		return NULL;
	c->next = rs->mem;
	rs->mem = c;
	return c + 1;
}

void fw_rules_free(struct fw_rules *rs)
{
	if (!rs)
		return;
	fw_cls_free(rs->cls);
	for (uint32_t i = 0; i < rs->n_sets; i++)
		fw_set_free(rs->sets[i]);
	sys_free(rs->sets);
	sys_free(rs->set_names);
	sys_free(rs->rules);
	sys_free(rs->ctr);
	for (struct fw_chunk *c = rs->mem; c;) {
		struct fw_chunk *next = c->next;
		sys_free(c);
		c = next;
	}
	sys_free(rs);
}

/* ---- compiling ------------------------------------------------------------- */
struct build {
	const struct cfg *cfg;
	struct cfg_errors *errs;
	struct fw_rules *rs;
	uint32_t cap_rules;
	const struct cfg_set **set_src; /* cfg sets behind rs->sets */
	uint32_t cap_sets;
	bool nomem;
	/* statements seen once only, for "given twice" errors */
	const struct cfg_token *seen_default, *seen_stateful, *seen_nonip, *seen_tcpwin;
	const struct cfg_token *seen_tmo[FW_TMO_COUNT];
};

static bool grow(void **vec, uint32_t *cap, uint32_t need, size_t elem)
{
	if (need <= *cap)
		return true;
	uint32_t n = *cap ? *cap * 2 : 16;
	while (n < need)
		n *= 2;
	void *v = sys_alloc((size_t)n * elem, 16);
	if (!v)
		return false;
	if (*vec)
		memcpy(v, *vec, (size_t)*cap * elem);
	sys_free(*vec);
	*vec = v;
	*cap = n;
	return true;
}

static int nomem(struct build *b, const struct cfg_token *at)
{
	b->nomem = true;
	return cfg_errorf(b->errs, at ? &at->loc : NULL, "out of memory");
}

static bool resize(void **vec, uint32_t old_n, uint32_t new_n, size_t elem)
{
	void *v = sys_alloc((size_t)new_n * elem, 16);
	if (!v)
		return false;
	if (*vec)
		memcpy(v, *vec, (size_t)old_n * elem);
	sys_free(*vec);
	*vec = v;
	return true;
}

/* The rule set's index of a config set, compiling it on first use. */
static int use_set(struct build *b, struct cfg_cursor *c, const struct cfg_token *at,
		   const struct cfg_set *cs, uint32_t *idx)
{
	struct fw_rules *rs = b->rs;
	for (uint32_t i = 0; i < rs->n_sets; i++) {
		if (b->set_src[i] == cs) {
			*idx = i;
			return 0;
		}
	}
	if (rs->n_sets == b->cap_sets) {
		uint32_t n = b->cap_sets ? b->cap_sets * 2 : 8;
		if (!resize((void **)&rs->sets, rs->n_sets, n, sizeof(*rs->sets)) ||
		    !resize((void **)&rs->set_names, rs->n_sets, n, sizeof(*rs->set_names)) ||
		    !resize((void **)&b->set_src, rs->n_sets, n, sizeof(*b->set_src))) {
			c->failed = true;
			return nomem(b, at);
		}
		b->cap_sets = n;
	}
	struct fw_set *s = fw_set_build(cs);
	size_t len = strlen(cs->name) + 1;
	char *name = fw_rules_alloc(rs, len);
	if (!s || !name) {
		fw_set_free(s);
		c->failed = true;
		return nomem(b, at);
	}
	memcpy(name, cs->name, len);
	rs->sets[rs->n_sets] = s;
	rs->set_names[rs->n_sets] = name;
	b->set_src[rs->n_sets] = cs;
	*idx = rs->n_sets++;
	return 0;
}

static uint8_t fams_of(bool v4, bool v6)
{
	return (uint8_t)((v4 ? FW_FAM_V4 : 0) | (v6 ? FW_FAM_V6 : 0));
}

static int take_addr(struct build *b, struct cfg_cursor *c, const char *what,
		     struct fw_addr_match *m)
{
	const struct cfg_token *at = cfg_peek(c);
	struct cfg_addr_spec s;
	if (cfg_take_addr_spec(c, what, &s))
		return -SYS_EINVAL;
	memset(m, 0, sizeof(*m));
	m->negate = s.negate;
	m->fams = fams_of(s.has_v4, s.has_v6);
	switch (s.kind) {
	case CFG_ADDR_ANY:
		m->kind = FW_ADDR_ANY;
		break;
	case CFG_ADDR_ONE:
	case CFG_ADDR_LIST:
		m->kind = FW_ADDR_LIST;
		m->n = s.kind == CFG_ADDR_ONE ? 1 : s.n;
		m->pfx = fw_rules_alloc(b->rs, (size_t)m->n * sizeof(*m->pfx));
		if (!m->pfx) {
			c->failed = true;
			return nomem(b, at);
		}
		for (uint32_t i = 0; i < m->n; i++) {
			const struct cfg_addr *a = s.kind == CFG_ADDR_ONE ? &s.one
									  : cfg_addr_spec_item(&s, i);
			m->pfx[i].family = a->family;
			m->pfx[i].len = a->prefix;
			memcpy(m->pfx[i].a, a->a, 16);
		}
		break;
	case CFG_ADDR_SET:
		m->kind = FW_ADDR_SET;
		if (use_set(b, c, at, s.set, &m->set_idx))
			return -SYS_EINVAL;
		m->set = b->rs->sets[m->set_idx];
		break;
	}
	return 0;
}

static int take_ports(struct build *b, struct cfg_cursor *c, const char *what,
		      struct fw_port_match *m)
{
	const struct cfg_token *at = cfg_peek(c);
	struct cfg_port_spec s;
	if (cfg_take_port_spec(c, what, &s))
		return -SYS_EINVAL;
	m->any = false;
	m->negate = s.negate;
	m->n = (uint16_t)s.n;
	m->r = fw_rules_alloc(b->rs, (size_t)s.n * sizeof(*m->r));
	if (!m->r) {
		c->failed = true;
		return nomem(b, at);
	}
	for (uint32_t i = 0; i < s.n; i++)
		m->r[i] = (struct fw_range16){s.r[i].lo, s.r[i].hi};
	return 0;
}

static int take_proto(struct cfg_cursor *c, struct fw_rule *r)
{
	const struct cfg_token *t = cfg_peek(c);
	uint32_t v;
	r->any_proto = false;
	memset(r->proto, 0, sizeof(r->proto));
	if (!t || t->kind != CFG_TOK_LBRACE) {
		if (cfg_take_name_or_number(c, "protocol", fw_protos, 255, &v))
			return -SYS_EINVAL;
		r->proto[v >> 6] |= 1ull << (v & 63);
		return 0;
	}
	cfg_take(c);
	unsigned n = 0;
	for (;;) {
		t = cfg_peek(c);
		if (t && t->kind == CFG_TOK_RBRACE)
			break;
		if (cfg_take_name_or_number(c, "protocol", fw_protos, 255, &v))
			return -SYS_EINVAL;
		r->proto[v >> 6] |= 1ull << (v & 63);
		n++;
	}
	cfg_take(c);
	return n ? 0 : cfg_error_at(c, t, "empty protocol list");
}

static bool has_proto(const struct fw_rule *r, unsigned p)
{
	return r->any_proto || ((r->proto[p >> 6] >> (p & 63)) & 1);
}

/* True if the rule's protocols are all among the `n` given. */
static bool protos_within(const struct fw_rule *r, const unsigned *ok, unsigned n)
{
	if (r->any_proto)
		return false;
	for (unsigned p = 0; p < 256; p++) {
		if (!((r->proto[p >> 6] >> (p & 63)) & 1))
			continue;
		bool fine = false;
		for (unsigned i = 0; i < n; i++)
			fine |= ok[i] == p;
		if (!fine)
			return false;
	}
	return true;
}

static const struct {
	const char *name;
	char letter;
	uint8_t bit;
} fw_tcp_flags[] = {
	{"fin", 'F', 0x01}, {"syn", 'S', 0x02}, {"rst", 'R', 0x04}, {"psh", 'P', 0x08},
	{"ack", 'A', 0x10}, {"urg", 'U', 0x20}, {"ece", 'E', 0x40}, {"cwr", 'W', 0x80},
};

static int flag_by_name(const char *s)
{
	for (unsigned i = 0; i < SYS_ARRAY_SIZE(fw_tcp_flags); i++)
		if (strcmp(fw_tcp_flags[i].name, s) == 0)
			return fw_tcp_flags[i].bit;
	return -1;
}

/* pf's letters: "S/SA" = of S and A, only S set; "S" alone = S set. */
static bool flags_pf(const char *s, uint8_t *want, uint8_t *mask)
{
	uint8_t w = 0, m = 0, *cur = &w;
	bool slash = false;
	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s == '/') {
			if (slash)
				return false;
			slash = true;
			cur = &m;
			continue;
		}
		unsigned i;
		for (i = 0; i < SYS_ARRAY_SIZE(fw_tcp_flags); i++)
			if (fw_tcp_flags[i].letter == *s)
				break;
		if (i == SYS_ARRAY_SIZE(fw_tcp_flags))
			return false;
		*cur |= fw_tcp_flags[i].bit;
	}
	*want = w;
	*mask = slash ? m : w;
	return true;
}

static int take_flags(struct cfg_cursor *c, struct fw_rule *r)
{
	const struct cfg_token *t = cfg_peek(c);
	uint8_t want = 0, mask = 0;
	if (t && t->kind == CFG_TOK_WORD && flag_by_name(t->text) < 0 && flags_pf(t->text, &want, &mask)) {
		cfg_take(c);
		if (want & ~mask)
			return cfg_error_at(c, t, "flags %s can never match: a flag that must be set is "
						  "outside the mask", t->text);
		r->flags_want = want;
		r->flags_mask = mask;
		return 0;
	}
	unsigned n = 0;
	for (;;) {
		t = cfg_peek(c);
		bool neg = t && t->kind == CFG_TOK_BANG;
		const struct cfg_token *name = neg && c->pos + 1 < c->stmt->n_tok ? &c->stmt->tok[c->pos + 1] : t;
		int bit = name && name->kind == CFG_TOK_WORD ? flag_by_name(name->text) : -1;
		if (bit < 0) {
			if (n && !neg)
				break; /* the next match of the rule */
			if (name && name->kind == CFG_TOK_WORD)
				return cfg_error_at(c, name, "unknown TCP flag '%s' (fin syn rst psh ack urg ece cwr, "
							     "or pf's letters like S/SA)", name->text);
			return cfg_error_at(c, name, "expected a TCP flag (fin syn rst psh ack urg ece cwr, "
						     "optionally after '!', or pf's letters like S/SA)");
		}
		if ((mask | want) & bit)
			return cfg_error_at(c, name, "TCP flag '%s' given twice", name->text);
		mask |= (uint8_t)bit;
		if (!neg)
			want |= (uint8_t)bit;
		c->pos += neg ? 2u : 1u;
		n++;
	}
	r->flags_want = want;
	r->flags_mask = mask;
	return 0;
}

enum {
	M_FROM, M_FAMILY, M_PROTO, M_SRC, M_DST, M_SPORT, M_DPORT, M_FLAGS, M_LOG, M_COUNT
};

static const char *fam_text(uint8_t f)
{
	return f == FW_FAM_V4 ? "IPv4 only" : f == FW_FAM_V6 ? "IPv6 only" : "IPv4 and IPv6";
}

/* Narrow the rule's families by one match; an empty result is a rule that
 * can never match, reported at the match that emptied it. */
static int narrow(struct cfg_cursor *c, const struct cfg_token *at, uint8_t *fams, uint8_t m,
		  const char *what)
{
	if (!at || (*fams & m))
		goto ok;
	return cfg_error_at(c, at, "%s is %s but the rest of the rule is %s: it can never match",
			    what, fam_text(m), fam_text(*fams));
ok:
	*fams &= m;
	return 0;
}

struct fam_step {
	const struct cfg_token *tok;
	uint8_t fams;
	const char *what;
};

static int rule_stmt(struct build *b, struct cfg_cursor *c, unsigned action)
{
	const struct cfg_stmt *st = c->stmt;
	struct fw_rules *rs = b->rs;
	struct fw_rule r;
	memset(&r, 0, sizeof(r));
	r.action = (uint8_t)action;
	r.in_port = FW_NO_PORT;
	r.any_proto = true;
	r.fams = FW_FAM_ANY;
	r.src.kind = r.dst.kind = FW_ADDR_ANY;
	r.src.fams = r.dst.fams = FW_FAM_ANY;
	r.sport.any = r.dport.any = true;
	snprintf(r.where, sizeof(r.where), "%s:%u", st->kw->loc.file, (unsigned)st->kw->loc.line);
	const struct cfg_token *at[M_COUNT] = {0};
	uint8_t fam_kw = FW_FAM_ANY;

	if (rs->n_rules >= FW_RULES_MAX)
		return cfg_error_at(c, st->kw, "too many rules (limit %u)", FW_RULES_MAX);
	static const char *const words[M_COUNT] = {"from", "ip", "proto", "src", "dst",
						    "sport", "dport", "flags", "log"};
	while (!cfg_at_end(c)) {
		const struct cfg_token *t = cfg_peek(c);
		int m = -1;
		if (t->kind == CFG_TOK_WORD) {
			for (int i = 0; i < M_COUNT; i++)
				if (strcmp(t->text, words[i]) == 0)
					m = i;
			if (strcmp(t->text, "ip6") == 0)
				m = M_FAMILY;
		}
		if (m < 0) {
			char d[80];
			snprintf(d, sizeof(d), "%s", t->text ? t->text : "?");
			return cfg_error_at(c, t, "unknown match '%s' in a rule (expected from, ip, ip6, "
						  "proto, src, dst, sport, dport, flags or log)", d);
		}
		if (at[m]) {
			if (m == M_FAMILY)
				return cfg_error_at(c, t, "'%s' after '%s': a rule is IPv4 or IPv6, "
							  "or both when neither is given", t->text, at[m]->text);
			return cfg_error_at(c, t, "'%s' given twice in one rule", t->text);
		}
		at[m] = t;
		cfg_take(c);
		switch (m) {
		case M_FROM: {
			unsigned port;
			if (cfg_take_port_ref(c, "port name or number", &port) == 0)
				r.in_port = (uint8_t)port;
			break;
		}
		case M_FAMILY:
			fam_kw = strcmp(t->text, "ip") == 0 ? FW_FAM_V4 : FW_FAM_V6;
			break;
		case M_PROTO:
			take_proto(c, &r);
			break;
		case M_SRC:
			take_addr(b, c, "source address", &r.src);
			break;
		case M_DST:
			take_addr(b, c, "destination address", &r.dst);
			break;
		case M_SPORT:
			take_ports(b, c, "source port", &r.sport);
			break;
		case M_DPORT:
			take_ports(b, c, "destination port", &r.dport);
			break;
		case M_FLAGS:
			take_flags(c, &r);
			break;
		case M_LOG:
			r.log = true;
			break;
		}
	}
	if (cfg_expect_end(c))
		return -SYS_EINVAL;

	/* Ports and flags exist only in the headers that have them: without
	 * a protocol they imply one (tcp or udp; tcp), with another they are
	 * a mistake. */
	static const unsigned tcp_udp[] = {6, 17}, tcp_only[] = {6};
	if (at[M_FLAGS] && r.any_proto) {
		r.any_proto = false;
		r.proto[0] = 1ull << 6;
	}
	if ((at[M_SPORT] || at[M_DPORT]) && r.any_proto) {
		r.any_proto = false;
		r.proto[0] = (1ull << 6) | (1ull << 17);
	}
	for (int m = M_SPORT; m <= M_DPORT; m++)
		if (at[m] && !protos_within(&r, tcp_udp, 2))
			return cfg_error_at(c, at[m], "'%s' applies to tcp and udp only, not to the rule's "
						      "protocol", at[m]->text);
	if (at[M_FLAGS] && !protos_within(&r, tcp_only, 1))
		return cfg_error_at(c, at[M_FLAGS], "'flags' applies to tcp only, not to the rule's "
						    "protocol");

	/* Families, narrowed in the order the matches are written. */
	uint8_t fams = FW_FAM_ANY;
	uint8_t proto_fams = FW_FAM_ANY;
	if (!r.any_proto) {
		/* icmp is IPv4's, icmp6 IPv6's; a list may hold both. */
		bool other = false;
		for (unsigned p = 0; p < 256; p++)
			if (p != 1 && p != 58 && has_proto(&r, p))
				other = true;
		if (!other)
			proto_fams = fams_of(has_proto(&r, 1), has_proto(&r, 58));
	}
	struct fam_step order[4] = {
		{at[M_FAMILY], fam_kw, at[M_FAMILY] ? at[M_FAMILY]->text : ""},
		{at[M_PROTO], proto_fams, "the protocol (icmp is IPv4's, icmp6 IPv6's)"},
		{at[M_SRC], r.src.fams, "the source"},
		{at[M_DST], r.dst.fams, "the destination"},
	};
	/* In statement order: tokens sit in one array, so addresses compare
	 * as positions; absent matches (NULL) narrow nothing and go last. */
	for (int i = 0; i < 4; i++)
		for (int j = i + 1; j < 4; j++)
			if (order[j].tok && (!order[i].tok || order[j].tok < order[i].tok)) {
				struct fam_step tmp = order[i];
				order[i] = order[j];
				order[j] = tmp;
			}
	for (int i = 0; i < 4; i++)
		if (narrow(c, order[i].tok, &fams, order[i].fams, order[i].what))
			return -SYS_EINVAL;
	r.fams = fams;

	if (!grow((void **)&rs->rules, &b->cap_rules, rs->n_rules + 1, sizeof(r)))
		return nomem(b, st->kw);
	rs->rules[rs->n_rules++] = r;
	return 0;
}

static int default_stmt(struct build *b, struct cfg_cursor *c)
{
	if (b->seen_default)
		return cfg_error_at(c, c->stmt->kw, "'default' given twice (first at line %u)",
				    (unsigned)b->seen_default->loc.line);
	b->seen_default = c->stmt->kw;
	unsigned a;
	if (cfg_take_one_of(c, "default action", fw_actions, &a))
		return -SYS_EINVAL;
	bool log = cfg_next_keyword(c, "log");
	if (cfg_expect_end(c))
		return -SYS_EINVAL;
	b->rs->def_action = (uint8_t)a;
	b->rs->def_log = log;
	return 0;
}

static int onoff_stmt(struct cfg_cursor *c, const struct cfg_token **seen, const char *const *words,
		      const char *what, bool *out)
{
	if (*seen)
		return cfg_error_at(c, c->stmt->kw, "'%s' given twice (first at line %u)",
				    c->stmt->kw->text, (unsigned)(*seen)->loc.line);
	*seen = c->stmt->kw;
	unsigned v;
	if (cfg_take_one_of(c, what, words, &v) || cfg_expect_end(c))
		return -SYS_EINVAL;
	*out = v == 0;
	return 0;
}

static int timeout_stmt(struct build *b, struct cfg_cursor *c)
{
	if (cfg_at_end(c))
		return cfg_error_at(c, NULL, "expected a timeout name (%s, %s, %s, %s, %s, %s or %s)",
				    fw_tmo_names[0], fw_tmo_names[1], fw_tmo_names[2], fw_tmo_names[3],
				    fw_tmo_names[4], fw_tmo_names[5], fw_tmo_names[6]);
	while (!cfg_at_end(c)) {
		const struct cfg_token *t = cfg_peek(c);
		unsigned which;
		uint32_t secs;
		if (cfg_take_one_of(c, "timeout name", fw_tmo_names, &which))
			return -SYS_EINVAL;
		if (b->seen_tmo[which])
			return cfg_error_at(c, t, "timeout '%s' given twice (first at line %u)", t->text,
					    (unsigned)b->seen_tmo[which]->loc.line);
		b->seen_tmo[which] = t;
		if (cfg_take_u32(c, 1, FW_TMO_MAX, "timeout in seconds", &secs))
			return -SYS_EINVAL;
		b->rs->tmo_sec[which] = secs;
	}
	return cfg_expect_end(c);
}

static int statement(struct build *b, const struct cfg_stmt *st)
{
	struct cfg_cursor c;
	cfg_cursor_init(&c, b->cfg, st, b->errs);
	const char *kw = cfg_stmt_keyword(st);
	static const char *const onoff[] = {"on", "off", NULL};
	static const char *const acc_drop[] = {"accept", "drop", NULL};
	static const char *const strict_sloppy[] = {"strict", "sloppy", NULL};
	for (unsigned a = 0; fw_actions[a]; a++)
		if (strcmp(kw, fw_actions[a]) == 0)
			return rule_stmt(b, &c, a);
	if (strcmp(kw, "default") == 0)
		return default_stmt(b, &c);
	if (strcmp(kw, "stateful") == 0)
		return onoff_stmt(&c, &b->seen_stateful, onoff, "stateful setting", &b->rs->stateful);
	if (strcmp(kw, "non-ip") == 0)
		return onoff_stmt(&c, &b->seen_nonip, acc_drop, "action for non-IP frames",
				  &b->rs->non_ip_accept);
	if (strcmp(kw, "tcp-window") == 0) {
		bool strict = !b->rs->tcp_sloppy;
		int rc = onoff_stmt(&c, &b->seen_tcpwin, strict_sloppy, "tcp-window mode", &strict);
		b->rs->tcp_sloppy = !strict;
		return rc;
	}
	if (strcmp(kw, "timeout") == 0)
		return timeout_stmt(b, &c);
	return cfg_unknown_statement(&c);
}

int fw_rules_compile(const struct cfg *cfg, struct cfg_errors *errs, struct fw_rules **out)
{
	*out = NULL;
	struct fw_rules *rs = sys_alloc(sizeof(*rs), SYS_CACHE_LINE);
	if (!rs) {
		cfg_errorf(errs, NULL, "out of memory");
		return -SYS_ENOMEM;
	}
	rs->def_action = FW_ACT_DROP;
	rs->stateful = true;
	rs->non_ip_accept = true;
	memcpy(rs->tmo_sec, fw_tmo_default, sizeof(rs->tmo_sec));
	struct build b = {.cfg = cfg, .errs = errs, .rs = rs};
	unsigned before = errs->count;
	for (uint32_t i = 0; i < cfg_stmt_count(cfg) && !b.nomem; i++)
		statement(&b, cfg_stmt_at(cfg, i));
	for (unsigned i = 0; i < CFG_PORT_MAX; i++) {
		const char *n = cfg_port_name(cfg, i);
		if (n)
			snprintf(rs->port_name[i], sizeof(rs->port_name[i]), "%s", n);
		else
			snprintf(rs->port_name[i], sizeof(rs->port_name[i]), "port%u", i);
	}
	for (unsigned i = 0; i < FW_TMO_COUNT; i++)
		rs->tmo_ticks[i] = ft_timeout_ticks((uint64_t)rs->tmo_sec[i] * 1000000000ull);
	rs->ctr = sys_alloc(((size_t)rs->n_rules + 1) * sizeof(*rs->ctr), SYS_CACHE_LINE);
	if (!rs->ctr && !b.nomem)
		nomem(&b, NULL);
	sys_free(b.set_src);
	if (errs->count != before) {
		fw_rules_free(rs);
		return b.nomem ? -SYS_ENOMEM : -SYS_EINVAL;
	}
	*out = rs;
	return 0;
}
