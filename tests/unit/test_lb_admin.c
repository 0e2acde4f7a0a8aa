/* SPDX-License-Identifier: MIT */
/*
 * test_lb_admin.c - backends set down and up at run time (nf/lb/lb_admin.h),
 * through the function's control op as the console's "nf lb ..." line
 * reaches it: a down backend takes no new connection while its
 * established ones stay, all down drops new connections as no_backend, up
 * gives back the very table of before, unknown and malformed commands
 * change nothing, a reload keeps the down state, and the counters say it.
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
#include "control/server.h"
#include "dataplane/parse.h"
#include "dataplane/stats.h"
#include "nf/app.h"
#include "nf/lb/lb.h"
#include "nf/lb/lb_maglev.h"
#include "tests/lib/nf_conf.h"
#include "tests/lib/nf_udp.h"

#define SEC 1000000000ull
#define VIP 0xcb00710au   /* 203.0.113.10 */
#define CL 0xc6336400u    /* 198.51.100.0 + i */
#define BE 0x0a000100u    /* 10.0.1.0 + i */
#define NCONN 400

static const struct nf_ops *nf;
static struct pkt_pool *pkts;
static char ans[CONTROL_ANSWER_MAX];

static const char *conf4 = "vip dns 203.0.113.10 proto udp port 53 table-size 4099\n"
			   "backend dns 10.0.1.1 port 5353\nbackend dns 10.0.1.2 port 5353\n"
			   "backend dns 10.0.1.3 port 5353\nbackend dns 10.0.1.4 port 5353\n";
/* conf4 as it would be with 10.0.1.3 drained by the config. */
static const char *conf4_w0 = "vip dns 203.0.113.10 proto udp port 53 table-size 4099\n"
			      "backend dns 10.0.1.1 port 5353\nbackend dns 10.0.1.2 port 5353\n"
			      "backend dns 10.0.1.3 port 5353 weight 0\n"
			      "backend dns 10.0.1.4 port 5353\n";
/* 10.0.1.3 removed. */
static const char *conf3 = "vip dns 203.0.113.10 proto udp port 53 table-size 4099\n"
			   "backend dns 10.0.1.1 port 5353\nbackend dns 10.0.1.2 port 5353\n"
			   "backend dns 10.0.1.4 port 5353\n";

static struct lb *make(const char *text)
{
	struct nf_env env = {.pool = pkts, .n_ports = 2, .flow_capacity = 4096};
	struct lb *l = nf->create(&env);
	assert_non_null(l);
	assert_int_equal(nf_configure_text(nf, l, text), 0);
	return l;
}

/* The console's "nf lb ARGS" as the function gets it. */
static int ctl(struct lb *l, const char *args)
{
	memset(ans, 0, sizeof(ans));
	int rc = nf->control(l, args, ans, sizeof(ans));
	assert_true(strlen(ans) > 0 && strlen(ans) < sizeof(ans));
	assert_null(strchr(ans, '\n'));
	return rc;
}

/* UDP from client i (port sport) to the vip; the backend it went to (host
 * order), or 0 if dropped. */
static uint32_t conn(struct lb *l, uint32_t i, uint16_t sport, uint64_t now)
{
	uint16_t out;
	struct pkt *p = nf_udp1(nf, l, pkts, CL + i, VIP, sport, 53, 0, now, &out);
	uint32_t a = out == PKT_DROP ? 0 : sys_ntohl(sys_ld32(pkt_l3(p) + 16));
	pkt_free(p);
	return a;
}

static bool has_line(struct lb *l, const char *line)
{
	static char buf[65536];
	struct stats_writer w;
	stats_init(&w, buf, sizeof(buf), STATS_TEXT);
	nf->stats(l, &w);
	const char *s = stats_finish(&w);
	size_t n = strlen(line);
	for (const char *h = strstr(s, line); h; h = strstr(h + 1, line))
		if ((h == s || h[-1] == '\n') && (h[n] == '\n' || h[n] == '\0'))
			return true;
	return false;
}

