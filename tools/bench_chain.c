/* SPDX-License-Identifier: MIT */
/* bench_chain.c - nfbox bench of a chain through OVS (bench_chain.h). */
#define _GNU_SOURCE
#include "tools/bench_chain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topology/hostsys.h"
#include "topology/openflow.h"
#include "topology/ovs.h"

#define PROG "nfbox bench"
#define MAX_PORTS 64

/* Frames offered to the input port (sent to it, or dropped on the way:
 * its ring full) and received from the output port, now. */
static int counters(struct bench_chain *b, uint64_t *offered, uint64_t *received)
{
	char err[200];
	struct of_conn *c = of_open(b->mgmt, err, sizeof(err));
	if (!c) {
		fprintf(stderr, PROG ": %s\n", err);
		return -1;
	}
	struct of_port_stats ps[MAX_PORTS];
	int n = of_port_stats(c, ps, MAX_PORTS);
	of_close(c);
	const struct of_port_stats *in = n > 0 ? of_find_port(ps, n, (uint16_t)b->p_in) : NULL;
	const struct of_port_stats *out = n > 0 ? of_find_port(ps, n, (uint16_t)b->p_out) : NULL;
	if (!in || !out) {
		fprintf(stderr, PROG ": the switch has no counters for ports %u and %u\n", b->p_in, b->p_out);
		return -1;
	}
	*offered = in->tx_packets + in->tx_dropped;
	*received = out->rx_packets;
	return 0;
}

static int gen_flow(struct bench_chain *b, bool stop)
{
	char log[320];
	snprintf(log, sizeof(log), "%s/bench.ofctl.log", b->p.dir);
	if (stop)
		return hostsys_runv(NULL, log, "ovs-ofctl", "add-flow", b->p.bridge,
				    "priority=200,in_port=1,actions=drop", NULL);
	return hostsys_runv(NULL, log, "ovs-ofctl", "--strict", "del-flows", b->p.bridge,
			    "priority=200,in_port=1", NULL);
}

static int police(struct bench_chain *b, long kbps)
{
	char rate[48], burst[48], log[320];
	long bu = kbps / 1000 < 64 ? 64 : kbps / 1000;
	snprintf(rate, sizeof(rate), "ingress_policing_rate=%ld", kbps);
	snprintf(burst, sizeof(burst), "ingress_policing_burst=%ld", bu);
	snprintf(log, sizeof(log), "%s/bench.vsctl.log", b->p.dir);
	return ovs_vsctl(NULL, log, "set", "Interface", "gen", rate, burst, NULL);
}

/* One trial at `kbps` of policing (0: none). */
static int trial_kbps(struct bench_chain *b, long kbps, double secs, struct rfc_trial *t)
{
	uint64_t a0, b0, a1, b1;
	if (police(b, kbps) != 0 || counters(b, &a0, &b0) < 0 || gen_flow(b, false) != 0)
		return -1;
	hostsys_sleep_ms(300 + (unsigned)(secs * 1000));
	if (gen_flow(b, true) != 0)
		return -1;
	hostsys_sleep_ms(300);
	if (counters(b, &a1, &b1) < 0)
		return -1;
	t->offered = a1 - a0;
	t->received = b1 - b0;
	t->secs = secs + 0.3; /* the time frames flowed */
	t->bytes = (uint64_t)((double)t->offered * b->frame_bytes);
	return 0;
}

int bench_chain_trial(void *bp, double rate, double secs, struct rfc_trial *t)
{
	struct bench_chain *b = bp;
	long kbps = rate > 0 ? (long)(rate * b->kbps_per_pps) : 0;
	if (rate > 0 && kbps < 1)
		kbps = 1;
	return trial_kbps(b, kbps, secs, t);
}

