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
#include "topology/ctl.h"

#define PROG "nfbox stats"

static int run_stats(int argc, char **argv)
{
	const char *target = NULL;
	bool json = false;
	unsigned timeout_ms = 3000;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
			timeout_ms = (unsigned)(atof(argv[++i]) * 1000);
		else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, PROG ": unknown option '%s' (try 'nfbox stats --help')\n", argv[i]);
			return 2;
		} else if (!target)
			target = argv[i];
		else {
			fprintf(stderr, PROG ": one target at a time ('%s' is extra)\n", argv[i]);
			return 2;
		}
	}
	if (!target) {
		fprintf(stderr, PROG ": which image? NAME, SOCKET, PID or CHAINFILE:NAME\n");
		return 2;
	}
	struct ctl_target t;
	if (ctl_resolve(PROG, target, &t) < 0)
		return 1;
	char *text;
	int rc = ctl_stats(&t, &text, timeout_ms);
	if (rc) {
		fprintf(stderr, PROG ": %s: %s\n", t.label,
			ctl_strerror(rc));
		return 1;
	}
	if (!text[0]) {
		fprintf(stderr, PROG ": %s: the image answered without counters\n", t.label);
		free(text);
		return 1;
	}
	if (json)
		ctl_stats_json(text, stdout);
	else
		fputs(text, stdout);
	free(text);
	return 0;
}

static const struct nfbox_cmd stats_cmd = {
	.name = "stats",
	.summary = "counters of a running image (a chain's function or an 'nfbox run')",
	.usage = "usage: nfbox stats TARGET [--json] [--timeout S]\n\n"
		 "Print the counters of a running image as 'section.name value' lines\n"
		 "(or one JSON object), asked over its serial console.\n\n"
		 "TARGET:\n"
		 "  NAME            an image started with 'nfbox run --name NAME'\n"
		 "  SOCKET          the control socket of 'nfbox run --control SOCKET'\n"
		 "  PID             an 'nfbox run' started with --name or --control\n"
		 "  CHAINFILE:NAME  function NAME of a chain started by 'nfbox chain up'\n",
	.run = run_stats,
};
CMD_REGISTER(stats_cmd);
