/* SPDX-License-Identifier: MIT */
/*
 * test_config.c - the config framework: lexing, the core statements, the
 * cursor helpers (through a small firewall-like interpreter written here),
 * exact FILE:LINE:COL messages, includes, set files, a million-entry set,
 * and a mutation smoke run for robustness.
 *
 * Every parse copies its text into a buffer of exactly `len` bytes with no
 * NUL, so ASan catches any read past the end.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <cmocka.h>

#include "config/config.h"

/* ---- an in-memory file system for the loader ------------------------------ */

struct vfile {
	const char *path;
	const char *text;
};

struct vfs {
	const struct vfile *files;
	size_t n;
	const char *disk_root; /* non-NULL: also read real files */
	char seen[8][128];     /* paths the loader was asked for */
	char seen_from[8][128];
	unsigned calls;
};

static int vfs_load(void *ctx, const char *path, const char *from, char **text, size_t *len)
{
	struct vfs *v = ctx;
	if (v->calls < 8) {
		snprintf(v->seen[v->calls], sizeof(v->seen[0]), "%s", path);
		snprintf(v->seen_from[v->calls], sizeof(v->seen_from[0]), "%s", from);
	}
	v->calls++;
	for (size_t i = 0; i < v->n; i++) {
		if (strcmp(v->files[i].path, path) != 0)
			continue;
		size_t n = strlen(v->files[i].text);
		*text = sys_alloc(n ? n : 1, 8);
		if (!*text)
			return -SYS_ENOMEM;
		memcpy(*text, v->files[i].text, n);
		*len = n;
		return 0;
	}
	if (v->disk_root) {
		FILE *f = fopen(path, "rb");
		if (!f)
			return -SYS_ENOENT;
		fseek(f, 0, SEEK_END);
		long n = ftell(f);
		fseek(f, 0, SEEK_SET);
		*text = sys_alloc(n > 0 ? (size_t)n : 1, 8);
		if (!*text || fread(*text, 1, (size_t)n, f) != (size_t)n) {
			fclose(f);
			sys_free(*text);
			*text = NULL;
			return -SYS_EIO;
		}
		fclose(f);
		*len = (size_t)n;
		return 0;
	}
	return -SYS_ENOENT;
}

/* Parse `len` bytes from an exact-size, unterminated copy. */
static int parse_buf(const char *file, const char *text, size_t len, struct vfs *v,
		     struct cfg **out, struct cfg_errors *errs)
{
	char *copy = malloc(len ? len : 1);
	assert_non_null(copy);
	memcpy(copy, text, len);
	int rc = cfg_parse(file, copy, len, v ? vfs_load : NULL, v, out, errs);
	free(copy);
	return rc;
}

static int parse_str(const char *file, const char *text, struct vfs *v, struct cfg **out,
		     struct cfg_errors *errs)
{
	return parse_buf(file, text, strlen(text), v, out, errs);
}

