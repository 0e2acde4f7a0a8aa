/* SPDX-License-Identifier: MIT */
/*
 * test_flows_match.c - `nfbox flows --match` (tools/flows_match.h): good
 * expressions match what they say, bad ones are refused with the column
 * of the first problem; and a flow line decodes back into the record it
 * was encoded from (tools/flows_view.h), so the filter sees what the
 * image saw.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "nf/flows.h"
#include "tools/flows_match.h"
#include "tools/flows_view.h"

/* tcp 10.0.0.5:40000 -> 192.0.2.10:80, NATed to 198.51.100.1:1024. */
static struct nf_flow sample(void)
{
	struct nf_flow f;
	memset(&f, 0, sizeof(f));
	const char *l = "flow 6 10.0.0.5 40000 192.0.2.10 80 192.0.2.10 80 198.51.100.1 1024 "
			"established 7439000 nat 198.51.100.1 1024";
	assert_true(flows_view_decode(l, strlen(l), &f));
	return f;
}

static bool matches(const char *expr, const struct nf_flow *f)
{
	struct flows_match m;
	char err[160];
	assert_int_equal(flows_match_parse(expr, &m, err, sizeof(err)), 0);
	return flows_match_eval(&m, f);
}

static void test_good_expressions(void **state)
{
	(void)state;
	struct nf_flow f = sample();
	assert_true(matches("src 10.0.0.5", &f));
	assert_true(matches("src 10.0.0.0/8 and dport 80", &f));
	assert_true(matches("proto tcp and state established", &f));
	assert_true(matches("  STATE Established  AND proto 6 ", &f));
	assert_true(matches("dport 1-100 and sport 40000", &f));
	assert_true(matches("host 198.51.100.1", &f)); /* the mapping */
	assert_true(matches("port 1024", &f));
	assert_true(matches("ipv4 and not ipv6 and not proto udp", &f));
	assert_true(matches("src 10.0.0.4/31", &f));
	assert_false(matches("src 10.0.0.6", &f));
	assert_false(matches("src 10.0.0.6/32", &f));
	assert_false(matches("dst 10.0.0.5", &f));
	assert_false(matches("dport 81-90", &f));
	assert_false(matches("proto udp", &f));
	assert_false(matches("state syn_sent", &f));
	assert_false(matches("src 10.0.0.5 and dport 443", &f));
	assert_false(matches("src 2001:db8::1", &f));
	assert_false(matches("ipv6", &f));
}

static void bad(const char *expr, const char *want)
{
	struct flows_match m;
	char err[160] = "";
	assert_int_equal(flows_match_parse(expr, &m, err, sizeof(err)), -1);
	if (strcmp(err, want) != 0)
		fail_msg("'%s': got \"%s\", want \"%s\"", expr, err, want);
}

static void test_bad_expressions(void **state)
{
	(void)state;
	bad("", "column 1: want a term (src, dst, host, sport, dport, port, proto, state, ipv4, ipv6) at the end");
	bad("srcc 10.0.0.1", "column 1: want src, dst, host, sport, dport, port, proto, state, ipv4 or ipv6, not 'srcc'");
	bad("src", "column 4: want an address or ADDR/LEN after 'src' at the end");
	bad("src 10.0.0.300", "column 5: want an address or ADDR/LEN after 'src', not '10.0.0.300'");
	bad("src 10.0.0.0/33", "column 5: want an address or ADDR/LEN after 'src', not '10.0.0.0/33'");
	bad("dport 80 or dport 443", "column 10: want 'and' between terms, not 'or'");
	bad("dport 65536", "column 7: want a port 0-65535 or a range N-M after 'dport', not '65536'");
	bad("dport 90-80", "column 7: want a port 0-65535 or a range N-M after 'dport', not '90-80'");
	bad("proto tcp and", "column 14: want a term after 'and' at the end");
	bad("proto gre", "column 7: want tcp, udp, icmp, icmp6, sctp or 0-255 after 'proto', not 'gre'");
	bad("not", "column 4: want src, dst, host, sport, dport, port, proto, state, ipv4 or ipv6 at the end");
	bad("state averyveryverylongstate", "column 7: want a state (established, syn_sent, replied, ...) after 'state', not 'averyveryverylongstate'");
}

static void test_line_round_trip(void **state)
{
	(void)state;
	struct nf_flow f;
	memset(&f, 0, sizeof(f));
	f.orig.family = f.reply.family = FLOW_FAMILY_V6;
	f.orig.proto = f.reply.proto = 17;
	f.orig.src.v6[0] = 0x20, f.orig.src.v6[1] = 0x01, f.orig.src.v6[15] = 1;
	f.orig.dst.v6[0] = 0xfd, f.orig.dst.v6[15] = 0x53;
	f.orig.sport = sys_htons(5353);
	f.orig.dport = sys_htons(53);
	flow_key_reverse(&f.orig, &f.reply);
	snprintf(f.state, sizeof(f.state), "replied");
	f.expires_ns = 299000000000ull;
	f.have = NF_FLOW_AGE | NF_FLOW_BACKEND;
	f.age_ns = 1000000000ull;
	f.map_family = FLOW_FAMILY_V4;
	f.map_addr.v4 = sys_htonl(0x0a000101u);
	f.map_port = sys_htons(5353);
	char line[NF_FLOWS_LINE_MAX];
	int n = nf_flow_encode(&f, line, sizeof(line));
	assert_string_equal(line, "flow 17 2001::1 5353 fd00::53 53 fd00::53 53 2001::1 5353 replied 299000 "
				  "age 1000 backend 10.0.1.1 5353");
	struct nf_flow g;
	assert_true(flows_view_decode(line, (size_t)n, &g));
	assert_memory_equal(&f.orig, &g.orig, sizeof(f.orig));
	assert_memory_equal(&f.reply, &g.reply, sizeof(f.reply));
	assert_string_equal(g.state, "replied");
	assert_int_equal(g.have, f.have);
	assert_int_equal(g.age_ns, f.age_ns);
	assert_int_equal(g.expires_ns, f.expires_ns);
	assert_int_equal(g.map_addr.v4, f.map_addr.v4);
	assert_int_equal(g.map_port, f.map_port);
	assert_true(matches("ipv6 and host 10.0.1.1 and dport 53 and state replied", &g));
	/* Not a flow line, or a damaged one. */
	assert_false(flows_view_decode("flow 17 2001::1 5353", 20, &g));
	const char *cut = "flow 6 10.0.0.5 40000 192.0.2.10 80 - - - - oneway 1 nat 1.2.3.4";
	assert_false(flows_view_decode(cut, strlen(cut), &g));
	const char *one = "flow 6 10.0.0.5 40000 192.0.2.10 80 - - - - oneway 1";
	assert_true(flows_view_decode(one, strlen(one), &g));
	assert_int_equal(g.reply.family, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_expressions),
		cmocka_unit_test(test_bad_expressions),
		cmocka_unit_test(test_line_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
