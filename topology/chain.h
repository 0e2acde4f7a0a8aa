/* SPDX-License-Identifier: MIT */
/*
 * chain.h - the chain model: what a chain file says (chain_file.c) and
 * where a chain's run directory is (chain_paths.c).  Prefix chain_.
 *
 * A chain file (topology/README.md) names a source, the functions in order
 * and a sink.  `nfbox chain up` wires them through a private OVS-DPDK:
 *
 *   src(ofport 1) -> f1.in  [f1]  f1.out -> f2.in  [f2]  f2.out -> ... -> snk(2)
 *
 * and the reverse path.  Function k's ports are OVS ports 10k and 10k+1
 * (NAME.0 and NAME.1, dpdkvhostuserclient; QEMU is the vhost-user server).
 * Port 0 of a function faces the source unless the chain says `reverse`.
 *
 * Everything a chain starts lives under its run directory (chain_paths):
 * OVS database, sockets and logs, hugetlbfs mount, vhost-user sockets,
 * consoles and control sockets of the images.  Every process the chain starts
 * has that directory on its command line, so `down` finds them all from
 * /proc even when the state file or a pid file is gone.
 *
 * Host side only: never linked into an image.
 */
#ifndef NFB_TOPOLOGY_CHAIN_H
#define NFB_TOPOLOGY_CHAIN_H

#include <stdbool.h>
#include <stdio.h>

#define CHAIN_MAX_NF 8
#define CHAIN_NAME_MAX 12 /* function names: OVS ports are NAME.0, NAME.1 */
#define CHAIN_OFPORT_SRC 1
#define CHAIN_OFPORT_SNK 2

enum chain_nf_kind { CHAIN_NF_IMAGE, CHAIN_NF_TESTPMD };

struct chain_nf {
	char name[CHAIN_NAME_MAX + 1];
	enum chain_nf_kind kind;
	char *image;       /* as written: a function name or a path */
	char *image_path;  /* a path (resolved when written as one), else NULL */
	char *config;      /* resolved path or NULL */
	unsigned mem;      /* MiB, 0: nfbox run's default */
	char machine[8];   /* "" (default), "microvm", "q35" */
	int cpu;           /* -1: the chain's default */
	int idle_us;       /* -1: the image's default */
	int coalesce_us;   /* -1: the image's default */
	bool reverse;      /* port 1 faces the source */
	unsigned line, col;
};

struct chain {
	char *path;        /* as given */
	char *abspath;     /* realpath() */
	char name[64];
	char *source_pcap; /* resolved, or NULL */
	char *sink_pcap;   /* as written (an output), or NULL */
	int ovs_cpu;       /* PMD and every OVS thread; default 0 */
	int nf_cpu;        /* default for functions; default 1 (0 on 1 CPU) */
	unsigned socket_mem; /* MiB of hugepages for OVS (256) */
	unsigned max_sleep_us; /* OVS pmd-maxsleep (0: always poll) */
	bool share_fair;   /* images sharing a core: no downstream-first priorities */
	struct chain_nf nf[CHAIN_MAX_NF];
	unsigned n_nf;
};

/* ---- chain_file.c: the chain file ---- */
/* Parse `path`.  Every mistake is printed to `err` as FILE:LINE:COL: message;
 * returns 0, or -1 (nothing usable).  chain_free() in both cases. */
int chain_parse(const char *path, struct chain *c, FILE *err);
void chain_free(struct chain *c);
/* OVS port numbers of function i: the one facing the source, the other. */
unsigned chain_port_in(const struct chain *c, unsigned i);
unsigned chain_port_out(const struct chain *c, unsigned i);
/* The SCHED_FIFO priority of function i's QEMU (0: an ordinary thread):
 * images that share a core rise by one per step down the chain from 0 for
 * the first, so the one nearer the sink runs first whenever it has frames
 * (fabric_nf.c). */
int chain_nf_rt(const struct chain *c, unsigned i);
/* The function port number (0/1) facing the source. */
static inline unsigned chain_nf_in(const struct chain_nf *f) { return f->reverse ? 1 : 0; }

/* ---- chain_paths.c: the run directory of a chain ---- */
struct chain_paths {
	char dir[256];     /* run directory */
	char bridge[16];   /* OVS bridge name */
	char prefix[24];   /* DPDK file prefix */
	char hash[16];
};
/* Run directory and names of a chain: $NFBOX_CHAIN_DIR (default
 * /run/nfbox/chain) / NAME-HASH, HASH from the chain file's real path. */
void chain_paths(const struct chain *c, struct chain_paths *p);
/* Same, from a chain file path without parsing it (for down/status after
 * the file changed).  -1 if the file cannot be resolved. */
int chain_paths_of_file(const char *path, struct chain_paths *p);

#endif
