/* SPDX-License-Identifier: MIT */
/*
 * nfbox chain up|down|status|replay|exec FILE - service chains through a
 * private Open vSwitch with DPDK (see topology/chain.h for the wiring and
 * topology/README.md for the chain file).
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
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools/cmd.h"
#include "topology/chain.h"
#include "topology/ctl.h"
#include "topology/hostsys.h"
#include "topology/openflow.h"
#include "topology/ovs.h"
#include "topology/relay.h"

#define PROG "nfbox chain"
#define READY_TIMEOUT_S 90.0

int nfbox_config_blob(const char *path, const char *nf_name, char **blob, size_t *blob_len);

static void pathf(char *buf, size_t len, const struct chain_paths *p, const char *fmt, const char *name)
{
	char tail[128];
	snprintf(tail, sizeof(tail), fmt, name);
	if (snprintf(buf, len, "%s/%s", p->dir, tail) >= (int)len)
		fprintf(stderr, PROG ": path too long: %s/%s\n", p->dir, tail);
}

static pid_t nf_pid(const struct chain_paths *p, const char *name)
{
	char f[400];
	pathf(f, sizeof(f), p, "%s.pid", name);
	pid_t pid = hostsys_read_pid(f);
	return pid && hostsys_pid_is(pid, p->dir) ? pid : 0;
}

/* "ready in N us" from an image's console; -1 if not (yet) there. */
static long ready_us(const struct chain_paths *p, const char *name)
{
	char f[400];
	pathf(f, sizeof(f), p, "%s.console", name);
	char *t = hostsys_read_file(f, NULL);
	long us = -1;
	char *r = t ? strstr(t, " ready in ") : NULL;
	if (r)
		us = atol(r + 10);
	free(t);
	return us;
}

/* ---- images and testpmd ---------------------------------------------------------- */

static char *find_image(const struct chain_paths *p, const struct chain_nf *f, FILE *msg)
{
	if (f->image_path)
		return strdup(f->image_path);
	char *cand;
	const char *env = getenv("NFBOX_IMAGES");
	if (env && *env) {
		if (asprintf(&cand, "%s/%s.img", env, f->image) >= 0 && access(cand, R_OK) == 0)
			return cand;
		free(cand);
	}
	char exe[PATH_MAX];
	snprintf(exe, sizeof(exe), "%s", hostsys_self_exe());
	for (int up = 0; up < 2; up++) {
		char *slash = strrchr(exe, '/');
		if (!slash)
			break;
		*slash = '\0';
		if (asprintf(&cand, "%s/images/%s.img", exe, f->image) >= 0 && access(cand, R_OK) == 0)
			return cand;
		free(cand);
	}
	/* Not built yet: link one now (no config baked in; ours goes by fw_cfg). */
	if (asprintf(&cand, "%s/%s.img", p->dir, f->image) < 0)
		return NULL;
	if (access(cand, R_OK) == 0)
		return cand;
	char log[400];
	pathf(log, sizeof(log), p, "%s.build.log", f->name);
	if (hostsys_runv(NULL, log, hostsys_self_exe(), "build", f->image, "-o", cand, NULL) != 0) {
		fprintf(msg, PROG ": no image for '%s' and 'nfbox build %s' failed:\n", f->image,
			f->image);
		hostsys_tail_file(log, 5, msg);
		free(cand);
		return NULL;
	}
	return cand;
}

