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
#include <stdbool.h>
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

/* One replay: the frames, the switch connection and the counters of the
 * switch and the images before and after. */
struct session {
	const struct chain *c;
	const struct fabric_replay_opts *o;
	struct chain_paths p;
	struct frame *fr;
	size_t n;
	char cap_out[320], cap_rev[320]; /* what the capture ports write */
	struct of_conn *oc;
	char *st0[CHAIN_MAX_NF], *st1[CHAIN_MAX_NF]; /* the images' counters */
	struct of_port_stats ps0[64], ps1[64];       /* the switch's */
	int n0, n1;
	double t0, t_inj;  /* when sending began, how long it took */
	size_t fwd, rev;   /* frames sent in at the source, at the sink */
	unsigned restarts; /* of the switch, during the replay */
	bool failed;       /* the switch did not come back: frames left unsent */
};

enum counter { RX, TX, TX_DROP };

/* How far a port's counter moved during the replay. */
static unsigned long long delta(const struct session *s, unsigned port, enum counter field)
{
	const struct of_port_stats *x = of_find_port(s->ps0, s->n0, (uint16_t)port);
	const struct of_port_stats *y = of_find_port(s->ps1, s->n1, (uint16_t)port);
	if (!x || !y)
		return 0;
	switch (field) {
	case RX: return y->rx_packets - x->rx_packets;
	case TX: return y->tx_packets - x->tx_packets;
	default: return y->tx_dropped - x->tx_dropped;
	}
}

/* What image i dropped itself during the replay (by verdict or as malformed). */
static unsigned long long image_drops(const struct session *s, unsigned i)
{
	return ctl_stat(s->st1[i], "loop.nf_drops", 0) - ctl_stat(s->st0[i], "loop.nf_drops", 0) +
	       ctl_stat(s->st1[i], "malformed.total", 0) - ctl_stat(s->st0[i], "malformed.total", 0);
}

/* The switch and every function must run already: replay starts nothing. */
static int check_running(const struct chain *c, const struct chain_paths *p)
{
	if (!ovs_switch_pid(p)) {
		fprintf(stderr, PROG ": chain %s is not up ('nfbox chain up %s')\n", c->name, c->path);
		return -1;
	}
	for (unsigned i = 0; i < c->n_nf; i++)
		if (!fabric_nf_pid(p, c->nf[i].name)) {
			fprintf(stderr, PROG ": %s is not running ('nfbox chain up %s' restarts it)\n",
				c->nf[i].name, c->path);
			return -1;
		}
	return 0;
}

/* Both inputs, merged in timestamp order. */
static int load_frames(struct session *s)
{
	size_t cap = 0;
	if ((s->o->in && load_pcap(s->o->in, CHAIN_OFPORT_SRC, &s->fr, &s->n, &cap) < 0) ||
	    (s->o->in_rev && load_pcap(s->o->in_rev, CHAIN_OFPORT_SNK, &s->fr, &s->n, &cap) < 0))
		return -1;
	qsort(s->fr, s->n, sizeof(*s->fr), frame_cmp);
	return 0;
}

/* Capture ports attached and up before the first frame. */
static int wait_capture_ports(struct of_conn *oc)
{
	double end = hostsys_now() + 10;
	for (;;) {
		struct of_port_desc pd[64];
		int nd = of_ports(oc, pd, 64), ok = 0;
		for (int k = 0; k < nd; k++)
			if ((pd[k].port == CHAIN_OFPORT_SRC || pd[k].port == CHAIN_OFPORT_SNK) && pd[k].link_up)
				ok++;
		if (ok == 2)
			return 0;
		if (hostsys_now() > end) {
			fprintf(stderr, PROG ": the capture ports did not come up\n");
			return -1;
		}
		hostsys_sleep_ms(20);
	}
}

/* The capture ports added and up, the OpenFlow connection open.  On failure
 * nothing is left behind. */
