/* SPDX-License-Identifier: MIT */
/*
 * ovs.c - a private Open vSwitch (DPDK, netdev datapath) per chain.
 *
 * Nothing here touches a system OVS: the database, its socket, the
 * switch's control socket, pid and log files all live in the chain's run
 * directory, and every OVS tool we run is pointed there (OVS_RUNDIR & co.).
 * The DPDK instance gets its own file prefix and a private hugetlbfs mount
 * (RUNDIR/huge; OVS 3.x adds --in-memory, so it stays empty).
 *
 * Pinning: the one PMD thread (the only poller) and the DPDK main lcore go
 * to the chain's OVS core (pmd-cpu-mask, dpdk-lcore-mask).  The daemons are
 * not confined to it: DPDK puts its control threads (vhost-events, which
 * negotiates with QEMU) on the cores that are not lcores, so they do not
 * have to wait for the spinning PMD's time slice.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "topology/hostsys.h"
#include "topology/ovs.h"

#define VSWITCHD_DEFAULT "/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk"
#define SCHEMA_DEFAULT "/usr/share/openvswitch/vswitch.ovsschema"

void ovs_env(const struct chain_paths *p)
{
	setenv("OVS_RUNDIR", p->dir, 1);
	setenv("OVS_LOGDIR", p->dir, 1);
	setenv("OVS_DBDIR", p->dir, 1);
	setenv("OVS_SYSCONFDIR", p->dir, 1);
	char db[300];
	snprintf(db, sizeof(db), "unix:%s/db.sock", p->dir);
	setenv("DB_SOCK", db, 1);
}

int ovs_vsctl(char **out, const char *errf, ...)
{
	char *argv[64];
	int n = 0;
	static char db[320];
	snprintf(db, sizeof(db), "--db=%s", getenv("DB_SOCK") ? getenv("DB_SOCK") : "");
	argv[n++] = "ovs-vsctl";
	argv[n++] = db;
	argv[n++] = "--timeout=20";
	va_list ap;
	va_start(ap, errf);
	for (const char *a = va_arg(ap, const char *); a && n < 63; a = va_arg(ap, const char *))
		argv[n++] = (char *)a;
	va_end(ap);
	argv[n] = NULL;
	return hostsys_run(argv, out, errf);
}

static pid_t pid_of(const struct chain_paths *p, const char *file)
{
	char path[320];
	snprintf(path, sizeof(path), "%s/%s", p->dir, file);
	pid_t pid = hostsys_read_pid(path);
	return pid && hostsys_pid_is(pid, p->dir) ? pid : 0;
}

pid_t ovs_db_pid(const struct chain_paths *p)
{
	return pid_of(p, "ovsdb-server.pid");
}

pid_t ovs_switch_pid(const struct chain_paths *p)
{
	return pid_of(p, "ovs-vswitchd.pid");
}

void ovs_mgmt(const struct chain_paths *p, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s.mgmt", p->dir, p->bridge);
}

static int start_db(const struct chain_paths *p, int cpu, FILE *msg)
{
	char db[300], remote[320], pidf[320], ctl[320], log[320], cpus[16];
	snprintf(db, sizeof(db), "%s/conf.db", p->dir);
	snprintf(remote, sizeof(remote), "--remote=punix:%s/db.sock", p->dir);
	snprintf(pidf, sizeof(pidf), "--pidfile=%s/ovsdb-server.pid", p->dir);
	snprintf(ctl, sizeof(ctl), "--unixctl=%s/ovsdb-server.ctl", p->dir);
	snprintf(log, sizeof(log), "--log-file=%s/ovsdb-server.log", p->dir);
	snprintf(cpus, sizeof(cpus), "%d", cpu);
	char errf[320];
	snprintf(errf, sizeof(errf), "%s/ovs-start.err", p->dir);
	if (access(db, F_OK) != 0) {
		const char *schema = getenv("NFBOX_OVS_SCHEMA");
		if (hostsys_runv(NULL, errf, "ovsdb-tool", "create", db,
			        schema && *schema ? schema : SCHEMA_DEFAULT, NULL) != 0) {
			fprintf(msg, "nfbox chain: ovsdb-tool create %s failed (see %s)\n", db, errf);
			return -1;
		}
	}
	(void)cpus;
	if (hostsys_runv(NULL, errf, "ovsdb-server", db, remote, pidf, ctl, log, "--detach", "--no-chdir",
		        NULL) != 0) {
		fprintf(msg, "nfbox chain: ovsdb-server did not start (see %s)\n", errf);
		return -1;
	}
	return 0;
}

static int start_switch(const struct chain *c, const struct chain_paths *p, FILE *msg)
{
	char mask[32], extra[600], mem[32], sleep_[32], errf[320];
	snprintf(errf, sizeof(errf), "%s/ovs-start.err", p->dir);
	snprintf(mask, sizeof(mask), "0x%llx", 1ULL << c->ovs_cpu);
	snprintf(mem, sizeof(mem), "%u", c->socket_mem);
	snprintf(sleep_, sizeof(sleep_), "%u", c->max_sleep_us);
	snprintf(extra, sizeof(extra), "--no-pci --huge-dir=%s/huge --file-prefix=%s", p->dir,
		 p->prefix);
	char a1[64], a2[64], a3[64], a4[64], a5[640], a6[64];
	snprintf(a1, sizeof(a1), "other_config:dpdk-socket-mem=%s", mem);
	snprintf(a2, sizeof(a2), "other_config:dpdk-lcore-mask=%s", mask);
	snprintf(a3, sizeof(a3), "other_config:pmd-cpu-mask=%s", mask);
	snprintf(a4, sizeof(a4), "other_config:pmd-maxsleep=%s", sleep_);
	snprintf(a5, sizeof(a5), "other_config:dpdk-extra=%s", extra);
	snprintf(a6, sizeof(a6), "other_config:dpdk-init=true");
	if (ovs_vsctl(NULL, errf, "--no-wait", "init", "--", "set", "Open_vSwitch", ".", a1, a2, a3,
		      a4, a5, a6, NULL) != 0) {
		fprintf(msg, "nfbox chain: cannot configure the OVS database (see %s)\n", errf);
		return -1;
	}
	const char *vs = getenv("NFBOX_OVS_VSWITCHD");
	if (!vs || !*vs)
		vs = VSWITCHD_DEFAULT;
	char db[320], pidf[320], ctl[320], log[320], cpus[16];
	snprintf(db, sizeof(db), "unix:%s/db.sock", p->dir);
	snprintf(pidf, sizeof(pidf), "--pidfile=%s/ovs-vswitchd.pid", p->dir);
	snprintf(ctl, sizeof(ctl), "--unixctl=%s/ovs-vswitchd.ctl", p->dir);
	snprintf(log, sizeof(log), "--log-file=%s/ovs-vswitchd.log", p->dir);
	snprintf(cpus, sizeof(cpus), "%d", c->ovs_cpu);
	(void)cpus;
	if (hostsys_runv(NULL, errf, vs, db, pidf, ctl, log, "--detach", "--no-chdir", NULL) != 0) {
		fprintf(msg, "nfbox chain: %s did not start (see %s and %s/ovs-vswitchd.log)\n", vs,
			errf, p->dir);
		return -1;
	}
	return 0;
}

static int ensure_huge_mount(const struct chain_paths *p, FILE *msg)
{
	char dir[300];
	snprintf(dir, sizeof(dir), "%s/huge", p->dir);
	mkdir(dir, 0700);
	struct stat a, b;
	char parent[300];
	snprintf(parent, sizeof(parent), "%s", p->dir);
	if (stat(dir, &a) == 0 && stat(parent, &b) == 0 && a.st_dev != b.st_dev)
		return 0; /* mounted already */
	if (mount("nodev", dir, "hugetlbfs", MS_NOSUID | MS_NODEV, "pagesize=2M") < 0) {
		fprintf(msg, "nfbox chain: cannot mount hugetlbfs on %s: %s\n", dir, strerror(errno));
		return -1;
	}
	return 0;
}