static char *read_disk(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* ---- a firewall-like interpreter: what a function's configure() does ------ */

struct rule {
	unsigned action; /* 0 accept, 1 drop, 2 reject */
	bool has_from, ip6, log;
	unsigned from;
	bool has_proto;
	uint32_t proto;
	bool has_src, has_dst, has_sport, has_dport;
	struct cfg_addr_spec src, dst;
	struct cfg_port_spec sport, dport;
};

struct fw {
	unsigned default_action;
	bool stateful;
	uint32_t t_est, t_trans, t_udp, t_icmp;
	unsigned n_rules;
	struct rule rules[32];
};

static const struct cfg_name_value protos[] = {
	{"icmp", 1}, {"tcp", 6}, {"udp", 17}, {"icmp6", 58}, {NULL, 0},
};

static int fw_rule(struct fw *fw, struct cfg_cursor *c, unsigned action)
{
	if (fw->n_rules == 32)
		return cfg_error_at(c, c->stmt->kw, "too many rules");
	struct rule *r = &fw->rules[fw->n_rules];
	memset(r, 0, sizeof(*r));
	r->action = action;
	while (!cfg_at_end(c)) {
		if (cfg_next_keyword(c, "from")) {
			r->has_from = !cfg_take_port_ref(c, "port", &r->from);
		} else if (cfg_next_keyword(c, "ip6")) {
			r->ip6 = true;
		} else if (cfg_next_keyword(c, "log")) {
			r->log = true;
		} else if (cfg_next_keyword(c, "proto")) {
			r->has_proto = !cfg_take_name_or_number(c, "protocol", protos, 255, &r->proto);
		} else if (cfg_next_keyword(c, "src")) {
			r->has_src = !cfg_take_addr_spec(c, "source address", &r->src);
		} else if (cfg_next_keyword(c, "dst")) {
			r->has_dst = !cfg_take_addr_spec(c, "destination address", &r->dst);
		} else if (cfg_next_keyword(c, "sport")) {
			r->has_sport = !cfg_take_port_spec(c, "source port", &r->sport);
		} else if (cfg_next_keyword(c, "dport")) {
			r->has_dport = !cfg_take_port_spec(c, "destination port", &r->dport);
		} else {
			break;
		}
	}
	int rc = cfg_expect_end(c);
	if (rc == 0)
		fw->n_rules++;
	return rc;
}

static int fw_stmt(struct fw *fw, const struct cfg *cfg, const struct cfg_stmt *s,
		   struct cfg_errors *errs)
{
	static const char *const actions[] = {"accept", "drop", "reject", NULL};
	static const char *const onoff[] = {"off", "on", NULL};
	struct cfg_cursor c;
	cfg_cursor_init(&c, cfg, s, errs);
	const char *kw = cfg_stmt_keyword(s);

	for (unsigned a = 0; actions[a]; a++)
		if (strcmp(kw, actions[a]) == 0)
			return fw_rule(fw, &c, a);
	if (strcmp(kw, "default") == 0) {
		unsigned a = 0;
		cfg_take_one_of(&c, "default action", actions, &a);
		fw->default_action = a;
	} else if (strcmp(kw, "log-to") == 0) {
		struct cfg_addr a;
		if (cfg_take_addr(&c, "collector address", true, &a) == 0 && a.family != CFG_AF_V4)
			return cfg_error_at(&c, &s->tok[0], "collector must be IPv4");
	} else if (strcmp(kw, "stateful") == 0) {
		unsigned on = 0;
		cfg_take_one_of(&c, "on or off", onoff, &on);
		fw->stateful = on;
	} else if (strcmp(kw, "timeout") == 0) {
		if (cfg_at_end(&c))
			return cfg_error_at(&c, NULL, "expected a timeout name");
		while (!cfg_at_end(&c)) {
			if (cfg_next_keyword(&c, "tcp-established"))
				cfg_take_u32(&c, 1, 86400 * 7, "tcp-established timeout", &fw->t_est);
			else if (cfg_next_keyword(&c, "tcp-transitory"))
				cfg_take_u32(&c, 1, 86400, "tcp-transitory timeout", &fw->t_trans);
			else if (cfg_next_keyword(&c, "udp"))
				cfg_take_u32(&c, 1, 86400, "udp timeout", &fw->t_udp);
			else if (cfg_next_keyword(&c, "icmp"))
				cfg_take_u32(&c, 1, 86400, "icmp timeout", &fw->t_icmp);
			else
				break;
		}
	} else {
		return cfg_unknown_statement(&c);
	}
	return cfg_expect_end(&c);
}

/* configure(): walk every statement; all or nothing. */
static int fw_configure(struct fw *fw, const struct cfg *cfg, struct cfg_errors *errs)
{
	int rc = 0;
	memset(fw, 0, sizeof(*fw));
	for (uint32_t i = 0; i < cfg_stmt_count(cfg); i++)
		if (fw_stmt(fw, cfg, cfg_stmt_at(cfg, i), errs) < 0)
			rc = -SYS_EINVAL;
	return rc;
}

/* ---- the example from the design brief ------------------------------------- */

static const char brief_example[] =
	"port 0 name inside\n"
	"port 1 name outside\n"
	"default drop\n"
	"stateful on\n"
	"timeout tcp-established 7440 tcp-transitory 240 udp 300 icmp 60\n"
	"set blocked { 198.51.100.0/24 203.0.113.7 2001:db8:bad::/48 }\n"
	"drop   from outside src @blocked\n"
	"accept from inside proto tcp dport { 22 80 443 8000-8080 }\n"
	"accept from inside proto udp dst 10.0.0.53 dport 53\n"
	"accept proto icmp\n"
	"accept ip6 proto icmp6\n"
	"reject from outside proto tcp dport 23\n"
	"drop   src 10.0.0.0/8 dst !10.0.0.0/8 sport 1-1023 log\n";

static void fmt(const struct cfg_addr *a, char *buf)
{
	cfg_addr_format(a, buf, 64);
}

static void test_brief_example(void **state)
{
	(void)state;
	struct cfg_errors errs;
	struct cfg *cfg;
	cfg_errors_init(&errs);
	assert_int_equal(parse_str("fw.conf", brief_example, NULL, &cfg, &errs), 0);
	assert_int_equal(errs.count, 0);

	assert_int_equal(cfg_port_count(cfg), 2);
	assert_string_equal(cfg_port_name(cfg, 0), "inside");
	assert_string_equal(cfg_port_name(cfg, 1), "outside");
	assert_null(cfg_port_name(cfg, 2));
	assert_int_equal(cfg_port_by_name(cfg, "outside"), 1);
	assert_int_equal(cfg_port_by_name(cfg, "dmz"), -SYS_ENOENT);

	assert_int_equal(cfg_set_count(cfg), 1);
	const struct cfg_set *s = cfg_set_find(cfg, "blocked");
	assert_non_null(s);
	assert_ptr_equal(s, cfg_set_at(cfg, 0));
	assert_int_equal(s->loc.line, 6);
	assert_int_equal(s->loc.col, 5);
	assert_int_equal(s->n4, 2);
	assert_int_equal(s->n6, 1);
	assert_int_equal(s->v4[0].addr, 0xc6336400u); /* 198.51.100.0 */
	assert_int_equal(s->v4[0].len, 24);
	assert_int_equal(s->v4[1].addr, 0xcb007107u); /* 203.0.113.7 */
	assert_int_equal(s->v4[1].len, 32);
	static const uint8_t bad6[16] = {0x20, 0x01, 0x0d, 0xb8, 0x0b, 0xad};
	assert_memory_equal(s->v6[0].addr, bad6, 16);
	assert_int_equal(s->v6[0].len, 48);

	/* Non-core statements kept in order, with locations. */
	assert_int_equal(cfg_stmt_count(cfg), 10);
	const struct cfg_stmt *st = cfg_stmt_at(cfg, 4);
	assert_string_equal(cfg_stmt_keyword(st), "accept");
	assert_int_equal(st->kw->loc.line, 8);
	assert_int_equal(st->kw->loc.col, 1);
	assert_int_equal(st->n_tok, 11); /* from inside proto tcp dport { 4 items } */
	assert_int_equal(st->tok[5].kind, CFG_TOK_LBRACE);
	assert_int_equal(st->tok[5].loc.col, 36);
	assert_int_equal(st->tok[9].kind, CFG_TOK_RANGE);
	assert_string_equal(st->tok[9].text, "8000-8080");
	assert_int_equal(st->end.line, 8);
	assert_int_equal(st->end.col, 59);
	assert_null(cfg_stmt_at(cfg, 10));

	struct fw fw;
	assert_int_equal(fw_configure(&fw, cfg, &errs), 0);
	assert_int_equal(errs.count, 0);
	assert_int_equal(fw.default_action, 1);
	assert_true(fw.stateful);
	assert_int_equal(fw.t_est, 7440);
	assert_int_equal(fw.t_trans, 240);
	assert_int_equal(fw.t_udp, 300);
	assert_int_equal(fw.t_icmp, 60);
	assert_int_equal(fw.n_rules, 7);

	char b[64];
	const struct rule *r = &fw.rules[0];
	assert_int_equal(r->action, 1);
	assert_true(r->has_from);
	assert_int_equal(r->from, 1);
	assert_int_equal(r->src.kind, CFG_ADDR_SET);
	assert_ptr_equal(r->src.set, s);
	assert_true(r->src.has_v4 && r->src.has_v6);

	r = &fw.rules[1];
	assert_int_equal(r->action, 0);
	assert_int_equal(r->from, 0);
	assert_int_equal(r->proto, 6);
	assert_false(r->dport.negate);
	assert_int_equal(r->dport.n, 4);
	assert_int_equal(r->dport.r[0].lo, 22);
	assert_int_equal(r->dport.r[2].hi, 443);
	assert_int_equal(r->dport.r[3].lo, 8000);
	assert_int_equal(r->dport.r[3].hi, 8080);

	r = &fw.rules[2];
	assert_int_equal(r->proto, 17);
	assert_int_equal(r->dst.kind, CFG_ADDR_ONE);
	fmt(&r->dst.one, b);
	assert_string_equal(b, "10.0.0.53");
	assert_int_equal(r->dport.n, 1);
	assert_int_equal(r->dport.r[0].lo, 53);

	r = &fw.rules[3];
	assert_int_equal(r->proto, 1);
	assert_false(r->has_from);
	r = &fw.rules[4];
	assert_true(r->ip6);
	assert_int_equal(r->proto, 58);
	r = &fw.rules[5];
	assert_int_equal(r->action, 2);
	assert_int_equal(r->dport.r[0].hi, 23);

	r = &fw.rules[6];
	assert_int_equal(r->src.kind, CFG_ADDR_ONE);
	assert_false(r->src.negate);
	fmt(&r->src.one, b);
	assert_string_equal(b, "10.0.0.0/8");
	assert_int_equal(cfg_addr_v4(&r->src.one), 0x0a000000u);
	assert_true(r->dst.negate);
	assert_int_equal(r->dst.one.prefix, 8);
	assert_int_equal(r->sport.r[0].lo, 1);
	assert_int_equal(r->sport.r[0].hi, 1023);
	assert_true(r->log);

	cfg_free(cfg);
}

/* The shipped examples, from disk, with the set file beside them. */
static void test_example_files(void **state)
{
	(void)state;
	struct vfs v = {.disk_root = "."};
	struct cfg_errors errs;
	struct cfg *cfg;
	size_t len;

	cfg_errors_init(&errs);
	char *text = read_disk("config/examples/fwd.conf", &len);
	assert_non_null(text);
	assert_int_equal(parse_buf("config/examples/fwd.conf", text, len, &v, &cfg, &errs), 0);
	free(text);
	assert_int_equal(cfg_port_count(cfg), 2);
	assert_string_equal(cfg_port_name(cfg, 0), "west");
	assert_string_equal(cfg_port_name(cfg, 1), "east");
	assert_int_equal(cfg_stmt_count(cfg), 0);
	cfg_free(cfg);

	text = read_disk("config/examples/firewall.conf", &len);
	assert_non_null(text);
	assert_int_equal(parse_buf("config/examples/firewall.conf", text, len, &v, &cfg, &errs), 0);
	free(text);
	assert_int_equal(errs.count, 0);
	assert_string_equal(v.seen[0], "config/examples/bogons.txt");
	const struct cfg_set *bog = cfg_set_find(cfg, "bogons");
	assert_non_null(bog);
	assert_int_equal(bog->n4, 6);
	assert_int_equal(bog->n6, 4);
	assert_int_equal(bog->v4[0].addr, 0);
	assert_int_equal(bog->v4[0].len, 8);
	assert_int_equal(bog->loc.line, 21);
	const struct cfg_set *srv = cfg_set_find(cfg, "servers");
	assert_int_equal(srv->n4, 2);
	assert_int_equal(srv->n6, 1);

	struct fw fw;
	assert_int_equal(fw_configure(&fw, cfg, &errs), 0);
	assert_int_equal(errs.count, 0);
	assert_int_equal(fw.n_rules, 9);
	assert_int_equal(fw.rules[4].dport.n, 2);
	assert_int_equal(fw.rules[4].dport.r[1].lo, 80);
	cfg_free(cfg);
}

/* ---- exact messages ---------------------------------------------------------- */

struct err_case {
	const char *name;
	const char *text;           /* main.conf */
	struct vfile extra[3];      /* other files the loader knows */
	const char *want[4];        /* exact messages, in order */
};

static const struct err_case err_cases[] = {
	{"unknown keyword", "port 0 name a\nfrobnicate 1 2\n", {{0}},
	 {"main.conf:2:1: unknown keyword 'frobnicate'"}},
	{"bad cidr", "set s { 10.0.0/8 }\n", {{0}}, {"main.conf:1:9: bad IPv4 address '10.0.0/8'"}},
	{"bad prefix", "drop src 10.0.0.0/\n", {{0}},
	 {"main.conf:1:10: bad prefix length in '10.0.0.0/'"}},
	{"host bits", "set s { 10.0.0.1/8 }\n", {{0}}, {"main.conf:1:9: host bits set in 10.0.0.1/8"}},
	{"host bits v6", "drop dst 2001:db8::1/64\n", {{0}},
	 {"main.conf:1:10: host bits set in 2001:db8::1/64"}},
	{"prefix too long", "set s {\n  10.0.0.0/33\n}\n", {{0}},
	 {"main.conf:2:3: prefix length 33 too long for IPv4 (max 32) in '10.0.0.0/33'"}},
	{"prefix too long v6", "drop src ::/129\n", {{0}},
	 {"main.conf:1:10: prefix length 129 too long for IPv6 (max 128) in '::/129'"}},
	{"bad octet", "accept dst 10.0.256.1\n", {{0}},
	 {"main.conf:1:12: IPv4 octet 256 out of range 0-255 in '10.0.256.1'"}},
	{"leading zero", "accept dst 10.0.01.1\n", {{0}},
	 {"main.conf:1:12: bad IPv4 address '10.0.01.1'"}},
	{"bad ipv6 two gaps", "drop src 2001:db8::1::2\n", {{0}},
	 {"main.conf:1:10: bad IPv6 address '2001:db8::1::2'"}},
	{"bad ipv6 nine groups", "drop src 1:2:3:4:5:6:7:8:9\n", {{0}},
	 {"main.conf:1:10: bad IPv6 address '1:2:3:4:5:6:7:8:9'"}},
	{"bad ipv6 word", "drop src fe80::g1\n", {{0}},
	 {"main.conf:1:10: bad IPv6 address 'fe80::g1'"}},
	{"port out of range", "accept proto tcp dport 70000\n", {{0}},
	 {"main.conf:1:24: destination port 70000 out of range 0-65535"}},
	{"port out of range in list", "accept dport { 80 65536 }\n", {{0}},
	 {"main.conf:1:19: destination port 65536 out of range 0-65535"}},
	{"inverted range", "accept sport 1023-1\n", {{0}},
	 {"main.conf:1:14: inverted source port range 1023-1 (1023 > 1)"}},
	{"empty set", "set s { }\n", {{0}}, {"main.conf:1:5: empty set 's'"}},
	{"empty port list", "accept dport { }\n", {{0}},
	 {"main.conf:1:14: empty destination port list"}},
	{"unknown set", "set known { 1.2.3.4 }\ndrop src @nope\n", {{0}},
	 {"main.conf:2:10: unknown set '@nope'"}},
	{"duplicate set", "set s { 1.2.3.4 }\nset s { 1.2.3.5 }\n", {{0}},
	 {"main.conf:2:5: duplicate set 's' (first defined at main.conf:1:5)"}},
	{"duplicate port number", "port 0 name a\nport 0 name b\n", {{0}},
	 {"main.conf:2:6: duplicate port 0 (first defined at main.conf:1:6)"}},
	{"duplicate port name", "port 0 name a\nport 1 name a\n", {{0}},
	 {"main.conf:2:13: duplicate port name 'a' (already port 0)"}},
	{"port index out of range", "port 8 name a\n", {{0}},
	 {"main.conf:1:6: port index 8 out of range 0-7"}},
	{"port missing name", "port 1 name\n", {{0}},
	 {"main.conf:1:12: expected port name, got end of statement"}},
	{"unknown port", "port 0 name a\naccept from b\n", {{0}}, {"main.conf:2:13: unknown port 'b'"}},
	{"unterminated brace", "set s { 1.2.3.4\nport 0 name a\n", {{0}},
	 {"main.conf:2:1: expected an address or prefix in set 's', got 'port'",
	  "main.conf:1:7: unterminated '{'"}},
	{"unterminated brace in rule", "accept dport { 80\n", {{0}},
	 {"main.conf:1:14: unterminated '{'"}},
	{"stray brace", "port 0 name a }\n", {{0}}, {"main.conf:1:15: unexpected '}'"}},
	{"nested brace", "accept dport { 80 { 81 } }\n", {{0}}, {"main.conf:1:19: nested '{'"}},
	{"unterminated string", "include \"foo.conf\nport 0 name a\n", {{0}},
	 {"main.conf:1:9: unterminated string"}},
	{"include not found", "include \"nope.conf\"\n", {{0}},
	 {"main.conf:1:9: cannot read include file 'nope.conf': file not found"}},
	{"include cycle", "include \"a.conf\"\n",
	 {{"a.conf", "port 0 name a\ninclude b.conf\n"}, {"b.conf", "include ./main.conf\n"}},
	 {"b.conf:1:9: include cycle: main.conf -> a.conf -> b.conf -> main.conf"}},
	{"include self", "include main.conf\n", {{0}},
	 {"main.conf:1:9: include cycle: main.conf -> main.conf"}},
	{"trailing garbage", "default drop now\n", {{0}},
	 {"main.conf:1:14: unexpected 'now' at end of statement"}},
	{"trailing garbage core", "port 0 name a b\n", {{0}},
	 {"main.conf:1:15: unexpected 'b' at end of statement"}},
	{"trailing after set", "set s { 1.2.3.4 } extra\n", {{0}},
	 {"main.conf:1:19: unexpected 'extra' at end of statement"}},
	{"number overflow", "timeout udp 18446744073709551616\n", {{0}},
	 {"main.conf:1:13: number too large '18446744073709551616'"}},
	{"u32 out of range", "timeout udp 4294967296\n", {{0}},
	 {"main.conf:1:13: udp timeout 4294967296 out of range 1-86400"}},
	{"bad character", "accept proto tcp dport = 22\n", {{0}},
	 {"main.conf:1:24: unexpected character '='"}},
	{"bad byte", "accept\x01 proto tcp\n", {{0}}, {"main.conf:1:7: unexpected byte 0x01"}},
	{"invalid number", "accept dport 80x\n", {{0}}, {"main.conf:1:14: invalid number '80x'"}},
	{"expected keyword", "10.0.0.1 accept\n", {{0}},
	 {"main.conf:1:1: expected a keyword, got '10.0.0.1'"}},
	{"missing argument", "accept dport\n", {{0}},
	 {"main.conf:1:13: expected destination port, got end of statement"}},
	{"one of", "default maybe\n", {{0}},
	 {"main.conf:1:9: expected default action (accept|drop|reject), got 'maybe'"}},
	{"unknown protocol", "accept proto sctpx\n", {{0}},
	 {"main.conf:1:14: unknown protocol 'sctpx'"}},
	{"host only", "log-to 10.0.0.0/8\n", {{0}},
	 {"main.conf:1:8: expected collector address (a single address), got '10.0.0.0/8'"}},
	{"host only family", "log-to ::1\n", {{0}}, {"main.conf:1:8: collector must be IPv4"}},
	{"addr port is not a token", "log-to 10.0.0.2:80\n", {{0}},
	 {"main.conf:1:8: bad IPv6 address '10.0.0.2:80'"}},
	{"negated any", "accept src !any\n", {{0}}, {"main.conf:1:13: '!any' matches nothing"}},
	{"bad in addr list", "accept src { 10.0.0.1 , foo }\n", {{0}},
	 {"main.conf:1:25: expected address or prefix, got 'foo'"}},
	{"double comma", "set s { 1.2.3.4,, 1.2.3.5 }\n", {{0}}, {"main.conf:1:17: unexpected ','"}},
	{"comma outside list", "accept dport 80, 81\n", {{0}}, {"main.conf:1:16: unexpected ','"}},
	{"bad set name", "set my.set { 1.2.3.4 }\n", {{0}},
	 {"main.conf:1:5: bad set name 'my.set' (letters, digits, '_', '-')"}},
	{"set name not a word", "set 9lives { 1.2.3.4 }\n", {{0}},
	 {"main.conf:1:5: invalid number '9lives'"}},
	{"set without list", "set s 1.2.3.4\n", {{0}},
	 {"main.conf:1:7: expected '{' or 'file' after set name, got '1.2.3.4'"}},
	{"bad set ref", "drop src @9\n", {{0}}, {"main.conf:1:10: bad set reference '@9'"}},
	{"set file errors point into it", "set s file \"lists/s.txt\"\n",
	 {{"lists/s.txt", "# test\n1.2.3.4\n\n  1.2.3\n5.6.7.8 9.9.9.9\n{\n"}},
	 {"lists/s.txt:4:3: bad IPv4 address '1.2.3'",
	  "lists/s.txt:5:9: unexpected '9.9.9.9' after the address (one per line)",
	  "lists/s.txt:6:1: expected an address or prefix, got '{'"}},
	{"set file missing", "set s file missing.txt\n", {{0}},
	 {"main.conf:1:12: cannot read set file 'missing.txt': file not found"}},
	{"empty set file", "set s file e.txt\n", {{"e.txt", "# nothing\n\n"}},
	 {"main.conf:1:5: empty set 's'"}},
	{"semicolon in list", "set s { 1.2.3.4; 1.2.3.5 }\n", {{0}},
	 {"main.conf:1:16: unexpected ';' inside '{ }'"}},
	{"several independent errors", "port 9 name a\nfoo\nset s { 1.1.1.1/0 }\n", {{0}},
	 {"main.conf:1:6: port index 9 out of range 0-7", "main.conf:3:9: host bits set in 1.1.1.1/0",
	  /* the function never sees a config the framework rejected */}},
};

static void run_err_case(const struct err_case *ec)
{
	struct vfs v = {.files = ec->extra};
	while (v.n < 3 && ec->extra[v.n].path)
		v.n++;
	struct cfg_errors errs;
	struct cfg *cfg = (struct cfg *)&v; /* must be overwritten */
	cfg_errors_init(&errs);
	int rc = parse_str("main.conf", ec->text, &v, &cfg, &errs);
	if (rc == 0) {
		/* The framework accepted it: the function must reject it. */
		struct fw fw;
		assert_int_not_equal(fw_configure(&fw, cfg, &errs), 0);
		cfg_free(cfg);
	} else {
		assert_int_equal(rc, -SYS_EINVAL);
		assert_null(cfg);
	}
	unsigned n = 0;
	while (n < 4 && ec->want[n])
		n++;
	bool same = errs.count == n;
	for (unsigned i = 0; same && i < n; i++)
		same = strcmp(cfg_errors_get(&errs, i), ec->want[i]) == 0;
	if (!same) /* show the whole list: one wrong line rarely comes alone */
		for (unsigned i = 0; i < errs.count && i < CFG_ERRORS_MAX; i++)
			printf("    [%s] got: %s\n", ec->name, cfg_errors_get(&errs, i));
	assert_int_equal(errs.count, n);
	for (unsigned i = 0; i < n; i++)
		assert_string_equal(cfg_errors_get(&errs, i), ec->want[i]);
}

static void test_error_messages(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++)
		run_err_case(&err_cases[i]);
}

