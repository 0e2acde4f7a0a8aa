/* SPDX-License-Identifier: MIT */
/*
 * test_reply_limit.c - the answers' rate limit (nf/reply.h): a burst of
 * NF_REPLY_BURST at once, then one per 1/NF_REPLY_PER_S, never more than
 * the burst saved up however long it was quiet, and a clock that goes
 * back (a pcap out of order) refills nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "nf/reply.h"

#define MS 1000000ull

static unsigned take_all(struct nf_reply_limit *l, uint64_t now)
{
	unsigned n = 0;
	while (n < 10 * NF_REPLY_BURST && nf_reply_limit_take(l, now))
		n++;
	return n;
}

static void test_burst_then_rate(void **state)
{
	(void)state;
	struct nf_reply_limit l;
	nf_reply_limit_init(&l);
	uint64_t t = 5000 * MS;
	assert_int_equal(take_all(&l, t), NF_REPLY_BURST);
	assert_false(nf_reply_limit_take(&l, t + MS / 2)); /* half a token */
	assert_true(nf_reply_limit_take(&l, t + MS));      /* one */
	assert_false(nf_reply_limit_take(&l, t + MS));
	assert_int_equal(take_all(&l, t + 11 * MS), 10);     /* ten more ms: ten */
}

static void test_quiet_saves_one_burst(void **state)
{
	(void)state;
	struct nf_reply_limit l;
	nf_reply_limit_init(&l);
	assert_int_equal(take_all(&l, 1000 * MS), NF_REPLY_BURST);
	assert_int_equal(take_all(&l, 3600000 * MS), NF_REPLY_BURST); /* an hour later: one burst */
}

static void test_clock_back(void **state)
{
	(void)state;
	struct nf_reply_limit l;
	nf_reply_limit_init(&l);
	assert_int_equal(take_all(&l, 1000 * MS), NF_REPLY_BURST);
	assert_int_equal(take_all(&l, 500 * MS), 0);
	assert_int_equal(take_all(&l, 1000 * MS + 2 * MS), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_rate),
		cmocka_unit_test(test_quiet_saves_one_burst),
		cmocka_unit_test(test_clock_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
