/* SPDX-License-Identifier: MIT */
/*
 * fabric.h - a chain running on the host: bring it up, show it, replay
 * pcaps through it, take it down.  Prefix fabric_.
 *
 * The fabric of a chain is its private OVS (ovs.h), its functions (images
 * under `nfbox run`, or one shared testpmd) and the files of its run
 * directory (chain_paths() in chain.h).  Every process it starts names
 * that directory on its command line, so fabric_down() finds them all,
 * also after a crash.  Messages start with "nfbox chain: "; the return
 * values are exit statuses (0, 1: failed).
 *
 *   fabric.c         the run directory's per-function files; exec's environment
 *   fabric_nf.c      starting the functions: images and the shared testpmd
 *   fabric_up.c      up: OVS, functions, wait until ready, the layout
 *   fabric_status.c  status: daemons, functions, counters, OVS ports
 *   fabric_down.c    down: stop everything, remove every file
 *   fabric_replay.c  replay: frames in by PACKET_OUT, captured where they leave
 */
#ifndef NFB_TOPOLOGY_FABRIC_H
#define NFB_TOPOLOGY_FABRIC_H

#include <stdbool.h>

#include "topology/chain.h"

/* Start what is not running: hugepages, OVS, bridge, ports, flows, the
 * functions; wait until every image is ready and every function port is
 * up; print the layout.  Needs root; the caller has checked the functions'
 * configs (nothing is started for a bad one). */
int fabric_up(const struct chain *c);
/* Each OVS daemon, each function (ready time, counters), each OVS port;
 * 1 when anything is missing. */
int fabric_status(const struct chain *c);
/* Stop everything of the chain of chain file `file` (or, once the file is
 * gone, of run directory `file`) and remove its files. */
int fabric_down(const char *file);
/* Point OVS tools at the chain's switch (OVS_RUNDIR, DB_SOCK, ...) and set
 * NFBOX_CHAIN_RUNDIR and NFBOX_CHAIN_BRIDGE, for `nfbox chain exec`. */
void fabric_env(const struct chain *c);

struct fabric_replay_opts {
	const char *in, *in_rev;   /* pcaps sent in at the source / the sink */
	const char *out, *out_rev; /* captures kept from the sink / the source, or NULL */
	long gap_us;               /* between frames unless lockstep */
	long quiet_ms;             /* lockstep: no counter moved for this long */
	long wait_switch_s;        /* for a restarting ovs-vswitchd */
	bool lockstep;             /* send a frame once the chain is quiet */
	bool pcap_gaps;            /* also wait the pcap's own gaps */
};
/* Replay through a chain that is up; per-hop counters on stdout. */
int fabric_replay(const struct chain *c, const struct fabric_replay_opts *o);

#endif
