/* SPDX-License-Identifier: MIT */
/*
 * nfbox-gen - the packet generator `nfbox bench` drives (tools/cmd_bench.c):
 * owns two vhost-user server sockets, offers frames on the first, counts
 * what comes back on the second (tools/gen/gen.h), one trial per command.
 *
 *   nfbox-gen --cpu N --sock0 PATH --sock1 PATH (--pcap FILE | --udp [--imix]
 *             [--flows N]) [--frame-size N] [--link-timeout S]
 *
 * It builds its own EAL arguments: its lcores all on CPU N (one spinning
 * thread; the main lcore is it), no huge pages (vhost-user shares the
 * guest's memfd, not ours), the vhost and mempool PMDs of Debian's DPDK.
 * Protocol, one line each way, on stdin/stdout:
 *   (on start)        -> "ready FRAMES" once the target attached to both
 *                        sockets and forwards; or "error WHY", exit 1
 *   "trial RATE SECS" -> "trial OFFERED RECEIVED REFUSED BYTES SECS"
 *                        (RATE frames/s, 0: as fast as it can)
 *   "latency RATE SECS" -> the same line, then " latency PROBES BACK P50 P90
 *                        P99 MAX" (probes sent, timed back, microseconds)
 *   "quit" or EOF     -> exit 0
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <glob.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>

#include "tools/gen/gen.h"

static volatile bool stop_now;
static void on_signal(int sig) { (void)sig; stop_now = true; }

static void fail(const char *fmt, const char *what)
{
	printf("error ");
	printf(fmt, what);
	printf("\n");
	fflush(stdout);
	exit(1);
}

/* Debian's DPDK keeps its PMDs in one versioned directory. */
static const char *pmd_dir(void)
{
	static char dir[256];
	glob_t g;
	if (glob("/usr/lib/x86_64-linux-gnu/dpdk/pmds-*", GLOB_ONLYDIR, NULL, &g) != 0 || !g.gl_pathc)
		fail("%s", "no DPDK PMDs in /usr/lib/x86_64-linux-gnu/dpdk (Debian: dpdk-dev)");
	snprintf(dir, sizeof(dir), "%s", g.gl_pathv[g.gl_pathc - 1]);
	globfree(&g);
	return dir;
}

struct args {
	const char *cpu, *sock[2], *pcap;
	bool udp, imix;
	unsigned flows, size;
	double link_timeout;
};

static void parse(int argc, char **argv, struct args *a)
{
	static const struct option lo[] = {
		{"cpu", required_argument, NULL, 'c'},   {"sock0", required_argument, NULL, '0'},
		{"sock1", required_argument, NULL, '1'}, {"pcap", required_argument, NULL, 'p'},
		{"udp", no_argument, NULL, 'u'},         {"imix", no_argument, NULL, 'i'},
		{"flows", required_argument, NULL, 'f'}, {"link-timeout", required_argument, NULL, 't'},
		{"frame-size", required_argument, NULL, 's'},
		{NULL, 0, NULL, 0},
	};
	int c;
	*a = (struct args){.cpu = "0", .flows = 1, .link_timeout = 120};
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'c': a->cpu = optarg; break;
		case '0': a->sock[0] = optarg; break;
		case '1': a->sock[1] = optarg; break;
		case 'p': a->pcap = optarg; break;
		case 'u': a->udp = true; break;
		case 'i': a->imix = true; break;
		case 'f': a->flows = (unsigned)atoi(optarg); break;
		case 't': a->link_timeout = atof(optarg); break;
		case 's': a->size = (unsigned)atoi(optarg); break;
		default: fail("%s", "usage: nfbox-gen --cpu N --sock0 P --sock1 P (--pcap F | --udp)");
		}
	}
	if (!a->sock[0] || !a->sock[1] || (!a->pcap && !a->udp))
		fail("%s", "usage: nfbox-gen --cpu N --sock0 P --sock1 P (--pcap F | --udp)");
}

int main(int argc, char **argv)
{
	struct args a;
	parse(argc, argv, &a);
	const char *pmds = pmd_dir();
	char lcores[64], prefix[64], ring[300], vhost[300], v0[600], v1[600];
	snprintf(lcores, sizeof(lcores), "0@%s", a.cpu);
	snprintf(prefix, sizeof(prefix), "nfbgen%d", (int)getpid());
	snprintf(ring, sizeof(ring), "%s/librte_mempool_ring.so", pmds);
	snprintf(vhost, sizeof(vhost), "%s/librte_net_vhost.so", pmds);
	snprintf(v0, sizeof(v0), "net_vhost0,iface=%s,queues=1", a.sock[0]);
	snprintf(v1, sizeof(v1), "net_vhost1,iface=%s,queues=1", a.sock[1]);
	char *eal[] = {argv[0], "--lcores", lcores, "--no-huge", "-m", "1024", "--single-file-segments",
		       "--no-pci", "--file-prefix", prefix, "--log-level", "*:warning", "-d", ring, "-d",
		       vhost, "--vdev", v0, "--vdev", v1, NULL};
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal) < 0)
		fail("%s", "DPDK EAL init failed (see the messages above)");
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	struct gen g = {.stop = &stop_now};
	char err[512];
	if (a.pcap ? gen_init_pcap(&g, a.pcap, a.size, err, sizeof(err)) : gen_init_udp(&g, a.imix, a.size, a.flows)) {
		if (!a.pcap)
			snprintf(err, sizeof(err), "no memory for the frames");
		fail("%s", err);
	}
	if (gen_ports(&g) < 0)
		fail("%s", "vhost-user ports did not start");
	if (gen_wait(&g, a.link_timeout, err, sizeof(err)) < 0)
		fail("%s", err);
	printf("ready %u\n", g.n_tmpl);
	fflush(stdout);

	char line[128];
	while (!stop_now && fgets(line, sizeof(line), stdin)) {
		double rate, secs;
		if (strncmp(line, "quit", 4) == 0)
			break;
		bool lat = strncmp(line, "latency ", 8) == 0;
		if (sscanf(line + (lat ? 8 : 0), lat ? "%lf %lf" : "trial %lf %lf", &rate, &secs) != 2 || rate < 0 ||
		    secs <= 0) {
			printf("error bad command: %s", line);
			fflush(stdout);
			continue;
		}
		struct rfc_trial t;
		struct gen_latency l;
		if ((lat ? gen_latency_trial(&g, rate, secs, &t, &l) : gen_trial(&g, rate, secs, &t)) < 0)
			break;
		printf("trial %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %.6f", t.offered, t.received,
		       g.refused, t.bytes, t.secs);
		if (lat)
			printf(" latency %" PRIu64 " %" PRIu64 " %.3f %.3f %.3f %.3f", l.probes, l.back, l.p50_us,
			       l.p90_us, l.p99_us, l.max_us);
		printf("\n");
		fflush(stdout);
	}
	gen_drain(0.5); /* a quiet moment before the ports go away */
	gen_close(&g);
	return 0;
}