static void test_down_keeps_established_and_up_restores(void **state)
{
	(void)state;
	struct lb *l = make(conf4);
	static uint16_t before[4099];
	memcpy(before, l->lc->vips[0].table, sizeof(before));
	static uint32_t first[NCONN];
	uint32_t on3 = 0;
	for (uint32_t i = 0; i < NCONN; i++) {
		first[i] = conn(l, i % 50, (uint16_t)(1000 + i), 1 * SEC);
		assert_true(first[i] > BE && first[i] <= BE + 4);
		on3 += first[i] == BE + 3;
	}
	assert_true(on3 > 50);
	assert_true(has_line(l, "lb_backend.dns_10.0.1.3_5353_admin up"));

	assert_int_equal(ctl(l, "backend 10.0.1.3:5353 down"), 0);
	assert_string_equal(ans, "backend 10.0.1.3:5353 down (vip dns: was up)");
	/* The table is the one a config with weight 0 would give. */
	struct lb *w0 = make(conf4_w0);
	assert_memory_equal(l->lc->vips[0].table, w0->lc->vips[0].table, sizeof(before));
	nf->destroy(w0);
	/* Established connections keep their backend, 10.0.1.3's too. */
	for (uint32_t i = 0; i < NCONN; i++)
		assert_int_equal(conn(l, i % 50, (uint16_t)(1000 + i), 2 * SEC), first[i]);
	assert_int_equal(l->lc->be[2].c.active, on3);
	/* New ones never go to it. */
	for (uint32_t i = 0; i < NCONN; i++) {
		uint32_t a = conn(l, 100 + i % 50, (uint16_t)(3000 + i), 3 * SEC);
		assert_true(a > BE && a <= BE + 4 && a != BE + 3);
	}
	assert_true(has_line(l, "lb_backend.dns_10.0.1.3_5353_admin down"));
	assert_true(has_line(l, "lb.backends_down 1"));
	assert_true(has_line(l, "lb.backend_state_changes 1"));

	/* Setting what it is already: fine, said, not counted. */
	assert_int_equal(ctl(l, "backend 10.0.1.3 down"), 0);
	assert_string_equal(ans, "backend 10.0.1.3 down (vip dns port 5353: already down)");
	assert_true(has_line(l, "lb.backend_state_changes 1"));

	/* Up: exactly the table of before. */
	assert_int_equal(ctl(l, "backend 10.0.1.3:5353 up"), 0);
	assert_string_equal(ans, "backend 10.0.1.3:5353 up (vip dns: was down)");
	assert_memory_equal(l->lc->vips[0].table, before, sizeof(before));
	assert_true(has_line(l, "lb_backend.dns_10.0.1.3_5353_admin up"));
	assert_true(has_line(l, "lb.backends_down 0"));
	assert_true(has_line(l, "lb.backend_state_changes 2"));
	assert_int_equal(ft_check(l->cn.ft), 0);
	nf->destroy(l);
}

static void test_all_down_drops_new_connections(void **state)
{
	(void)state;
	struct lb *l = make("vip a 203.0.113.10 proto udp port 53\nbackend a 10.0.1.1\n"
			    "backend a 10.0.1.2 weight 3\n");
	uint32_t est = conn(l, 0, 1, 1 * SEC);
	assert_true(est == BE + 1 || est == BE + 2);
	assert_int_equal(ctl(l, "backend 10.0.1.1 down"), 0);
	assert_null(strstr(ans, "no backend up"));
	assert_int_equal(ctl(l, "backend 10.0.1.2 down"), 0);
	assert_non_null(strstr(ans, "; vip a has no backend up: its new connections are dropped "
				    "(drop_no_backend)"));
	for (uint16_t sp = 100; sp < 110; sp++)
		assert_int_equal(conn(l, 1, sp, 2 * SEC), 0);
	assert_int_equal(l->c.drop[LB_DROP_NO_BACKEND], 10);
	assert_true(has_line(l, "lb.drop_no_backend 10"));
	assert_true(has_line(l, "lb.backends_down 2"));
	/* The established connection still goes through. */
	assert_int_equal(conn(l, 0, 1, 2 * SEC), est);
	/* One back up: it takes every new connection. */
	assert_int_equal(ctl(l, "backend 10.0.1.1 up"), 0);
	for (uint16_t sp = 200; sp < 220; sp++)
		assert_int_equal(conn(l, 1, sp, 3 * SEC), BE + 1);
	assert_int_equal(l->c.drop[LB_DROP_NO_BACKEND], 10);
	nf->destroy(l);
}

static void test_unknown_and_malformed_change_nothing(void **state)
{
	(void)state;
	struct lb *l = make("vip web 203.0.113.10 proto tcp port 80\nbackend web 10.0.1.1 port 8080\n"
			    "vip dns 203.0.113.10 proto udp port 53\nbackend dns 10.0.1.1\n"
			    "backend dns 10.0.1.2\n");
	assert_int_equal(ctl(l, "backend 10.9.9.9 down"), -SYS_ENOENT);
	assert_string_equal(ans, "no backend 10.9.9.9 in the running config");
	assert_int_equal(ctl(l, "backend 10.0.1.1:9999 down"), -SYS_ENOENT);
	assert_string_equal(ans, "no backend 10.0.1.1:9999 in the running config");
	const char *bad[] = {"", "backend", "backend 10.0.1.1", "backend 10.0.1.1 off",
			     "frontend 10.0.1.1 down", "backend 10.0.1 down", "backend 10.0.1.1:0 down",
			     "backend 10.0.1.256 down", "backend 10.0.1.1:65536 down",
			     "backend 10.0.1.1: down", "backend 10.0.1.1x down",
			     "backend 10.0.1.1 down now", "backend [::1] down", "backend [::1]:0 down",
			     "backend ::1/128 down", "backend [::1:80 down", "backend 2001:db8:::1 down",
			     "backend 10.0.1.1 down                                      x"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ctl(l, bad[i]), -SYS_EINVAL);
		assert_true(strncmp(ans, "want 'backend ADDR[:PORT] down|up'", 34) == 0 ||
			    strstr(ans, "is no backend address"));
	}
	assert_true(has_line(l, "lb.backend_state_changes 0"));
	assert_true(has_line(l, "lb.backends_down 0"));
	/* Without a port: that address in every vip, each named. */
	assert_int_equal(ctl(l, "backend 10.0.1.1 down"), 0);
	assert_string_equal(ans, "backend 10.0.1.1 down (vip web port 8080: was up; "
				 "vip dns port 53: was up); vip web has no backend up: its new "
				 "connections are dropped (drop_no_backend)");
	assert_true(has_line(l, "lb.backend_state_changes 2"));
	nf->destroy(l);
}