static int open_capture(struct session *s)
{
	char mgmt[320], err[256];
	snprintf(s->cap_out, sizeof(s->cap_out), "%s/capture.out.pcap", s->p.dir);
	snprintf(s->cap_rev, sizeof(s->cap_rev), "%s/capture.rev.pcap", s->p.dir);
	unlink(s->cap_out);
	unlink(s->cap_rev);
	if (ovs_capture_add(&s->p, s->cap_rev, s->cap_out, stderr) < 0)
		return -1;
	ovs_mgmt(&s->p, mgmt, sizeof(mgmt));
	s->oc = of_open(mgmt, err, sizeof(err));
	if (!s->oc) {
		fprintf(stderr, PROG ": %s\n", err);
		goto fail;
	}
	if (wait_capture_ports(s->oc) < 0)
		goto fail_close;
	return 0;
fail_close:
	of_close(s->oc);
	s->oc = NULL;
fail:
	ovs_capture_del(&s->p);
	return -1;
}

/* Send frame i.  The switch restarting under us: wait for it, send the
 * frame again.  A frame it had taken before it died is lost with it (the
 * port counters start again from the restart).  -1: it did not come back. */
static int send_frame(struct session *s, size_t i)
{
	const struct frame *f = &s->fr[i];
	long wait_s = s->o->wait_switch_s;
	while (of_packet_out(s->oc, f->in_port, f->data, f->len) < 0 ||
	       (s->o->lockstep && of_barrier(s->oc) < 0)) {
		fprintf(stderr, PROG ": the switch went away at frame %zu; waiting up to %ld s for it\n",
			i + 1, wait_s);
		if (switch_back(s->c, &s->p, &s->oc, (unsigned)wait_s) < 0) {
			fprintf(stderr, PROG ": the switch did not come back; frames %zu-%zu not sent\n",
				i + 1, s->n);
			return -1;
		}
		s->restarts++;
		s->n0 = of_port_stats(s->oc, s->ps0, 64);
		fprintf(stderr, PROG ": the switch is back (ports up, flows in); going on at frame %zu\n",
			i + 1);
	}
	return 0;
}

/* Every frame in, paced: lockstep, --gap-us, and --pcap-gaps on top. */
static void inject(struct session *s)
{
	const struct fabric_replay_opts *o = s->o;
	s->t0 = hostsys_now();
	/* A dead switch must not kill us with SIGPIPE: we wait for it instead. */
	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; i < s->n; i++) {
		const struct frame *f = &s->fr[i];
		if (o->pcap_gaps && i > 0 && f->ts_ns > f[-1].ts_ns) {
			uint64_t d = f->ts_ns - f[-1].ts_ns;
			hostsys_sleep_ms((unsigned)(d > 60000000000ull ? 60000 : d / 1000000));
		}
		if (send_frame(s, i) < 0) {
			s->failed = true;
			break;
		}
		if (f->in_port == CHAIN_OFPORT_SRC)
			s->fwd++;
		else
			s->rev++;
		if (o->lockstep)
			wait_quiet(s->oc, (unsigned)o->quiet_ms, 2000);
		else if (o->gap_us > 0)
			usleep((useconds_t)o->gap_us);
	}
}

/* Everything sent is through: the counters after, capture files closed. */
static void finish(struct session *s)
{
	of_barrier(s->oc);
	s->t_inj = hostsys_now() - s->t0;
	if (wait_quiet(s->oc, 200, 15000) < 0)
		fprintf(stderr, PROG ": counters still moving after 15 s\n");
	s->n1 = of_port_stats(s->oc, s->ps1, 64);
	image_stats(s->c, &s->p, s->st1);
	of_close(s->oc);
	s->oc = NULL;
	ovs_capture_del(&s->p); /* closes the capture files */
}

