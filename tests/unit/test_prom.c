/* SPDX-License-Identifier: MIT */
/*
 * test_prom.c - stats text to Prometheus exposition (tools/prom.c): each
 * naming rule of prom.h on real counter lines of the firewall, the NAT and
 * the LB, label escaping, gauges without _total, HELP/TYPE once per family
 * with its samples together, and targets that did not answer.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tools/prom.h"

static char *render(struct prom_set *s)
{
	char *out = NULL;
	size_t len;
	FILE *f = open_memstream(&out, &len);
	assert_non_null(f);
	prom_write(s, f);
	fclose(f);
	prom_free(s);
	return out;
}

static char *one(const char *target, const char *text)
{
	struct prom_set *s = prom_new();
	prom_add_stats(s, target, text);
	return render(s);
}

/* The exposition must hold `line` as a whole line. */
static void has_line(const char *out, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = out; (p = strstr(p, line)) != NULL; p++)
		if ((p == out || p[-1] == '\n') && p[n] == '\n')
			return;
	fail_msg("no line '%s' in:\n%s", line, out);
}

static void lacks(const char *out, const char *what)
{
	if (strstr(out, what))
		fail_msg("'%s' should not be in:\n%s", what, out);
}

static const char fw_text[] =
	"port0.name inside\n"
	"port0.rx_pkts 44\n"
	"port1.name outside\n"
	"port1.tx_bytes 2516\n"
	"loop.parsed_ok 67\n"
	"malformed.total 2\n"
	"firewall.stateful on\n"
	"firewall.rules 4\n"
	"firewall.flows 11\n"
	"firewall.flows_created 12\n"
	"firewall.drop_policy 2\n"
	"firewall.drop_invalid_out_of_window 1\n"
	"firewall.frag_table 0\n"
	"firewall_inside.accepted 42\n"
	"firewall_outside.dropped 1\n"
	"firewall_rules.rule1_at /etc/nfbox/fw.conf:8\n"
	"firewall_rules.rule1_packets 7\n"
	"firewall_rules.default_packets 3\n";

static void test_firewall(void **state)
{
	(void)state;
	char *o = one("fw", fw_text);
	/* No image section: the function is the first section of its own. */
	has_line(o, "nfbox_port_rx_pkts_total{target=\"fw\",function=\"firewall\",port=\"inside\",index=\"0\"} 44");
	has_line(o, "nfbox_port_tx_bytes_total{target=\"fw\",function=\"firewall\",port=\"outside\",index=\"1\"} 2516");
	has_line(o, "nfbox_loop_parsed_ok_total{target=\"fw\",function=\"firewall\"} 67");
	has_line(o, "nfbox_malformed_total{target=\"fw\",function=\"firewall\"} 2"); /* not _total_total */
	has_line(o, "nfbox_firewall_rules{target=\"fw\",function=\"firewall\"} 4");
	has_line(o, "# TYPE nfbox_firewall_rules gauge");
	has_line(o, "nfbox_firewall_flows{target=\"fw\",function=\"firewall\"} 11");
	has_line(o, "nfbox_firewall_flows_created_total{target=\"fw\",function=\"firewall\"} 12");
	has_line(o, "# TYPE nfbox_firewall_flows_created_total counter");
	has_line(o, "nfbox_firewall_frag_table{target=\"fw\",function=\"firewall\"} 0");
	has_line(o, "nfbox_firewall_drops_total{target=\"fw\",function=\"firewall\",reason=\"policy\"} 2");
	has_line(o, "nfbox_firewall_drops_total{target=\"fw\",function=\"firewall\",reason=\"invalid_out_of_window\"} 1");
	has_line(o, "nfbox_firewall_port_accepted_total{target=\"fw\",function=\"firewall\",port=\"inside\"} 42");
	has_line(o, "nfbox_firewall_port_dropped_total{target=\"fw\",function=\"firewall\",port=\"outside\"} 1");
	has_line(o, "nfbox_firewall_rule_packets_total{target=\"fw\",function=\"firewall\",rule=\"1\",at=\"/etc/nfbox/fw.conf:8\"} 7");
	has_line(o, "nfbox_firewall_rule_packets_total{target=\"fw\",function=\"firewall\",rule=\"default\"} 3");
	has_line(o, "nfbox_info{target=\"fw\",function=\"firewall\",key=\"firewall.stateful\",value=\"on\"} 1");
	lacks(o, "_at_"); /* a location is a label, not a sample */
	lacks(o, "port_name");
	free(o);
}

static const char lb_text[] =
	"image.function lb\n"
	"idle.halted_ms 5737\n"
	"lb.backends_down 1\n"
	"lb.drop_no_backend 3\n"
	"lb_vip.web_connections 6\n"
	"lb_vip.dns_udp_packets_to_server 4\n"
	"lb_backend.web_10.0.1.2_8080_admin down\n"
	"lb_backend.web_10.0.1.1_8080_admin up\n"
	"lb_backend.web_10.0.1.1_8080_connections 2\n"
	"lb_backend.web_10.0.1.1_8080_weight 2\n"
	"lb_backend.v6_2001:db8::5_443_active 1\n";