static int start_image(const struct chain *c, const struct chain_paths *p, unsigned i, FILE *msg)
{
	const struct chain_nf *f = &c->nf[i];
	char *img = find_image(p, f, msg);
	if (!img)
		return -1;
	char ctl[400], console[400], runlog[400], pidf[400], s0[400], s1[400], cpu[16], mem[16],
		append[64];
	pathf(ctl, sizeof(ctl), p, "%s.ctl", f->name);
	pathf(console, sizeof(console), p, "%s.console", f->name);
	pathf(runlog, sizeof(runlog), p, "%s.run.log", f->name);
	pathf(pidf, sizeof(pidf), p, "%s.pid", f->name);
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
	argv[n++] = "--log";
	argv[n++] = console;
	argv[n++] = "--control"; /* nfbox stats / reload CHAIN:NAME (chain_ctl.c) */
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
	if (f->idle_us >= 0) {
		snprintf(append, sizeof(append), "nfbox.idle_us=%d", f->idle_us);
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
static int start_testpmd(const struct chain *c, const struct chain_paths *p, FILE *msg)
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
	pathf(fifo, sizeof(fifo), p, "%s.ctl", "testpmd");
	pathf(log, sizeof(log), p, "%s.log", "testpmd");
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
			pathf(pidf, sizeof(pidf), p, "%s.pid", c->nf[i].name);
			hostsys_write_file(pidf, buf);
		}
	pathf(fifo, sizeof(fifo), p, "%s.pid", "testpmd");
	hostsys_write_file(fifo, buf);
	return 0;
}

/* ---- up ---------------------------------------------------------------------------- */

