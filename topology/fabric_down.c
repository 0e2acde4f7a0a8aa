/* SPDX-License-Identifier: MIT */
/*
 * fabric_down.c - `nfbox chain down`: "quit" to every function, OVS
 * stopped politely, then whatever still names the run directory (TERM,
 * then KILL); the hugetlbfs mount, DPDK runtime directories, the bridge's
 * tap, the hugepages we added and the run directory removed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "topology/ctl.h"
#include "topology/fabric.h"
#include "topology/fabric_priv.h"
#include "topology/hostsys.h"
#include "topology/ovs.h"

static void wait_gone(const char *needle, double secs)
{
	double end = hostsys_now() + secs;
	pid_t pids[64];
	while (hostsys_find_procs(needle, pids, 64) > 0 && hostsys_now() < end)
		hostsys_sleep_ms(50);
}

/* 1. Images: "quit" on their consoles (they print their counters and
 *    exit) through their control sockets, testpmd: "quit" into its FIFO.
 *    Writers never block: O_NONBLOCK.  How many were told. */
static int quit_functions(const struct chain_paths *p)
{
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
	return n_quit;
}

/* nfbox run processes and QEMU end once the image said goodbye: wait up to
 * 3 s until only OVS names the run directory. */
static void wait_functions_gone(const char *needle)
{
	pid_t pids[64];
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

/* 3. Whatever is left and names our run directory: TERM, then KILL.  How
 * many had to be killed. */
static int stop_the_rest(const char *needle)
{
	pid_t pids[64];
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
	return killed;
}

/* The private hugetlbfs mount (RUNDIR/huge), emptied and unmounted. */
static void remove_huge_mount(const struct chain_paths *p)
{
	char huge[320];
	snprintf(huge, sizeof(huge), "%s/huge", p->dir);
	struct stat a, b;
	if (stat(huge, &a) == 0 && stat(p->dir, &b) == 0 && a.st_dev != b.st_dev) {
		char hp[600];
		struct dirent *e;
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
}

/* 4. Files: hugetlbfs mount, DPDK runtime dirs, the bridge's tap, the
 * hugepages we added, the run directory.  0 or hostsys_rmtree()'s -errno. */
static int remove_files(const struct chain_paths *p)
{
	remove_huge_mount(p);
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
	return rc;
}

static int down_dir(const struct chain_paths *p, const char *label)
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
	if (quit_functions(p))
		wait_functions_gone(needle);
	/* 2. OVS, politely. */
	ovs_down(p);
	int killed = stop_the_rest(needle);
	int rc = remove_files(p);
	int n = hostsys_find_procs(needle, pids, 64);
	if (n || rc) {
		fprintf(stderr, PROG ": %s: %d process(es) left, %s\n", label, n,
			rc ? strerror(-rc) : "directory removed");
		return 1;
	}
	printf("nfbox chain: %s is down%s\n", label,
	       killed ? " (some processes had to be killed)" : "");
	return 0;
}

int fabric_down(const char *file)
{
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
			return down_dir(&p, file);
		}
		fprintf(stderr, PROG ": cannot read %s: %s\n", file, strerror(errno));
		return 1;
	}
	return down_dir(&p, file);
}
