/* SPDX-License-Identifier: MIT */
/*
 * fabric.c - where a chain's functions leave their traces in the run
 * directory (pid files, consoles) and the environment `nfbox chain exec`
 * runs a command in.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "topology/fabric.h"
#include "topology/fabric_priv.h"
#include "topology/hostsys.h"
#include "topology/ovs.h"

void fabric_path(char *buf, size_t len, const struct chain_paths *p, const char *fmt,
		 const char *name)
{
	char tail[128];
	snprintf(tail, sizeof(tail), fmt, name);
	if (snprintf(buf, len, "%s/%s", p->dir, tail) >= (int)len)
		fprintf(stderr, PROG ": path too long: %s/%s\n", p->dir, tail);
}

pid_t fabric_nf_pid(const struct chain_paths *p, const char *name)
{
	char f[400];
	fabric_path(f, sizeof(f), p, "%s.pid", name);
	pid_t pid = hostsys_read_pid(f);
	return pid && hostsys_pid_is(pid, p->dir) ? pid : 0;
}

long fabric_ready_us(const struct chain_paths *p, const char *name)
{
	char f[400];
	fabric_path(f, sizeof(f), p, "%s.console", name);
	char *t = hostsys_read_file(f, NULL);
	long us = -1;
	char *r = t ? strstr(t, " ready in ") : NULL;
	if (r)
		us = atol(r + 10);
	free(t);
	return us;
}

void fabric_env(const struct chain *c)
{
	struct chain_paths p;
	chain_paths(c, &p);
	ovs_env(&p);
	setenv("NFBOX_CHAIN_RUNDIR", p.dir, 1);
	setenv("NFBOX_CHAIN_BRIDGE", p.bridge, 1);
}
