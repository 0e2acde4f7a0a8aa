/* SPDX-License-Identifier: MIT */
/*
 * fabric_nf.c - starting a chain's functions: an image (found, or linked
 * with `nfbox build`) under `nfbox run` with its vhost-user ports, console
 * log and control socket in the run directory, pinned to its core; or the
 * one testpmd all the chain's testpmd functions share.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "topology/fabric_priv.h"
#include "topology/hostsys.h"
#include "topology/image_find.h"
#include "topology/relay.h"

static char *find_image(const struct chain_paths *p, const struct chain_nf *f, FILE *msg)
{
	if (f->image_path)
		return strdup(f->image_path);
	char log[400];
	fabric_path(log, sizeof(log), p, "%s.build.log", f->name);
	return image_find(f->image, p->dir, log, PROG, msg);
}

int fabric_start_image(const struct chain *c, const struct chain_paths *p, unsigned i, FILE *msg)
{
	const struct chain_nf *f = &c->nf[i];
	char *img = find_image(p, f, msg);
	if (!img)
		return -1;
	char ctl[400], console[400], runlog[400], pidf[400], s0[400], s1[400], cpu[16], mem[16],
		append[64], rt[8];
	fabric_path(ctl, sizeof(ctl), p, "%s.ctl", f->name);
	fabric_path(console, sizeof(console), p, "%s.console", f->name);
	fabric_path(runlog, sizeof(runlog), p, "%s.run.log", f->name);
	fabric_path(pidf, sizeof(pidf), p, "%s.pid", f->name);
	snprintf(s0, sizeof(s0), "vhost-user:%s/%s.0.sock,server", p->dir, f->name);
	snprintf(s1, sizeof(s1), "vhost-user:%s/%s.1.sock,server", p->dir, f->name);
	snprintf(cpu, sizeof(cpu), "%d", f->cpu);
	/* Stale sockets of a crashed QEMU would stop the new one listening. */
	for (int port = 0; port < 2; port++) {
		char sock[400];
		snprintf(sock, sizeof(sock), "%s/%s.%d.sock", p->dir, f->name, port);
		unlink(sock);
	}
	unlink(console);
	if (strlen(ctl) >= sizeof(((struct relay *)0)->path)) {
		fprintf(msg, PROG ": %s: too long for a unix socket (shorten $NFBOX_CHAIN_DIR)\n", ctl);
		free(img);
		return -1;
	}
	char *argv[40];
	int n = 0;
	argv[n++] = (char *)hostsys_self_exe();
	argv[n++] = "run";
	argv[n++] = img;
	argv[n++] = "--net";
	argv[n++] = s0;
	argv[n++] = "--net";
	argv[n++] = s1;
	argv[n++] = "--pin";
	argv[n++] = cpu;
	int prio = chain_nf_rt(c, i);
	if (prio && hostsys_rt_throttled()) {
		snprintf(rt, sizeof(rt), "%d", prio);
		argv[n++] = "--rt";
		argv[n++] = rt;
	}
	argv[n++] = "--log";
	argv[n++] = console;
	argv[n++] = "--control"; /* nfbox stats / reload CHAIN:NAME (ctl.c) */
	argv[n++] = ctl;
	if (f->config) {
		argv[n++] = "--config";
		argv[n++] = f->config;
	}
	if (f->mem) {
		snprintf(mem, sizeof(mem), "%u", f->mem);
		argv[n++] = "--mem";
		argv[n++] = mem;
	}
	if (f->machine[0]) {
		argv[n++] = "--machine";
		argv[n++] = (char *)f->machine;
	}
	size_t al = 0;
	if (f->idle_us >= 0)
		al += (size_t)snprintf(append + al, sizeof(append) - al, "nfbox.idle_us=%d ", f->idle_us);
	if (f->coalesce_us >= 0)
		al += (size_t)snprintf(append + al, sizeof(append) - al, "nfbox.coalesce_us=%d ",
				       f->coalesce_us);
	if (al) {
		append[al - 1] = '\0';
		argv[n++] = "--append";
		argv[n++] = append;
	}
	argv[n] = NULL;
	unlink(runlog);
	pid_t pid = hostsys_spawn(argv, NULL, runlog, f->cpu);
	free(img);
	if (pid <= 0) {
		fprintf(msg, PROG ": cannot start %s\n", f->name);
		return -1;
	}
	char buf[32];
	snprintf(buf, sizeof(buf), "%d\n", (int)pid);
	hostsys_write_file(pidf, buf);
	return 0;
}

