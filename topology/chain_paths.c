/* SPDX-License-Identifier: MIT */
/*
 * chain_paths.c - the run directory, OVS bridge name and DPDK file prefix
 * of a chain, all derived from the chain file's real path, so every command
 * (up, status, down, stats CHAINFILE:NAME) finds the same ones.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topology/chain.h"

#define RUN_BASE "/run/nfbox/chain"

static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

static void paths_from(const char *abspath, struct chain_paths *p)
{
	const char *base = getenv("NFBOX_CHAIN_DIR");
	if (!base || !*base)
		base = RUN_BASE;
	const char *file = strrchr(abspath, '/') ? strrchr(abspath, '/') + 1 : abspath;
	int stem = (int)strcspn(file, ".");
	if (stem > 24)
		stem = 24;
	uint32_t h = fnv1a(abspath);
	snprintf(p->hash, sizeof(p->hash), "%08x", h);
	if (snprintf(p->dir, sizeof(p->dir), "%s/%.*s-%08x", base, stem, file, h) >= (int)sizeof(p->dir))
		fprintf(stderr, "nfbox chain: NFBOX_CHAIN_DIR is too long\n");
	snprintf(p->bridge, sizeof(p->bridge), "nfb%08x", h);
	snprintf(p->prefix, sizeof(p->prefix), "nfbc%08x", h);
}

void chain_paths(const struct chain *c, struct chain_paths *p)
{
	paths_from(c->abspath, p);
}

int chain_paths_of_file(const char *path, struct chain_paths *p)
{
	char *abs = realpath(path, NULL);
	if (!abs)
		return -1;
	paths_from(abs, p);
	free(abs);
	return 0;
}
