/* SPDX-License-Identifier: MIT */
/*
 * nfbox - the command: `nfbox SUBCOMMAND ...`.  Subcommands register
 * themselves (cmd.h); this file only finds and runs them.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dataplane/nf.h"
#include "tools/cmd.h"
#include "tools/opts.h"

#ifndef NFBOX_PREFIX
#define NFBOX_PREFIX "/usr/local"
#endif

extern const struct nfbox_cmd *const __start_nfb_cmd[];
extern const struct nfbox_cmd *const __stop_nfb_cmd[];

int cmd_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return 1;
	}
	return 0;
}

void cmd_print_usage(const struct nfbox_cmd *c)
{
	if (c->opts)
		opts_print_usage(c->opts, stdout);
	else
		fputs(c->usage, stdout);
}

const char *cmd_libdir(void)
{
	static char dir[PATH_MAX];
	const char *env = getenv("NFBOX_LIBDIR");
	if (env && *env)
		return env;
	/* Running from the build tree: build/nfbox finds build/image/. */
	ssize_t n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
	if (n > 0) {
		dir[n] = '\0';
		char *slash = strrchr(dir, '/');
		if (slash) {
			strcpy(slash, "/image");
			if (access(dir, R_OK) == 0)
				return dir;
		}
	}
	snprintf(dir, sizeof(dir), "%s/lib/nfbox", NFBOX_PREFIX);
	return dir;
}

static void usage(FILE *to)
{
	fprintf(to, "usage: nfbox COMMAND [ARGS...]\n\n"
		    "nfbox runs a network function as a tiny unikernel VM, or hosted over\n"
		    "pcap files.  Functions: ");
	for (unsigned i = 0; nf_at(i); i++)
		fprintf(to, "%s%s", i ? ", " : "", nf_at(i)->name);
	fprintf(to, ".\n\ncommands:\n");
	for (const struct nfbox_cmd *const *c = __start_nfb_cmd; c < __stop_nfb_cmd; c++)
		fprintf(to, "  %-10s %s\n", (*c)->name, (*c)->summary);
	fprintf(to, "\n'nfbox COMMAND --help' describes a command.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	for (const struct nfbox_cmd *const *c = __start_nfb_cmd; c < __stop_nfb_cmd; c++) {
		if (strcmp((*c)->name, argv[1]) == 0) {
			if (cmd_wants_help(argc - 1, argv + 1)) {
				cmd_print_usage(*c);
				return 0;
			}
			return (*c)->run(argc - 1, argv + 1);
		}
	}
	fprintf(stderr, "nfbox: unknown command '%s' (try 'nfbox --help')\n", argv[1]);
	return 2;
}
