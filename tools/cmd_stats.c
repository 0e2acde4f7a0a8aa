/* SPDX-License-Identifier: MIT */
/*
 * nfbox stats TARGET [--json] - the counters of a running image, asked over
 * its console through the control socket of its `nfbox run`
 * (control/proto.h is the protocol, topology/ctl.c the client):
 *
 *     nfbox run fw.img --name fw --net ... &
 *     nfbox stats fw          # or the pid of that nfbox run, or its socket
 *     nfbox stats topology/examples/fw-fwd.chain:fw
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cmd.h"
#include "tools/opts.h"
#include "topology/ctl.h"

#define PROG "nfbox stats"

struct stats_args {
	bool json;
	unsigned timeout_ms;
};

static const struct opt stats_opt[] = {
	OPT_FLAG("--json", struct stats_args, json, NULL),
	OPT_CUSTOM("--timeout", struct stats_args, timeout_ms, opts_seconds_ms, OPTS_SECONDS_WANT,
		   "S", NULL),
	OPT_END,
};

static const struct opts stats_opts = {
	.prog = PROG,
	.usage = "usage: nfbox stats TARGET [--json] [--timeout S]\n\n"
		 "Print the counters of a running image as 'section.name value' lines\n"
		 "(or one JSON object), asked over its serial console.\n\n"
		 "TARGET:\n"
		 "  NAME            an image started with 'nfbox run --name NAME'\n"
		 "  SOCKET          the control socket of 'nfbox run --control SOCKET'\n"
		 "  PID             an 'nfbox run' started with --name or --control\n"
		 "  CHAINFILE:NAME  function NAME of a chain started by 'nfbox chain up'\n",
	.opt = stats_opt,
};

static int run_stats(int argc, char **argv)
{
	struct stats_args a = {.json = false, .timeout_ms = 3000};
	int npos;
	enum opts_result r = opts_parse(&stats_opts, &a, argc, argv, &npos);
	if (r != OPTS_OK)
		return opts_status(r);
	if (opts_one_target(PROG, npos, argv))
		return 2;
	const char *target = argv[1];
	struct ctl_target t;
	if (ctl_resolve(PROG, target, &t) < 0)
		return 1;
	char *text;
	int rc = ctl_stats(&t, &text, a.timeout_ms);
	if (rc) {
		ctl_perror(PROG, &t, rc, a.timeout_ms, NULL);
		return 1;
	}
	if (!text[0]) {
		fprintf(stderr, PROG ": %s: the image answered without counters\n", t.label);
		free(text);
		return 1;
	}
	if (a.json)
		ctl_stats_json(text, stdout);
	else
		fputs(text, stdout);
	free(text);
	return 0;
}

static const struct nfbox_cmd stats_cmd = {
	.name = "stats",
	.summary = "counters of a running image (a chain's function or an 'nfbox run')",
	.opts = &stats_opts,
	.run = run_stats,
};
CMD_REGISTER(stats_cmd);
