/* SPDX-License-Identifier: MIT */
/*
 * prom.c - stats text to Prometheus exposition (prom.h has the rules).
 */
#define _GNU_SOURCE
#include "tools/prom.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct prom_sample {
	unsigned family; /* index into families */
	char *labels;    /* "a=\"x\",b=\"y\"" */
	char *value;
};

struct prom_family {
	char *name;
	char *help;
	bool gauge;
};

struct prom_set {
	struct prom_family *fam;
	size_t n_fam, cap_fam;
	struct prom_sample *smp;
	size_t n_smp, cap_smp;
};

/* What one target's text says about itself (first pass). */
#define PROM_MAX_PORTS 16
struct prom_ctx {
	const char *target;
	char function[32];
	char port[PROM_MAX_PORTS][32];
	const char *text; /* for rule locations: looked up when needed */
	/* The last "S_rules.ruleN_at FILE:LINE" line: it comes just before
	 * that rule's counters, so 10,000 rules need no search each. */
	char last_at_key[600], last_at[256];
};

/* Last words of keys that are levels, not counts. */
static const char *const gauge_words[] = {
	"active", "flows", "entries", "used", "now", "capacity", "max", "rules", "vips",
	"backends", "down", "addresses", "weight", "mappings", "table", "up", NULL,
};

/* The per-VIP keys of lb_vip (nf/lb/lb_stats.c), longest first. */
static const char *const vip_keys[] = {
	"packets_to_server", "packets_to_client", "bytes_to_server", "bytes_to_client",
	"connections", "active", NULL,
};

static void *grow(void *p, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return p;
	*cap = *cap ? *cap * 2 : 64;
	p = realloc(p, *cap * size);
	if (!p) {
		perror("nfbox metrics");
		exit(1);
	}
	return p;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);
	if (!d) {
		perror("nfbox metrics");
		exit(1);
	}
	return d;
}

struct prom_set *prom_new(void)
{
	struct prom_set *s = calloc(1, sizeof(*s));
	if (!s) {
		perror("nfbox metrics");
		exit(1);
	}
	return s;
}

void prom_free(struct prom_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_fam; i++) {
		free(s->fam[i].name);
		free(s->fam[i].help);
	}
	for (size_t i = 0; i < s->n_smp; i++) {
		free(s->smp[i].labels);
		free(s->smp[i].value);
	}
	free(s->fam);
	free(s->smp);
	free(s);
}

/* A metric name: [a-zA-Z0-9_], anything else becomes '_'. */
static void sanitize(char *n)
{
	for (; *n; n++)
		if (!isalnum((unsigned char)*n) && *n != '_')
			*n = '_';
}

static unsigned family(struct prom_set *s, const char *name, bool gauge, const char *help)
{
	for (size_t i = 0; i < s->n_fam; i++)
		if (strcmp(s->fam[i].name, name) == 0)
			return (unsigned)i;
	s->fam = grow(s->fam, &s->cap_fam, s->n_fam, sizeof(*s->fam));
	s->fam[s->n_fam] = (struct prom_family){xstrdup(name), xstrdup(help), gauge};
	return (unsigned)s->n_fam++;
}

/* Append label k="v" to buf (escaped as the format wants). */
static void label(char *buf, size_t len, const char *k, const char *v)
{
	size_t o = strlen(buf);
	if (o + 1 >= len)
		return;
	o += (size_t)snprintf(buf + o, len - o, "%s%s=\"", o ? "," : "", k);
	for (; *v && o + 3 < len; v++) {
		if (*v == '\\' || *v == '"')
			buf[o++] = '\\', buf[o++] = *v;
		else if (*v == '\n')
			buf[o++] = '\\', buf[o++] = 'n';
		else
			buf[o++] = *v;
	}
	if (o + 2 < len) {
		buf[o++] = '"';
		buf[o] = '\0';
	}
}

