/* SPDX-License-Identifier: MIT */
/*
 * nfbox flows TARGET [--json] [--match EXPR] [--limit N] - the live flow
 * table of a running firewall, NAT or LB image, asked over its console
 * in chunks (nf/flows.h is the protocol, topology/ctl_flows.c the client,
 * tools/flows_view.h the table), TARGET resolved as `nfbox stats` does.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "nf/flows.h"
#include "tools/cmd.h"
#include "tools/flows_view.h"
#include "tools/opts.h"
#include "topology/ctl.h"

#define PROG "nfbox flows"

struct flows_args {
	bool json;
	const char *match;
	unsigned limit, chunk;
	unsigned timeout_ms;
};

static const struct opt flows_opt[] = {
	OPT_FLAG("--json", struct flows_args, json, "one JSON array of flow objects"),
	OPT_STRING("--match", struct flows_args, match, "EXPR", "only the flows EXPR matches (below)"),
	OPT_UINT("--limit", struct flows_args, limit, 1, 1l << 30, "N", "stop after N flows"),
	OPT_UINT("--chunk", struct flows_args, chunk, 1, NF_FLOWS_CHUNK_MAX, "N",
		 "flows per console round (default 256)"),
	OPT_CUSTOM("--timeout", struct flows_args, timeout_ms, opts_seconds_ms, OPTS_SECONDS_WANT,
		   "S", "give up after S seconds without an answer (default 3)"),
	OPT_END,
};

static const struct opts flows_opts = {
	.prog = PROG,
	.usage = "usage: nfbox flows TARGET [--json] [--match EXPR] [--limit N]\n\n"
		 "Print the live flow table of a running firewall, nat or lb image, asked\n"
		 "over its serial console a chunk at a time (the image holds no copy).\n"
		 "One flow per line: protocol, state (TCP's, or the function's own: oneway,\n"
		 "replied), the original and the reply direction, the NAT mapping (nat:\n"
		 "the outside address:port the inside source is translated to) or the LB\n"
		 "backend, the idle time left before it expires and its age.  The age is\n"
		 "shown where the table keeps it (firewall; '-' for nat and lb); no table\n"
		 "keeps packet or byte counts per flow, so none are shown.  fwd keeps no\n"
		 "flows and says so.\n\n"
		 "TARGET:\n"
		 "  NAME            an image started with 'nfbox run --name NAME'\n"
		 "  SOCKET          the control socket of 'nfbox run --control SOCKET'\n"
		 "  PID             an 'nfbox run' started with --name or --control\n"
		 "  CHAINFILE:NAME  function NAME of a chain started by 'nfbox chain up'\n\n",
	.opt = flows_opt,
	.help_col = 18,
	.epilog = "\n--match EXPR: terms joined by 'and', each optionally after 'not':\n"
		  "  src NET, dst NET   the original source, destination (ADDR or ADDR/LEN)\n"
		  "  host NET           any address of the flow, its mapping included\n"
		  "  sport P, dport P   the original ports (N or N-M); port P: any port\n"
		  "  proto NAME|N       tcp, udp, icmp, icmp6, sctp or a number\n"
		  "  state WORD         established, syn_sent, closing, oneway, replied, ...\n"
		  "  ipv4, ipv6\n"
		  "e.g. --match 'src 10.0.0.0/24 and dport 80 and state established'\n",
};

static bool on_line(void *ctx, const char *l, size_t n)
{
	return flows_view_line(ctx, l, n);
}

static int run_flows(int argc, char **argv)
{
	struct flows_args a = {.timeout_ms = 3000, .chunk = NF_FLOWS_CHUNK};
	int npos;
	enum opts_result r = opts_parse(&flows_opts, &a, argc, argv, &npos);
	if (r != OPTS_OK)
		return opts_status(r);
	if (opts_one_target(PROG, npos, argv))
		return 2;
	struct flows_match m;
	char err[160];
	if (a.match && flows_match_parse(a.match, &m, err, sizeof(err)) < 0) {
		fprintf(stderr, PROG ": --match: %s\n", err);
		return 2;
	}
	struct ctl_target t;
	if (ctl_resolve(PROG, argv[1], &t) < 0)
		return 1;
	struct flows_view v;
	flows_view_init(&v, stdout, a.json, a.match ? &m : NULL, a.limit);
	const char *why;
	int rc = ctl_flows(&t, a.timeout_ms, a.chunk, on_line, &v, &why);
	if (rc == -EPROTO) {
		fprintf(stderr, PROG ": %s: %s\n", t.label, why);
		return 1;
	}
	if (rc) {
		/* What was printed stays: a table cut short says so below. */
		flows_view_finish(&v);
		ctl_perror(PROG, &t, rc, a.timeout_ms, v.shown ? "the table above is incomplete" : NULL);
		return 1;
	}
	if (v.none[0]) {
		fprintf(stderr, PROG ": %s: %s\n", t.label, v.none);
		return 1;
	}
	flows_view_finish(&v);
	if (v.bad)
		fprintf(stderr, PROG ": %s: %lu flow lines not understood, left out\n", t.label, v.bad);
	return v.bad ? 1 : 0;
}

static const struct nfbox_cmd flows_cmd = {
	.name = "flows",
	.summary = "the live flow table of a running firewall, nat or lb image",
	.opts = &flows_opts,
	.run = run_flows,
};
CMD_REGISTER(flows_cmd);
