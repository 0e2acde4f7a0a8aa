/* SPDX-License-Identifier: MIT */
/* flows_match.c - parse and evaluate `nfbox flows --match` (flows_match.h). */
#define _GNU_SOURCE
#include "tools/flows_match.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { M_SRC, M_DST, M_HOST, M_SPORT, M_DPORT, M_PORT, M_PROTO, M_STATE, M_V4, M_V6 };

static const struct {
	const char *word;
	unsigned kind;
} prims[] = {
	{"src", M_SRC},     {"dst", M_DST},     {"host", M_HOST},   {"sport", M_SPORT},
	{"dport", M_DPORT}, {"port", M_PORT},   {"proto", M_PROTO}, {"state", M_STATE},
	{"ipv4", M_V4},     {"ipv6", M_V6},
};

static const struct {
	const char *name;
	uint8_t num;
} protos[] = {{"tcp", 6}, {"udp", 17}, {"icmp", 1}, {"icmp6", 58}, {"sctp", 132}};

/* The words of the expression, each with its column. */
struct lexer {
	const char *s;
	size_t at;        /* where the next word is looked for */
	char word[80];
	size_t col;       /* of `word`, from 1; past the end when there is none */
};

static bool next_word(struct lexer *lx)
{
	while (lx->s[lx->at] == ' ' || lx->s[lx->at] == '\t')
		lx->at++;
	lx->col = lx->at + 1;
	size_t n = strcspn(lx->s + lx->at, " \t");
	if (!n) {
		lx->word[0] = '\0';
		return false;
	}
	snprintf(lx->word, sizeof(lx->word), "%.*s", (int)n, lx->s + lx->at);
	lx->at += n;
	return true;
}

static int fail(const struct lexer *lx, char *err, size_t n, const char *want)
{
	if (lx->word[0])
		snprintf(err, n, "column %zu: %s, not '%s'", lx->col, want, lx->word);
	else
		snprintf(err, n, "column %zu: %s at the end", lx->col, want);
	return -1;
}

static bool parse_net(const char *w, struct flows_match_term *t)
{
	char a[64];
	const char *slash = strchr(w, '/');
	size_t al = slash ? (size_t)(slash - w) : strlen(w);
	if (!al || al >= sizeof(a))
		return false;
	memcpy(a, w, al);
	a[al] = '\0';
	memset(&t->addr, 0, sizeof(t->addr));
	if (inet_pton(AF_INET, a, &t->addr.v4) == 1)
		t->family = FLOW_FAMILY_V4;
	else if (inet_pton(AF_INET6, a, t->addr.v6) == 1)
		t->family = FLOW_FAMILY_V6;
	else
		return false;
	unsigned max = t->family == FLOW_FAMILY_V4 ? 32 : 128;
	t->plen = (uint8_t)max;
	if (slash) {
		char *end;
		unsigned long l = strtoul(slash + 1, &end, 10);
		if (!slash[1] || *end || l > max)
			return false;
		t->plen = (uint8_t)l;
	}
	return true;
}

static bool parse_port(const char *w, unsigned long *v, char **end)
{
	if (*w < '0' || *w > '9')
		return false;
	*v = strtoul(w, end, 10);
	return *v <= 65535;
}

static bool parse_ports(const char *w, struct flows_match_term *t)
{
	unsigned long lo, hi;
	char *end;
	if (!parse_port(w, &lo, &end))
		return false;
	hi = lo;
	if (*end == '-' && !parse_port(end + 1, &hi, &end))
		return false;
	if (*end || hi < lo)
		return false;
	t->lo = (uint16_t)lo;
	t->hi = (uint16_t)hi;
	return true;
}

static bool parse_proto(const char *w, struct flows_match_term *t)
{
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (strcasecmp(w, protos[i].name) == 0) {
			t->proto = protos[i].num;
			return true;
		}
	unsigned long v;
	char *end;
	if (!parse_port(w, &v, &end) || *end || v > 255)
		return false;
	t->proto = (uint8_t)v;
	return true;
}

