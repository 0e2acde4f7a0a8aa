/* SPDX-License-Identifier: MIT */
/*
 * nfbox lb TARGET backend ADDR[:PORT] down|up - set a backend of a running
 * load balancer down (no new connections, established ones stay) or up,
 * with no config change (nf/lb/lb_admin.h says what the image does).
 *
 * Sent over the image's console as "nf lb backend ADDR[:PORT] down|up"
 * then "end NONCE" (control/proto.h); the image answers one line, "nfbox:
 * nf ok: WHAT" or "nfbox: nf failed: WHY", before its "end NONCE".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "control/proto.h"
#include "tools/cmd.h"
#include "tools/opts.h"
#include "topology/ctl.h"

#define PROG "nfbox lb"

struct lb_args {
	unsigned timeout_ms;
};

static const struct opt lb_opt[] = {
	OPT_CUSTOM("--timeout", struct lb_args, timeout_ms, opts_seconds_ms, OPTS_SECONDS_WANT, "S",
		   "how long to wait for the image's answer (default 3)"),
	OPT_END,
};

static const struct opts lb_opts = {
	.prog = PROG,
	.usage = "usage: nfbox lb TARGET backend ADDR[:PORT] down|up [--timeout S]\n\n"
		 "Set a backend of a running lb image down or up, with no config change.\n"
		 "down: new connections no longer go to it (its vip's Maglev table is\n"
		 "rebuilt over the other backends, as with weight 0); its established\n"
		 "connections keep going to it.  up: it takes new connections again (the\n"
		 "same table as before it went down).  ADDR is IPv4 or IPv6; an IPv6\n"
		 "ADDR with a port is written [ADDR]:PORT.  Without :PORT, every backend at\n"
		 "ADDR, of every vip.  Setting the state a backend has is no error.  A\n"
		 "vip with every backend down drops new connections (lb.drop_no_backend).\n"
		 "A reload ('nfbox reload') keeps down a backend that is still in the new\n"
		 "config; only 'up' brings it back.  'nfbox stats' shows\n"
		 "lb_backend.VIP_ADDR_PORT_admin, lb.backends_down and\n"
		 "lb.backend_state_changes.\n\n"
		 "TARGET as for 'nfbox stats': the NAME of an 'nfbox run --name NAME', a\n"
		 "control socket, the pid of an 'nfbox run' with --name or --control, or\n"
		 "CHAINFILE:NAME.\n",
	.opt = lb_opt,
};

/* The line of the answer that starts with `tag`, its rest into buf; NULL
 * when there is none. */
static const char *answer_line(const char *ans, const char *tag, char *buf, size_t len)
{
	size_t tl = strlen(tag);
	for (const char *l = ans; *l; l += strcspn(l, "\n"), l += *l == '\n')
		if (strncmp(l, tag, tl) == 0) {
			snprintf(buf, len, "%.*s", (int)strcspn(l + tl, "\r\n"), l + tl);
			return buf;
		}
	return NULL;
}

static int run_lb(int argc, char **argv)
{
	struct lb_args a = {.timeout_ms = 3000};
	int npos;
	enum opts_result r = opts_parse(&lb_opts, &a, argc, argv, &npos);
	if (r != OPTS_OK)
		return opts_status(r);
	if (npos != 4 || strcmp(argv[2], "backend") != 0 ||
	    (strcmp(argv[4], "down") != 0 && strcmp(argv[4], "up") != 0)) {
		fprintf(stderr, PROG ": want TARGET backend ADDR[:PORT] down|up (try '" PROG
				" --help')\n");
		return 2;
	}
	/* Checked here, with the parser the image uses, so a typo is a
	 * usage error before anything is sent. */
	struct cfg_addr addr;
	uint16_t port;
	if (!cfg_parse_addr_port(argv[3], &addr, &port)) {
		fprintf(stderr, PROG ": '%s' is no backend address: want ADDR, ADDR:PORT or "
				"[IPV6]:PORT\n",
			argv[3]);
		return 2;
	}
	char line[CONTROL_LINE_MAX + 2];
	int ll = snprintf(line, sizeof(line), "nf lb backend %s %s\n", argv[3], argv[4]);
	if (ll < 0 || ll > CONTROL_LINE_MAX + 1) { /* cannot happen for a checked address */
		fprintf(stderr, PROG ": '%s' makes a control line too long\n", argv[3]);
		return 2;
	}
	struct ctl_target t;
	if (ctl_resolve(PROG, argv[1], &t) < 0)
		return 1;
	char *ans = NULL;
	int rc = ctl_exchange(&t, line, "end", &ans, a.timeout_ms);
	if (rc == -ETIMEDOUT) {
		ctl_perror(PROG, &t, rc, a.timeout_ms, "the backend's state is unknown");
		return 1;
	}
	if (rc) {
		ctl_perror(PROG, &t, rc, a.timeout_ms, NULL);
		return 1;
	}
	char what[256];
	if (answer_line(ans, "nfbox: nf ok: ", what, sizeof(what))) {
		printf("%s\n", what);
		rc = 0;
	} else if (answer_line(ans, "nfbox: nf failed: ", what, sizeof(what))) {
		fprintf(stderr, PROG ": %s: %s\n", t.label, what);
		rc = 1;
	} else if (strstr(ans, "unknown command 'nf ")) {
		fprintf(stderr, PROG ": %s: this image takes no function commands (built before "
				"'nfbox lb' existed?); nothing changed\n", t.label);
		rc = 1;
	} else {
		fprintf(stderr, PROG ": %s: the image's console gave no answer to the command\n",
			t.label);
		rc = 1;
	}
	free(ans);
	return rc;
}

static const struct nfbox_cmd lb_cmd = {
	.name = "lb",
	.summary = "set a backend of a running load balancer down or up",
	.opts = &lb_opts,
	.run = run_lb,
};
CMD_REGISTER(lb_cmd);
