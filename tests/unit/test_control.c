/* SPDX-License-Identifier: MIT */
/*
 * test_control.c - the control protocol (control/proto.h): CRC-32, base64
 * and blob split, and the server side (control/server.c) driven over an
 * in-memory console: commands, framing with nonces, long lines, and reload
 * transfers that succeed, are cut off, corrupted, aborted or restarted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "control/server.h"

/* ---- codec ------------------------------------------------------------------ */

static void test_crc32_matches_zlib(void **state)
{
	(void)state;
	assert_int_equal(control_crc32(0, "", 0), 0);
	assert_int_equal(control_crc32(0, "123456789", 9), 0xcbf43926u);
	/* In pieces: the same as at once. */
	uint32_t c = control_crc32(0, "1234", 4);
	assert_int_equal(control_crc32(c, "56789", 5), 0xcbf43926u);
}

static void test_base64_round_trips_every_length(void **state)
{
	(void)state;
	uint8_t in[100], back[100];
	char enc[CONTROL_B64_LEN(100) + 1];
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 37 + 11);
	for (size_t n = 1; n <= sizeof(in); n++) {
		size_t e = control_b64_encode(in, n, enc);
		assert_int_equal(e, CONTROL_B64_LEN(n));
		assert_int_equal(strlen(enc), e);
		assert_int_equal(control_b64_decode(enc, e, back, sizeof(back)), (int)n);
		assert_memory_equal(in, back, n);
		/* One byte short of room: refused, never written past. */
		assert_int_equal(control_b64_decode(enc, e, back, n - 1), -1);
	}
	/* RFC 4648 section 10 vectors. */
	control_b64_encode("foobar", 6, enc);
	assert_string_equal(enc, "Zm9vYmFy");
	control_b64_encode("fo", 2, enc);
	assert_string_equal(enc, "Zm8=");
}

