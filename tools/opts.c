/* SPDX-License-Identifier: MIT */
/* opts.c - table-driven option parsing for the nfbox commands (opts.h). */
#include "tools/opts.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *field(void *args, size_t off)
{
	return (char *)args + off;
}

/* The option `arg` names: "--mem" matches "--mem" and "--mem=...", and
 * *value points after the '=' for the latter.  NULL: none. */
static const struct opt *find(const struct opts *o, const char *arg, const char **value)
{
	*value = NULL;
	for (const struct opt *op = o->opt; op->name; op++) {
		size_t n = strlen(op->name);
		if (strncmp(arg, op->name, n) != 0)
			continue;
		if (arg[n] == '\0')
			return op;
		/* "--opt=VALUE"; a one-letter name has no such form. */
		if (arg[n] == '=' && n > 2) {
			*value = arg + n + 1;
			return op;
		}
	}
	return NULL;
}

/* A number as strtol/strtoul read it (leading blanks and '+' allowed),
 * all of the string, in range, passing the option's own check. */
static bool number_ok(const struct opt *op, const char *v, long *out)
{
	char *end;
	long n;
	errno = 0;
	if (op->kind == OPT_KIND_UINT) {
		if (strchr(v, '-'))
			return false;
		unsigned long u = strtoul(v, &end, 10);
		if (u > LONG_MAX)
			return false;
		n = (long)u;
	} else {
		n = strtol(v, &end, 10);
	}
	if (end == v || *end || errno == ERANGE || n < op->lo || n > op->hi)
		return false;
	if (op->check && !op->check(n))
		return false;
	*out = n;
	return true;
}

static bool choice_ok(const struct opt *op, const char *v)
{
	for (const char *const *c = op->choices; *c; c++)
		if (strcmp(*c, v) == 0)
			return true;
	return false;
}

/* "--opt is WANT, not 'VALUE'", WANT from the table or from the kind. */
static void bad_value(const struct opts *o, const struct opt *op, const char *v)
{
	fprintf(stderr, "%s: %s is ", o->prog, op->name);
	if (op->want) {
		fputs(op->want, stderr);
	} else if (op->choices) {
		for (const char *const *c = op->choices; *c; c++)
			fprintf(stderr, "%s%s", c == op->choices ? "" : c[1] ? ", " : " or ", *c);
	} else {
		fprintf(stderr, "a number from %ld to %ld", op->lo, op->hi);
	}
	fprintf(stderr, ", not '%s'\n", v);
}

/* Store `v` for `op`.  false: the message is printed. */
static bool store(const struct opts *o, const struct opt *op, void *args, const char *v)
{
	void *dst = field(args, op->off);
	long n;
	switch (op->kind) {
	case OPT_KIND_STRING:
		if (op->choices && !choice_ok(op, v)) {
			bad_value(o, op, v);
			return false;
		}
		*(const char **)dst = v;
		return true;
	case OPT_KIND_LIST: {
		int *count = field(args, op->count_off);
		if (*count < 0 || (unsigned)*count >= op->max) {
			fprintf(stderr, "%s: at most %u %s\n", o->prog, op->max, op->name);
			return false;
		}
		((const char **)dst)[(*count)++] = v;
		return true;
	}
	case OPT_KIND_UINT:
		if (!number_ok(op, v, &n)) {
			bad_value(o, op, v);
			return false;
		}
		*(unsigned *)dst = (unsigned)n;
		return true;
	case OPT_KIND_INT:
		if (!number_ok(op, v, &n)) {
			bad_value(o, op, v);
			return false;
		}
		*(int *)dst = (int)n;
		return true;
	case OPT_KIND_CUSTOM:
		if (op->parse(v, dst) != 0) {
			bad_value(o, op, v);
			return false;
		}
		return true;
	case OPT_KIND_FLAG:
	case OPT_KIND_OPTIONAL:
	case OPT_KIND_END:
		break;
	}
	return false;
}

enum opts_result opts_parse(const struct opts *o, void *args, int argc, char **argv, int *npos)
{
	int np = 0;
	bool options = true;
	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		/* Positionals move down to argv[1..np]: np < i, so no slot
		 * is written before it is read. */
		if (!options || a[0] != '-' || a[1] == '\0') {
			argv[++np] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			options = false;
			continue;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			opts_print_usage(o, stdout);
			return OPTS_HELP;
		}
		const char *v;
		const struct opt *op = find(o, a, &v);
		if (!op) {
			/* "--name=value": the name; "-o=x" is no form of -o. */
			size_t shown = a[1] == '-' ? strcspn(a, "=") : strlen(a);
			fprintf(stderr, "%s: unknown option '%.*s' (try '%s --help')\n", o->prog,
				(int)shown, a, o->prog);
			return OPTS_BAD;
		}
		if (op->kind == OPT_KIND_FLAG) {
			if (v) {
				fprintf(stderr, "%s: %s takes no value (try '%s --help')\n", o->prog,
					op->name, o->prog);
				return OPTS_BAD;
			}
			*(bool *)field(args, op->off) = true;
			continue;
		}
		if (op->kind == OPT_KIND_OPTIONAL) {
			*(const char **)field(args, op->off) = v ? v : "-";
			continue;
		}
		if (!v) {
			if (i + 1 == argc) {
				fprintf(stderr, "%s: %s needs %s (try '%s --help')\n", o->prog, op->name,
					op->metavar ? op->metavar : "a value", o->prog);
				return OPTS_BAD;
			}
			v = argv[++i];
		}
		if (!store(o, op, args, v))
			return OPTS_BAD;
	}
	*npos = np;
	return OPTS_OK;
}

int opts_seconds_ms(const char *v, void *dst)
{
	char *end;
	double s = strtod(v, &end);
	if (end == v || *end || !(s >= 0 && s <= UINT_MAX / 1000))
		return -1;
	*(unsigned *)dst = (unsigned)(s * 1000);
	return 0;
}

void opts_print_usage(const struct opts *o, FILE *to)
{
	if (o->usage)
		fputs(o->usage, to);
	for (const struct opt *op = o->opt; op->name; op++) {
		if (!op->help)
			continue;
		bool opt = op->kind == OPT_KIND_OPTIONAL;
		int n = fprintf(to, "  %s%s%s%s", op->name, !op->metavar ? "" : opt ? "[=" : " ",
				op->metavar ? op->metavar : "", op->metavar && opt ? "]" : "");
		int pad = o->help_col - n;
		fprintf(to, "%*s", pad < 2 ? 2 : pad, "");
		/* Continuation lines start at the help column too. */
		for (const char *h = op->help;;) {
			size_t len = strcspn(h, "\n");
			fprintf(to, "%.*s\n", (int)len, h);
			h += len;
			if (!*h || !*++h)
				break;
			fprintf(to, "%*s", o->help_col, "");
		}
	}
	if (o->epilog)
		fputs(o->epilog, to);
}

int opts_one_target(const char *prog, int npos, char **argv)
{
	if (npos > 1) {
		fprintf(stderr, "%s: one target at a time ('%s' is extra)\n", prog, argv[2]);
		return 2;
	}
	if (npos == 0) {
		fprintf(stderr, "%s: which image? NAME, SOCKET, PID or CHAINFILE:NAME\n", prog);
		return 2;
	}
	return 0;
}
