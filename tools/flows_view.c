/* SPDX-License-Identifier: MIT */
/* flows_view.c - flow lines as a table or JSON (flows_view.h). */
#define _GNU_SOURCE
#include "tools/flows_view.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#define TOK_MAX 24

/* Split a line into at most TOK_MAX words (in `buf`). */
static int split(const char *line, size_t n, char *buf, size_t size, char **tok)
{
	if (n >= size)
		return -1;
	memcpy(buf, line, n);
	buf[n] = '\0';
	int k = 0;
	for (char *s = strtok(buf, " \r"); s; s = strtok(NULL, " \r")) {
		if (k == TOK_MAX)
			return -1;
		tok[k++] = s;
	}
	return k;
}

static bool num(const char *s, unsigned long max, unsigned long *v)
{
	char *end;
	if (*s < '0' || *s > '9')
		return false;
	*v = strtoul(s, &end, 10);
	return !*end && *v <= max;
}

static bool addr(const char *s, uint8_t *family, union flow_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &a->v4) == 1) {
		*family = FLOW_FAMILY_V4;
		return true;
	}
	*family = FLOW_FAMILY_V6;
	return inet_pton(AF_INET6, s, a->v6) == 1;
}

/* addr port at tok[0..1]. */
static bool end_point(char **tok, uint8_t *family, union flow_addr *a, uint16_t *port_be)
{
	unsigned long p;
	if (!addr(tok[0], family, a) || !num(tok[1], 65535, &p))
		return false;
	*port_be = htons((uint16_t)p);
	return true;
}

static bool key(char **tok, uint8_t proto, struct flow_key *k)
{
	memset(k, 0, sizeof(*k));
	if (strcmp(tok[0], "-") == 0)
		return true; /* nothing comes back */
	uint8_t f2;
	if (!end_point(tok, &k->family, &k->src, &k->sport) ||
	    !end_point(tok + 2, &f2, &k->dst, &k->dport) || f2 != k->family)
		return false;
	k->proto = proto;
	return true;
}

bool flows_view_decode(const char *line, size_t n, struct nf_flow *f)
{
	char buf[512], *tok[TOK_MAX];
	int k = split(line, n, buf, sizeof(buf), tok);
	unsigned long v;
	memset(f, 0, sizeof(*f));
	if (k < 12 || strcmp(tok[0], "flow") != 0 || !num(tok[1], 255, &v))
		return false;
	if (!key(tok + 2, (uint8_t)v, &f->orig) || !f->orig.family || !key(tok + 6, (uint8_t)v, &f->reply))
		return false;
	if (strlen(tok[10]) >= sizeof(f->state) || !num(tok[11], ~0ul / 1000000, &v))
		return false;
	snprintf(f->state, sizeof(f->state), "%s", tok[10]);
	f->expires_ns = v * 1000000;
	for (int i = 12; i < k;) {
		if (strcmp(tok[i], "age") == 0 && i + 1 < k && num(tok[i + 1], ~0ul / 1000000, &v)) {
			f->have |= NF_FLOW_AGE;
			f->age_ns = v * 1000000;
			i += 2;
		} else if ((strcmp(tok[i], "nat") == 0 || strcmp(tok[i], "backend") == 0) && i + 2 < k &&
			   end_point(tok + i + 1, &f->map_family, &f->map_addr, &f->map_port)) {
			f->have |= tok[i][0] == 'n' ? NF_FLOW_NAT : NF_FLOW_BACKEND;
			i += 3;
		} else {
			return false;
		}
	}
	return true;
}

void flows_view_init(struct flows_view *v, FILE *to, bool json, const struct flows_match *m,
		     unsigned long limit)
{
	memset(v, 0, sizeof(*v));
	v->to = to;
	v->json = json;
	v->match = m;
	v->limit = limit;
}

/* ---- formatting ------------------------------------------------------------- */

static const char *proto_name(uint8_t p, char *buf, size_t n)
{
	switch (p) {
	case 6: return "tcp";
	case 17: return "udp";
	case 1: return "icmp";
	case 58: return "icmp6";
	case 132: return "sctp";
	default: snprintf(buf, n, "%u", p); return buf;
	}
}

/* "10.0.0.1:80", "[2001:db8::1]:80", or the address alone. */
static void end_text(uint8_t family, const union flow_addr *a, uint16_t port_be, bool port,
		     char *buf, size_t n)
{
	char s[48];
	flow_addr_format(family, a, s, sizeof(s));
	if (!port)
		snprintf(buf, n, "%s", s);
	else
		snprintf(buf, n, family == FLOW_FAMILY_V6 ? "[%s]:%u" : "%s:%u", s, ntohs(port_be));
}

static void dir_text(const struct flow_key *k, char *buf, size_t n)
{
	if (!k->family) {
		snprintf(buf, n, "-");
		return;
	}
	char a[64], b[64];
	bool ports = !flow_proto_has_id(k->proto);
	end_text(k->family, &k->src, k->sport, ports, a, sizeof(a));
	end_text(k->family, &k->dst, k->dport, ports, b, sizeof(b));
	if (ports)
		snprintf(buf, n, "%s -> %s", a, b);
	else
		snprintf(buf, n, "%s -> %s id %u", a, b, ntohs(k->sport));
}