static void test_base64_rejects_malformed_input(void **state)
{
	(void)state;
	uint8_t out[16];
	const char *bad[] = {"", "Zm9", "Zm9v!", "Zm=v", "Z===", "=m9v", "Zm8=Zm8=", "Zm 8",
			     "Zm8\n"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(control_b64_decode(bad[i], strlen(bad[i]), out, sizeof(out)), -1);
	assert_int_equal(control_b64_decode("Zm8=", 4, out, sizeof(out)), 2);
	assert_int_equal(control_b64_decode("Zg==", 4, out, sizeof(out)), 1);
}

static void test_blob_split(void **state)
{
	(void)state;
	const char *name, *text;
	size_t len;
	control_blob_split("fw.conf\0default drop\n", 21, "(x)", &name, &text, &len);
	assert_string_equal(name, "fw.conf");
	assert_int_equal(len, 13);
	assert_memory_equal(text, "default drop\n", 13);
	/* No NUL: all text. */
	control_blob_split("default drop\n", 13, "(x)", &name, &text, &len);
	assert_string_equal(name, "(x)");
	assert_int_equal(len, 13);
	/* A leading NUL is no name. */
	control_blob_split("\0abc", 4, "(x)", &name, &text, &len);
	assert_string_equal(name, "(x)");
	assert_int_equal(len, 4);
	/* Empty. */
	control_blob_split("", 0, "(x)", &name, &text, &len);
	assert_string_equal(name, "(x)");
	assert_int_equal(len, 0);
}

/* ---- the server over an in-memory console --------------------------------- */

struct console {
	struct control_server srv;
	char out[8192];
	size_t out_len;
	unsigned stats_calls, reloads, bulk_on, bulk_off;
	int reload_rc;
	unsigned reload_errors;
	char got_name[64];
	char got_text[256];
	size_t got_len;
	uint32_t got_crc;
	unsigned nf_calls;
	int nf_rc;
	char got_cmd[128];
};

static void c_out(void *ctx, const char *s, size_t n)
{
	struct console *c = ctx;
	assert_true(c->out_len + n < sizeof(c->out));
	memcpy(c->out + c->out_len, s, n);
	c->out_len += n;
	c->out[c->out_len] = '\0';
}

static void c_stats(void *ctx)
{
	struct console *c = ctx;
	c->stats_calls++;
	c_out(ctx, "port.0.rx 7\n", 12);
}

static void c_bulk(void *ctx, bool on)
{
	struct console *c = ctx;
	if (on)
		c->bulk_on++;
	else
		c->bulk_off++;
}

static int c_reload(void *ctx, const char *name, const char *text, size_t len, unsigned *n_errors)
{
	struct console *c = ctx;
	c->reloads++;
	snprintf(c->got_name, sizeof(c->got_name), "%s", name);
	/* The start of the text, its length and its CRC (a large one too). */
	memcpy(c->got_text, text, len < sizeof(c->got_text) ? len : sizeof(c->got_text));
	c->got_len = len;
	c->got_crc = control_crc32(0, text, len);
	*n_errors = c->reload_errors;
	return c->reload_rc;
}

/* A function that answers every command with what it got. */
static int c_nf(void *ctx, const char *cmd, char *ans, size_t n)
{
	struct console *c = ctx;
	c->nf_calls++;
	snprintf(c->got_cmd, sizeof(c->got_cmd), "%s", cmd);
	assert_int_equal(n, CONTROL_ANSWER_MAX);
	if (c->nf_rc != -SYS_ENOTSUP)
		snprintf(ans, n, "did '%s'", cmd);
	return c->nf_rc;
}

static const struct control_ops ops = {
	.out = c_out, .stats = c_stats, .bulk = c_bulk, .reload = c_reload,
};
static const struct control_ops ops_nf = {
	.out = c_out, .stats = c_stats, .bulk = c_bulk, .reload = c_reload, .nf = c_nf,
};

static int setup_with(void **state, const struct control_ops *o)
{
	struct console *c = calloc(1, sizeof(*c));
	if (!c)
		return -1;
	control_server_init(&c->srv, o, c);
	*state = c;
	return 0;
}

static int setup(void **state)
{
	return setup_with(state, &ops);
}

static int setup_nf(void **state)
{
	return setup_with(state, &ops_nf);
}

static int teardown(void **state)
{
	struct console *c = *state;
	control_server_fini(&c->srv); /* ASan: no transfer buffer leaks */
	/* Every transfer that started ended for the console's bulk mode. */
	assert_int_equal(c->bulk_on, c->bulk_off);
	free(c);
	return 0;
}

/* Type `s`; returns how many "quit" lines ended. */
static int type(struct console *c, const char *s)
{
	int quits = 0;
	for (; *s; s++)
		quits += control_server_putc(&c->srv, (unsigned char)*s) == CONTROL_QUIT;
	return quits;
}

static void clear(struct console *c)
{
	c->out_len = 0;
	c->out[0] = '\0';
}

/* The reload lines for blob[len], as `nfbox reload` sends them. */
static void send_blob(struct console *c, const char *blob, size_t len, uint32_t crc)
{
	char line[128];
	snprintf(line, sizeof(line), "reload begin %zu %08x\n", len, crc);
	type(c, line);
	for (size_t off = 0; off < len; off += CONTROL_CHUNK) {
		size_t n = len - off < CONTROL_CHUNK ? len - off : CONTROL_CHUNK;
		char b64[CONTROL_B64_LEN(CONTROL_CHUNK) + 1];
		control_b64_encode(blob + off, n, b64);
		snprintf(line, sizeof(line), "reload data %s\n", b64);
		assert_true(strlen(line) - 1 <= CONTROL_LINE_MAX);
		type(c, line);
	}
}

static void test_stats_and_nonces(void **state)
{
	struct console *c = *state;
	assert_int_equal(type(c, "stats\n"), 0);
	assert_int_equal(c->stats_calls, 1);
	assert_string_equal(c->out, "port.0.rx 7\n");
	clear(c);
	type(c, "stats n-42\r\n");
	assert_string_equal(c->out, "port.0.rx 7\nend n-42\n");
	clear(c);
	type(c, "end abc\n");
	assert_string_equal(c->out, "end abc\n");
	clear(c);
	/* Empty lines (the \n of a \r\n) are nothing; "end" alone is unknown. */
	type(c, "\n\r\n");
	assert_string_equal(c->out, "");
	type(c, "end\n");
	assert_non_null(strstr(c->out, "unknown command 'end'"));
	clear(c);
	type(c, "statsx\n");
	assert_non_null(strstr(c->out, "unknown command 'statsx'"));
	assert_int_equal(c->stats_calls, 2);
}

static void test_quit(void **state)
{
	struct console *c = *state;
	assert_int_equal(type(c, "quit\n"), 1);
	assert_int_equal(type(c, "quit now\n"), 0); /* not quit */
}

static void test_long_line_is_never_run_cut(void **state)
{
	struct console *c = *state;
	char line[200];
	/* A stats line whose nonce would be cut at 63 characters. */
	snprintf(line, sizeof(line), "stats %070d\n", 5);
	type(c, line);
	assert_int_equal(c->stats_calls, 0);
	assert_non_null(strstr(c->out, "longer than 63 characters is ignored"));
	assert_null(strstr(c->out, "end "));
	clear(c);
	/* Exactly 63 characters is a line. */
	snprintf(line, sizeof(line), "end %059d\n", 9);
	assert_int_equal(strlen(line), 64);
	type(c, line);
	assert_int_equal(strncmp(c->out, "end 0000", 8), 0);
}

static void test_reload_ok(void **state)
{
	struct console *c = *state;
	static const char blob[] = "fw.conf\0default drop\naccept from inside\n"
				   "a longer line to need more than one data line\n";
	size_t len = sizeof(blob) - 1;
	send_blob(c, blob, len, control_crc32(0, blob, len));
	assert_true(control_server_receiving(&c->srv));
	assert_int_equal(c->bulk_on, 1);
	/* Other commands still work in the middle of a transfer. */
	type(c, "stats k\n");
	assert_int_equal(c->stats_calls, 1);
	type(c, "reload end\n");
	assert_false(control_server_receiving(&c->srv));
	assert_int_equal(c->reloads, 1);
	assert_string_equal(c->got_name, "fw.conf");
	assert_int_equal(c->got_len, len - 8);
	assert_memory_equal(c->got_text, blob + 8, len - 8);
	char want[96];
	snprintf(want, sizeof(want), "nfbox: reload: receiving %zu bytes (data lines of up to %u bytes)\n",
		 len, CONTROL_CHUNK_LONG);
	assert_non_null(strstr(c->out, want));
	snprintf(want, sizeof(want), "nfbox: reload ok (fw.conf, %zu bytes, received in ", len - 8);
	assert_non_null(strstr(c->out, want));
}

/* A blob past the old 8 MiB limit, in long data lines (CONTROL_CHUNK_LONG
 * bytes each, as `nfbox reload` sends them to an image that says it takes
 * them), arrives whole; a long line that is not a data line is still
 * ignored, and a data line longer than CONTROL_DATA_LINE_MAX spoils the
 * transfer. */
static void test_reload_large_long_lines(void **state)
{
	struct console *c = *state;
	const size_t len = (12u << 20) + 5;
	char *blob = malloc(len);
	assert_non_null(blob);
	memcpy(blob, "big.conf", 9);
	for (size_t i = 9; i < len; i++)
		blob[i] = (char)('a' + i % 26);
	char line[CONTROL_DATA_LINE_MAX + 64];
	snprintf(line, sizeof(line), "reload begin %zu %08x\n", len, control_crc32(0, blob, len));
	type(c, line);
	assert_true(control_server_receiving(&c->srv));
	for (size_t off = 0; off < len; off += CONTROL_CHUNK_LONG) {
		size_t n = len - off < CONTROL_CHUNK_LONG ? len - off : CONTROL_CHUNK_LONG;
		int k = sprintf(line, "reload data ");
		control_b64_encode(blob + off, n, line + k);
		assert_true(strlen(line) <= CONTROL_DATA_LINE_MAX);
		strcat(line, "\n");
		for (const char *p = line; *p; p++)
			control_server_putc(&c->srv, *p);
	}
	clear(c);
	type(c, "reload end\n");
	assert_int_equal(c->reloads, 1);
	assert_int_equal(c->got_len, len - 9);
	assert_int_equal(c->got_crc, control_crc32(0, blob + 9, len - 9));
	assert_non_null(strstr(c->out, "nfbox: reload ok (big.conf, "));
	/* Not a data line: ignored, even within the data line limit. */
	clear(c);
	snprintf(line, sizeof(line), "stats %0100d\n", 1);
	type(c, line);
	assert_int_equal(c->stats_calls, 0);
	assert_non_null(strstr(c->out, "longer than 63 characters is ignored"));
	/* A data line past its limit spoils the transfer. */
	clear(c);
	type(c, "reload begin 10 00000000\n");
	memset(line, 'A', sizeof(line));
	memcpy(line, "reload data ", 12);
	line[CONTROL_DATA_LINE_MAX + 8] = '\n';
	line[CONTROL_DATA_LINE_MAX + 9] = '\0';
	type(c, line);
	type(c, "reload end\n");
	assert_non_null(strstr(c->out, "data line longer than"));
	assert_non_null(strstr(c->out, "reload rejected (transfer failed)"));
	assert_int_equal(c->reloads, 1);
	free(blob);
}

static void test_reload_rejected_by_the_function(void **state)
{
	struct console *c = *state;
	c->reload_rc = -SYS_EINVAL;
	c->reload_errors = 2;
	send_blob(c, "x.conf\0bogus", 12, control_crc32(0, "x.conf\0bogus", 12));
	type(c, "reload end\n");
	assert_int_equal(c->reloads, 1);
	assert_non_null(strstr(c->out, "reload rejected (2 errors in x.conf); the running config stays"));
	clear(c);
	c->reload_errors = 0;
	c->reload_rc = -SYS_ENOMEM;
	send_blob(c, "x.conf\0bogus", 12, control_crc32(0, "x.conf\0bogus", 12));
	type(c, "reload end\n");
	assert_non_null(strstr(c->out, "reload rejected (out of memory)"));
}

static void test_reload_bad_crc_is_refused(void **state)
{
	struct console *c = *state;
	const char *blob = "a.conf\0default accept\n";
	send_blob(c, blob, 22, control_crc32(0, blob, 22) ^ 1);
	type(c, "reload end\n");
	assert_int_equal(c->reloads, 0);
	assert_non_null(strstr(c->out, "nfbox: reload: CRC32 "));
	assert_non_null(strstr(c->out, "reload rejected (transfer failed)"));
}

static void test_reload_cut_off_changes_nothing(void **state)
{
	struct console *c = *state;
	char blob[100];
	memset(blob, 'a', sizeof(blob));
	/* Announce 100 bytes, send 72 of them. */
	send_blob(c, blob, 72, 0);
	clear(c);
	type(c, "reload begin 100 0\n");
	send_blob(c, blob, 72, 0); /* restarts: the previous one is dropped */
	assert_non_null(strstr(c->out, "the previous transfer (0 of 100 bytes) is dropped"));
	type(c, "reload end\n");
	assert_int_equal(c->reloads, 0);
	assert_non_null(strstr(c->out, "reload rejected (transfer failed)"));
	clear(c);
	/* Announced 100, then the client vanished: the next begin drops it. */
	type(c, "reload begin 100 0\nreload data YWFh\n");
	type(c, "reload begin 3 0\n");
	assert_non_null(strstr(c->out, "(3 of 100 bytes) is dropped"));
	type(c, "reload abort\n");
	assert_non_null(strstr(c->out, "transfer aborted"));
	assert_false(control_server_receiving(&c->srv));
	type(c, "reload abort\n");
	assert_non_null(strstr(c->out, "no transfer to abort"));
}

static void test_reload_bad_lines_spoil_once(void **state)
{
	struct console *c = *state;
	type(c, "reload begin 6 0\n");
	type(c, "reload data !!!!\n");
	type(c, "reload data ????\n");
	type(c, "reload data Zm9vYmFy\n");
	type(c, "reload end\n");
	assert_int_equal(c->reloads, 0);
	const char *first = strstr(c->out, "bad base64 in a data line");
	assert_non_null(first);
	assert_null(strstr(first + 1, "bad base64")); /* said once */
	clear(c);
	/* More data than announced. */
	type(c, "reload begin 3 0\nreload data Zm9v\nreload data YmFy\nreload end\n");
	assert_non_null(strstr(c->out, "more data than announced"));
	clear(c);
	/* An overlong data line spoils the transfer. */
	char line[CONTROL_DATA_LINE_MAX + 40];
	memset(line, 'A', sizeof(line));
	memcpy(line, "reload data ", 12);
	line[CONTROL_DATA_LINE_MAX + 4] = '\n';
	line[CONTROL_DATA_LINE_MAX + 5] = '\0';
	type(c, "reload begin 3 0\n");
	type(c, line);
	type(c, "reload end\n");
	assert_non_null(strstr(c->out, "a data line longer than 1036 characters"));
	assert_int_equal(c->reloads, 0);
}

static void test_reload_framing_errors(void **state)
{
	struct console *c = *state;
	type(c, "reload end\n");
	assert_non_null(strstr(c->out, "no transfer: 'reload begin' first"));
	type(c, "reload data Zm9v\n");
	assert_non_null(strstr(c->out, "data without 'reload begin'"));
	clear(c);
	const char *bad[] = {"reload begin\n", "reload begin 10\n", "reload begin x 0\n",
			     "reload begin 10 0 1\n", "reload begin 10 123456789\n",
			     "reload begin 1234567890123 0\n"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		clear(c);
		type(c, bad[i]);
		assert_false(control_server_receiving(&c->srv));
		assert_true(strstr(c->out, "want 'reload begin LEN CRC32'") ||
			    strstr(c->out, "unknown command"));
	}
	clear(c);
	type(c, "reload begin 0 0\n");
	assert_non_null(strstr(c->out, "0 bytes: want 1 to 67108864"));
	clear(c);
	type(c, "reload begin 67108865 0\n");
	assert_non_null(strstr(c->out, "67108865 bytes: want 1 to 67108864"));
	assert_false(control_server_receiving(&c->srv));
}

/* ---- function commands ("nf FUNCTION ARGS") ------------------------------ */

/* No function command callback at all: a clear answer, one line. */
static void test_nf_not_supported(void **state)
{
	struct console *c = *state;
	type(c, "nf lb backend 10.0.1.2 down\nend k1\n");
	assert_string_equal(c->out, "nfbox: nf failed: 'lb backend 10.0.1.2 down' is not supported "
				    "by this function\nend k1\n");
}

static void test_nf_answers_one_line(void **state)
{
	struct console *c = *state;
	type(c, "nf lb backend 10.0.1.2:8080 down\nend k2\n");
	assert_int_equal(c->nf_calls, 1);
	assert_string_equal(c->got_cmd, "lb backend 10.0.1.2:8080 down");
	assert_string_equal(c->out, "nfbox: nf ok: did 'lb backend 10.0.1.2:8080 down'\nend k2\n");
	clear(c);
	/* Refused by the function: its reason, framed as a failure. */
	c->nf_rc = -SYS_ENOENT;
	type(c, "nf lb backend 10.9.9.9 up\n");
	assert_string_equal(c->out, "nfbox: nf failed: did 'lb backend 10.9.9.9 up'\n");
	clear(c);
	/* The function takes no commands and says nothing: the server does. */
	c->nf_rc = -SYS_ENOTSUP;
	type(c, "nf fwd x\n");
	assert_string_equal(c->out, "nfbox: nf failed: 'fwd x' is not supported by this function\n");
}

static void test_nf_malformed_lines(void **state)
{
	struct console *c = *state;
	/* Nothing to hand over: the callback is not called. */
	type(c, "nf\n");
	type(c, "nf \n");
	type(c, "nf  lb\n");
	assert_int_equal(c->nf_calls, 0);
	const char *first = strstr(c->out, "nfbox: nf failed: want 'nf FUNCTION ARGS...'");
	assert_non_null(first);
	clear(c);
	/* Not "nf": an unknown command, which names the nf command. */
	type(c, "nfx lb\n");
	assert_int_equal(c->nf_calls, 0);
	assert_non_null(strstr(c->out, "unknown command 'nfx lb'"));
	assert_non_null(strstr(c->out, "nf FUNCTION ARGS"));
	clear(c);
	/* Too long: never run as its first 63 characters. */
	char line[200];
	snprintf(line, sizeof(line), "nf lb backend 10.0.1.2:8080 down %040d\n", 0);
	type(c, line);
	assert_int_equal(c->nf_calls, 0);
	assert_non_null(strstr(c->out, "longer than 63 characters is ignored"));
	/* The longest a client sends fits. */
	clear(c);
	type(c, "nf lb backend 255.255.255.255:65535 down\n");
	assert_int_equal(c->nf_calls, 1);
	assert_string_equal(c->got_cmd, "lb backend 255.255.255.255:65535 down");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32_matches_zlib),
		cmocka_unit_test(test_base64_round_trips_every_length),
		cmocka_unit_test(test_base64_rejects_malformed_input),
		cmocka_unit_test(test_blob_split),
		cmocka_unit_test_setup_teardown(test_stats_and_nonces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_line_is_never_run_cut, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_large_long_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_rejected_by_the_function, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_bad_crc_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_cut_off_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_bad_lines_spoil_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_framing_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nf_not_supported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nf_answers_one_line, setup_nf, teardown),
		cmocka_unit_test_setup_teardown(test_nf_malformed_lines, setup_nf, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