/* A single mistake anywhere rejects the whole config. */
static void test_whole_rejection(void **state)
{
	(void)state;
	struct cfg_errors errs;
	struct cfg *cfg = NULL;
	char text[2048];
	snprintf(text, sizeof(text), "%s%s", brief_example, "set late { 192.0.2.1/24 }\n");
	cfg_errors_init(&errs);
	assert_int_equal(parse_str("x.conf", text, NULL, &cfg, &errs), -SYS_EINVAL);
	assert_null(cfg);
	assert_int_equal(errs.count, 1);
	assert_string_equal(cfg_errors_get(&errs, 0), "x.conf:14:12: host bits set in 192.0.2.1/24");
	assert_null(cfg_errors_get(&errs, 1));

	/* Counts add up across calls on one cfg_errors. */
	assert_int_equal(parse_str("y.conf", "port 0 name a b\n", NULL, &cfg, &errs), -SYS_EINVAL);
	assert_int_equal(errs.count, 2);

	/* More errors than are kept: all counted, the first ones kept. */
	char many[4096] = "";
	struct cfg_errors fe;
	cfg_errors_init(&fe);
	for (int i = 0; i < 50; i++)
		strcat(many, "set s { }\n");
	assert_int_equal(parse_str("m.conf", many, NULL, &cfg, &fe), -SYS_EINVAL);
	assert_int_equal(fe.count, 50);
	assert_string_equal(cfg_errors_get(&fe, 31), "m.conf:32:5: empty set 's'");
	assert_null(cfg_errors_get(&fe, 32));
}

