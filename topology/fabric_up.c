/* SPDX-License-Identifier: MIT */
/*
 * fabric_up.c - `nfbox chain up`: start what is missing (hugepages, OVS,
 * bridge, ports, flows, functions), wait until every image is ready and
 * every function port is up, print the layout.  Run again, it starts only
 * what died.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "topology/fabric.h"
#include "topology/fabric_priv.h"
#include "topology/hostsys.h"
#include "topology/openflow.h"
#include "topology/ovs.h"

#define READY_TIMEOUT_S 90.0

static void print_layout(const struct chain *c, const struct chain_paths *p, FILE *to)
{
	fprintf(to, "chain %s: %u function%s, run directory %s\n", c->name, c->n_nf,
		c->n_nf == 1 ? "" : "s", p->dir);
	fprintf(to, "  ovs  bridge %s (netdev), ovs-vswitchd pid %d, PMD on cpu %d\n", p->bridge,
		(int)ovs_switch_pid(p), c->ovs_cpu);
	fprintf(to, "  path source [%u] ", CHAIN_OFPORT_SRC);
	for (unsigned i = 0; i < c->n_nf; i++)
		fprintf(to, "-> [%u] %s [%u] ", chain_port_in(c, i), c->nf[i].name, chain_port_out(c, i));
	fprintf(to, "-> [%u] sink   (OpenFlow port numbers; the reverse path mirrors it)\n",
		CHAIN_OFPORT_SNK);
	for (unsigned i = 0; i < c->n_nf; i++) {
		const struct chain_nf *f = &c->nf[i];
		long us = f->kind == CHAIN_NF_IMAGE ? fabric_ready_us(p, f->name) : -1;
		char ready[48] = "";
		if (us >= 0)
			snprintf(ready, sizeof(ready), ", ready in %.1f ms", us / 1000.0);
		fprintf(to, "  nf   %-12s %-8s %-9s pid %-7d cpu %d  port0=%s.0 [%u] port1=%s.1 [%u]%s%s\n",
			f->name, f->kind == CHAIN_NF_IMAGE ? "image" : "testpmd",
			f->kind == CHAIN_NF_IMAGE ? f->image : "io-fwd", (int)fabric_nf_pid(p, f->name), f->cpu,
			f->name, 10 * (i + 1), f->name, 10 * (i + 1) + 1, f->reverse ? " (reversed)" : "",
			ready);
	}
	if (c->source_pcap)
		fprintf(to, "  source pcap %s\n", c->source_pcap);
}

static int wait_ready(const struct chain *c, const struct chain_paths *p, FILE *msg)
{
	double end = hostsys_now() + READY_TIMEOUT_S;
	char mgmt[320], err[256];
	ovs_mgmt(p, mgmt, sizeof(mgmt));
	for (;;) {
		bool all = true;
		for (unsigned i = 0; i < c->n_nf; i++) {
			const struct chain_nf *f = &c->nf[i];
			if (!fabric_nf_pid(p, f->name)) {
				char log[400];
				fprintf(msg, PROG ": %s stopped before it was ready:\n", f->name);
				fabric_path(log, sizeof(log), p,
					    f->kind == CHAIN_NF_IMAGE ? "%s.console" : "testpmd.log", f->name);
				hostsys_tail_file(log, 8, msg);
				if (f->kind == CHAIN_NF_IMAGE) {
					fabric_path(log, sizeof(log), p, "%s.run.log", f->name);
					hostsys_tail_file(log, 5, msg);
				}
				return -1;
			}
			if (f->kind == CHAIN_NF_IMAGE && fabric_ready_us(p, f->name) < 0)
				all = false;
			if (f->kind == CHAIN_NF_TESTPMD) {
				char log[400];
				fabric_path(log, sizeof(log), p, "%s.log", "testpmd");
				char *t = hostsys_read_file(log, NULL);
				if (!t || !strstr(t, "Start automatic packet forwarding"))
					all = false;
				free(t);
			}
		}
		if (all) {
			/* Every function port up on the switch (vhost-user attached). */
			struct of_conn *oc = of_open(mgmt, err, sizeof(err));
			struct of_port_desc pd[64];
			int n = oc ? of_ports(oc, pd, 64) : -1;
			of_close(oc);
			for (unsigned i = 0; i < c->n_nf && all; i++)
				for (unsigned port = 0; port < 2 && all; port++) {
					bool up = false;
					for (int k = 0; k < n; k++)
						if (pd[k].port == 10 * (i + 1) + port)
							up = pd[k].link_up;
					all = up;
				}
			if (all)
				return 0;
		}
		if (hostsys_now() > end) {
			fprintf(msg, PROG ": not ready within %.0f s:\n", READY_TIMEOUT_S);
			for (unsigned i = 0; i < c->n_nf; i++)
				if (c->nf[i].kind == CHAIN_NF_IMAGE && fabric_ready_us(p, c->nf[i].name) < 0)
					fprintf(msg, "    %s: no 'ready' line on its console\n", c->nf[i].name);
			struct of_conn *oc = of_open(mgmt, err, sizeof(err));
			struct of_port_desc pd[64];
			int n = oc ? of_ports(oc, pd, 64) : -1;
			of_close(oc);
			if (n < 0)
				fprintf(msg, "    cannot read the switch's ports: %s\n", oc ? "no reply" : err);
			for (int k = 0; k < n; k++)
				if (pd[k].port >= 10 && pd[k].port < 0xff00 && !pd[k].link_up)
					fprintf(msg, "    OVS port %u (%s) is down\n", pd[k].port, pd[k].name);
			char log[400];
			fabric_path(log, sizeof(log), p, "%s", "ovs-vswitchd.log");
			fprintf(msg, "  %s:\n", log);
			hostsys_tail_file(log, 6, msg);
			return -1;
		}
		hostsys_sleep_ms(50);
	}
}

