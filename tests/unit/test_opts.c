/* SPDX-License-Identifier: MIT */
/*
 * test_opts.c - the commands' option parser (tools/opts.c): both value
 * forms, positionals and "--", lists with a limit, ranges, choices and
 * checks, every error message, and the --help text built from the table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tools/opts.h"

struct t_args {
	const char *config, *machine, *out;
	const char *nets[3];
	int n_nets;
	unsigned mem, ring;
	int pin, delta;
	bool dry, debug;
	unsigned ms;
};

static bool pow2(long v)
{
	return (v & (v - 1)) == 0;
}

static int parse_ms(const char *v, void *dst)
{
	char *end;
	double s = strtod(v, &end);
	if (end == v || *end || s < 0 || s > 1000)
		return -1;
	*(unsigned *)dst = (unsigned)(s * 1000);
	return 0;
}

static const char *const machines[] = {"microvm", "microvm-pcie", "q35", NULL};
static const char *const two[] = {"on", "off", NULL};

static const struct opt t_opt[] = {
	OPT_STRING("--config", struct t_args, config, "FILE", "checked, then used"),
	OPT_LIST("--net", struct t_args, nets, n_nets, 3, "SPEC", NULL),
	OPT_UINT("--mem", struct t_args, mem, 4, 1048576, "MB", "guest RAM\n(default 64)"),
	{.name = "--queue-size", .kind = OPT_KIND_UINT, .off = offsetof(struct t_args, ring),
	 .lo = 256, .hi = 1024, .check = pow2, .want = "256, 512 or 1024 (ring entries)",
	 .metavar = "N", .help = "ring entries"},
	OPT_INT("--pin", struct t_args, pin, 0, 1023, "CPU", NULL),
	OPT_INT("--delta", struct t_args, delta, -3, 3, "D", NULL),
	OPT_CHOICE("--machine", struct t_args, machine, machines, "M", NULL),
	OPT_CHOICE("--power", struct t_args, machine, two, "P", NULL),
	OPT_CUSTOM("--timeout", struct t_args, ms, parse_ms, "a number of seconds", "S", NULL),
	OPT_STRING("-o", struct t_args, out, "IMAGE", "output"),
	OPT_FLAG("--dry-run", struct t_args, dry, "print, do not run"),
	OPT_FLAG("--a-very-long-flag", struct t_args, debug, "two spaces at least"),
	OPT_END,
};

static const struct opts t_opts = {
	.prog = "nfbox t",
	.usage = "usage: nfbox t X\n\n",
	.opt = t_opt,
	.help_col = 18,
	.epilog = "\nthe end\n",
};

static char out[4096], err[4096];

static void slurp(FILE *f, char *buf, size_t cap)
{
	rewind(f);
	size_t n = fread(buf, 1, cap - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* opts_parse on a NULL-terminated argv, with stdout and stderr caught in
 * out[] and err[]. */
static enum opts_result parse(struct t_args *a, char **argv, int *np)
{
	int argc = 0;
	while (argv[argc])
		argc++;
	fflush(stdout);
	fflush(stderr);
	FILE *fo = tmpfile(), *fe = tmpfile();
	assert_non_null(fo);
	assert_non_null(fe);
	int so = dup(1), se = dup(2);
	dup2(fileno(fo), 1);
	dup2(fileno(fe), 2);
	enum opts_result r = opts_parse(&t_opts, a, argc, argv, np);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	slurp(fo, out, sizeof(out));
	slurp(fe, err, sizeof(err));
	return r;
}

#define ARGV(...) ((char *[]){"t", __VA_ARGS__, NULL})

static struct t_args defaults(void)
{
	return (struct t_args){.mem = 64, .pin = -1, .machine = "microvm"};
}

static void test_defaults_stay_without_options(void **state)
{
	(void)state;
	struct t_args a = defaults();
	int np = -1;
	assert_int_equal(parse(&a, ARGV("img"), &np), OPTS_OK);
	assert_int_equal(np, 1);
	assert_int_equal(a.mem, 64);
	assert_int_equal(a.pin, -1);
	assert_string_equal(a.machine, "microvm");
	assert_null(a.config);
	assert_false(a.dry);
	assert_string_equal(err, "");
}