int ovs_flows(const struct chain *c, const struct chain_paths *p, FILE *msg)
{
	char path[320], errf[320];
	snprintf(path, sizeof(path), "%s/flows.txt", p->dir);
	snprintf(errf, sizeof(errf), "%s/ovs-start.err", p->dir);
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	/* Steering by input port only: source -> f1 -> ... -> sink, and back. */
	for (unsigned i = 0; i <= c->n_nf; i++) {
		unsigned from = i == 0 ? CHAIN_OFPORT_SRC : chain_port_out(c, i - 1);
		unsigned to = i == c->n_nf ? CHAIN_OFPORT_SNK : chain_port_in(c, i);
		fprintf(f, "priority=100,in_port=%u,actions=output:%u\n", from, to);
		fprintf(f, "priority=100,in_port=%u,actions=output:%u\n", to, from);
	}
	fclose(f);
	if (hostsys_runv(NULL, errf, "ovs-ofctl", "replace-flows", p->bridge, path, NULL) != 0) {
		fprintf(msg, "nfbox chain: cannot install the flows (see %s)\n", errf);
		return -1;
	}
	return 0;
}

/* The chain's steering flows in the switch (a restarted ovs-vswitchd has
 * none until `chain up` installs them again; fail_mode=secure drops all
 * until then). */
bool ovs_flows_installed(const struct chain *c, const struct chain_paths *p)
{
	char *out = NULL;
	if (hostsys_runv(&out, "/dev/null", "ovs-ofctl", "dump-flows", p->bridge, NULL) != 0) {
		free(out);
		return false;
	}
	unsigned n = 0;
	for (const char *x = out; x && (x = strstr(x, "priority=100,in_port=")); x++)
		n++;
	free(out);
	return n >= 2 * (c->n_nf + 1);
}