/* ---- lexing details ----------------------------------------------------------- */

static const struct cfg_token *one_token(struct cfg **cfg, const char *word, struct cfg_errors *e)
{
	char text[256];
	snprintf(text, sizeof(text), "x %s\n", word);
	cfg_errors_init(e);
	if (parse_str("t.conf", text, NULL, cfg, e) != 0)
		return NULL;
	const struct cfg_stmt *s = cfg_stmt_at(*cfg, 0);
	return s->n_tok == 1 ? &s->tok[0] : NULL;
}

static void test_ipv6_forms(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} ok[] = {
		{"::", "::"},
		{"::1", "::1"},
		{"1::", "1::"},
		{"::/0", "::/0"},
		{"2001:db8::/32", "2001:db8::/32"},
		{"2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
		{"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"},
		{"1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"},
		{"::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"},
		{"1:0:0:2:0:0:0:3", "1:0:0:2::3"},
		{"FE80::ABCD", "fe80::abcd"},
		{"::ffff:1.2.3.4", "::ffff:1.2.3.4"},
		{"::1.2.3.4", "::102:304"},
		{"1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"},
		{"64:ff9b::192.0.2.33", "64:ff9b::c000:221"},
		{"fe80::/10", "fe80::/10"},
		{"::ffff:0.0.0.0/96", "::ffff:0.0.0.0/96"},
		{"2001:db8::1/128", "2001:db8::1"},
	};
	static const char *const bad[] = {
		":", ":::", "1:", ":1", "1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8::",
		"::1:2:3:4:5:6:7:8", "12345::", "::g", "1.2.3.4::", "::1.2.3", "::1.2.3.4.5",
		"::256.1.1.1", "1:2:3:4:5:6:7:1.2.3.4", "::1.2.3.4:5", "fe80:::1", "1::/",
		"1::/x", "1::/1/2", "a:b:c:d:e:f:g:h", "::01.2.3.4",
	};
	struct cfg_errors e;
	struct cfg *cfg;
	char b[64];
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		const struct cfg_token *t = one_token(&cfg, ok[i].in, &e);
		if (!t)
			fail_msg("'%s' rejected: %s", ok[i].in, cfg_errors_get(&e, 0));
		assert_int_equal(t->kind, CFG_TOK_ADDR);
		assert_int_equal(t->addr.family, CFG_AF_V6);
		fmt(&t->addr, b);
		if (strcmp(b, ok[i].out) != 0)
			fail_msg("'%s' formatted as '%s', want '%s'", ok[i].in, b, ok[i].out);
		cfg_free(cfg);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (one_token(&cfg, bad[i], &e))
			fail_msg("'%s' accepted", bad[i]);
		assert_int_equal(e.count, 1);
		if (!strstr(cfg_errors_get(&e, 0), "IPv6") && !strstr(cfg_errors_get(&e, 0), "prefix"))
			fail_msg("'%s': %s", bad[i], cfg_errors_get(&e, 0));
	}
}