static void test_both_value_forms(void **state)
{
	(void)state;
	struct t_args a = defaults();
	int np;
	assert_int_equal(parse(&a, ARGV("--config", "a.conf", "--mem=16", "--machine=q35", "-o", "x.img",
					"--pin", "3", "--dry-run"),
			       &np),
			 OPTS_OK);
	assert_int_equal(np, 0);
	assert_string_equal(a.config, "a.conf");
	assert_int_equal(a.mem, 16);
	assert_string_equal(a.machine, "q35");
	assert_string_equal(a.out, "x.img");
	assert_int_equal(a.pin, 3);
	assert_true(a.dry);
	/* An empty value after '=' is a value. */
	assert_int_equal(parse(&a, ARGV("--config="), &np), OPTS_OK);
	assert_string_equal(a.config, "");
}

static void test_a_value_may_start_with_a_dash(void **state)
{
	(void)state;
	struct t_args a = defaults();
	int np;
	assert_int_equal(parse(&a, ARGV("--config", "--mem", "-o", "-"), &np), OPTS_OK);
	assert_string_equal(a.config, "--mem");
	assert_string_equal(a.out, "-");
	assert_int_equal(a.mem, 64);
}

static void test_positionals_keep_their_order(void **state)
{
	(void)state;
	struct t_args a = defaults();
	char **v = ARGV("one", "--mem", "8", "two", "-", "--", "--dry-run", "-o", "three");
	int np;
	assert_int_equal(parse(&a, v, &np), OPTS_OK);
	assert_int_equal(np, 6);
	assert_string_equal(v[1], "one");
	assert_string_equal(v[2], "two");
	assert_string_equal(v[3], "-");
	assert_string_equal(v[4], "--dry-run");
	assert_string_equal(v[5], "-o");
	assert_string_equal(v[6], "three");
	assert_false(a.dry);
	assert_null(a.out);
	assert_int_equal(a.mem, 8);
}

static void test_the_last_of_a_repeated_option_wins(void **state)
{
	(void)state;
	struct t_args a = defaults();
	int np;
	assert_int_equal(parse(&a, ARGV("--mem", "16", "--mem", "32", "--dry-run", "--dry-run"), &np),
			 OPTS_OK);
	assert_int_equal(a.mem, 32);
	assert_true(a.dry);
}

static void test_a_list_collects_up_to_its_limit(void **state)
{
	(void)state;
	struct t_args a = defaults();
	int np;
	assert_int_equal(parse(&a, ARGV("--net", "tap:a", "--net=tap:b", "--net", "tap:c"), &np), OPTS_OK);
	assert_int_equal(a.n_nets, 3);
	assert_string_equal(a.nets[0], "tap:a");
	assert_string_equal(a.nets[1], "tap:b");
	assert_string_equal(a.nets[2], "tap:c");
	a = defaults();
	assert_int_equal(parse(&a, ARGV("--net", "1", "--net", "2", "--net", "3", "--net", "4"), &np),
			 OPTS_BAD);
	assert_string_equal(err, "nfbox t: at most 3 --net\n");
	assert_int_equal(a.n_nets, 3);
}

static void test_unknown_options_name_themselves(void **state)
{
	(void)state;
	struct t_args a = defaults();
	int np;
	assert_int_equal(parse(&a, ARGV("img", "--bogus"), &np), OPTS_BAD);
	assert_string_equal(err, "nfbox t: unknown option '--bogus' (try 'nfbox t --help')\n");
	assert_int_equal(parse(&a, ARGV("--bogus=1"), &np), OPTS_BAD);
	assert_string_equal(err, "nfbox t: unknown option '--bogus' (try 'nfbox t --help')\n");
	/* Whole names only, and no '=' form for a one-letter name. */
	assert_int_equal(parse(&a, ARGV("--me", "16"), &np), OPTS_BAD);
	assert_string_equal(err, "nfbox t: unknown option '--me' (try 'nfbox t --help')\n");
	assert_int_equal(parse(&a, ARGV("--memory", "16"), &np), OPTS_BAD);
	assert_string_equal(err, "nfbox t: unknown option '--memory' (try 'nfbox t --help')\n");
	assert_int_equal(parse(&a, ARGV("-o=x.img"), &np), OPTS_BAD);
	assert_string_equal(err, "nfbox t: unknown option '-o=x.img' (try 'nfbox t --help')\n");
	assert_int_equal(parse(&a, ARGV("-x"), &np), OPTS_BAD);
	assert_string_equal(err, "nfbox t: unknown option '-x' (try 'nfbox t --help')\n");
	assert_int_equal(opts_status(OPTS_BAD), 2);
}