static int check_configs(const struct chain *c)
{
	int bad = 0;
	for (unsigned i = 0; i < c->n_nf; i++) {
		const struct chain_nf *f = &c->nf[i];
		if (f->kind != CHAIN_NF_IMAGE || !f->config)
			continue;
		char *blob = NULL;
		size_t len = 0;
		if (nfbox_config_blob(f->config, f->image_path ? NULL : f->image, &blob, &len)) {
			fprintf(stderr, PROG ": %s:%u: the config of '%s' is rejected (above)\n", c->path,
				f->line, f->name);
			bad = 1;
		}
		free(blob);
	}
	return bad;
}

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
		long us = f->kind == CHAIN_NF_IMAGE ? ready_us(p, f->name) : -1;
		char ready[48] = "";
		if (us >= 0)
			snprintf(ready, sizeof(ready), ", ready in %.1f ms", us / 1000.0);
		fprintf(to, "  nf   %-12s %-8s %-9s pid %-7d cpu %d  port0=%s.0 [%u] port1=%s.1 [%u]%s%s\n",
			f->name, f->kind == CHAIN_NF_IMAGE ? "image" : "testpmd",
			f->kind == CHAIN_NF_IMAGE ? f->image : "io-fwd", (int)nf_pid(p, f->name), f->cpu,
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
			if (!nf_pid(p, f->name)) {
				char log[400];
				fprintf(msg, PROG ": %s stopped before it was ready:\n", f->name);
				pathf(log, sizeof(log), p, f->kind == CHAIN_NF_IMAGE ? "%s.console" : "testpmd.log",
				      f->name);
				hostsys_tail_file(log, 8, msg);
				if (f->kind == CHAIN_NF_IMAGE) {
					pathf(log, sizeof(log), p, "%s.run.log", f->name);
					hostsys_tail_file(log, 5, msg);
				}
				return -1;
			}
			if (f->kind == CHAIN_NF_IMAGE && ready_us(p, f->name) < 0)
				all = false;
			if (f->kind == CHAIN_NF_TESTPMD) {
				char log[400];
				pathf(log, sizeof(log), p, "%s.log", "testpmd");
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
				if (c->nf[i].kind == CHAIN_NF_IMAGE && ready_us(p, c->nf[i].name) < 0)
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
			pathf(log, sizeof(log), p, "%s", "ovs-vswitchd.log");
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

static int chain_up(struct chain *c)
{
	struct chain_paths p;
	chain_paths(c, &p);
	if (geteuid() != 0) {
		fprintf(stderr, PROG ": 'up' needs root (hugepages, hugetlbfs, OVS-DPDK)\n");
		return 1;
	}
	if (check_configs(c))
		return 1;
	if (hostsys_mkdir_p(p.dir) < 0) {
		fprintf(stderr, PROG ": cannot create %s: %s\n", p.dir, strerror(errno));
		return 1;
	}
	char f[400];
	pathf(f, sizeof(f), &p, "%s", "chain");
	char *st;
	if (asprintf(&st, "chain %s\nname %s\nbridge %s\nprefix %s\n", c->abspath, c->name, p.bridge,
		     p.prefix) >= 0) {
		hostsys_write_file(f, st);
		free(st);
	}
	double t0 = hostsys_now();
	ovs_env(&p);
	bool ovs_was_up = ovs_switch_pid(&p) != 0;
	if (!ovs_was_up)
		warn_other_chains(&p);
	if (!ovs_was_up) {
		pathf(f, sizeof(f), &p, "%s", "hugepages");
		char *prev = hostsys_read_file(f, NULL);
		int before = prev ? atoi(prev) : 0;
		free(prev);
		int added = hostsys_hugepages_ensure(c->socket_mem, stdout);
		if (added < 0)
			return 1;
		char buf[32];
		snprintf(buf, sizeof(buf), "%d\n", before + added);
		hostsys_write_file(f, buf);
	}
	if (ovs_up(c, &p, stderr) < 0)
		return 1;
	if (ovs_was_up)
		printf("nfbox chain: OVS was running (pid %d); flows re-installed\n", (int)ovs_switch_pid(&p));
	int started = 0;
	bool tp_needed = false;
	for (unsigned i = 0; i < c->n_nf; i++) {
		if (nf_pid(&p, c->nf[i].name))
			continue;
		if (c->nf[i].kind == CHAIN_NF_TESTPMD) {
			tp_needed = true;
			continue;
		}
		if (start_image(c, &p, i, stderr) < 0)
			return 1;
		started++;
	}
	if (tp_needed) {
		/* One process serves them all: restart it whole. */
		char pf[400];
		pathf(pf, sizeof(pf), &p, "%s.pid", "testpmd");
		pid_t tp = hostsys_read_pid(pf);
		if (tp && hostsys_pid_is(tp, p.dir)) {
			kill(tp, SIGTERM);
			hostsys_sleep_ms(500);
		}
		if (start_testpmd(c, &p, stderr) < 0)
			return 1;
		started++;
	}
	if (wait_ready(c, &p, stderr) < 0) {
		fprintf(stderr, PROG ": '%s' is partly up; 'nfbox chain down %s' cleans up\n", c->path,
			c->path);
		return 1;
	}
	print_layout(c, &p, stdout);
	printf("  up in %.2f s (%d started)\n", hostsys_now() - t0, started);
	return 0;
}

/* ---- down --------------------------------------------------------------------------- */

static void wait_gone(const char *needle, double secs)
{
	double end = hostsys_now() + secs;
	pid_t pids[64];
	while (hostsys_find_procs(needle, pids, 64) > 0 && hostsys_now() < end)
		hostsys_sleep_ms(50);
}

static int chain_down_dir(const struct chain_paths *p, const char *label)
{
	struct stat st;
	char needle[300];
	snprintf(needle, sizeof(needle), "%s/", p->dir);
	pid_t pids[64];
	if (stat(p->dir, &st) != 0 && hostsys_find_procs(needle, pids, 64) == 0) {
		printf("nfbox chain: %s is not up (no %s)\n", label, p->dir);
		return 0;
	}
	ovs_env(p);
	/* 1. Images: "quit" on their consoles (they print their counters and
	 *    exit) through their control sockets, testpmd: "quit" into its
	 *    FIFO.  Writers never block: O_NONBLOCK. */
	int n_quit = 0;
	DIR *d = opendir(p->dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l < 5 || strcmp(e->d_name + l - 4, ".ctl") != 0 || strstr(e->d_name, "ovs"))
			continue;
		char fifo[600];
		snprintf(fifo, sizeof(fifo), "%s/%s", p->dir, e->d_name);
		struct stat cs;
		if (stat(fifo, &cs) == 0 && S_ISSOCK(cs.st_mode)) {
			if (ctl_quit(fifo) == 0)
				n_quit++;
			continue;
		}
		int fd = open(fifo, O_WRONLY | O_NONBLOCK);
		if (fd >= 0) {
			ssize_t w = write(fd, "\nquit\n", 6);
			(void)w;
			close(fd);
			n_quit++;
		}
	}
	if (d)
		closedir(d);
	if (n_quit) {
		/* nfbox run processes and QEMU end once the image said goodbye. */
		double end = hostsys_now() + 3.0;
		for (;;) {
			int n = hostsys_find_procs(needle, pids, 64), left = 0;
			for (int i = 0; i < n && i < 64; i++)
				if (!hostsys_pid_is(pids[i], "ovsdb-server") && !hostsys_pid_is(pids[i], "ovs-vswitchd"))
					left++;
			if (!left || hostsys_now() > end)
				break;
			hostsys_sleep_ms(50);
		}
	}
	/* 2. OVS, politely. */
	ovs_down(p);
	/* 3. Whatever is left and names our run directory. */
	int n = hostsys_find_procs(needle, pids, 64);
	int killed = 0;
	if (n > 0) {
		for (int i = 0; i < n && i < 64; i++)
			kill(pids[i], SIGTERM);
		wait_gone(needle, 5.0);
		n = hostsys_find_procs(needle, pids, 64);
		for (int i = 0; i < n && i < 64; i++) {
			kill(pids[i], SIGKILL);
			killed++;
		}
		wait_gone(needle, 2.0);
	}
	/* 4. Files: hugetlbfs mount, DPDK runtime dirs, the bridge's tap. */
	char huge[320];
	snprintf(huge, sizeof(huge), "%s/huge", p->dir);
	struct stat a, b;
	if (stat(huge, &a) == 0 && stat(p->dir, &b) == 0 && a.st_dev != b.st_dev) {
		char hp[600];
		DIR *hd = opendir(huge);
		while (hd && (e = readdir(hd)))
			if (e->d_name[0] != '.') {
				snprintf(hp, sizeof(hp), "%s/%s", huge, e->d_name);
				unlink(hp);
			}
		if (hd)
			closedir(hd);
		if (umount2(huge, MNT_DETACH) < 0)
			fprintf(stderr, PROG ": umount %s: %s\n", huge, strerror(errno));
	}
	const char *rt[] = {"/var/run/dpdk", "/run/dpdk"};
	for (int i = 0; i < 2; i++) {
		char dd[300];
		snprintf(dd, sizeof(dd), "%s/%s", rt[i], p->prefix);
		hostsys_rmtree(dd);
		snprintf(dd, sizeof(dd), "%s/%stp", rt[i], p->prefix);
		hostsys_rmtree(dd);
	}
	char sysnet[64];
	snprintf(sysnet, sizeof(sysnet), "/sys/class/net/%s", p->bridge);
	if (access(sysnet, F_OK) == 0)
		hostsys_runv(NULL, NULL, "ip", "link", "del", p->bridge, NULL);
	char hp[320];
	snprintf(hp, sizeof(hp), "%s/hugepages", p->dir);
	char *t = hostsys_read_file(hp, NULL);
	if (t) {
		hostsys_hugepages_release(atoi(t));
		free(t);
	}
	int rc = hostsys_rmtree(p->dir);
	/* The default base directories too, once no chain (and no `nfbox run
	 * --name` socket) is left in them: no empty /run/nfbox behind us. */
	const char *base = getenv("NFBOX_CHAIN_DIR");
	if (!rc && (!base || !*base) && rmdir("/run/nfbox/chain") == 0)
		rmdir("/run/nfbox");
	n = hostsys_find_procs(needle, pids, 64);
	if (n || rc) {
		fprintf(stderr, PROG ": %s: %d process(es) left, %s\n", label, n,
			rc ? strerror(-rc) : "directory removed");
		return 1;
	}
	printf("nfbox chain: %s is down%s\n", label,
	       killed ? " (some processes had to be killed)" : "");
	return 0;
}

/* ---- status ------------------------------------------------------------------------- */

static int chain_status(const struct chain *c)
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
	for (unsigned i = 0; i < c->n_nf; i++) {
		const struct chain_nf *f = &c->nf[i];
		pid_t pid = nf_pid(&p, f->name);
		printf("  nf %-12s %-8s %s", f->name, f->kind == CHAIN_NF_IMAGE ? f->image : "testpmd",
		       pid ? "running" : "NOT RUNNING");
		if (!pid) {
			bad++;
			char log[400];
			pathf(log, sizeof(log), &p, "%s.console", f->name);
			printf("\n");
			if (f->kind == CHAIN_NF_IMAGE)
				hostsys_tail_file(log, 3, stdout);
			continue;
		}
		printf(" pid %d cpu %d", (int)pid, f->cpu);
		if (f->kind == CHAIN_NF_IMAGE) {
			long us = ready_us(&p, f->name);
			if (us >= 0)
				printf(", ready in %.1f ms", us / 1000.0);
			else
				printf(", not ready");
			struct ctl_target t = {0};
			pathf(t.sock, sizeof(t.sock), &p, "%s.ctl", f->name);
			t.pid = pid;
			char *s = NULL;
			if (us >= 0 && ctl_stats(&t, &s, 2000) == 0) {
				printf("\n     port0 rx %llu tx %llu | port1 rx %llu tx %llu | function drops %llu, malformed %llu",
				       (unsigned long long)ctl_stat(s, "port0.rx_pkts", 0),
				       (unsigned long long)ctl_stat(s, "port0.tx_pkts", 0),
				       (unsigned long long)ctl_stat(s, "port1.rx_pkts", 0),
				       (unsigned long long)ctl_stat(s, "port1.tx_pkts", 0),
				       (unsigned long long)ctl_stat(s, "loop.nf_drops", 0),
				       (unsigned long long)ctl_stat(s, "malformed.total", 0));
				free(s);
			} else if (us >= 0) {
				printf(" (counters: no answer)");
			}
		}
		printf("\n");
	}
	if (sw) {
		char mgmt[320], err[256];
		ovs_mgmt(&p, mgmt, sizeof(mgmt));
		struct of_conn *oc = of_open(mgmt, err, sizeof(err));
		struct of_port_desc pd[64];
		struct of_port_stats ps[64];
		int nd = oc ? of_ports(oc, pd, 64) : -1;
		int ns = oc ? of_port_stats(oc, ps, 64) : -1;
		of_close(oc);
		if (nd < 0) {
			printf("  OVS ports: cannot read (%s)\n", err);
			bad++;
		} else {
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
		}
	}
	printf("chain %s: %s\n", c->name, bad ? "NOT fully up ('nfbox chain up' restarts what is missing)" : "up");
	return bad ? 1 : 0;
}