int ovs_up(const struct chain *c, const struct chain_paths *p, FILE *msg)
{
	char errf[320];
	snprintf(errf, sizeof(errf), "%s/ovs-start.err", p->dir);
	if (!ovs_db_pid(p) && start_db(p, c->ovs_cpu, msg) < 0)
		return -1;
	if (!ovs_switch_pid(p)) {
		if (ensure_huge_mount(p, msg) < 0 || start_switch(c, p, msg) < 0)
			return -1;
	}
	char fm[64];
	snprintf(fm, sizeof(fm), "fail_mode=secure");
	if (ovs_vsctl(NULL, errf, "--may-exist", "add-br", p->bridge, "--", "set", "bridge",
		      p->bridge, "datapath_type=netdev", fm, NULL) != 0) {
		fprintf(msg, "nfbox chain: cannot create bridge %s (see %s)\n", p->bridge, errf);
		return -1;
	}
	for (unsigned i = 0; i < c->n_nf; i++) {
		for (unsigned port = 0; port < 2; port++) {
			char name[32], path[400], req[64];
			snprintf(name, sizeof(name), "%s.%u", c->nf[i].name, port);
			snprintf(path, sizeof(path), "options:vhost-server-path=%s/%s.sock", p->dir, name);
			snprintf(req, sizeof(req), "ofport_request=%u", 10 * (i + 1) + port);
			if (ovs_vsctl(NULL, errf, "--may-exist", "add-port", p->bridge, name, "--", "set",
				      "Interface", name, "type=dpdkvhostuserclient", path, req, NULL) != 0) {
				fprintf(msg, "nfbox chain: cannot add port %s (see %s)\n", name, errf);
				return -1;
			}
		}
	}
	return ovs_flows(c, p, msg);
}

void ovs_down(const struct chain_paths *p)
{
	char ctl[320], errf[320];
	snprintf(errf, sizeof(errf), "%s/ovs-stop.err", p->dir);
	if (ovs_switch_pid(p)) {
		snprintf(ctl, sizeof(ctl), "%s/ovs-vswitchd.ctl", p->dir);
		hostsys_runv(NULL, errf, "ovs-appctl", "--timeout=10", "-t", ctl, "exit", "--cleanup", NULL);
	}
	if (ovs_db_pid(p)) {
		snprintf(ctl, sizeof(ctl), "%s/ovsdb-server.ctl", p->dir);
		hostsys_runv(NULL, errf, "ovs-appctl", "--timeout=10", "-t", ctl, "exit", NULL);
	}
}

int ovs_capture_add(const struct chain_paths *p, const char *src_out, const char *snk_out,
		    FILE *msg)
{
	char errf[320], empty[320];
	snprintf(errf, sizeof(errf), "%s/replay.err", p->dir);
	snprintf(empty, sizeof(empty), "%s/empty.pcap", p->dir);
	/* An empty pcap (global header only) for the ports' receive side. */
	static const uint8_t hdr[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0,
					0,    0,    0,    0,    0xff, 0xff, 0, 0, 1, 0, 0, 0};
	FILE *f = fopen(empty, "wb");
	if (!f || fwrite(hdr, 1, sizeof(hdr), f) != sizeof(hdr)) {
		if (f)
			fclose(f);
		fprintf(msg, "nfbox chain: cannot write %s\n", empty);
		return -1;
	}
	fclose(f);
	ovs_capture_del(p);
	/* Device names must differ from any the switch still holds. */
	static unsigned seq;
	unsigned s = (unsigned)getpid() * 4 + seq++;
	char d1[700], d2[700];
	snprintf(d1, sizeof(d1), "options:dpdk-devargs=net_pcap_s%u,rx_pcap=%s,tx_pcap=%s", s, empty,
		 src_out);
	snprintf(d2, sizeof(d2), "options:dpdk-devargs=net_pcap_k%u,rx_pcap=%s,tx_pcap=%s", s, empty,
		 snk_out);
	if (ovs_vsctl(NULL, errf, "add-port", p->bridge, "src", "--", "set", "Interface", "src",
		      "type=dpdk", d1, "ofport_request=1", "--", "add-port", p->bridge, "snk", "--",
		      "set", "Interface", "snk", "type=dpdk", d2, "ofport_request=2", NULL) != 0) {
		fprintf(msg, "nfbox chain: cannot add the capture ports (see %s)\n", errf);
		return -1;
	}
	return 0;
}

void ovs_capture_del(const struct chain_paths *p)
{
	char errf[320];
	snprintf(errf, sizeof(errf), "%s/replay.err", p->dir);
	ovs_vsctl(NULL, errf, "--if-exists", "del-port", p->bridge, "src", "--", "--if-exists",
		  "del-port", p->bridge, "snk", NULL);
}
