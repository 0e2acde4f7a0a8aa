/* SPDX-License-Identifier: MIT */
/*
 * test_firewall_config.c - the firewall's config: every kind of mistake is
 * reported as FILE:LINE:COL at the offending token (the config is then
 * rejected whole), and good statements compile to the rules they say.
 *
 * The mistakes table is the list of kinds the firewall promises to catch;
 * some are the framework's (lexer, sets, ports), most the firewall's own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "dataplane/nf.h"
#include "nf/firewall/fw_cls.h"
#include "nf/firewall/fw_match.h"
#include "nf/firewall/fw_rules.h"
#include "nf/firewall/fw_set.h"

/* In-memory files for include / set file. */
static int loader(void *ctx, const char *path, const char *from, char **text, size_t *len)
{
	(void)ctx;
	(void)from;
	static const struct {
		const char *name, *text;
	} files[] = {
		{"common.conf", "set inc { 192.0.2.0/24 }\naccept src @inc\n"},
		{"bad.conf", "accept proto tcp dport 99999\n"},
		{"list.txt", "# blocklist\n198.51.100.0/24\n2001:db8:bad::/48\n203.0.113.7\n"},
	};
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (strcmp(base, files[i].name) == 0) {
			*len = strlen(files[i].text);
			*text = sys_alloc(*len + 1, 8);
			memcpy(*text, files[i].text, *len);
			return 0;
		}
	}
	return -SYS_ENOENT;
}

static struct cfg_errors errs;

/* Parse and compile; returns the rule set or NULL with errs filled. */
static struct fw_rules *compile(const char *text)
{
	cfg_errors_init(&errs);
	struct cfg *cfg = NULL;
	if (cfg_parse("fw.conf", text, strlen(text), loader, NULL, &cfg, &errs))
		return NULL;
	struct fw_rules *rs = NULL;
	int rc = fw_rules_compile(cfg, &errs, &rs);
	cfg_free(cfg);
	if (rc) {
		assert_null(rs);
		assert_true(errs.count > 0);
		return NULL;
	}
	assert_int_equal(errs.count, 0);
	return rs;
}

struct mistake {
	const char *kind;
	const char *text;
	const char *error; /* the first error, exactly */
};