static void test_token_classes(void **state)
{
	(void)state;
	struct cfg_errors e;
	struct cfg *cfg;
	cfg_errors_init(&e);
	const char *text =
		"rule word_1 tcp-established ./rel/path /abs/p 0 18446744073709551615 80-90 "
		"0.0.0.0/0 255.255.255.255 \"a b#c;d\" @set_1 ! { 1, 2 } # comment ; not a stmt\n"
		"r2 {\n  1\n\n  2,\n}; r3\r\n";
	assert_int_equal(parse_str("t.conf", text, NULL, &cfg, &e), 0);
	assert_int_equal(cfg_stmt_count(cfg), 3);
	const struct cfg_stmt *s = cfg_stmt_at(cfg, 0);
	static const enum cfg_tok_kind kinds[] = {
		CFG_TOK_WORD,   CFG_TOK_WORD,   CFG_TOK_WORD,   CFG_TOK_WORD,   CFG_TOK_NUMBER,
		CFG_TOK_NUMBER, CFG_TOK_RANGE,  CFG_TOK_ADDR,   CFG_TOK_ADDR,   CFG_TOK_STRING,
		CFG_TOK_SETREF, CFG_TOK_BANG,   CFG_TOK_LBRACE, CFG_TOK_NUMBER, CFG_TOK_NUMBER,
		CFG_TOK_RBRACE,
	};
	assert_int_equal(s->n_tok, sizeof(kinds) / sizeof(kinds[0]));
	for (unsigned i = 0; i < s->n_tok; i++)
		assert_int_equal(s->tok[i].kind, kinds[i]);
	assert_string_equal(s->tok[2].text, "./rel/path");
	assert_int_equal(s->tok[5].num, UINT64_MAX);
	assert_int_equal(s->tok[6].range.lo, 80);
	assert_int_equal(s->tok[6].range.hi, 90);
	assert_int_equal(s->tok[7].addr.prefix, 0);
	assert_int_equal(s->tok[8].addr.prefix, 32);
	assert_string_equal(s->tok[9].text, "a b#c;d");
	assert_string_equal(s->tok[10].text, "set_1");
	assert_int_equal(s->tok[10].loc.col, strlen("rule word_1 tcp-established ./rel/path /abs/p 0 "
						   "18446744073709551615 80-90 0.0.0.0/0 "
						   "255.255.255.255 \"a b#c;d\" ") + 1);

	s = cfg_stmt_at(cfg, 1);
	assert_string_equal(cfg_stmt_keyword(s), "r2");
	assert_int_equal(s->n_tok, 4);
	assert_int_equal(s->tok[2].loc.line, 5);
	assert_int_equal(s->tok[2].loc.col, 3);
	assert_int_equal(s->tok[3].loc.line, 6);
	s = cfg_stmt_at(cfg, 2);
	assert_string_equal(cfg_stmt_keyword(s), "r3");
	assert_int_equal(s->kw->loc.line, 6);
	assert_int_equal(s->kw->loc.col, 4);
	cfg_free(cfg);

	/* Empty input and comment-only input are valid, empty configs. */
	assert_int_equal(cfg_parse("e.conf", NULL, 0, NULL, NULL, &cfg, &e), 0);
	assert_int_equal(cfg_stmt_count(cfg), 0);
	cfg_free(cfg);
	assert_int_equal(parse_str("e.conf", "# only\n;;\n\n", NULL, &cfg, &e), 0);
	cfg_free(cfg);
	/* No final newline. */
	assert_int_equal(parse_str("e.conf", "port 0 name a", NULL, &cfg, &e), 0);
	assert_string_equal(cfg_port_name(cfg, 0), "a");
	cfg_free(cfg);
	assert_int_equal(e.count, 0);
	/* Bad arguments. */
	assert_int_equal(cfg_parse(NULL, "", 0, NULL, NULL, &cfg, &e), -SYS_EINVAL);
	assert_int_equal(cfg_parse("x", NULL, 3, NULL, NULL, &cfg, &e), -SYS_EINVAL);
}

