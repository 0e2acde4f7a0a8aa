/* SPDX-License-Identifier: MIT */
/*
 * test_firewall_ct.c - the TCP state machine of fw_ct.c, sequence by
 * sequence: handshakes (normal and simultaneous), teardown by FIN and RST,
 * reopening after close, and packets invalid for their state.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/flowtable.h"
#include "dataplane/parse.h"
#include "nf/firewall/fw_ct.h"
#include "nf/firewall/fw_rules.h"

#define O FT_DIR_ORIG
#define R FT_DIR_REPLY
#define S TCP_SYN
#define A TCP_ACK
#define F TCP_FIN
#define RST TCP_RST

struct step {
	int dir;
	uint8_t flags;
	enum fw_ct_verdict want;
	unsigned state; /* after the step */
};

static void run(const char *name, const struct step *s, size_t n)
{
	uint64_t u = fw_ct_make(FW_CT_SYN_SENT, 0, 1);
	for (size_t i = 0; i < n; i++) {
		enum fw_ct_verdict v = fw_ct_tcp(&u, s[i].dir, s[i].flags);
		if (v != s[i].want || fw_ct_state(u) != s[i].state) {
			fprintf(stderr, "%s step %zu: verdict %d state %s, want %d %s\n", name, i, v,
				fw_ct_state_name(fw_ct_state(u)), s[i].want,
				fw_ct_state_name(s[i].state));
			fail();
		}
	}
	/* The port and rule bits survive every step. */
	assert_int_equal(fw_ct_port(u), 0);
	assert_int_equal(fw_ct_rule(u), 1);
}
#define RUN(steps) run(#steps, steps, sizeof(steps) / sizeof(steps[0]))

static void test_handshake_and_fin(void **state)
{
	(void)state;
	static const struct step steps[] = {
		{O, S, FW_CT_PASS, FW_CT_SYN_SENT},              /* retransmitted SYN */
		{R, S | A, FW_CT_PASS, FW_CT_SYN_RECV},
		{R, S | A, FW_CT_PASS, FW_CT_SYN_RECV},          /* retransmitted SYN+ACK */
		{O, A, FW_CT_PASS, FW_CT_ESTABLISHED},
		{R, A | TCP_PSH, FW_CT_PASS, FW_CT_ESTABLISHED},
		{O, S, FW_CT_INVALID, FW_CT_ESTABLISHED},        /* SYN on a live flow */
		{R, S | A, FW_CT_PASS, FW_CT_ESTABLISHED},       /* late duplicate */
		{O, F | A, FW_CT_PASS, FW_CT_FIN_WAIT},
		{R, A, FW_CT_PASS, FW_CT_FIN_WAIT},
		{O, F | A, FW_CT_PASS, FW_CT_FIN_WAIT},          /* retransmitted FIN */
		{R, F | A, FW_CT_PASS, FW_CT_CLOSING},
		{R, A, FW_CT_PASS, FW_CT_CLOSING},               /* not the last ACK */
		{O, A, FW_CT_PASS, FW_CT_TIME_WAIT},
		{R, A, FW_CT_PASS, FW_CT_TIME_WAIT},
		{O, S, FW_CT_REOPEN, FW_CT_TIME_WAIT},
	};
	RUN(steps);
}

static void test_fin_from_replier_first(void **state)
{
	(void)state;
	static const struct step steps[] = {
		{R, S | A, FW_CT_PASS, FW_CT_SYN_RECV},
		{O, A, FW_CT_PASS, FW_CT_ESTABLISHED},
		{R, F | A, FW_CT_PASS, FW_CT_FIN_WAIT},
		{O, F | A, FW_CT_PASS, FW_CT_CLOSING},
		{O, A, FW_CT_PASS, FW_CT_CLOSING},
		{R, A, FW_CT_PASS, FW_CT_TIME_WAIT},
	};
	RUN(steps);
}

static void test_simultaneous_open(void **state)
{
	(void)state;
	static const struct step steps[] = {
		{R, S, FW_CT_PASS, FW_CT_SYN_SENT2},
		{O, S, FW_CT_PASS, FW_CT_SYN_SENT2},
		{R, A, FW_CT_INVALID, FW_CT_SYN_SENT2},
		{O, S | A, FW_CT_PASS, FW_CT_SYN_RECV},
		{R, S | A, FW_CT_PASS, FW_CT_SYN_RECV},
		{R, A, FW_CT_PASS, FW_CT_ESTABLISHED},
	};
	RUN(steps);
}