static void secs(uint64_t ns, char *buf, size_t n)
{
	uint64_t ms = ns / 1000000;
	snprintf(buf, n, "%llu.%03llus", (unsigned long long)(ms / 1000), (unsigned long long)(ms % 1000));
}

#define TEXT_COLS "%-5s %-11s %-46s %-46s %-29s %11s %11s\n"

static void text_flow(struct flows_view *v, const struct nf_flow *f)
{
	char p[8], o[160], r[160], m[96], e[24], a[24];
	dir_text(&f->orig, o, sizeof(o));
	dir_text(&f->reply, r, sizeof(r));
	if (f->have & (NF_FLOW_NAT | NF_FLOW_BACKEND)) {
		char ep[64];
		bool id = flow_proto_has_id(f->orig.proto); /* an ICMP query's identifier */
		end_text(f->map_family, &f->map_addr, f->map_port, !id, ep, sizeof(ep));
		snprintf(m, sizeof(m), "%s %s%s", f->have & NF_FLOW_NAT ? "nat" : "backend", ep,
			 id ? " id " : "");
		if (id)
			snprintf(m + strlen(m), sizeof(m) - strlen(m), "%u", ntohs(f->map_port));
	} else {
		snprintf(m, sizeof(m), "-");
	}
	secs(f->expires_ns, e, sizeof(e));
	if (f->have & NF_FLOW_AGE)
		secs(f->age_ns, a, sizeof(a));
	else
		snprintf(a, sizeof(a), "-");
	fprintf(v->to, TEXT_COLS, proto_name(f->orig.proto, p, sizeof(p)), f->state, o, r, m, e, a);
}

static void json_addr(FILE *to, const char *name, uint8_t family, const union flow_addr *a)
{
	char s[48];
	flow_addr_format(family, a, s, sizeof(s));
	fprintf(to, "\"%s\":\"%s\"", name, s);
}

static void json_dir(FILE *to, const struct flow_key *k)
{
	json_addr(to, "src", k->family, &k->src);
	if (flow_proto_has_id(k->proto))
		fprintf(to, ",\"id\":%u,", ntohs(k->sport));
	else
		fprintf(to, ",\"sport\":%u,", ntohs(k->sport));
	json_addr(to, "dst", k->family, &k->dst);
	if (!flow_proto_has_id(k->proto))
		fprintf(to, ",\"dport\":%u", ntohs(k->dport));
}

static void json_flow(struct flows_view *v, const struct nf_flow *f)
{
	char p[8];
	FILE *to = v->to;
	/* State words and protocol names are [a-z0-9_]: no escaping. */
	fprintf(to, "%s\n{\"proto\":\"%s\",\"state\":\"%s\",", v->shown ? "," : "",
		proto_name(f->orig.proto, p, sizeof(p)), f->state);
	json_dir(to, &f->orig);
	fputs(",\"reply\":", to);
	if (f->reply.family) {
		fputc('{', to);
		json_dir(to, &f->reply);
		fputc('}', to);
	} else {
		fputs("null", to);
	}
	fprintf(to, ",\"expires_ms\":%llu", (unsigned long long)(f->expires_ns / 1000000));
	if (f->have & NF_FLOW_AGE)
		fprintf(to, ",\"age_ms\":%llu", (unsigned long long)(f->age_ns / 1000000));
	if (f->have & (NF_FLOW_NAT | NF_FLOW_BACKEND)) {
		fprintf(to, ",\"%s\":{", f->have & NF_FLOW_NAT ? "nat" : "backend");
		json_addr(to, "addr", f->map_family, &f->map_addr);
		fprintf(to, ",\"port\":%u}", ntohs(f->map_port));
	}
	fputc('}', to);
}

static void start(struct flows_view *v)
{
	if (v->started)
		return;
	v->started = true;
	if (v->json)
		fputc('[', v->to);
	else
		fprintf(v->to, TEXT_COLS, "proto", "state", "original", "reply", "mapping", "expires",
			"age");
}

bool flows_view_line(struct flows_view *v, const char *line, size_t n)
{
	static const char fn[] = "flows function ", none[] = "flows none ";
	if (n > sizeof(fn) - 1 && strncmp(line, fn, sizeof(fn) - 1) == 0) {
		snprintf(v->function, sizeof(v->function), "%.*s", (int)(n - sizeof(fn) + 1),
			 line + sizeof(fn) - 1);
		return false;
	}
	if (n > sizeof(none) - 1 && strncmp(line, none, sizeof(none) - 1) == 0) {
		snprintf(v->none, sizeof(v->none), "%.*s", (int)(n - sizeof(none) + 1),
			 line + sizeof(none) - 1);
		return false;
	}
	if (n < 5 || strncmp(line, "flow ", 5) != 0)
		return false;
	struct nf_flow f;
	if (!flows_view_decode(line, n, &f)) {
		v->bad++;
		return false;
	}
	if (v->limit && v->shown >= v->limit)
		return true;
	if (v->match && !flows_match_eval(v->match, &f))
		return false;
	start(v);
	if (v->json)
		json_flow(v, &f);
	else
		text_flow(v, &f);
	v->shown++;
	return v->limit && v->shown >= v->limit;
}

void flows_view_finish(struct flows_view *v)
{
	if (v->none[0])
		return;
	start(v);
	if (v->json)
		fputs(v->shown ? "\n]\n" : "]\n", v->to);
	fflush(v->to);
}