static void test_lb(void **state)
{
	(void)state;
	char *o = one("chain.chain:lb", lb_text);
	has_line(o, "nfbox_idle_halted_seconds_total{target=\"chain.chain:lb\",function=\"lb\"} 5.737");
	has_line(o, "nfbox_lb_backends_down{target=\"chain.chain:lb\",function=\"lb\"} 1");
	has_line(o, "nfbox_lb_drops_total{target=\"chain.chain:lb\",function=\"lb\",reason=\"no_backend\"} 3");
	has_line(o, "nfbox_lb_vip_connections_total{target=\"chain.chain:lb\",function=\"lb\",vip=\"web\"} 6");
	/* A VIP name with '_' in it: the key is the known tail. */
	has_line(o, "nfbox_lb_vip_packets_to_server_total{target=\"chain.chain:lb\",function=\"lb\",vip=\"dns_udp\"} 4");
	has_line(o, "nfbox_lb_backend_admin_up{target=\"chain.chain:lb\",function=\"lb\",vip=\"web\",address=\"10.0.1.2\",port=\"8080\"} 0");
	has_line(o, "nfbox_lb_backend_admin_up{target=\"chain.chain:lb\",function=\"lb\",vip=\"web\",address=\"10.0.1.1\",port=\"8080\"} 1");
	has_line(o, "nfbox_lb_backend_connections_total{target=\"chain.chain:lb\",function=\"lb\",vip=\"web\",address=\"10.0.1.1\",port=\"8080\"} 2");
	has_line(o, "nfbox_lb_backend_weight{target=\"chain.chain:lb\",function=\"lb\",vip=\"web\",address=\"10.0.1.1\",port=\"8080\"} 2");
	has_line(o, "nfbox_lb_backend_active{target=\"chain.chain:lb\",function=\"lb\",vip=\"v6\",address=\"2001:db8::5\",port=\"443\"} 1");
	lacks(o, "image_function");
	free(o);
}

static void test_nat_pool_and_frag_drops(void **state)
{
	(void)state;
	char *o = one("n", "image.function nat\n"
			   "nat.sessions_active 12\n"
			   "nat.frag_drop_timeout 5\n"
			   "nat_pool.198.51.100.1_tcp_ports_used 7\n"
			   "nat.mapping endpoint-independent\n");
	has_line(o, "nfbox_nat_sessions_active{target=\"n\",function=\"nat\"} 12");
	has_line(o, "nfbox_nat_frag_drops_total{target=\"n\",function=\"nat\",reason=\"timeout\"} 5");
	has_line(o, "nfbox_nat_pool_tcp_ports_used{target=\"n\",function=\"nat\",address=\"198.51.100.1\"} 7");
	has_line(o, "nfbox_info{target=\"n\",function=\"nat\",key=\"nat.mapping\",value=\"endpoint-independent\"} 1");
	free(o);
}

/* Two targets, one down: one HELP/TYPE per family, its samples together. */
static void test_families_and_up(void **state)
{
	(void)state;
	struct prom_set *s = prom_new();
	prom_add_up(s, "a", 1, 0.25);
	prom_add_stats(s, "a", "image.function fwd\nloop.parsed_ok 1\nport0.rx_pkts 5\n");
	prom_add_up(s, "b\"x\\", 0, 2.0);
	prom_add_up(s, "c", 1, 0.5);
	prom_add_stats(s, "c", "image.function fwd\nloop.parsed_ok 9\nport0.rx_pkts 6\n");
	char *o = render(s);
	has_line(o, "nfbox_up{target=\"a\"} 1");
	has_line(o, "nfbox_up{target=\"b\\\"x\\\\\"} 0"); /* " and \ escaped */
	has_line(o, "nfbox_scrape_duration_seconds{target=\"c\"} 0.500000");
	const char *t1 = strstr(o, "# TYPE nfbox_loop_parsed_ok_total counter\n");
	assert_non_null(t1);
	assert_null(strstr(t1 + 1, "# TYPE nfbox_loop_parsed_ok_total"));
	/* Both samples follow their TYPE line directly. */
	const char *a = strstr(t1, "\n") + 1;
	assert_int_equal(strncmp(a, "nfbox_loop_parsed_ok_total{target=\"a\"", 37), 0);
	a = strstr(a, "\n") + 1;
	assert_int_equal(strncmp(a, "nfbox_loop_parsed_ok_total{target=\"c\"", 37), 0);
	free(o);
}

/* Lines that are not counters (console noise, no value) give nothing. */
static void test_noise(void **state)
{
	(void)state;
	char *o = one("x", "nfbox: reload ok\n\nno-dot-here 5\nloop.parsed_ok\n"
			   "loop.emitted 3\r\n");
	has_line(o, "nfbox_loop_emitted_total{target=\"x\"} 3"); /* no function known */
	lacks(o, "reload");
	lacks(o, "no_dot");
	free(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_firewall),
		cmocka_unit_test(test_lb),
		cmocka_unit_test(test_nat_pool_and_frag_drops),
		cmocka_unit_test(test_families_and_up),
		cmocka_unit_test(test_noise),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
