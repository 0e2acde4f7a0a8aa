/* SPDX-License-Identifier: MIT */
/*
 * fabric_priv.h - what the fabric_*.c files share and nobody else uses:
 * the files of one function in the run directory, starting functions.
 */
#ifndef NFB_TOPOLOGY_FABRIC_PRIV_H
#define NFB_TOPOLOGY_FABRIC_PRIV_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "topology/chain.h"

#define PROG "nfbox chain" /* the prefix of every message */

/* ---- fabric.c ---- */
/* RUNDIR/ followed by fmt with name, e.g. "%s.pid" (too long: a message). */
void fabric_path(char *buf, size_t len, const struct chain_paths *p, const char *fmt,
		 const char *name);
/* The pid of function `name` if it runs (its pid file, its command line
 * naming the run directory), else 0. */
pid_t fabric_nf_pid(const struct chain_paths *p, const char *name);
/* "ready in N us" from an image's console; -1 if not (yet) there. */
long fabric_ready_us(const struct chain_paths *p, const char *name);

/* ---- fabric_nf.c ---- */
/* Boot function i (an image) under `nfbox run`, detached.  0 or -1. */
int fabric_start_image(const struct chain *c, const struct chain_paths *p, unsigned i, FILE *msg);
/* Start the one testpmd of the chain's testpmd functions, if any.  0 or -1. */
int fabric_start_testpmd(const struct chain *c, const struct chain_paths *p, FILE *msg);

#endif
