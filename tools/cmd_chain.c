/* SPDX-License-Identifier: MIT */
/*
 * nfbox chain up|down|status|replay|exec|check FILE - service chains
 * through a private Open vSwitch with DPDK: the command line only.  The
 * work is topology/'s (fabric.h; chain.h for the wiring, topology/README.md
 * for the chain file).
 *
 *   up      start what is missing: hugepages, ovsdb-server, ovs-vswitchd,
 *           bridge, ports, flows, images (`nfbox run`, QEMU the vhost-user
 *           server, pinned) and testpmd forwarders; wait until every image
 *           is ready and every port is up; print the layout.  Running it
 *           again restarts only what died (flows are re-installed).
 *   down    stop everything the chain started and remove its files, also
 *           after crashes: every process whose command line names the run
 *           directory is stopped.
 *   status  each function (running, ready time, counters), each OVS port.
 *   replay  frames in through OpenFlow PACKET_OUT on the source (and sink)
 *           port, captured by DPDK net_pcap ports where they leave; per-hop
 *           counters.
 *   exec    run a command with the chain's OVS environment (ovs-vsctl ...).
 *   check   parse the chain file only.
 *
 * The configs are checked here, before fabric_up(), with
 * tools/cfgblob.c: topology/ calls no command.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/cfgblob.h"
#include "tools/cmd.h"
#include "topology/chain.h"
#include "topology/fabric.h"

#define PROG "nfbox chain"


/* Every function's config, checked with its own code before anything starts. */
static int check_configs(const struct chain *c)
{
	int bad = 0;
	for (unsigned i = 0; i < c->n_nf; i++) {
		const struct chain_nf *f = &c->nf[i];
		if (f->kind != CHAIN_NF_IMAGE || !f->config)
			continue;
		char *blob = NULL;
		size_t len = 0;
		if (cfgblob_make(f->config, f->image_path ? NULL : f->image, &blob, &len)) {
			fprintf(stderr, PROG ": %s:%u: the config of '%s' is rejected (above)\n", c->path,
				f->line, f->name);
			bad = 1;
		}
		free(blob);
	}
	return bad;
}

static int chain_up(const struct chain *c)
{
	if (geteuid() != 0) {
		fprintf(stderr, PROG ": 'up' needs root (hugepages, hugetlbfs, OVS-DPDK)\n");
		return 1;
	}
	if (check_configs(c))
		return 1;
	return fabric_up(c);
}

/* replay's options; 0, or 2 (bad usage, said why). */
static int replay_args(const struct chain *c, int argc, char **argv, struct fabric_replay_opts *o)
{
	*o = (struct fabric_replay_opts){
		.in = c->source_pcap, .out = c->sink_pcap, .gap_us = 100, .quiet_ms = 20,
		.wait_switch_s = 60,
	};
	bool gap_set = false;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--in") && v)
			o->in = v, i++;
		else if (!strcmp(a, "--in-rev") && v)
			o->in_rev = v, i++;
		else if (!strcmp(a, "--out") && v)
			o->out = v, i++;
		else if (!strcmp(a, "--out-rev") && v)
			o->out_rev = v, i++;
		else if (!strcmp(a, "--gap-us") && v)
			o->gap_us = atol(v), gap_set = true, i++;
		else if (!strcmp(a, "--lockstep"))
			o->lockstep = true;
		else if (!strcmp(a, "--pcap-gaps"))
			o->pcap_gaps = true;
		else if (!strcmp(a, "--wait-switch") && v)
			o->wait_switch_s = atol(v), i++;
		else if (!strcmp(a, "--quiet-ms") && v)
			o->quiet_ms = atol(v), o->lockstep = true, i++;
		else {
			fprintf(stderr, PROG ": replay: unknown option or missing value '%s'\n", a);
			return 2;
		}
	}
	if (!o->in && !o->in_rev) {
		fprintf(stderr, PROG ": replay: no input: --in PCAP (or 'source pcap FILE' in %s)\n",
			c->path);
		return 2;
	}
	if (o->in_rev && !gap_set)
		o->lockstep = true; /* both directions: keep request before reply */
	return 0;
}

static int chain_replay(const struct chain *c, int argc, char **argv)
{
	struct fabric_replay_opts o;
	int rc = replay_args(c, argc, argv, &o);
	return rc ? rc : fabric_replay(c, &o);
}