/* ---- replay ------------------------------------------------------------------------- */

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
		pathf(t.sock, sizeof(t.sock), p, "%s.ctl", c->nf[i].name);
		t.pid = nf_pid(p, c->nf[i].name);
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

static int chain_replay(const struct chain *c, int argc, char **argv)
{
	const char *in = c->source_pcap, *in_rev = NULL, *out = c->sink_pcap, *out_rev = NULL;
	long gap_us = 100, quiet_ms = 20, wait_switch_s = 60;
	bool lockstep = false, gap_set = false, pcap_gaps = false;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--in") && v)
			in = v, i++;
		else if (!strcmp(a, "--in-rev") && v)
			in_rev = v, i++;
		else if (!strcmp(a, "--out") && v)
			out = v, i++;
		else if (!strcmp(a, "--out-rev") && v)
			out_rev = v, i++;
		else if (!strcmp(a, "--gap-us") && v)
			gap_us = atol(v), gap_set = true, i++;
		else if (!strcmp(a, "--lockstep"))
			lockstep = true;
		else if (!strcmp(a, "--pcap-gaps"))
			pcap_gaps = true;
		else if (!strcmp(a, "--wait-switch") && v)
			wait_switch_s = atol(v), i++;
		else if (!strcmp(a, "--quiet-ms") && v)
			quiet_ms = atol(v), lockstep = true, i++;
		else {
			fprintf(stderr, PROG ": replay: unknown option or missing value '%s'\n", a);
			return 2;
		}
	}
	if (!in && !in_rev) {
		fprintf(stderr, PROG ": replay: no input: --in PCAP (or 'source pcap FILE' in %s)\n",
			c->path);
		return 2;
	}
	if (in_rev && !gap_set)
		lockstep = true; /* both directions: keep request before reply */
	struct chain_paths p;
	chain_paths(c, &p);
	ovs_env(&p);
	if (!ovs_switch_pid(&p)) {
		fprintf(stderr, PROG ": chain %s is not up ('nfbox chain up %s')\n", c->name, c->path);
		return 1;
	}
	for (unsigned i = 0; i < c->n_nf; i++)
		if (!nf_pid(&p, c->nf[i].name)) {
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

/* ---- the command -------------------------------------------------------------------- */

static int run_chain(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: nfbox chain up|down|status|replay|exec FILE ... (try 'nfbox chain --help')\n");
		return 2;
	}
	const char *verb = argv[1], *file = argv[2];
	if (!strcmp(verb, "down")) {
		struct chain_paths p;
		if (chain_paths_of_file(file, &p) < 0) {
			/* The file is gone: a run directory works too. */
			struct stat st;
			if (stat(file, &st) == 0 && S_ISDIR(st.st_mode)) {
				memset(&p, 0, sizeof(p));
				snprintf(p.dir, sizeof(p.dir), "%s", file);
				char *state = NULL, f[400];
				snprintf(f, sizeof(f), "%s/chain", file);
				state = hostsys_read_file(f, NULL);
				char *b = state ? strstr(state, "bridge ") : NULL, *x = state ? strstr(state, "prefix ") : NULL;
				if (b)
					sscanf(b, "bridge %15s", p.bridge);
				if (x)
					sscanf(x, "prefix %23s", p.prefix);
				free(state);
				return chain_down_dir(&p, file);
			}
			fprintf(stderr, PROG ": cannot read %s: %s\n", file, strerror(errno));
			return 1;
		}
		return chain_down_dir(&p, file);
	}
	struct chain c;
	if (chain_parse(file, &c, stderr) < 0) {
		chain_free(&c);
		return 1;
	}
	int rc;
	if (!strcmp(verb, "up")) {
		rc = chain_up(&c);
	} else if (!strcmp(verb, "status")) {
		rc = chain_status(&c);
	} else if (!strcmp(verb, "replay")) {
		rc = chain_replay(&c, argc - 3, argv + 3);
	} else if (!strcmp(verb, "exec")) {
		int i = 3;
		if (i < argc && !strcmp(argv[i], "--"))
			i++;
		if (i >= argc) {
			fprintf(stderr, PROG ": exec needs a command\n");
			chain_free(&c);
			return 2;
		}
		struct chain_paths p;
		chain_paths(&c, &p);
		ovs_env(&p);
		setenv("NFBOX_CHAIN_RUNDIR", p.dir, 1);
		setenv("NFBOX_CHAIN_BRIDGE", p.bridge, 1);
		chain_free(&c);
		execvp(argv[i], argv + i);
		fprintf(stderr, PROG ": cannot run %s: %s\n", argv[i], strerror(errno));
		return 127;
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