static void test_missing_and_unwanted_values(void **state)
{
	(void)state;
	struct t_args a = defaults();
	int np;
	assert_int_equal(parse(&a, ARGV("img", "--config"), &np), OPTS_BAD);
	assert_string_equal(err, "nfbox t: --config needs FILE (try 'nfbox t --help')\n");
	assert_int_equal(parse(&a, ARGV("-o"), &np), OPTS_BAD);
	assert_string_equal(err, "nfbox t: -o needs IMAGE (try 'nfbox t --help')\n");
	assert_int_equal(parse(&a, ARGV("--dry-run=1"), &np), OPTS_BAD);
	assert_string_equal(err, "nfbox t: --dry-run takes no value (try 'nfbox t --help')\n");
	assert_false(a.dry);
}

static void test_unsigned_ranges(void **state)
{
	(void)state;
	static const struct {
		const char *v;
		bool ok;
		unsigned want;
	} cases[] = {
		{"4", true, 4},        {"1048576", true, 1048576}, {"+16", true, 16}, {" 16", true, 16},
		{"3", false, 0},       {"1048577", false, 0},      {"x", false, 0},   {"", false, 0},
		{"-5", false, 0},      {"16x", false, 0},          {"16 ", false, 0}, {"-0", false, 0},
		{"99999999999999999999", false, 0}, {"18446744073709551615", false, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct t_args a = defaults();
		int np;
		char *v = (char *)cases[i].v;
		enum opts_result r = parse(&a, ARGV("--mem", v), &np);
		if (cases[i].ok) {
			assert_int_equal(r, OPTS_OK);
			assert_int_equal(a.mem, cases[i].want);
		} else {
			char want[128];
			snprintf(want, sizeof(want), "nfbox t: --mem is a number from 4 to 1048576, not '%s'\n",
				 cases[i].v);
			assert_int_equal(r, OPTS_BAD);
			assert_string_equal(err, want);
			assert_int_equal(a.mem, 64);
		}
	}
}

static void test_signed_ranges(void **state)
{
	(void)state;
	struct t_args a = defaults();
	int np;
	assert_int_equal(parse(&a, ARGV("--delta", "-3"), &np), OPTS_OK);
	assert_int_equal(a.delta, -3);
	assert_int_equal(parse(&a, ARGV("--delta=3"), &np), OPTS_OK);
	assert_int_equal(a.delta, 3);
	assert_int_equal(parse(&a, ARGV("--delta", "-4"), &np), OPTS_BAD);
	assert_string_equal(err, "nfbox t: --delta is a number from -3 to 3, not '-4'\n");
	assert_int_equal(parse(&a, ARGV("--pin", "1023"), &np), OPTS_OK);
	assert_int_equal(a.pin, 1023);
	/* Would wrap to 0 as an int: out of range, not CPU 0. */
	assert_int_equal(parse(&a, ARGV("--pin", "4294967296"), &np), OPTS_BAD);
	assert_int_equal(parse(&a, ARGV("--pin", ""), &np), OPTS_BAD);
	assert_string_equal(err, "nfbox t: --pin is a number from 0 to 1023, not ''\n");
	assert_int_equal(a.pin, 1023);
}

static void test_a_check_and_its_words(void **state)
{
	(void)state;
	struct t_args a = defaults();
	int np;
	assert_int_equal(parse(&a, ARGV("--queue-size", "512"), &np), OPTS_OK);
	assert_int_equal(a.ring, 512);
	assert_int_equal(parse(&a, ARGV("--queue-size", "300"), &np), OPTS_BAD);
	assert_string_equal(err, "nfbox t: --queue-size is 256, 512 or 1024 (ring entries), not '300'\n");
	assert_int_equal(parse(&a, ARGV("--queue-size=2048"), &np), OPTS_BAD);
	assert_string_equal(err, "nfbox t: --queue-size is 256, 512 or 1024 (ring entries), not '2048'\n");
	assert_int_equal(a.ring, 512);
}

static void test_choices(void **state)
{
	(void)state;
	struct t_args a = defaults();
	int np;
	assert_int_equal(parse(&a, ARGV("--machine", "microvm-pcie"), &np), OPTS_OK);
	assert_string_equal(a.machine, "microvm-pcie");
	assert_int_equal(parse(&a, ARGV("--machine", "pc"), &np), OPTS_BAD);
	assert_string_equal(err, "nfbox t: --machine is microvm, microvm-pcie or q35, not 'pc'\n");
	assert_int_equal(parse(&a, ARGV("--power", "maybe"), &np), OPTS_BAD);
	assert_string_equal(err, "nfbox t: --power is on or off, not 'maybe'\n");
	assert_string_equal(a.machine, "microvm-pcie");
}

static void test_a_custom_value(void **state)
{
	(void)state;
	struct t_args a = defaults();
	int np;
	assert_int_equal(parse(&a, ARGV("--timeout", "0.5"), &np), OPTS_OK);
	assert_int_equal(a.ms, 500);
	assert_int_equal(parse(&a, ARGV("--timeout", "soon"), &np), OPTS_BAD);
	assert_string_equal(err, "nfbox t: --timeout is a number of seconds, not 'soon'\n");
	assert_int_equal(a.ms, 500);
}

static const char want_usage[] = "usage: nfbox t X\n\n"
				 "  --config FILE   checked, then used\n"
				 "  --mem MB        guest RAM\n"
				 "                  (default 64)\n"
				 "  --queue-size N  ring entries\n"
				 "  -o IMAGE        output\n"
				 "  --dry-run       print, do not run\n"
				 "  --a-very-long-flag  two spaces at least\n"
				 "\nthe end\n";

static void test_help_is_built_from_the_table(void **state)
{
	(void)state;
	struct t_args a = defaults();
	int np;
	/* --help wins wherever it stands among the options ... */
	assert_int_equal(parse(&a, ARGV("img", "--mem", "8", "--help", "--bogus"), &np), OPTS_HELP);
	assert_string_equal(out, want_usage);
	assert_string_equal(err, "");
	assert_int_equal(opts_status(OPTS_HELP), 0);
	assert_int_equal(parse(&a, ARGV("-h"), &np), OPTS_HELP);
	assert_string_equal(out, want_usage);
	/* ... but not as a value or after "--". */
	assert_int_equal(parse(&a, ARGV("--config", "--help", "--", "-h"), &np), OPTS_OK);
	assert_string_equal(a.config, "--help");
	assert_int_equal(np, 1);
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_stay_without_options),
		cmocka_unit_test(test_both_value_forms),
		cmocka_unit_test(test_a_value_may_start_with_a_dash),
		cmocka_unit_test(test_positionals_keep_their_order),
		cmocka_unit_test(test_the_last_of_a_repeated_option_wins),
		cmocka_unit_test(test_a_list_collects_up_to_its_limit),
		cmocka_unit_test(test_unknown_options_name_themselves),
		cmocka_unit_test(test_missing_and_unwanted_values),
		cmocka_unit_test(test_unsigned_ranges),
		cmocka_unit_test(test_signed_ranges),
		cmocka_unit_test(test_a_check_and_its_words),
		cmocka_unit_test(test_choices),
		cmocka_unit_test(test_a_custom_value),
		cmocka_unit_test(test_help_is_built_from_the_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