/* Sets: mixed families, lists across lines, dedupe and order. */
static void test_set_contents(void **state)
{
	(void)state;
	struct cfg_errors e;
	struct cfg *cfg;
	cfg_errors_init(&e);
	const char *text = "set s {\n"
			   "  10.0.0.2 10.0.0.1, 10.0.0.0/8\n"
			   "  ::1 10.0.0.1 2001:db8::/32 ::1/128 ::\n"
			   "  0.0.0.0/0 10.0.0.0/24\n"
			   "}\n";
	assert_int_equal(parse_str("s.conf", text, NULL, &cfg, &e), 0);
	const struct cfg_set *s = cfg_set_find(cfg, "s");
	assert_null(cfg_set_find(cfg, "t"));
	assert_null(cfg_set_at(cfg, 1));
	assert_int_equal(s->n4, 5);
	static const struct cfg_prefix4 want4[] = {
		{0, 0}, {0x0a000000, 8}, {0x0a000000, 24}, {0x0a000001, 32}, {0x0a000002, 32},
	};
	for (unsigned i = 0; i < 5; i++) {
		assert_int_equal(s->v4[i].addr, want4[i].addr);
		assert_int_equal(s->v4[i].len, want4[i].len);
	}
	assert_int_equal(s->n6, 3);
	assert_int_equal(s->v6[0].addr[15], 0);
	assert_int_equal(s->v6[1].addr[15], 1);
	assert_int_equal(s->v6[2].addr[0], 0x20);
	assert_int_equal(s->v6[2].len, 32);
	cfg_free(cfg);
}