/* Two chains up at once means two PMDs spinning; say so (it is allowed). */
static void warn_other_chains(const struct chain_paths *p)
{
	char base[256];
	snprintf(base, sizeof(base), "%s", p->dir);
	char *slash = strrchr(base, '/');
	if (!slash)
		return;
	*slash = '\0';
	DIR *d = opendir(base);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' || strcmp(e->d_name, slash + 1) == 0)
			continue;
		struct chain_paths o = {{0}};
		if (snprintf(o.dir, sizeof(o.dir), "%s/%s", base, e->d_name) >= (int)sizeof(o.dir))
			continue;
		if (ovs_switch_pid(&o))
			fprintf(stderr, PROG ": note: chain %s is up too: its OVS PMD polls as well "
					"(two pollers may now share a core)\n", o.dir);
	}
	if (d)
		closedir(d);
}

/* RUNDIR/chain: what `down` needs once the chain file is gone. */
static void write_state(const struct chain *c, const struct chain_paths *p)
{
	char f[400];
	fabric_path(f, sizeof(f), p, "%s", "chain");
	char *st;
	if (asprintf(&st, "chain %s\nname %s\nbridge %s\nprefix %s\n", c->abspath, c->name, p->bridge,
		     p->prefix) >= 0) {
		hostsys_write_file(f, st);
		free(st);
	}
}

/* socket-mem MiB of free hugepages; what we added is kept in
 * RUNDIR/hugepages for `down` to give back.  0 or -1. */
static int reserve_hugepages(const struct chain *c, const struct chain_paths *p)
{
	char f[400];
	fabric_path(f, sizeof(f), p, "%s", "hugepages");
	char *prev = hostsys_read_file(f, NULL);
	int before = prev ? atoi(prev) : 0;
	free(prev);
	int added = hostsys_hugepages_ensure(c->socket_mem, stdout);
	if (added < 0)
		return -1;
	char buf[32];
	snprintf(buf, sizeof(buf), "%d\n", before + added);
	hostsys_write_file(f, buf);
	return 0;
}

/* Every function that does not run: images one by one, testpmd (one
 * process serves them all) restarted whole.  How many started, or -1. */
static int start_functions(const struct chain *c, const struct chain_paths *p)
{
	int started = 0;
	bool tp_needed = false;
	for (unsigned i = 0; i < c->n_nf; i++) {
		if (fabric_nf_pid(p, c->nf[i].name))
			continue;
		if (c->nf[i].kind == CHAIN_NF_TESTPMD) {
			tp_needed = true;
			continue;
		}
		if (fabric_start_image(c, p, i, stderr) < 0)
			return -1;
		started++;
	}
	if (tp_needed) {
		char pf[400];
		fabric_path(pf, sizeof(pf), p, "%s.pid", "testpmd");
		pid_t tp = hostsys_read_pid(pf);
		if (tp && hostsys_pid_is(tp, p->dir)) {
			kill(tp, SIGTERM);
			hostsys_sleep_ms(500);
		}
		if (fabric_start_testpmd(c, p, stderr) < 0)
			return -1;
		started++;
	}
	return started;
}

int fabric_up(const struct chain *c)
{
	struct chain_paths p;
	chain_paths(c, &p);
	if (hostsys_mkdir_p(p.dir) < 0) {
		fprintf(stderr, PROG ": cannot create %s: %s\n", p.dir, strerror(errno));
		return 1;
	}
	write_state(c, &p);
	double t0 = hostsys_now();
	ovs_env(&p);
	bool ovs_was_up = ovs_switch_pid(&p) != 0;
	if (!ovs_was_up) {
		warn_other_chains(&p);
		if (reserve_hugepages(c, &p) < 0)
			return 1;
	}
	if (ovs_up(c, &p, stderr) < 0)
		return 1;
	if (ovs_was_up)
		printf("nfbox chain: OVS was running (pid %d); flows re-installed\n", (int)ovs_switch_pid(&p));
	int started = start_functions(c, &p);
	if (started < 0)
		return 1;
	if (wait_ready(c, &p, stderr) < 0) {
		fprintf(stderr, PROG ": '%s' is partly up; 'nfbox chain down %s' cleans up\n", c->path,
			c->path);
		return 1;
	}
	print_layout(c, &p, stdout);
	printf("  up in %.2f s (%d started)\n", hostsys_now() - t0, started);
	return 0;
}
