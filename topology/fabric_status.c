/* SPDX-License-Identifier: MIT */
/*
 * fabric_status.c - `nfbox chain status`: both OVS daemons, each function
 * (running, ready time, its own counters over its control socket) and each
 * OVS port (link, counters).
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/stat.h>

#include "topology/ctl.h"
#include "topology/fabric.h"
#include "topology/fabric_priv.h"
#include "topology/hostsys.h"
#include "topology/openflow.h"
#include "topology/ovs.h"

/* An image's own counters, asked over its control socket. */
static void print_counters(const struct chain_paths *p, const struct chain_nf *f, pid_t pid)
{
	struct ctl_target t = {0};
	fabric_path(t.sock, sizeof(t.sock), p, "%s.ctl", f->name);
	t.pid = pid;
	char *s = NULL;
	if (ctl_stats(&t, &s, 2000) == 0) {
		printf("\n     port0 rx %llu tx %llu | port1 rx %llu tx %llu | function drops %llu, malformed %llu",
		       (unsigned long long)ctl_stat(s, "port0.rx_pkts", 0),
		       (unsigned long long)ctl_stat(s, "port0.tx_pkts", 0),
		       (unsigned long long)ctl_stat(s, "port1.rx_pkts", 0),
		       (unsigned long long)ctl_stat(s, "port1.tx_pkts", 0),
		       (unsigned long long)ctl_stat(s, "loop.nf_drops", 0),
		       (unsigned long long)ctl_stat(s, "malformed.total", 0));
		free(s);
	} else {
		printf(" (counters: no answer)");
	}
}

/* One function's line(s); 1 if it is not running. */
static int status_function(const struct chain_paths *p, const struct chain_nf *f)
{
	pid_t pid = fabric_nf_pid(p, f->name);
	printf("  nf %-12s %-8s %s", f->name, f->kind == CHAIN_NF_IMAGE ? f->image : "testpmd",
	       pid ? "running" : "NOT RUNNING");
	if (!pid) {
		char log[400];
		fabric_path(log, sizeof(log), p, "%s.console", f->name);
		printf("\n");
		if (f->kind == CHAIN_NF_IMAGE)
			hostsys_tail_file(log, 3, stdout);
		return 1;
	}
	printf(" pid %d cpu %d", (int)pid, f->cpu);
	if (f->kind == CHAIN_NF_IMAGE) {
		long us = fabric_ready_us(p, f->name);
		if (us >= 0) {
			printf(", ready in %.1f ms", us / 1000.0);
			print_counters(p, f, pid);
		} else {
			printf(", not ready");
		}
	}
	printf("\n");
	return 0;
}

/* Every OVS port but LOCAL: link and counters.  How many are wrong (a
 * function port down, or the ports unreadable). */
static int status_ports(const struct chain_paths *p)
{
	int bad = 0;
	char mgmt[320], err[256];
	ovs_mgmt(p, mgmt, sizeof(mgmt));
	struct of_conn *oc = of_open(mgmt, err, sizeof(err));
	struct of_port_desc pd[64];
	struct of_port_stats ps[64];
	int nd = oc ? of_ports(oc, pd, 64) : -1;
	int ns = oc ? of_port_stats(oc, ps, 64) : -1;
	of_close(oc);
	if (nd < 0) {
		printf("  OVS ports: cannot read (%s)\n", err);
		return 1;
	}
	printf("  %-5s %-16s %-5s %12s %12s %10s %10s\n", "port", "name", "link", "rx_pkts",
	       "tx_pkts", "rx_drop", "tx_drop");
	for (int k = 0; k < nd; k++) {
		if (pd[k].port >= 0xff00)
			continue; /* LOCAL */
		const struct of_port_stats *s = ns > 0 ? of_find_port(ps, ns, pd[k].port) : NULL;
		printf("  %-5u %-16s %-5s %12llu %12llu %10llu %10llu\n", pd[k].port, pd[k].name,
		       pd[k].link_up ? "up" : "DOWN",
		       (unsigned long long)(s ? s->rx_packets : 0),
		       (unsigned long long)(s ? s->tx_packets : 0),
		       (unsigned long long)(s ? s->rx_dropped : 0),
		       (unsigned long long)(s ? s->tx_dropped : 0));
		if (!pd[k].link_up && pd[k].port >= 10)
			bad++;
	}
	return bad;
}

int fabric_status(const struct chain *c)
{
	struct chain_paths p;
	chain_paths(c, &p);
	ovs_env(&p);
	struct stat st;
	if (stat(p.dir, &st) != 0) {
		printf("chain %s: down\n", c->name);
		return 1;
	}
	int bad = 0;
	pid_t db = ovs_db_pid(&p), sw = ovs_switch_pid(&p);
	printf("chain %s (%s), run directory %s\n", c->name, c->path, p.dir);
	printf("  ovsdb-server   %s", db ? "running" : "NOT RUNNING");
	if (db)
		printf(" pid %d", (int)db);
	printf("\n  ovs-vswitchd   %s", sw ? "running" : "NOT RUNNING");
	if (sw)
		printf(" pid %d, bridge %s, PMD cpu %d", (int)sw, p.bridge, c->ovs_cpu);
	printf("\n");
	bad += !db + !sw;
	for (unsigned i = 0; i < c->n_nf; i++)
		bad += status_function(&p, &c->nf[i]);
	if (sw)
		bad += status_ports(&p);
	printf("chain %s: %s\n", c->name, bad ? "NOT fully up ('nfbox chain up' restarts what is missing)" : "up");
	return bad ? 1 : 0;
}
