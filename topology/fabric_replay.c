/* SPDX-License-Identifier: MIT */
/*
 * fabric_replay.c - `nfbox chain replay`: frames from pcaps go in through
 * OpenFlow PACKET_OUT at the source (and sink) port, in timestamp order;
 * DPDK net_pcap capture ports record what leaves; per-hop counters from
 * the switch and the images.  Outlives an ovs-vswitchd restart.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "topology/ctl.h"
#include "topology/fabric.h"
#include "topology/fabric_priv.h"
#include "topology/hostsys.h"
#include "topology/openflow.h"
#include "topology/ovs.h"

struct frame {
	uint64_t ts_ns;
	uint32_t len;
	uint16_t in_port;
	uint32_t seq;
	uint8_t *data;
};

static int load_pcap(const char *path, uint16_t port, struct frame **fr, size_t *n, size_t *cap)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
	if (!pc) {
		fprintf(stderr, PROG ": %s\n", err);
		return -1;
	}
	if (pcap_datalink(pc) != DLT_EN10MB) {
		fprintf(stderr, PROG ": %s: not Ethernet frames (link type %d)\n", path, pcap_datalink(pc));
		pcap_close(pc);
		return -1;
	}
	struct pcap_pkthdr *h;
	const u_char *d;
	int r;
	while ((r = pcap_next_ex(pc, &h, &d)) == 1) {
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 1024;
			*fr = realloc(*fr, *cap * sizeof(**fr));
		}
		struct frame *f = &(*fr)[*n];
		f->ts_ns = (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec;
		f->len = h->caplen > 2048 ? 2048 : h->caplen;
		f->in_port = port;
		f->seq = (uint32_t)*n;
		f->data = malloc(f->len);
		memcpy(f->data, d, f->len);
		(*n)++;
	}
	pcap_close(pc);
	return 0;
}

static int frame_cmp(const void *a, const void *b)
{
	const struct frame *x = a, *y = b;
	if (x->ts_ns != y->ts_ns)
		return x->ts_ns < y->ts_ns ? -1 : 1;
	if (x->in_port != y->in_port)
		return x->in_port < y->in_port ? -1 : 1; /* source side first */
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Copy a capture into a microsecond pcap (what most tools expect); count. */
static long convert_pcap(const char *from, const char *to)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *in = pcap_open_offline(from, err);
	if (!in)
		return -1;
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *out = to ? pcap_dump_open(dead, to) : NULL;
	if (to && !out) {
		fprintf(stderr, PROG ": cannot write %s: %s\n", to, pcap_geterr(dead));
		pcap_close(in);
		pcap_close(dead);
		return -1;
	}
	struct pcap_pkthdr *h;
	const u_char *d;
	long n = 0;
	while (pcap_next_ex(in, &h, &d) == 1) {
		if (out)
			pcap_dump((u_char *)out, h, d);
		n++;
	}
	if (out)
		pcap_dump_close(out);
	pcap_close(dead);
	pcap_close(in);
	return n;
}

static uint64_t sum_counters(const struct of_port_stats *ps, int n)
{
	uint64_t s = 0;
	for (int i = 0; i < n; i++)
		s += ps[i].rx_packets + ps[i].tx_packets + ps[i].tx_dropped + ps[i].rx_dropped;
	return s;
}

/* Wait until no port counter moves for `quiet_ms` (or `max_ms` passed). */
static int wait_quiet(struct of_conn *oc, unsigned quiet_ms, unsigned max_ms)
{
	struct of_port_stats ps[64];
	double start = hostsys_now(), last_change = start;
	uint64_t prev = UINT64_MAX;
	for (;;) {
		int n = of_port_stats(oc, ps, 64);
		if (n < 0)
			return n;
		uint64_t s = sum_counters(ps, n);
		double now = hostsys_now();
		if (s != prev) {
			prev = s;
			last_change = now;
		} else if ((now - last_change) * 1000 >= quiet_ms) {
			return 0;
		}
		if ((now - start) * 1000 >= max_ms)
			return -ETIMEDOUT;
		usleep(quiet_ms >= 20 ? 2000 : 200);
	}
}