static void test_rst(void **state)
{
	(void)state;
	static const struct step refused[] = {
		{R, RST | A, FW_CT_PASS, FW_CT_CLOSED},
		{O, A, FW_CT_PASS, FW_CT_CLOSED},
		{R, S | A, FW_CT_INVALID, FW_CT_CLOSED},
		{O, S, FW_CT_REOPEN, FW_CT_CLOSED},
	};
	RUN(refused);
	static const struct step reset[] = {
		{R, S | A, FW_CT_PASS, FW_CT_SYN_RECV},
		{O, A, FW_CT_PASS, FW_CT_ESTABLISHED},
		{O, RST, FW_CT_PASS, FW_CT_CLOSED},
		{R, RST, FW_CT_PASS, FW_CT_CLOSED},
	};
	RUN(reset);
}

static void test_invalid(void **state)
{
	(void)state;
	static const struct step before_synack[] = {
		{O, A, FW_CT_INVALID, FW_CT_SYN_SENT},     /* ACK before the SYN+ACK */
		{R, A, FW_CT_INVALID, FW_CT_SYN_SENT},
		{O, S | A, FW_CT_INVALID, FW_CT_SYN_SENT}, /* SYN+ACK from the opener */
		{O, S | F, FW_CT_INVALID, FW_CT_SYN_SENT},
		{O, S | RST, FW_CT_INVALID, FW_CT_SYN_SENT},
		{O, 0, FW_CT_INVALID, FW_CT_SYN_SENT},     /* null scan */
		{O, F, FW_CT_INVALID, FW_CT_SYN_SENT},     /* FIN scan */
		{R, S | A, FW_CT_PASS, FW_CT_SYN_RECV},
		{R, S, FW_CT_INVALID, FW_CT_SYN_RECV},
	};
	RUN(before_synack);
	assert_true(fw_ct_tcp_opens(S));
	assert_false(fw_ct_tcp_opens(S | A));
	assert_false(fw_ct_tcp_opens(S | F));
	assert_false(fw_ct_tcp_opens(A));
	assert_true(fw_ct_tcp_opens(S | TCP_ECE | TCP_CWR)); /* ECN setup SYN */
}

static void test_timeout_classes(void **state)
{
	(void)state;
	assert_int_equal(fw_ct_tmo(fw_ct_make(FW_CT_SYN_SENT, 0, 0), 6), FW_TMO_TCP_TRANS);
	assert_int_equal(fw_ct_tmo(fw_ct_make(FW_CT_ESTABLISHED, 0, 0), 6), FW_TMO_TCP_EST);
	assert_int_equal(fw_ct_tmo(fw_ct_make(FW_CT_FIN_WAIT, 0, 0), 6), FW_TMO_TCP_TRANS);
	assert_int_equal(fw_ct_tmo(fw_ct_make(FW_CT_TIME_WAIT, 0, 0), 6), FW_TMO_TCP_CLOSED);
	assert_int_equal(fw_ct_tmo(fw_ct_make(FW_CT_CLOSED, 0, 0), 6), FW_TMO_TCP_CLOSED);
	assert_int_equal(fw_ct_tmo(fw_ct_make(FW_CT_ONEWAY, 0, 0), 17), FW_TMO_UDP);
	assert_int_equal(fw_ct_tmo(fw_ct_make(FW_CT_REPLIED, 0, 0), 1), FW_TMO_ICMP);
	assert_int_equal(fw_ct_tmo(fw_ct_make(FW_CT_REPLIED, 0, 0), 58), FW_TMO_ICMP);
	assert_int_equal(fw_ct_tmo(fw_ct_make(FW_CT_ONEWAY, 0, 0), 47), FW_TMO_OTHER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake_and_fin),
		cmocka_unit_test(test_fin_from_replier_first),
		cmocka_unit_test(test_simultaneous_open),
		cmocka_unit_test(test_rst),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_timeout_classes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