/* Includes: relative resolution, order, shared namespaces, depth. */
static void test_includes(void **state)
{
	(void)state;
	static const struct vfile files[] = {
		{"etc/sub/a.conf", "port 1 name b\ninclude \"../common/c.conf\"\nrule-a\n"},
		{"etc/common/c.conf", "set cs file cs.txt\nrule-c\n"},
		{"etc/common/cs.txt", "192.0.2.0/24\n"},
	};
	struct vfs v = {.files = files, .n = 3};
	struct cfg_errors e;
	struct cfg *cfg;
	cfg_errors_init(&e);
	const char *text = "port 0 name a\nrule-0\ninclude sub/./a.conf\nrule-z src @cs\n";
	assert_int_equal(parse_str("etc/main.conf", text, &v, &cfg, &e), 0);
	assert_int_equal(v.calls, 3);
	assert_string_equal(v.seen[0], "etc/sub/a.conf");
	assert_string_equal(v.seen_from[0], "etc/main.conf");
	assert_string_equal(v.seen[1], "etc/common/c.conf");
	assert_string_equal(v.seen_from[1], "etc/sub/a.conf");
	assert_string_equal(v.seen[2], "etc/common/cs.txt");
	assert_int_equal(cfg_port_count(cfg), 2);
	assert_int_equal(cfg_stmt_count(cfg), 4);
	static const char *const order[] = {"rule-0", "rule-c", "rule-a", "rule-z"};
	for (unsigned i = 0; i < 4; i++)
		assert_string_equal(cfg_stmt_keyword(cfg_stmt_at(cfg, i)), order[i]);
	const struct cfg_stmt *st = cfg_stmt_at(cfg, 1);
	assert_string_equal(st->kw->loc.file, "etc/common/c.conf");
	assert_int_equal(st->kw->loc.line, 2);
	assert_non_null(cfg_set_find(cfg, "cs"));
	cfg_free(cfg);

	/* Absolute paths and ".." past the top stay lexical. */
	static const struct vfile abs[] = {{"/x/y.conf", "include ../../../z.conf\n"},
					   {"/z.conf", "port 3 name z\n"}};
	struct vfs va = {.files = abs, .n = 2};
	assert_int_equal(parse_str("m.conf", "include /x/./y.conf\n", &va, &cfg, &e), 0);
	assert_string_equal(va.seen[1], "/z.conf");
	assert_string_equal(cfg_port_name(cfg, 3), "z");
	cfg_free(cfg);
	static const struct vfile up[] = {{"../up.conf", "include ../up2.conf\n"},
					  {"../../up2.conf", "x\n"}};
	struct vfs vu = {.files = up, .n = 2};
	assert_int_equal(parse_str("m.conf", "include ../up.conf\n", &vu, &cfg, &e), 0);
	cfg_free(cfg);
	assert_int_equal(e.count, 0);

	/* A chain deeper than the limit is cut with a clear message. */
	static struct vfile chain[CFG_INCLUDE_MAX_DEPTH + 2];
	static char names[CFG_INCLUDE_MAX_DEPTH + 2][32], texts[CFG_INCLUDE_MAX_DEPTH + 2][64];
	for (int i = 0; i < CFG_INCLUDE_MAX_DEPTH + 2; i++) {
		snprintf(names[i], sizeof(names[i]), "i%d.conf", i);
		snprintf(texts[i], sizeof(texts[i]), "include i%d.conf\n", i + 1);
		chain[i] = (struct vfile){names[i], texts[i]};
	}
	struct vfs vc = {.files = chain, .n = CFG_INCLUDE_MAX_DEPTH + 2};
	assert_int_equal(parse_str("i0.conf", texts[0], &vc, &cfg, &e), -SYS_EINVAL);
	assert_int_equal(e.count, 1);
	assert_string_equal(cfg_errors_get(&e, 0),
			    "i16.conf:1:9: includes nested too deeply (limit 16)");

	/* Fan-out: every file includes the next twice, 11 levels (within the
	 * depth limit).  Without a cap on files loaded that is 4094 loads;
	 * with it, an error once the cap is reached. */
	static struct vfile fan[12];
	static char fnames[12][32], ftexts[12][64];
	for (int i = 0; i < 12; i++) {
		snprintf(fnames[i], sizeof(fnames[i]), "f%d.conf", i);
		snprintf(ftexts[i], sizeof(ftexts[i]), "include f%d.conf\ninclude f%d.conf\n", i + 1,
			 i + 1);
		if (i == 11)
			snprintf(ftexts[i], sizeof(ftexts[i]), "leaf\n");
		fan[i] = (struct vfile){fnames[i], ftexts[i]};
	}
	struct vfs vf = {.files = fan, .n = 12};
	cfg_errors_init(&e);
	assert_int_equal(parse_str("f0.conf", ftexts[0], &vf, &cfg, &e), -SYS_EINVAL);
	assert_int_equal(vf.calls, CFG_LOAD_MAX_FILES);
	assert_non_null(strstr(cfg_errors_get(&e, 0), "more than 256 files loaded"));

	/* The same chain on disk, through the real file system. */
	struct vfs vd = {.disk_root = "."};
	size_t len;
	char *text2 = read_disk("tests/data/config/main.conf", &len);
	assert_non_null(text2);
	cfg_errors_init(&e);
	assert_int_equal(parse_buf("tests/data/config/main.conf", text2, len, &vd, &cfg, &e), 0);
	free(text2);
	assert_string_equal(vd.seen[0], "tests/data/config/sub/rules.conf");
	assert_string_equal(vd.seen[1], "tests/data/config/lists/block.txt");
	const struct cfg_set *blk = cfg_set_find(cfg, "block");
	assert_int_equal(blk->n4, 2);
	assert_int_equal(blk->n6, 1);
	assert_int_equal(cfg_stmt_count(cfg), 1);
	assert_string_equal(cfg_stmt_at(cfg, 0)->kw->loc.file, "tests/data/config/sub/rules.conf");
	cfg_free(cfg);

	/* No loader (the image): includes are not found. */
	cfg_errors_init(&e);
	assert_int_equal(cfg_parse("m.conf", "include a\n", 10, NULL, NULL, &cfg, &e), -SYS_EINVAL);
	assert_string_equal(cfg_errors_get(&e, 0),
			    "m.conf:1:9: cannot read include file 'a': file not found");
}