static const struct mistake mistakes[] = {
	{"unknown keyword", "port 0 name in\nfrobnicate 3\n",
	 "fw.conf:2:1: unknown keyword 'frobnicate'"},
	{"bad CIDR (host bits)", "drop src 10.0.0.1/8\n",
	 "fw.conf:1:10: host bits set in 10.0.0.1/8"},
	{"bad IPv4 octet", "drop src 10.0.0.300\n",
	 "fw.conf:1:10: IPv4 octet 300 out of range 0-255 in '10.0.0.300'"},
	{"prefix length too long", "drop dst 2001:db8::/129\n",
	 "fw.conf:1:10: prefix length 129 too long for IPv6 (max 128) in '2001:db8::/129'"},
	{"port out of range", "accept proto tcp dport 70000\n",
	 "fw.conf:1:24: destination port 70000 out of range 0-65535"},
	{"inverted port range", "accept proto udp sport 90-80\n",
	 "fw.conf:1:24: inverted source port range 90-80 (90 > 80)"},
	{"empty set", "set e { }\ndrop src @e\n",
	 "fw.conf:1:5: empty set 'e'"},
	{"unknown set", "drop src @nope\n", "fw.conf:1:10: unknown set '@nope'"},
	{"duplicate port name", "port 0 name a\nport 1 name a\n",
	 "fw.conf:2:13: duplicate port name 'a' (already port 0)"},
	{"unknown port", "port 0 name inside\naccept from dmz\n",
	 "fw.conf:2:13: unknown port 'dmz'"},
	{"missing port after from", "accept from\n",
	 "fw.conf:1:12: expected port name or number, got end of statement"},
	{"unknown protocol", "accept proto tcpp\n", "fw.conf:1:14: unknown protocol 'tcpp'"},
	{"protocol number out of range", "accept proto 300\n",
	 "fw.conf:1:14: protocol 300 out of range 0-255"},
	{"empty protocol list", "accept proto { }\n",
	 "fw.conf:1:16: empty protocol list"},
	{"ports on a protocol without them", "accept proto icmp dport 80\n",
	 "fw.conf:1:19: 'dport' applies to tcp and udp only, not to the rule's protocol"},
	{"flags on udp", "accept proto udp flags syn\n",
	 "fw.conf:1:18: 'flags' applies to tcp only, not to the rule's protocol"},
	{"unknown TCP flag", "accept proto tcp flags sin\n",
	 "fw.conf:1:24: unknown TCP flag 'sin' (fin syn rst psh ack urg ece cwr, or pf's "
	 "letters like S/SA)"},
	{"flags that can never match", "accept proto tcp flags S/A\n",
	 "fw.conf:1:24: flags S/A can never match: a flag that must be set is outside the "
	 "mask"},
	{"TCP flag given twice", "accept proto tcp flags syn !syn\n",
	 "fw.conf:1:29: TCP flag 'syn' given twice"},
	{"match given twice", "accept proto tcp proto udp\n",
	 "fw.conf:1:18: 'proto' given twice in one rule"},
	{"ip and ip6 together", "accept ip ip6\n",
	 "fw.conf:1:11: 'ip6' after 'ip': a rule is IPv4 or IPv6, or both when neither is "
	 "given"},
	{"address of the other family", "accept ip6 src 10.0.0.0/8\n",
	 "fw.conf:1:12: the source is IPv4 only but the rest of the rule is IPv6 only: it can never "
	 "match"},
	{"source and destination of different families", "accept src 10.0.0.1 dst 2001:db8::1\n",
	 "fw.conf:1:21: the destination is IPv6 only but the rest of the rule is IPv4 "
	 "only: it can never match"},
	{"icmp in an IPv6 rule", "accept ip6 proto icmp\n",
	 "fw.conf:1:12: the protocol (icmp is IPv4's, icmp6 IPv6's) is IPv4 only but the "
	 "rest of the rule is IPv6 only: it can never match"},
	{"negated any", "drop src !any\n",
	 "fw.conf:1:11: '!any' matches nothing"},
	{"unknown match", "accept to inside\n",
	 "fw.conf:1:8: unknown match 'to' in a rule (expected from, ip, ip6, proto, src, "
	 "dst, sport, dport, flags or log)"},
	{"default given twice", "default drop\ndefault accept\n",
	 "fw.conf:2:1: 'default' given twice (first at line 1)"},
	{"default without action", "default\n",
	 "fw.conf:1:8: expected default action (accept|drop|reject), got end of statement"},
	{"bad default action", "default pass\n",
	 "fw.conf:1:9: expected default action (accept|drop|reject), got 'pass'"},
	{"stateful not on/off", "stateful maybe\n",
	 "fw.conf:1:10: expected stateful setting (on|off), got 'maybe'"},
	{"stateful given twice", "stateful on\nstateful off\n",
	 "fw.conf:2:1: 'stateful' given twice (first at line 1)"},
	{"bad tcp-window mode", "tcp-window liberal\n",
	 "fw.conf:1:12: expected tcp-window mode (strict|sloppy), got 'liberal'"},
	{"tcp-window given twice", "tcp-window sloppy\ntcp-window strict\n",
	 "fw.conf:2:1: 'tcp-window' given twice (first at line 1)"},
	{"tcp-window without mode", "tcp-window\n",
	 "fw.conf:1:11: expected tcp-window mode (strict|sloppy), got end of statement"},
	{"unknown timeout name", "timeout tcp 5\n",
	 "fw.conf:1:9: expected timeout name "
	 "(tcp-established|tcp-transitory|tcp-closed|udp|icmp|other|fragment), got 'tcp'"},
	{"timeout out of range", "timeout udp 0\n",
	 "fw.conf:1:13: timeout in seconds 0 out of range 1-1000000"},
	{"timeout without value", "timeout udp\n",
	 "fw.conf:1:12: expected timeout in seconds, got end of statement"},
	{"timeout given twice", "timeout udp 5 udp 6\n",
	 "fw.conf:1:15: timeout 'udp' given twice (first at line 1)"},
	{"empty timeout statement", "timeout\n",
	 "fw.conf:1:8: expected a timeout name (tcp-established, tcp-transitory, "
	 "tcp-closed, udp, icmp, other or fragment)"},
	{"missing include", "include nothere.conf\n",
	 "fw.conf:1:9: cannot read include file 'nothere.conf': file not found"},
	{"error inside an include", "include bad.conf\n",
	 "bad.conf:1:24: destination port 99999 out of range 0-65535"},
	{"trailing garbage after log", "drop src 10.0.0.0/8 log 5\n",
	 "fw.conf:1:25: unknown match '5' in a rule (expected from, ip, ip6, proto, src, "
	 "dst, sport, dport, flags or log)"},
	{"empty address list", "drop src { }\n",
	 "fw.conf:1:10: empty source address list"},
	{"bad non-ip action", "non-ip reject\n",
	 "fw.conf:1:8: expected action for non-IP frames (accept|drop), got 'reject'"},
};