/* exec [--] CMD ...: never returns when CMD runs. */
static int chain_exec(struct chain *c, int argc, char **argv)
{
	int i = 0;
	if (i < argc && !strcmp(argv[i], "--"))
		i++;
	if (i >= argc) {
		fprintf(stderr, PROG ": exec needs a command\n");
		chain_free(c);
		return 2;
	}
	fabric_env(c);
	chain_free(c);
	execvp(argv[i], argv + i);
	fprintf(stderr, PROG ": cannot run %s: %s\n", argv[i], strerror(errno));
	return 127;
}

static int run_chain(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: nfbox chain up|down|status|replay|exec FILE ... (try 'nfbox chain --help')\n");
		return 2;
	}
	const char *verb = argv[1], *file = argv[2];
	if (!strcmp(verb, "down"))
		return fabric_down(file); /* the file may have changed or gone: not parsed */
	struct chain c;
	if (chain_parse(file, &c, stderr) < 0) {
		chain_free(&c);
		return 1;
	}
	int rc;
	if (!strcmp(verb, "up")) {
		rc = chain_up(&c);
	} else if (!strcmp(verb, "status")) {
		rc = fabric_status(&c);
	} else if (!strcmp(verb, "replay")) {
		rc = chain_replay(&c, argc - 3, argv + 3);
	} else if (!strcmp(verb, "exec")) {
		return chain_exec(&c, argc - 3, argv + 3);
	} else if (!strcmp(verb, "check")) {
		printf("%s: ok (%u function%s)\n", file, c.n_nf, c.n_nf == 1 ? "" : "s");
		rc = 0;
	} else {
		fprintf(stderr, PROG ": unknown verb '%s' (up, down, status, replay, exec, check)\n", verb);
		rc = 2;
	}
	chain_free(&c);
	return rc;
}

static const struct nfbox_cmd chain_cmd = {
	.name = "chain",
	.summary = "service chains of images through a private OVS-DPDK",
	.usage = "usage: nfbox chain up FILE        start the chain (root); again: restart what died\n"
		 "       nfbox chain status FILE    functions, readiness, counters, OVS ports\n"
		 "       nfbox chain replay FILE [--in PCAP] [--out PCAP] [--in-rev PCAP]\n"
		 "                              [--out-rev PCAP] [--gap-us N] [--lockstep]\n"
		 "                              [--quiet-ms N] [--pcap-gaps] [--wait-switch S]\n"
		 "       nfbox chain down FILE      stop everything, remove its files\n"
		 "       nfbox chain exec FILE -- CMD ...   run CMD with the chain's OVS\n"
		 "                                  environment (ovs-vsctl, ovs-ofctl, ovs-appctl)\n"
		 "       nfbox chain check FILE     parse the chain file only\n\n"
		 "A chain file (topology/README.md):\n"
		 "  source pcap tests/data/web.pcap\n"
		 "  nf fw   image firewall config config/examples/firewall.conf\n"
		 "  nf pass image fwd\n"
		 "  sink   pcap\n\n"
		 "OVS runs from the chain's own run directory ($NFBOX_CHAIN_DIR, default\n"
		 "/run/nfbox/chain/NAME-HASH) and never touches a system OVS.  Function k\n"
		 "has OpenFlow ports 10k (port 0) and 10k+1 (port 1); the source is port 1,\n"
		 "the sink port 2.  Replay injects frames with OpenFlow PACKET_OUT at the\n"
		 "source (--in) and the sink (--in-rev), in timestamp order, --gap-us apart\n"
		 "(default 100), and captures what leaves through DPDK net_pcap ports: --out\n"
		 "(at the sink), --out-rev (at the source).  OVS keeps the order of frames\n"
		 "per flow only (it batches by datapath flow); --lockstep sends a frame only\n"
		 "once no port counter moved for --quiet-ms (default 20), which keeps the\n"
		 "order of the input exactly (the default with --in-rev).  --pcap-gaps also\n"
		 "waits the time between consecutive frames' timestamps.  If ovs-vswitchd\n"
		 "dies during a replay, the replay waits up to --wait-switch S (60) for it to\n"
		 "be back with every port up ('nfbox chain up' restarts it) and goes on.\n\n"
		 "Images: $NFBOX_IMAGES/F.img, else images/ next to nfbox, else built.\n",
	.run = run_chain,
};
CMD_REGISTER(chain_cmd);