/* ---- scale ------------------------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long maxrss_kb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

#define BIG 1000000u

static void test_million_entries(void **state)
{
	(void)state;
	/* Inline: a million distinct /32s in reverse order plus some /24s
	 * and repeats, then the same through a set file. */
	size_t cap = (size_t)BIG * 20 + 4096, n = 0;
	char *text = malloc(cap);
	assert_non_null(text);
	n += (size_t)snprintf(text + n, cap - n, "set big {\n");
	for (uint32_t i = BIG; i-- > 0;)
		n += (size_t)snprintf(text + n, cap - n, "10.%u.%u.%u\n", i >> 16, (i >> 8) & 255,
				      i & 255);
	for (uint32_t i = 0; i < 1000; i++)
		n += (size_t)snprintf(text + n, cap - n, "10.0.%u.0/24\n10.0.0.%u\n", i & 255, i & 255);
	n += (size_t)snprintf(text + n, cap - n, "}\nrule src @big\n");

	struct cfg_errors e;
	struct cfg *cfg;
	cfg_errors_init(&e);
	long rss0 = maxrss_kb();
	double t0 = now_s();
	assert_int_equal(parse_buf("big.conf", text, n, NULL, &cfg, &e), 0);
	double t1 = now_s();
	long rss1 = maxrss_kb();
	const struct cfg_set *s = cfg_set_find(cfg, "big");
	assert_int_equal(s->n4, BIG + 256);
	assert_int_equal(s->n6, 0);
	for (uint32_t i = 1; i < s->n4; i++) {
		uint64_t a = ((uint64_t)s->v4[i - 1].addr << 8) | s->v4[i - 1].len;
		uint64_t b = ((uint64_t)s->v4[i].addr << 8) | s->v4[i].len;
		assert_true(a < b);
	}
	printf("    1M-entry inline set: %.2f s, max RSS +%ld KiB (ASan build)\n", t1 - t0,
	       rss1 - rss0);
	assert_true(t1 - t0 < 20.0);
	cfg_free(cfg);

	/* The same entries as a file, one per line. */
	struct vfile f = {"big.txt", text + strlen("set big {\n")};
	char *close = strstr(text, "}\nrule");
	*close = '\0';
	struct vfs v = {.files = &f, .n = 1};
	t0 = now_s();
	assert_int_equal(parse_str("m.conf", "set big file big.txt\n", &v, &cfg, &e), 0);
	t1 = now_s();
	assert_int_equal(cfg_set_find(cfg, "big")->n4, BIG + 256);
	printf("    1M-entry set file:   %.2f s\n", t1 - t0);
	cfg_free(cfg);

	/* IPv6 goes through the other sort. */
	n = 0;
	n += (size_t)snprintf(text + n, cap - n, "set big6 {\n");
	for (uint32_t i = 200000; i-- > 0;)
		n += (size_t)snprintf(text + n, cap - n, "2001:db8:%x:%x::/64 ::%x\n", i >> 16,
				      i & 0xffff, i % 1000);
	n += (size_t)snprintf(text + n, cap - n, "}\n");
	t0 = now_s();
	assert_int_equal(parse_buf("big6.conf", text, n, NULL, &cfg, &e), 0);
	t1 = now_s();
	s = cfg_set_find(cfg, "big6");
	assert_int_equal(s->n6, 200000 + 1000);
	for (uint32_t i = 1; i < s->n6; i++)
		assert_true(memcmp(s->v6[i - 1].addr, s->v6[i].addr, 16) < 0);
	printf("    200k-entry IPv6 set: %.2f s\n", t1 - t0);
	cfg_free(cfg);
	free(text);
	assert_int_equal(e.count, 0);
}

/* ---- robustness: mutated and random inputs ----------------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static void test_mutation_smoke(void **state)
{
	(void)state;
	static const struct vfile files[] = {
		{"inc.conf", "port 2 name c\n"},
		{"cyc.conf", "include cyc.conf\n"},
		{"s.txt", "1.2.3.4\n::1\n"},
	};
	static const char alphabet[] = "{}!@,;#\"\n :/.-_0123456789abcdefx\x00\xff\r\t";
	const char *seed_extra = "include inc.conf\nset f file s.txt\n#include cyc.conf\n";
	size_t base_len = strlen(brief_example) + strlen(seed_extra);
	char *base = malloc(base_len + 1);
	snprintf(base, base_len + 1, "%s%s", brief_example, seed_extra);
	char buf[4096];
	unsigned accepted = 0;
	for (unsigned iter = 0; iter < 20000; iter++) {
		size_t n = base_len;
		memcpy(buf, base, n);
		unsigned muts = 1 + rnd() % 8;
		for (unsigned m = 0; m < muts; m++) {
			size_t at = n ? rnd() % n : 0;
			char c = alphabet[rnd() % (sizeof(alphabet) - 1)];
			switch (rnd() % 3) {
			case 0:
				buf[at] = c;
				break;
			case 1:
				if (n < sizeof(buf) - 1) {
					memmove(buf + at + 1, buf + at, n - at);
					buf[at] = c;
					n++;
				}
				break;
			default:
				if (n) {
					memmove(buf + at, buf + at + 1, n - at - 1);
					n--;
				}
			}
		}
		if (iter % 10 == 0) { /* pure noise too */
			n = rnd() % 256;
			for (size_t i = 0; i < n; i++)
				buf[i] = (char)rnd();
		}
		struct vfs v = {.files = files, .n = 3};
		struct cfg_errors e;
		struct cfg *cfg;
		cfg_errors_init(&e);
		int rc = parse_buf("fz.conf", buf, n, &v, &cfg, &e);
		if (rc == 0) {
			accepted++;
			struct fw fw;
			fw_configure(&fw, cfg, &e);
			cfg_free(cfg);
		} else {
			assert_null(cfg);
			assert_true(e.count > 0);
		}
		for (unsigned i = 0; i < e.count && i < CFG_ERRORS_MAX; i++)
			assert_non_null(strstr(cfg_errors_get(&e, i), ": "));
	}
	printf("    mutation smoke: %u of 20000 inputs accepted by the framework\n", accepted);
	free(base);
}

/* cfg_parse_addr_port: the run-time name of a backend, either family. */
static void test_addr_port(void **state)
{
	(void)state;
	struct cfg_addr a;
	uint16_t port;
	assert_true(cfg_parse_addr_port("10.0.1.2:8080", &a, &port));
	assert_int_equal(a.family, CFG_AF_V4);
	assert_int_equal(cfg_addr_v4(&a), 0x0a000102);
	assert_int_equal(port, sys_be16(8080));
	assert_true(cfg_parse_addr_port("10.0.1.2", &a, &port));
	assert_int_equal(port, 0);
	assert_true(cfg_parse_addr_port("2001:db8::1", &a, &port));
	assert_int_equal(a.family, CFG_AF_V6);
	assert_int_equal(port, 0);
	assert_int_equal(a.a[0], 0x20);
	assert_int_equal(a.a[15], 1);
	assert_true(cfg_parse_addr_port("[2001:db8::1]:53", &a, &port));
	assert_int_equal(a.family, CFG_AF_V6);
	assert_int_equal(a.a[15], 1);
	assert_int_equal(port, sys_be16(53));
	assert_true(cfg_parse_addr_port("::1", &a, &port));
	static const char *const bad[] = {"", "[::1]", "[::1]:", "[::1]:0", "[::1]:65536",
					  "[::1]:080", "::1/128", "2001:db8:::1", "[10.0.0.1]:80",
					  "10.0.0.1:", "10.0.0.1/32", "[::1]x:80", "[::1]:80x",
					  "[::1]:123456"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(cfg_parse_addr_port(bad[i], &a, &port));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_brief_example),
		cmocka_unit_test(test_example_files),
		cmocka_unit_test(test_error_messages),
		cmocka_unit_test(test_whole_rejection),
		cmocka_unit_test(test_ipv6_forms),
		cmocka_unit_test(test_addr_port),
		cmocka_unit_test(test_token_classes),
		cmocka_unit_test(test_set_contents),
		cmocka_unit_test(test_includes),
		cmocka_unit_test(test_million_entries),
		cmocka_unit_test(test_mutation_smoke),
	};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