static const char *pmd_dir(void)
{
	static char dir[PATH_MAX];
	const char *base = "/usr/lib/x86_64-linux-gnu/dpdk";
	for (int v = 30; v >= 20; v--) {
		snprintf(dir, sizeof(dir), "%s/pmds-%d.0", base, v);
		if (access(dir, R_OK) == 0)
			return dir;
	}
	return NULL;
}

/* All testpmd functions of a chain share one testpmd process (one
 * forwarding lcore, io mode): function j's ports are testpmd ports 2j and
 * 2j+1, virtio_user in server mode (OVS connects as vhost-user client). */
int fabric_start_testpmd(const struct chain *c, const struct chain_paths *p, FILE *msg)
{
	int cpu = -1, n_tp = 0;
	for (unsigned i = 0; i < c->n_nf; i++)
		if (c->nf[i].kind == CHAIN_NF_TESTPMD) {
			cpu = cpu < 0 ? c->nf[i].cpu : cpu;
			n_tp++;
		}
	if (!n_tp)
		return 0;
	const char *pmds = pmd_dir();
	if (!pmds) {
		fprintf(msg, PROG ": no DPDK PMD directory (dpdk-testpmd installed?)\n");
		return -1;
	}
	char fifo[400], log[400], lc[32], pfx[64], mr[PATH_MAX + 32], vio[PATH_MAX + 32];
	fabric_path(fifo, sizeof(fifo), p, "%s.ctl", "testpmd");
	fabric_path(log, sizeof(log), p, "%s.log", "testpmd");
	snprintf(lc, sizeof(lc), "0@%d,1@%d", cpu, cpu);
	snprintf(pfx, sizeof(pfx), "--file-prefix=%stp", p->prefix);
	snprintf(mr, sizeof(mr), "%s/librte_mempool_ring.so", pmds);
	snprintf(vio, sizeof(vio), "%s/librte_net_virtio.so", pmds);
	unlink(fifo);
	if (mkfifo(fifo, 0600) < 0)
		return -1;
	char *argv[64], vdev[CHAIN_MAX_NF * 2][480];
	int n = 0, k = 0;
	argv[n++] = "stdbuf"; /* line-buffered log: we wait for its start line */
	argv[n++] = "-oL";
	argv[n++] = "dpdk-testpmd";
	argv[n++] = "--lcores";
	argv[n++] = lc;
	argv[n++] = "--no-huge";
	argv[n++] = "-m";
	argv[n++] = "2048";
	argv[n++] = "--single-file-segments";
	argv[n++] = "--no-pci";
	argv[n++] = pfx;
	argv[n++] = "-d";
	argv[n++] = mr;
	argv[n++] = "-d";
	argv[n++] = vio;
	for (unsigned i = 0; i < c->n_nf; i++) {
		if (c->nf[i].kind != CHAIN_NF_TESTPMD)
			continue;
		for (int port = 0; port < 2; port++, k++) {
			char sock[400];
			snprintf(sock, sizeof(sock), "%s/%s.%d.sock", p->dir, c->nf[i].name, port);
			unlink(sock);
			/* 1024-entry rings, as nfbox run gives the images (vhost-user default). */
			snprintf(vdev[k], sizeof(vdev[k]), "virtio_user%d,path=%s,server=1,queues=1,queue_size=1024", k, sock);
			argv[n++] = "--vdev";
			argv[n++] = vdev[k];
		}
	}
	argv[n++] = "--";
	argv[n++] = "-i";
	argv[n++] = "--forward-mode=io";
	argv[n++] = "--nb-cores=1";
	argv[n++] = "--rxd=1024";
	argv[n++] = "--txd=1024";
	argv[n++] = "--total-num-mbufs=32768";
	argv[n++] = "--auto-start";
	argv[n] = NULL;
	unlink(log);
	pid_t pid = hostsys_spawn(argv, fifo, log, cpu);
	if (pid <= 0) {
		fprintf(msg, PROG ": cannot start dpdk-testpmd\n");
		return -1;
	}
	char buf[32];
	snprintf(buf, sizeof(buf), "%d\n", (int)pid);
	for (unsigned i = 0; i < c->n_nf; i++)
		if (c->nf[i].kind == CHAIN_NF_TESTPMD) {
			char pidf[400];
			fabric_path(pidf, sizeof(pidf), p, "%s.pid", c->nf[i].name);
			hostsys_write_file(pidf, buf);
		}
	fabric_path(fifo, sizeof(fifo), p, "%s.pid", "testpmd");
	hostsys_write_file(fifo, buf);
	return 0;
}