static void sample(struct prom_set *s, const char *name, bool gauge, const char *help,
		   const char *labels, const char *value)
{
	char fam[640];
	size_t nl = strlen(name);
	bool has_total = nl > 6 && strcmp(name + nl - 6, "_total") == 0;
	snprintf(fam, sizeof(fam), "%s%s", name, gauge || has_total ? "" : "_total");
	sanitize(fam);
	s->smp = grow(s->smp, &s->cap_smp, s->n_smp, sizeof(*s->smp));
	s->smp[s->n_smp++] = (struct prom_sample){family(s, fam, gauge, help), xstrdup(labels),
						  xstrdup(value)};
}

static bool is_number(const char *v)
{
	if (!*v)
		return false;
	for (; *v; v++)
		if (!isdigit((unsigned char)*v))
			return false;
	return true;
}

static bool is_gauge(const char *key)
{
	const char *w = strrchr(key, '_');
	w = w ? w + 1 : key;
	for (const char *const *g = gauge_words; *g; g++)
		if (strcmp(w, *g) == 0)
			return true;
	return false;
}

/* The port index of section "portN", or -1. */
static int port_index(const char *sec)
{
	if (strncmp(sec, "port", 4) != 0 || !is_number(sec + 4))
		return -1;
	int i = atoi(sec + 4);
	return i < PROM_MAX_PORTS ? i : -1;
}

/* Value of key in text into buf ("" if absent). */
static void lookup(const char *text, const char *key, char *buf, size_t len)
{
	size_t kl = strlen(key);
	buf[0] = '\0';
	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (strncmp(l, key, kl) == 0 && l[kl] == ' ') {
			const char *v = l + kl + 1, *e = strchr(v, '\n');
			size_t n = e ? (size_t)(e - v) : strlen(v);
			if (n >= len)
				n = len - 1;
			memcpy(buf, v, n);
			buf[n] = '\0';
			return;
		}
	}
}

static void first_pass(struct prom_ctx *c, const char *text)
{
	c->text = text;
	lookup(text, "image.function", c->function, sizeof(c->function));
	for (int i = 0; i < PROM_MAX_PORTS; i++) {
		char k[24];
		snprintf(k, sizeof(k), "port%d.name", i);
		lookup(text, k, c->port[i], sizeof(c->port[i]));
	}
	if (c->function[0])
		return;
	/* Hosted stats have no image section: the function's own section. */
	static const char *const not_nf[] = {"loop", "malformed", "idle", "image", NULL};
	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		size_t n = strcspn(l, "._ \n");
		if (n == 0 || n >= sizeof(c->function) || l[n] == ' ')
			continue;
		char sec[sizeof(c->function)];
		memcpy(sec, l, n);
		sec[n] = '\0';
		bool skip = port_index(sec) >= 0;
		for (const char *const *w = not_nf; *w; w++)
			skip |= strcmp(sec, *w) == 0;
		if (!skip) {
			memcpy(c->function, sec, n + 1);
			return;
		}
	}
}

static const char *port_named(const struct prom_ctx *c, const char *name)
{
	for (int i = 0; i < PROM_MAX_PORTS; i++)
		if (c->port[i][0] && strcmp(c->port[i], name) == 0)
			return c->port[i];
	return NULL;
}

/* "web_10.0.1.1_8080_connections": NAME ADDR PORT KEY; false if no word
 * of key looks like an address. */
static bool split_address(char *key, char **name, char **addr, char **port, char **rest)
{
	char *p = key;
	for (;;) {
		char *e = strchr(p, '_');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		bool digit = false, sep = false;
		for (size_t i = 0; i < n; i++) {
			digit |= isdigit((unsigned char)p[i]) != 0;
			sep |= p[i] == '.' || p[i] == ':';
		}
		if (digit && sep && e) {
			*name = p == key ? NULL : key;
			if (p != key)
				p[-1] = '\0';
			*addr = p;
			*e = '\0';
			*rest = e + 1;
			*port = NULL;
			char *pe = strchr(*rest, '_');
			if (pe) {
				*pe = '\0';
				if (is_number(*rest)) {
					*port = *rest;
					*rest = pe + 1;
				} else {
					*pe = '_';
				}
			}
			return true;
		}
		if (!e)
			return false;
		p = e + 1;
	}
}