/* Per hop, source to sink: what OVS handed each function, what it sent on. */
static void print_hops(const struct session *s)
{
	const struct chain *c = s->c;
	printf("  %-22s %10s %10s %10s\n", "hop", "frames", "ring-full", "note");
	printf("  %-22s %10zu\n", "source -> chain", s->fwd);
	for (unsigned i = 0; i < c->n_nf; i++) {
		char hop[64];
		unsigned pi = chain_port_in(c, i), po = chain_port_out(c, i);
		snprintf(hop, sizeof(hop), "-> %s port %u [%u]", c->nf[i].name, chain_nf_in(&c->nf[i]), pi);
		printf("  %-22s %10llu %10llu\n", hop, delta(s, pi, TX), delta(s, pi, TX_DROP));
		snprintf(hop, sizeof(hop), "%s port %u [%u] ->", c->nf[i].name, 1 - chain_nf_in(&c->nf[i]), po);
		printf("  %-22s %10llu", hop, delta(s, po, RX));
		if (s->st0[i] && s->st1[i])
			printf("            %s: dropped %llu", c->nf[i].name, image_drops(s, i));
		printf("\n");
	}
}

/* Per hop, sink to source. */
static void print_reverse(const struct session *s)
{
	const struct chain *c = s->c;
	printf("  reverse: %zu in at the sink; per hop (sink side first):\n", s->rev);
	for (unsigned k = c->n_nf; k-- > 0;) {
		unsigned pi = chain_port_in(c, k), po = chain_port_out(c, k);
		printf("    %-12s in [%u] %llu (ring-full %llu), out [%u] %llu\n", c->nf[k].name, po,
		       delta(s, po, TX), delta(s, po, TX_DROP), pi, delta(s, pi, RX));
	}
}

static void print_report(const struct session *s, long got_out, long got_rev)
{
	const char *out = s->o->out, *out_rev = s->o->out_rev;
	printf("replay through chain %s: %zu frames in (%zu at the source, %zu at the sink) in %.3f s%s\n",
	       s->c->name, s->fwd + s->rev, s->fwd, s->rev, s->t_inj, s->o->lockstep ? " (lockstep)" : "");
	if (s->restarts)
		printf("  the switch restarted %u time(s) during the replay: port counters and captures\n"
		       "  hold what happened since it came back; the images' counters all of it\n",
		       s->restarts);
	print_hops(s);
	printf("  %-22s %10ld            %s\n", "chain -> sink", got_out, out ? out : "(not kept: --out FILE)");
	if (s->rev || got_rev > 0)
		print_reverse(s);
	printf("  %-22s %10ld            %s\n", "chain -> source", got_rev,
	       out_rev ? out_rev : (got_rev > 0 ? "(not kept: --out-rev FILE)" : ""));
}

static void session_free(struct session *s)
{
	for (unsigned i = 0; i < s->c->n_nf; i++) {
		free(s->st0[i]);
		free(s->st1[i]);
	}
	for (size_t i = 0; i < s->n; i++)
		free(s->fr[i].data);
	free(s->fr);
}

int fabric_replay(const struct chain *c, const struct fabric_replay_opts *o)
{
	struct session s = {.c = c, .o = o};
	chain_paths(c, &s.p);
	ovs_env(&s.p);
	if (check_running(c, &s.p) < 0)
		return 1;
	if (load_frames(&s) < 0 || open_capture(&s) < 0) {
		session_free(&s);
		return 1;
	}
	image_stats(c, &s.p, s.st0);
	s.n0 = of_port_stats(s.oc, s.ps0, 64);
	inject(&s);
	if (!s.oc) { /* the switch went away and did not come back */
		ovs_capture_del(&s.p);
		session_free(&s);
		return 1;
	}
	finish(&s);
	long got_out = convert_pcap(s.cap_out, o->out);
	long got_rev = convert_pcap(s.cap_rev, o->out_rev);
	print_report(&s, got_out, got_rev);
	session_free(&s);
	unlink(s.cap_out);
	unlink(s.cap_rev);
	return s.failed || got_out < 0 || got_rev < 0 ? 1 : 0;
}