/* The operand of term t (its primitive's word just read). */
static int parse_operand(struct lexer *lx, struct flows_match_term *t, const char *prim, char *err,
			 size_t n)
{
	char want[96];
	if (t->kind == M_V4 || t->kind == M_V6)
		return 0;
	bool got = next_word(lx);
	switch (t->kind) {
	case M_SRC: case M_DST: case M_HOST:
		if (got && parse_net(lx->word, t))
			return 0;
		snprintf(want, sizeof(want), "want an address or ADDR/LEN after '%s'", prim);
		break;
	case M_SPORT: case M_DPORT: case M_PORT:
		if (got && parse_ports(lx->word, t))
			return 0;
		snprintf(want, sizeof(want), "want a port 0-65535 or a range N-M after '%s'", prim);
		break;
	case M_PROTO:
		if (got && parse_proto(lx->word, t))
			return 0;
		snprintf(want, sizeof(want), "want tcp, udp, icmp, icmp6, sctp or 0-255 after 'proto'");
		break;
	default: /* M_STATE */
		if (got && strlen(lx->word) < sizeof(t->state)) {
			for (size_t i = 0; lx->word[i]; i++)
				t->state[i] = (char)(lx->word[i] | 0x20);
			return 0;
		}
		snprintf(want, sizeof(want), "want a state (established, syn_sent, replied, ...) after 'state'");
		break;
	}
	return fail(lx, err, n, want);
}

int flows_match_parse(const char *expr, struct flows_match *m, char *err, size_t n)
{
	struct lexer lx = {.s = expr, .at = 0};
	memset(m, 0, sizeof(*m));
	if (!next_word(&lx))
		return fail(&lx, err, n, "want a term (src, dst, host, sport, dport, port, proto, state, ipv4, ipv6)");
	for (;;) {
		if (m->n == FLOWS_MATCH_TERMS)
			return fail(&lx, err, n, "at most 16 terms");
		struct flows_match_term *t = &m->t[m->n];
		if (strcasecmp(lx.word, "not") == 0) {
			t->neg = true;
			next_word(&lx);
		}
		size_t i = 0;
		while (i < sizeof(prims) / sizeof(prims[0]) && strcasecmp(lx.word, prims[i].word))
			i++;
		if (i == sizeof(prims) / sizeof(prims[0]))
			return fail(&lx, err, n, "want src, dst, host, sport, dport, port, proto, state, ipv4 or ipv6");
		t->kind = prims[i].kind;
		if (parse_operand(&lx, t, prims[i].word, err, n))
			return -1;
		m->n++;
		if (!next_word(&lx))
			return 0;
		if (strcasecmp(lx.word, "and") != 0)
			return fail(&lx, err, n, "want 'and' between terms");
		if (!next_word(&lx))
			return fail(&lx, err, n, "want a term after 'and'");
	}
}

/* ---- evaluation ------------------------------------------------------------ */

static bool net_has(const struct flows_match_term *t, uint8_t family, const union flow_addr *a)
{
	if (family != t->family)
		return false;
	const uint8_t *x = (const uint8_t *)a, *y = (const uint8_t *)&t->addr;
	unsigned full = t->plen / 8, rest = t->plen % 8;
	if (memcmp(x, y, full) != 0)
		return false;
	return !rest || ((x[full] ^ y[full]) & (0xff00u >> rest) & 0xff) == 0;
}

static bool ports_have(const struct flows_match_term *t, uint16_t port_be)
{
	uint16_t p = ntohs(port_be);
	return p >= t->lo && p <= t->hi;
}

/* ICMP "ports" are an identifier and a query tag, not ports. */
static bool has_ports(const struct flow_key *k)
{
	return k->family && !flow_proto_has_id(k->proto);
}

static bool term_eval(const struct flows_match_term *t, const struct nf_flow *f)
{
	const struct flow_key *o = &f->orig, *r = &f->reply;
	bool map = f->have & (NF_FLOW_NAT | NF_FLOW_BACKEND);
	switch (t->kind) {
	case M_SRC: return net_has(t, o->family, &o->src);
	case M_DST: return net_has(t, o->family, &o->dst);
	case M_HOST:
		return net_has(t, o->family, &o->src) || net_has(t, o->family, &o->dst) ||
		       net_has(t, r->family, &r->src) || net_has(t, r->family, &r->dst) ||
		       (map && net_has(t, f->map_family, &f->map_addr));
	case M_SPORT: return has_ports(o) && ports_have(t, o->sport);
	case M_DPORT: return has_ports(o) && ports_have(t, o->dport);
	case M_PORT:
		return (has_ports(o) && (ports_have(t, o->sport) || ports_have(t, o->dport))) ||
		       (has_ports(r) && (ports_have(t, r->sport) || ports_have(t, r->dport))) ||
		       (map && has_ports(o) && ports_have(t, f->map_port));
	case M_PROTO: return o->proto == t->proto;
	case M_STATE: return strcasecmp(f->state, t->state) == 0;
	case M_V4: return o->family == FLOW_FAMILY_V4;
	default: return o->family == FLOW_FAMILY_V6;
	}
}

bool flows_match_eval(const struct flows_match *m, const struct nf_flow *f)
{
	for (unsigned i = 0; i < m->n; i++)
		if (term_eval(&m->t[i], f) == m->t[i].neg)
			return false;
	return true;
}