static void test_mistakes(void **state)
{
	(void)state;
	unsigned n = 0;
	for (size_t i = 0; i < sizeof(mistakes) / sizeof(mistakes[0]); i++) {
		const struct mistake *m = &mistakes[i];
		struct fw_rules *rs = compile(m->text);
		const char *got = cfg_errors_get(&errs, 0);
		if (rs || !got) {
			fprintf(stderr, "mistake '%s' was accepted:\n%s\n", m->kind, m->text);
			fail();
		}
		if (getenv("FW_TEST_VERBOSE"))
			fprintf(stderr, "%-44s %s\n", m->kind, got);
		/* Every message is FILE:LINE:COL: text. */
		unsigned line, col;
		char file[64];
		if (sscanf(got, "%63[^:]:%u:%u: ", file, &line, &col) != 3) {
			fprintf(stderr, "mistake '%s': no FILE:LINE:COL in '%s'\n", m->kind, got);
			fail();
		}
		if (m->error && strcmp(m->error, got) != 0) {
			fprintf(stderr, "mistake '%s':\n  want %s\n  got  %s\n", m->kind, m->error, got);
			fail();
		}
		n++;
	}
	assert_true(n >= 15);
}

/* All errors of a config are reported, one per bad statement. */
static void test_all_errors_reported(void **state)
{
	(void)state;
	assert_null(compile("accept proto tcpp\n"
			    "drop src @nope\n"
			    "accept proto udp dport 1 log\n"
			    "timeout udp 0\n"));
	assert_int_equal(errs.count, 3);
	assert_string_equal(cfg_errors_get(&errs, 0), "fw.conf:1:14: unknown protocol 'tcpp'");
	assert_string_equal(cfg_errors_get(&errs, 1), "fw.conf:2:10: unknown set '@nope'");
	assert_non_null(strstr(cfg_errors_get(&errs, 2), "fw.conf:4:13: "));
}

static void test_example_compiles(void **state)
{
	(void)state;
	struct fw_rules *rs = compile(
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
		"drop   src 10.0.0.0/8 dst !10.0.0.0/8 sport 1-1023 log\n");
	assert_non_null(rs);
	assert_int_equal(rs->n_rules, 7);
	assert_int_equal(rs->def_action, FW_ACT_DROP);
	assert_true(rs->stateful);
	assert_false(rs->tcp_sloppy); /* strict unless asked */
	assert_int_equal(rs->tmo_sec[FW_TMO_TCP_EST], 7440);
	assert_int_equal(rs->tmo_sec[FW_TMO_ICMP], 60);
	assert_int_equal(rs->tmo_sec[FW_TMO_TCP_CLOSED], fw_tmo_default[FW_TMO_TCP_CLOSED]);
	assert_int_equal(rs->n_sets, 1);

	const struct fw_rule *r = &rs->rules[0];
	assert_int_equal(r->action, FW_ACT_DROP);
	assert_int_equal(r->in_port, 1);
	assert_int_equal(r->src.kind, FW_ADDR_SET);
	assert_int_equal(r->fams, FW_FAM_ANY);

	r = &rs->rules[1];
	assert_int_equal(r->in_port, 0);
	assert_false(r->any_proto);
	assert_int_equal(r->dport.n, 4);
	assert_int_equal(r->dport.r[3].lo, 8000);
	assert_int_equal(r->dport.r[3].hi, 8080);

	assert_int_equal(rs->rules[2].fams, FW_FAM_V4); /* dst 10.0.0.53 */
	assert_int_equal(rs->rules[3].fams, FW_FAM_V4); /* icmp */
	assert_int_equal(rs->rules[4].fams, FW_FAM_V6);
	assert_int_equal(rs->rules[5].action, FW_ACT_REJECT);

	r = &rs->rules[6];
	assert_true(r->log);
	assert_true(r->dst.negate);
	/* sport without a protocol implies tcp and udp */
	assert_false(r->any_proto);
	assert_int_equal(r->proto[0], (1ull << 6) | (1ull << 17));
	assert_string_equal(r->where, "fw.conf:13");
	fw_rules_free(rs);
}