static uint64_t d_(const struct of_port_stats *a, int na, const struct of_port_stats *b, int nb,
		   unsigned port, int field)
{
	const struct of_port_stats *x = of_find_port(a, na, (uint16_t)port);
	const struct of_port_stats *y = of_find_port(b, nb, (uint16_t)port);
	if (!x || !y)
		return 0;
	switch (field) {
	case 0: return y->rx_packets - x->rx_packets;
	case 1: return y->tx_packets - x->tx_packets;
	default: return y->tx_dropped - x->tx_dropped;
	}
}

static void image_stats(const struct chain *c, const struct chain_paths *p, char **s)
{
	for (unsigned i = 0; i < c->n_nf; i++) {
		s[i] = NULL;
		if (c->nf[i].kind != CHAIN_NF_IMAGE)
			continue;
		struct ctl_target t = {0};
		fabric_path(t.sock, sizeof(t.sock), p, "%s.ctl", c->nf[i].name);
		t.pid = fabric_nf_pid(p, c->nf[i].name);
		if (ctl_stats(&t, &s[i], 3000) != 0)
			s[i] = NULL;
	}
}

/* The switch went away (ovs-vswitchd killed or restarting): wait until it
 * is back with every port of the chain up (vhost-user reconnected, capture
 * ports reopened) and its flows installed, then reconnect.  0, or -1 after
 * max_s seconds. */
static int switch_back(const struct chain *c, const struct chain_paths *p, struct of_conn **oc,
		       unsigned max_s)
{
	if (*oc)
		of_close(*oc);
	*oc = NULL;
	char mgmt[320], err[256];
	ovs_mgmt(p, mgmt, sizeof(mgmt));
	double end = hostsys_now() + max_s;
	while (hostsys_now() < end) {
		hostsys_sleep_ms(100);
		if (!ovs_switch_pid(p))
			continue;
		if (!*oc && !(*oc = of_open(mgmt, err, sizeof(err))))
			continue;
		struct of_port_desc pd[64];
		int nd = of_ports(*oc, pd, 64);
		if (nd < 0) {
			of_close(*oc);
			*oc = NULL;
			continue;
		}
		unsigned want = 2 + 2 * c->n_nf, up = 0;
		for (int k = 0; k < nd; k++) {
			bool ours = pd[k].port == CHAIN_OFPORT_SRC || pd[k].port == CHAIN_OFPORT_SNK;
			for (unsigned i = 0; i < c->n_nf; i++)
				ours |= pd[k].port == chain_port_in(c, i) || pd[k].port == chain_port_out(c, i);
			up += ours && pd[k].link_up;
		}
		if (up == want && ovs_flows_installed(c, p))
			return 0;
	}
	return -1;
}

