/* SPDX-License-Identifier: MIT */
/*
 * cmd.h - subcommands of the nfbox tool register themselves, like functions
 * do (nf/nf.h): adding a subcommand is adding a file.
 *
 * A command's run() gets argv with argv[0] == its own name.  It returns the
 * process exit status: 0 success, 1 failure the user caused (bad config,
 * missing file), 2 bad usage.  It prints its own errors as one clear line
 * ("nfbox replay: cannot open x.pcap: No such file or directory").
 */
#ifndef NFB_TOOLS_CMD_H
#define NFB_TOOLS_CMD_H

struct opts;

struct nfbox_cmd {
	const char *name;
	const char *summary;   /* one line for `nfbox --help` */
	const char *usage;     /* full text for `nfbox NAME --help` ... */
	const struct opts *opts; /* ... or its option table's (tools/opts.h) */
	int (*run)(int argc, char **argv);
};

#define CMD_REGISTER(c)                                                           \
	static const struct nfbox_cmd *const cmd_reg_##c                          \
		__attribute__((used, section("nfb_cmd"), aligned(sizeof(void *)))) = &c

/* True if argv has -h or --help (commands call this first). */
int cmd_wants_help(int argc, char **argv);
/* Print usage to stdout: the option table's when there is one. */
void cmd_print_usage(const struct nfbox_cmd *c);
/* Directory of prebuilt image objects: $NFBOX_LIBDIR, else <exe dir>/image
 * when running from the build tree, else PREFIX/lib/nfbox. */
const char *cmd_libdir(void);

#endif