static void one(struct prom_set *s, const struct prom_ctx *c, char *sec, char *key, const char *val)
{
	char labels[1024] = "", name[600], help[1200];
	label(labels, sizeof(labels), "target", c->target);
	if (c->function[0])
		label(labels, sizeof(labels), "function", c->function);
	snprintf(help, sizeof(help), "nfbox stats %s.%s", sec, key);
	bool num = is_number(val);
	int pi = port_index(sec);
	size_t sl = strlen(sec);

	if (strcmp(sec, "image") == 0 && strcmp(key, "function") == 0)
		return;
	if (pi >= 0) {
		if (strcmp(key, "name") == 0)
			return;
		char idx[12];
		snprintf(idx, sizeof(idx), "%d", pi);
		if (c->port[pi][0])
			label(labels, sizeof(labels), "port", c->port[pi]);
		label(labels, sizeof(labels), "index", idx);
		snprintf(name, sizeof(name), "nfbox_port_%s", key);
		snprintf(help, sizeof(help), "nfbox stats portN.%s", key);
		if (num)
			sample(s, name, false, help, labels, val);
		return;
	}
	if (!num) {
		char *adm = strstr(key, "_admin"), copy[600];
		char *n, *a, *p, *rest;
		snprintf(copy, sizeof(copy), "%s", key);
		if (adm && adm[6] == '\0' && (strcmp(val, "up") == 0 || strcmp(val, "down") == 0) &&
		    split_address(copy, &n, &a, &p, &rest) && strcmp(rest, "admin") == 0) {
			if (n)
				label(labels, sizeof(labels), "vip", n);
			label(labels, sizeof(labels), "address", a);
			if (p)
				label(labels, sizeof(labels), "port", p);
			snprintf(name, sizeof(name), "nfbox_%s_admin_up", sec);
			sample(s, name, true, "1 while the backend is up (nfbox lb ... up|down)", labels,
			       strcmp(val, "up") == 0 ? "1" : "0");
			return;
		}
		char k[600];
		snprintf(k, sizeof(k), "%s.%s", sec, key);
		label(labels, sizeof(labels), "key", k);
		label(labels, sizeof(labels), "value", val);
		sample(s, "nfbox_info", true, "nfbox stats lines whose value is a word", labels, "1");
		return;
	}
	if (strcmp(sec, "idle") == 0 && strcmp(key, "halted_ms") == 0) {
		char v[32];
		snprintf(v, sizeof(v), "%.3f", (double)strtoull(val, NULL, 10) / 1000.0);
		sample(s, "nfbox_idle_halted_seconds", false, help, labels, v);
		return;
	}
	char *drop = strstr(key, "drop_");
	if (drop && (drop == key || drop[-1] == '_') && drop[5]) {
		label(labels, sizeof(labels), "reason", drop + 5);
		snprintf(name, sizeof(name), "nfbox_%s_%.*sdrops", sec, (int)(drop - key), key);
		snprintf(help, sizeof(help), "packets dropped, by reason (nfbox stats %s.%.*sdrop_REASON)",
			 sec, (int)(drop - key), key);
		sample(s, name, false, help, labels, val);
		return;
	}
	if (sl > 6 && strcmp(sec + sl - 6, "_rules") == 0) {
		char *u = strchr(key, '_');
		if (u) {
			*u = '\0';
			const char *rule = strncmp(key, "rule", 4) == 0 && is_number(key + 4) ? key + 4 : key;
			label(labels, sizeof(labels), "rule", rule);
			char k[600], at[256];
			snprintf(k, sizeof(k), "%s.%s_at", sec, key);
			if (strcmp(k, c->last_at_key) == 0)
				snprintf(at, sizeof(at), "%s", c->last_at);
			else
				lookup(c->text, k, at, sizeof(at));
			if (at[0])
				label(labels, sizeof(labels), "at", at);
			snprintf(name, sizeof(name), "nfbox_%.*s_rule_%s", (int)(sl - 6), sec, u + 1);
			snprintf(help, sizeof(help), "per rule (nfbox stats %s.ruleN_%s)", sec, u + 1);
			sample(s, name, is_gauge(u + 1), help, labels, val);
			return;
		}
	}
	char *us = strchr(sec, '_');
	if (us && port_named(c, us + 1)) {
		label(labels, sizeof(labels), "port", us + 1);
		snprintf(name, sizeof(name), "nfbox_%.*s_port_%s", (int)(us - sec), sec, key);
		snprintf(help, sizeof(help), "per port (nfbox stats %.*s_PORT.%s)", (int)(us - sec), sec, key);
		sample(s, name, is_gauge(key), help, labels, val);
		return;
	}
	if (strcmp(sec, "lb_vip") == 0) {
		size_t kl = strlen(key);
		for (const char *const *v = vip_keys; *v; v++) {
			size_t vl = strlen(*v);
			if (kl > vl + 1 && key[kl - vl - 1] == '_' && strcmp(key + kl - vl, *v) == 0) {
				key[kl - vl - 1] = '\0';
				label(labels, sizeof(labels), "vip", key);
				snprintf(name, sizeof(name), "nfbox_lb_vip_%s", *v);
				snprintf(help, sizeof(help), "per VIP (nfbox stats lb_vip.VIP_%s)", *v);
				sample(s, name, is_gauge(*v), help, labels, val);
				return;
			}
		}
	}
	char *n, *a, *p, *rest;
	char copy[600];
	snprintf(copy, sizeof(copy), "%s", key);
	if (split_address(copy, &n, &a, &p, &rest)) {
		if (n)
			label(labels, sizeof(labels), strcmp(sec, "lb_backend") == 0 ? "vip" : "name", n);
		label(labels, sizeof(labels), "address", a);
		if (p)
			label(labels, sizeof(labels), "port", p);
		snprintf(name, sizeof(name), "nfbox_%s_%s", sec, rest);
		snprintf(help, sizeof(help), "per address (nfbox stats %s.%sADDR%s_%s)", sec, n ? "NAME_" : "",
			 p ? "_PORT" : "", rest);
		sample(s, name, is_gauge(rest), help, labels, val);
		return;
	}
	snprintf(name, sizeof(name), "nfbox_%s_%s", sec, key);
	sample(s, name, is_gauge(key), help, labels, val);
}

