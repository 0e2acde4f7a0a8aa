/* SPDX-License-Identifier: MIT */
/*
 * opts.h - a command's options as a table, parsed and described from it.
 *
 * A command fills a struct of its own with what the user asked for; the
 * table says, per option, its spelling, what kind of value it takes, where
 * in that struct the value goes (offsetof) and how --help shows it:
 *
 *     struct build_args { const char *config, *out; bool debug; };
 *     static const struct opt build_opt[] = {
 *         OPT_STRING("--config", struct build_args, config, "FILE", NULL),
 *         OPT_STRING("-o", struct build_args, out, "IMAGE", "output (default NF.img)"),
 *         OPT_FLAG("--debug", struct build_args, debug, "keep the ELF symbol table"),
 *         OPT_END,
 *     };
 *
 * Accepted syntax:
 *   --opt VALUE, --opt=VALUE  (the value may start with '-': it is taken as it is)
 *   -o VALUE                  (a one-letter name takes no '=' form)
 *   --flag                    (a flag given a value, --flag=x, is an error)
 *   --opt, --opt=VALUE        (OPT_OPTIONAL: the value only after '=')
 *   --                        ends the options: what follows is positional
 *   -                         is positional (stdin, by convention)
 *   -h, --help                the usage on stdout
 * Names match whole, never by prefix.  An option given twice: the last one
 * wins, unless its table entry collects a list (OPT_LIST: every occurrence,
 * up to a limit).
 *
 * Errors are one line on stderr naming the command and the option, in the
 * form the commands used before the table ("nfbox run: --queue-size is
 * 256, 512 or 1024 (ring entries), not '300'"); usage errors end with a
 * hint "(try 'nfbox run --help')".
 */
#ifndef NFB_TOOLS_OPTS_H
#define NFB_TOOLS_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum opt_kind {
	OPT_KIND_END = 0, /* the table's terminator */
	OPT_KIND_FLAG,    /* bool: set to true, takes no value */
	OPT_KIND_STRING,  /* const char *: the argument itself (not copied) */
	OPT_KIND_LIST,    /* const char *[max] with an int count: repeatable */
	OPT_KIND_UINT,    /* unsigned, from min to max */
	OPT_KIND_INT,     /* int, from min to max */
	OPT_KIND_CUSTOM,  /* parse() converts the value */
	OPT_KIND_OPTIONAL, /* const char *: "--opt=VALUE" gives VALUE, a bare "--opt" "-" */
};

struct opt {
	const char *name;      /* "--mem" or "-o", with its dashes */
	enum opt_kind kind;
	size_t off;            /* where the value goes in the command's struct */
	size_t count_off;      /* OPT_KIND_LIST: its int count */
	unsigned max;          /* OPT_KIND_LIST: at most this many */
	long lo, hi;           /* OPT_KIND_UINT, OPT_KIND_INT: the range, inclusive */
	/* OPT_KIND_UINT, OPT_KIND_INT: a further test of an in-range number. */
	bool (*check)(long v);
	/* OPT_KIND_STRING: NULL-terminated; the value must be one of them. */
	const char *const *choices;
	/* OPT_KIND_CUSTOM: 0, or -1 if `value` is no good. */
	int (*parse)(const char *value, void *dst);
	/* What a good value is, for "--opt is WANT, not 'x'"; by default
	 * "a number from LO to HI" or the choices ("a, b or c"). */
	const char *want;
	const char *metavar;   /* "FILE" in --help and in "--config needs FILE" */
	/* The option's lines in --help (more lines: '\n' between them); NULL
	 * leaves it out of the list. */
	const char *help;
};

struct opts {
	const char *prog;      /* "nfbox run": the start of every message */
	const char *usage;     /* --help: the text before the option list */
	const struct opt *opt; /* ends with OPT_END */
	int help_col;          /* --help: where the help text starts */
	const char *epilog;    /* --help: the text after the option list, or NULL */
};

#define OPT__FIELD(type, field, kind_) .kind = (kind_), .off = offsetof(type, field)
#define OPT_FLAG(name_, type, field, help_) \
	{ .name = (name_), OPT__FIELD(type, field, OPT_KIND_FLAG), .help = (help_) }
#define OPT_STRING(name_, type, field, meta, help_) \
	{ .name = (name_), OPT__FIELD(type, field, OPT_KIND_STRING), .metavar = (meta), .help = (help_) }
#define OPT_CHOICE(name_, type, field, list, meta, help_)                                 \
	{ .name = (name_), OPT__FIELD(type, field, OPT_KIND_STRING), .choices = (list),  \
	  .metavar = (meta), .help = (help_) }
#define OPT_LIST(name_, type, field, count, max_, meta, help_)                          \
	{ .name = (name_), OPT__FIELD(type, field, OPT_KIND_LIST),                      \
	  .count_off = offsetof(type, count), .max = (max_), .metavar = (meta), .help = (help_) }
#define OPT_UINT(name_, type, field, lo_, hi_, meta, help_)                               \
	{ .name = (name_), OPT__FIELD(type, field, OPT_KIND_UINT), .lo = (lo_), .hi = (hi_), \
	  .metavar = (meta), .help = (help_) }
#define OPT_INT(name_, type, field, lo_, hi_, meta, help_)                               \
	{ .name = (name_), OPT__FIELD(type, field, OPT_KIND_INT), .lo = (lo_), .hi = (hi_), \
	  .metavar = (meta), .help = (help_) }
#define OPT_CUSTOM(name_, type, field, parse_, want_, meta, help_)                      \
	{ .name = (name_), OPT__FIELD(type, field, OPT_KIND_CUSTOM), .parse = (parse_), \
	  .want = (want_), .metavar = (meta), .help = (help_) }
/* A value only in the "--opt=VALUE" form (as getopt's optional
 * arguments: "--opt VALUE" would be ambiguous with a positional). */
#define OPT_OPTIONAL(name_, type, field, meta, help_) \
	{ .name = (name_), OPT__FIELD(type, field, OPT_KIND_OPTIONAL), .metavar = (meta), .help = (help_) }
#define OPT_END { .name = NULL }

/* What opts_parse() found. */
enum opts_result {
	OPTS_OK,   /* go on */
	OPTS_HELP, /* --help: the usage is on stdout; the command exits 0 */
	OPTS_BAD,  /* the message is on stderr; the command exits 2 */
};

/*
 * Parse argv[1..argc-1] (argv[0] is the command's name) into `args`, the
 * command's struct, which holds its defaults on entry.  The positional
 * arguments end up in argv[1..*npos], in their order; the values stored
 * in `args` point into argv's strings.
 */
enum opts_result opts_parse(const struct opts *o, void *args, int argc, char **argv, int *npos);

/* The exit status for a result other than OPTS_OK: 0 or 2. */
static inline int opts_status(enum opts_result r)
{
	return r == OPTS_HELP ? 0 : 2;
}

/* Commands that talk to one running image (stats, flows): exactly one
 * positional TARGET after opts_parse, else a message and exit status 2;
 * 0 if there is one. */
int opts_one_target(const char *prog, int npos, char **argv);

/* An OPT_CUSTOM parser: seconds, fractions allowed ("0.5"), stored as an
 * unsigned count of milliseconds (the --timeout of commands that wait for
 * an image).  Its `want`: OPTS_SECONDS_WANT. */
int opts_seconds_ms(const char *v, void *dst);
#define OPTS_SECONDS_WANT "a number of seconds"

/* The whole --help text: usage, the option list, epilog. */
void opts_print_usage(const struct opts *o, FILE *to);

#endif