int fabric_replay(const struct chain *c, const struct fabric_replay_opts *o)
{
	const char *in = o->in, *in_rev = o->in_rev, *out = o->out, *out_rev = o->out_rev;
	long gap_us = o->gap_us, quiet_ms = o->quiet_ms, wait_switch_s = o->wait_switch_s;
	bool lockstep = o->lockstep, pcap_gaps = o->pcap_gaps;
	struct chain_paths p;
	chain_paths(c, &p);
	ovs_env(&p);
	if (!ovs_switch_pid(&p)) {
		fprintf(stderr, PROG ": chain %s is not up ('nfbox chain up %s')\n", c->name, c->path);
		return 1;
	}
	for (unsigned i = 0; i < c->n_nf; i++)
		if (!fabric_nf_pid(&p, c->nf[i].name)) {
			fprintf(stderr, PROG ": %s is not running ('nfbox chain up %s' restarts it)\n",
				c->nf[i].name, c->path);
			return 1;
		}
	struct frame *fr = NULL;
	size_t n = 0, cap = 0;
	if ((in && load_pcap(in, CHAIN_OFPORT_SRC, &fr, &n, &cap) < 0) ||
	    (in_rev && load_pcap(in_rev, CHAIN_OFPORT_SNK, &fr, &n, &cap) < 0))
		return 1;
	qsort(fr, n, sizeof(*fr), frame_cmp);

	char cap_out[320], cap_rev[320], mgmt[320], err[256];
	snprintf(cap_out, sizeof(cap_out), "%s/capture.out.pcap", p.dir);
	snprintf(cap_rev, sizeof(cap_rev), "%s/capture.rev.pcap", p.dir);
	unlink(cap_out);
	unlink(cap_rev);
	if (ovs_capture_add(&p, cap_rev, cap_out, stderr) < 0)
		return 1;
	ovs_mgmt(&p, mgmt, sizeof(mgmt));
	struct of_conn *oc = of_open(mgmt, err, sizeof(err));
	if (!oc) {
		fprintf(stderr, PROG ": %s\n", err);
		ovs_capture_del(&p);
		return 1;
	}
	/* Capture ports attached and up before the first frame. */
	double end = hostsys_now() + 10;
	for (;;) {
		struct of_port_desc pd[64];
		int nd = of_ports(oc, pd, 64), ok = 0;
		for (int k = 0; k < nd; k++)
			if ((pd[k].port == CHAIN_OFPORT_SRC || pd[k].port == CHAIN_OFPORT_SNK) && pd[k].link_up)
				ok++;
		if (ok == 2)
			break;
		if (hostsys_now() > end) {
			fprintf(stderr, PROG ": the capture ports did not come up\n");
			of_close(oc);
			ovs_capture_del(&p);
			return 1;
		}
		hostsys_sleep_ms(20);
	}
	char *st0[CHAIN_MAX_NF], *st1[CHAIN_MAX_NF];
	image_stats(c, &p, st0);
	struct of_port_stats ps0[64], ps1[64];
	int n0 = of_port_stats(oc, ps0, 64);
	double t0 = hostsys_now();
	size_t fwd = 0, rev = 0;
	unsigned restarts = 0;
	bool failed = false;
	/* A dead switch must not kill us with SIGPIPE: we wait for it instead. */
	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; i < n && !failed; i++) {
		if (pcap_gaps && i > 0 && fr[i].ts_ns > fr[i - 1].ts_ns) {
			uint64_t d = fr[i].ts_ns - fr[i - 1].ts_ns;
			hostsys_sleep_ms((unsigned)(d > 60000000000ull ? 60000 : d / 1000000));
		}
		/* The switch restarting under us: wait for it, send the frame
		 * again.  A frame it had taken before it died is lost with it
		 * (the port counters below start again from the restart). */
		while (of_packet_out(oc, fr[i].in_port, fr[i].data, fr[i].len) < 0 ||
		       (lockstep && of_barrier(oc) < 0)) {
			fprintf(stderr, PROG ": the switch went away at frame %zu; waiting up to %ld s for it\n",
				i + 1, wait_switch_s);
			if (switch_back(c, &p, &oc, (unsigned)wait_switch_s) < 0) {
				fprintf(stderr, PROG ": the switch did not come back; frames %zu-%zu not sent\n",
					i + 1, n);
				failed = true;
				break;
			}
			restarts++;
			n0 = of_port_stats(oc, ps0, 64);
			fprintf(stderr, PROG ": the switch is back (ports up, flows in); going on at frame %zu\n",
				i + 1);
		}
		if (failed)
			break;
		if (fr[i].in_port == CHAIN_OFPORT_SRC)
			fwd++;
		else
			rev++;
		if (lockstep)
			wait_quiet(oc, (unsigned)quiet_ms, 2000);
		else if (gap_us > 0)
			usleep((useconds_t)gap_us);
	}
	if (!oc) {
		ovs_capture_del(&p);
		return 1;
	}
	of_barrier(oc);
	double t_inj = hostsys_now() - t0;
	if (wait_quiet(oc, 200, 15000) < 0)
		fprintf(stderr, PROG ": counters still moving after 15 s\n");
	int n1 = of_port_stats(oc, ps1, 64);
	image_stats(c, &p, st1);
	of_close(oc);
	ovs_capture_del(&p); /* closes the capture files */

	long got_out = convert_pcap(cap_out, out);
	long got_rev = convert_pcap(cap_rev, out_rev);
	printf("replay through chain %s: %zu frames in (%zu at the source, %zu at the sink) in %.3f s%s\n",
	       c->name, fwd + rev, fwd, rev, t_inj, lockstep ? " (lockstep)" : "");
	if (restarts)
		printf("  the switch restarted %u time(s) during the replay: port counters and captures\n"
		       "  hold what happened since it came back; the images' counters all of it\n",
		       restarts);
	printf("  %-22s %10s %10s %10s\n", "hop", "frames", "ring-full", "note");
	printf("  %-22s %10zu\n", "source -> chain", fwd);
	for (unsigned i = 0; i < c->n_nf; i++) {
		char hop[64];
		unsigned pi = chain_port_in(c, i), po = chain_port_out(c, i);
		snprintf(hop, sizeof(hop), "-> %s port %u [%u]", c->nf[i].name, chain_nf_in(&c->nf[i]), pi);
		printf("  %-22s %10llu %10llu\n", hop, (unsigned long long)d_(ps0, n0, ps1, n1, pi, 1),
		       (unsigned long long)d_(ps0, n0, ps1, n1, pi, 2));
		snprintf(hop, sizeof(hop), "%s port %u [%u] ->", c->nf[i].name, 1 - chain_nf_in(&c->nf[i]), po);
		printf("  %-22s %10llu", hop, (unsigned long long)d_(ps0, n0, ps1, n1, po, 0));
		if (st0[i] && st1[i])
			printf("            %s: dropped %llu", c->nf[i].name,
			       (unsigned long long)(ctl_stat(st1[i], "loop.nf_drops", 0) -
						    ctl_stat(st0[i], "loop.nf_drops", 0) +
						    ctl_stat(st1[i], "malformed.total", 0) -
						    ctl_stat(st0[i], "malformed.total", 0)));
		printf("\n");
	}
	printf("  %-22s %10ld            %s\n", "chain -> sink", got_out, out ? out : "(not kept: --out FILE)");
	if (rev || got_rev > 0) {
		printf("  reverse: %zu in at the sink; per hop (sink side first):\n", rev);
		for (unsigned k = c->n_nf; k-- > 0;) {
			unsigned pi = chain_port_in(c, k), po = chain_port_out(c, k);
			printf("    %-12s in [%u] %llu (ring-full %llu), out [%u] %llu\n", c->nf[k].name, po,
			       (unsigned long long)d_(ps0, n0, ps1, n1, po, 1),
			       (unsigned long long)d_(ps0, n0, ps1, n1, po, 2), pi,
			       (unsigned long long)d_(ps0, n0, ps1, n1, pi, 0));
		}
	}
	printf("  %-22s %10ld            %s\n", "chain -> source", got_rev,
	       out_rev ? out_rev : (got_rev > 0 ? "(not kept: --out-rev FILE)" : ""));
	for (unsigned i = 0; i < c->n_nf; i++) {
		free(st0[i]);
		free(st1[i]);
	}
	for (size_t i = 0; i < n; i++)
		free(fr[i].data);
	free(fr);
	unlink(cap_out);
	unlink(cap_rev);
	return failed || got_out < 0 || got_rev < 0 ? 1 : 0;
}