static void test_flags_forms(void **state)
{
	(void)state;
	struct fw_rules *rs = compile("accept proto tcp flags syn !ack\n"
				      "accept proto tcp flags S/SA\n"
				      "accept flags fin\n"
				      "accept proto tcp flags FA/FSRA log\n");
	assert_non_null(rs);
	assert_int_equal(rs->rules[0].flags_mask, 0x12);
	assert_int_equal(rs->rules[0].flags_want, 0x02);
	assert_int_equal(rs->rules[1].flags_mask, 0x12);
	assert_int_equal(rs->rules[1].flags_want, 0x02);
	assert_int_equal(rs->rules[2].flags_mask, 0x01);
	assert_false(rs->rules[2].any_proto); /* flags imply tcp */
	assert_int_equal(rs->rules[3].flags_mask, 0x17);
	assert_int_equal(rs->rules[3].flags_want, 0x11);
	assert_true(rs->rules[3].log);
	fw_rules_free(rs);
}

static void test_includes_and_set_files(void **state)
{
	(void)state;
	struct fw_rules *rs = compile("include common.conf\n"
				      "set bl file \"list.txt\"\n"
				      "drop src @bl\n"
				      "drop dst @bl\n"
				      "accept proto { tcp udp 132 }\n");
	assert_non_null(rs);
	assert_int_equal(rs->n_rules, 4);
	assert_int_equal(rs->n_sets, 2); /* inc and bl, each compiled once */
	assert_int_equal(rs->rules[1].src.set_idx, rs->rules[2].dst.set_idx);
	const struct fw_set *s = rs->sets[rs->rules[1].src.set_idx];
	assert_int_equal(s->n4, 2);
	assert_int_equal(s->n6, 1);
	assert_true(fw_set_has4(s, 0xcb007107u));  /* 203.0.113.7 */
	assert_false(fw_set_has4(s, 0xcb007108u));
	assert_true(fw_set_has6(s, 0x20010db80badffffull, 1));
	assert_false(fw_set_has6(s, 0x20010db80bae0000ull, 1));
	assert_true(rs->rules[3].proto[2] & (1ull << (132 - 128)));
	fw_rules_free(rs);
}

/* Reload is all or nothing: a bad config leaves the running rules alone. */
static void test_reload_all_or_nothing(void **state)
{
	(void)state;
	const struct nf_ops *nf = nf_find("firewall");
	assert_non_null(nf);
	struct nf_env env = {.pool = NULL, .n_ports = 2, .flow_capacity = 64};
	void *st = nf->create(&env);
	assert_non_null(st);
	const char *good = "accept proto tcp\n", *bad = "accept proto tcp\ndrop src @none\n";
	struct cfg *cfg = NULL;
	cfg_errors_init(&errs);
	assert_int_equal(cfg_parse("a.conf", good, strlen(good), NULL, NULL, &cfg, &errs), 0);
	assert_int_equal(nf->configure(st, cfg, &errs), 0);
	cfg_free(cfg);
	cfg_errors_init(&errs);
	assert_int_equal(cfg_parse("b.conf", bad, strlen(bad), NULL, NULL, &cfg, &errs), 0);
	assert_int_not_equal(nf->configure(st, cfg, &errs), 0);
	assert_string_equal(cfg_errors_get(&errs, 0), "b.conf:2:10: unknown set '@none'");
	cfg_free(cfg);
	nf->destroy(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mistakes),
		cmocka_unit_test(test_all_errors_reported),
		cmocka_unit_test(test_example_compiles),
		cmocka_unit_test(test_flags_forms),
		cmocka_unit_test(test_includes_and_set_files),
		cmocka_unit_test(test_reload_all_or_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
