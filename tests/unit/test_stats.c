/* SPDX-License-Identifier: MIT */
/*
 * test_stats.c - the counter writer (dataplane/stats.c): text and JSON
 * documents, truncation of a fixed buffer, and streaming through a small
 * buffer giving exactly the document a large one holds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/stats.h"

/* A document with n counters in sections of 7, and a string value. */
static void fill(struct stats_writer *w, int n)
{
	char name[32];
	stats_section(w, "image");
	stats_str(w, "function", "fw\"x");
	for (int i = 0; i < n; i++) {
		if (i % 7 == 0) {
			snprintf(name, sizeof(name), "sec%d", i / 7);
			stats_section(w, name);
		}
		snprintf(name, sizeof(name), "rule%d_packets", i);
		stats_u64(w, name, (uint64_t)i * 1000003u);
	}
}

static void test_text_and_json(void **state)
{
	(void)state;
	char buf[512];
	struct stats_writer w;
	stats_init(&w, buf, sizeof(buf), STATS_TEXT);
	fill(&w, 2);
	assert_string_equal(stats_finish(&w), "image.function fw\"x\nsec0.rule0_packets 0\n"
					      "sec0.rule1_packets 1000003\n");
	assert_false(w.overflow);
	stats_init(&w, buf, sizeof(buf), STATS_JSON);
	fill(&w, 8);
	assert_string_equal(stats_finish(&w),
			    "{\"image\":{\"function\":\"fw\\\"x\"},\"sec0\":{\"rule0_packets\":0,"
			    "\"rule1_packets\":1000003,\"rule2_packets\":2000006,\"rule3_packets\":3000009,"
			    "\"rule4_packets\":4000012,\"rule5_packets\":5000015,\"rule6_packets\":6000018},"
			    "\"sec1\":{\"rule7_packets\":7000021}}\n");
}

static void test_fixed_buffer_truncates(void **state)
{
	(void)state;
	char buf[64];
	memset(buf, 'Z', sizeof(buf));
	struct stats_writer w;
	stats_init(&w, buf, sizeof(buf), STATS_TEXT);
	fill(&w, 100);
	const char *s = stats_finish(&w);
	assert_true(w.overflow);
	assert_int_equal(strlen(s), sizeof(buf) - 1);
}

struct sink {
	char *text;
	size_t len, calls, max_piece;
};

static void collect(void *ctx, const char *s, size_t n)
{
	struct sink *k = ctx;
	assert_int_equal(strlen(s), n); /* each piece NUL-terminated where it ends */
	k->text = realloc(k->text, k->len + n + 1);
	memcpy(k->text + k->len, s, n);
	k->len += n;
	k->text[k->len] = '\0';
	k->calls++;
	if (n > k->max_piece)
		k->max_piece = n;
}

/* 10,000 counters through 100 bytes equal the document of a 1 MiB buffer. */
static void stream_equals(enum stats_format fmt)
{
	static char big[1 << 20];
	char small[100];
	struct stats_writer w;
	stats_init(&w, big, sizeof(big), fmt);
	fill(&w, 10000);
	stats_finish(&w);
	assert_false(w.overflow);
	struct sink k = {0};
	stats_init_stream(&w, small, sizeof(small), fmt, collect, &k);
	fill(&w, 10000);
	assert_string_equal(stats_finish(&w), "");
	assert_false(w.overflow);
	assert_non_null(k.text);
	assert_string_equal(k.text, big);
	assert_true(k.calls > strlen(big) / sizeof(small));
	assert_true(k.max_piece < sizeof(small));
	free(k.text);
}

static void test_stream_text(void **state)
{
	(void)state;
	stream_equals(STATS_TEXT);
}

static void test_stream_json(void **state)
{
	(void)state;
	stream_equals(STATS_JSON);
}

/* One line longer than the whole buffer is cut; what came before is sent. */
static void test_stream_line_too_long(void **state)
{
	(void)state;
	char small[24];
	struct sink k = {0};
	struct stats_writer w;
	stats_init_stream(&w, small, sizeof(small), STATS_TEXT, collect, &k);
	stats_section(&w, "a");
	stats_u64(&w, "x", 1);
	stats_str(&w, "where", "/a/very/long/path/to/a/config/file.conf:12");
	stats_finish(&w);
	assert_true(w.overflow);
	assert_non_null(k.text);
	assert_int_equal(strncmp(k.text, "a.x 1\n", 6), 0);
	free(k.text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_and_json),
		cmocka_unit_test(test_fixed_buffer_truncates),
		cmocka_unit_test(test_stream_text),
		cmocka_unit_test(test_stream_json),
		cmocka_unit_test(test_stream_line_too_long),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