int bench_chain_start(struct bench_chain *b, const char *file, const char *trace, double frame_bytes)
{
	b->file = file;
	b->frame_bytes = frame_bytes;
	snprintf(b->trace, sizeof(b->trace), "%s", trace);
	if (chain_parse(file, &b->c, stderr) < 0)
		return -1;
	b->parsed = true;
	chain_paths(&b->c, &b->p);
	ovs_env(&b->p);
	ovs_mgmt(&b->p, b->mgmt, sizeof(b->mgmt));
	b->p_in = chain_port_in(&b->c, 0);
	b->p_out = chain_port_out(&b->c, b->c.n_nf - 1);
	if (ovs_switch_pid(&b->p) || ovs_db_pid(&b->p)) {
		fprintf(stderr, PROG ": %s is already up ('nfbox chain down %s' first): nfbox bench brings "
				"the chain up itself and takes it down after\n", file, file);
		return -1;
	}
	fprintf(stderr, PROG ": bringing up %s (nfbox chain up)\n", file);
	char *out = NULL;
	int rc = hostsys_runv(&out, NULL, hostsys_self_exe(), "chain", "up", file, NULL);
	b->up = true;
	if (rc != 0) {
		fprintf(stderr, PROG ": nfbox chain up %s failed:\n%s", file, out ? out : "");
		free(out);
		return -1;
	}
	free(out);
	if (gen_flow(b, true) != 0) {
		fprintf(stderr, PROG ": cannot install the generator's drop flow on %s\n", b->p.bridge);
		return -1;
	}
	char devargs[400], log[320];
	snprintf(devargs, sizeof(devargs), "options:dpdk-devargs=net_pcap_gen,rx_pcap=%s,infinite_rx=1", trace);
	snprintf(log, sizeof(log), "%s/bench.vsctl.log", b->p.dir);
	if (ovs_vsctl(NULL, log, "add-port", b->p.bridge, "gen", "--", "set", "Interface", "gen", "type=dpdk",
		      devargs, "ofport_request=1", NULL) != 0) {
		fprintf(stderr, PROG ": cannot add the generator port to the chain's switch:\n");
		hostsys_tail_file(log, 3, stderr);
		return -1;
	}
	hostsys_sleep_ms(1000);
	/* Calibrate the policer: kbit/s per frame/s, at a known rate. */
	struct rfc_trial t;
	if (trial_kbps(b, 100000, 1.0, &t) < 0)
		return -1;
	if (!t.offered) {
		fprintf(stderr, PROG ": the generator port offered no frame to %s's first function\n", file);
		return -1;
	}
	b->kbps_per_pps = 100000 / rfc_offered_pps(&t);
	if (!t.received) {
		fprintf(stderr, PROG ": no frame came out of the chain's last function at %.0f frames/s: it "
				"drops or does not forward these frames\n", rfc_offered_pps(&t));
		return -1;
	}
	fprintf(stderr, PROG ": forwarding; policer %.4f kbit/s per frame/s\n", b->kbps_per_pps);
	return 0;
}

char *bench_chain_ports(struct bench_chain *b)
{
	char err[200];
	struct of_conn *c = of_open(b->mgmt, err, sizeof(err));
	if (!c)
		return NULL;
	struct of_port_stats ps[MAX_PORTS];
	int n = of_port_stats(c, ps, MAX_PORTS);
	of_close(c);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	for (int i = 0; i < n; i++) {
		if (ps[i].port >= 0xff00) /* the bridge's LOCAL port */
			continue;
		fprintf(f, "port%u.rx_pkts %llu\nport%u.tx_pkts %llu\nport%u.tx_dropped %llu\n", ps[i].port,
			(unsigned long long)ps[i].rx_packets, ps[i].port, (unsigned long long)ps[i].tx_packets,
			ps[i].port, (unsigned long long)ps[i].tx_dropped);
	}
	fclose(f);
	return text;
}

void bench_chain_stop(struct bench_chain *b)
{
	if (b->up) {
		fprintf(stderr, PROG ": nfbox chain down %s\n", b->file);
		hostsys_runv(NULL, "/dev/null", hostsys_self_exe(), "chain", "down", b->file, NULL);
		b->up = false;
	}
	if (b->parsed) {
		chain_free(&b->c);
		b->parsed = false;
	}
}