static void test_reload_keeps_down(void **state)
{
	(void)state;
	struct lb *l = make(conf4);
	uint32_t est = 0;
	uint16_t sp = 1;
	while (est != BE + 2)
		est = conn(l, 0, ++sp, 1 * SEC);
	assert_int_equal(ctl(l, "backend 10.0.1.2:5353 down"), 0);
	/* The same config pushed again: still down, same table. */
	static uint16_t down_table[4099];
	memcpy(down_table, l->lc->vips[0].table, sizeof(down_table));
	assert_int_equal(nf_configure_text(nf, l, conf4), 0);
	assert_true(l->lc->be[1].down);
	assert_memory_equal(l->lc->vips[0].table, down_table, sizeof(down_table));
	assert_true(has_line(l, "lb_backend.dns_10.0.1.2_5353_admin down"));
	/* Its connection lived through both. */
	assert_int_equal(conn(l, 0, sp, 2 * SEC), BE + 2);
	/* Another config that keeps it: still down; new connections avoid it. */
	assert_int_equal(nf_configure_text(nf, l, conf3), 0);
	union flow_addr a2 = lb_addr4(sys_htonl(BE + 2));
	int32_t b2 = lb_conf_backend(l->lc, 0, FLOW_FAMILY_V4, &a2, sys_htons(5353));
	assert_true(b2 >= 0 && l->lc->be[b2].down);
	for (uint16_t p = 2000; p < 2200; p++)
		assert_int_not_equal(conn(l, 1, p, 3 * SEC), BE + 2);
	/* The count of changes is the function's, not the config's. */
	assert_true(has_line(l, "lb.backend_state_changes 1"));
	/* Up, and the tables are what the config alone gives. */
	assert_int_equal(ctl(l, "backend 10.0.1.2 up"), 0);
	struct lb *fresh = make(conf3);
	assert_memory_equal(l->lc->vips[0].table, fresh->lc->vips[0].table, sizeof(down_table));
	nf->destroy(fresh);
	/* A backend the config removes forgets its state: back, it is up. */
	assert_int_equal(ctl(l, "backend 10.0.1.4 down"), 0);
	assert_int_equal(nf_configure_text(nf, l, "vip dns 203.0.113.10 proto udp port 53 table-size 4099\n"
				      "backend dns 10.0.1.1 port 5353\n"), 0);
	assert_int_equal(ctl(l, "backend 10.0.1.4 up"), -SYS_ENOENT);
	assert_int_equal(nf_configure_text(nf, l, conf4), 0);
	assert_true(has_line(l, "lb_backend.dns_10.0.1.4_5353_admin up"));
	nf->destroy(l);
}

/* What the image does with an "nf" line (nf/app.h): the function named
 * must be the one that runs, and one without commands says so. */
static void test_app_control(void **state)
{
	(void)state;
	struct lb *l = make(conf4);
	struct app a = {.nf = nf, .st = l};
	assert_int_equal(app_control(&a, "lb backend 10.0.1.1 down", ans, sizeof(ans)), 0);
	assert_true(l->lc->be[0].down);
	assert_int_equal(app_control(&a, "nat backend 10.0.1.1 up", ans, sizeof(ans)), -SYS_ENOTSUP);
	assert_string_equal(ans, "'nat' commands are not supported by this function (this image "
				 "runs lb)");
	assert_true(l->lc->be[0].down);
	struct app f = {.nf = nf_find("fwd")};
	assert_non_null(f.nf);
	assert_int_equal(app_control(&f, "fwd x", ans, sizeof(ans)), -SYS_ENOTSUP);
	assert_string_equal(ans, "not supported by this function (fwd takes no commands)");
	nf->destroy(l);
}

int main(void)
{
	nf = nf_find("lb");
	pkts = pkt_pool_create(64);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_down_keeps_established_and_up_restores),
		cmocka_unit_test(test_all_down_drops_new_connections),
		cmocka_unit_test(test_unknown_and_malformed_change_nothing),
		cmocka_unit_test(test_reload_keeps_down),
		cmocka_unit_test(test_app_control),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	pkt_pool_destroy(pkts);
	return rc;
}