void prom_add_stats(struct prom_set *s, const char *target, const char *text)
{
	struct prom_ctx c = {.target = target};
	first_pass(&c, text);
	for (const char *l = text; l && *l;) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) : strlen(l);
		char line[256];
		if (n < sizeof(line)) {
			memcpy(line, l, n);
			line[n] = '\0';
			if (n && line[n - 1] == '\r')
				line[n - 1] = '\0';
			char *sp = strchr(line, ' '), *dot = strchr(line, '.');
			if (sp && dot && dot < sp) {
				*sp = '\0';
				*dot = '\0';
				/* Rule locations are labels of the rule's counters. */
				size_t kl = strlen(dot + 1);
				if (kl > 3 && strcmp(dot + 1 + kl - 3, "_at") == 0) {
					snprintf(c.last_at_key, sizeof(c.last_at_key), "%s.%s", line, dot + 1);
					snprintf(c.last_at, sizeof(c.last_at), "%s", sp + 1);
				} else {
					one(s, &c, line, dot + 1, sp + 1);
				}
			}
		}
		l = e ? e + 1 : NULL;
	}
}

void prom_add_up(struct prom_set *s, const char *target, int up, double seconds)
{
	char labels[256] = "", v[32];
	label(labels, sizeof(labels), "target", target);
	sample(s, "nfbox_up", true, "1 if the target answered its last scrape", labels, up ? "1" : "0");
	snprintf(v, sizeof(v), "%.6f", seconds);
	sample(s, "nfbox_scrape_duration_seconds", true, "how long asking the target took", labels, v);
}

void prom_write(const struct prom_set *s, FILE *to)
{
	for (size_t f = 0; f < s->n_fam; f++) {
		fprintf(to, "# HELP %s %s\n# TYPE %s %s\n", s->fam[f].name, s->fam[f].help,
			s->fam[f].name, s->fam[f].gauge ? "gauge" : "counter");
		for (size_t i = 0; i < s->n_smp; i++)
			if (s->smp[i].family == f)
				fprintf(to, "%s{%s} %s\n", s->fam[f].name, s->smp[i].labels,
					s->smp[i].value);
	}
}
