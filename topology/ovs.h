/* SPDX-License-Identifier: MIT */
/*
 * ovs.h - the private Open vSwitch of a chain (ovs.c): its daemons, bridge,
 * ports, steering flows and capture ports, all in the chain's run
 * directory.  Prefix ovs_.
 */
#ifndef NFB_TOPOLOGY_OVS_H
#define NFB_TOPOLOGY_OVS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "topology/chain.h"

/* Point every OVS tool we run at the chain's run directory. */
void ovs_env(const struct chain_paths *p);
/* ovs-vsctl with the chain's database; argv ends with NULL. */
int ovs_vsctl(char **out, const char *errf, ...) __attribute__((sentinel));
/* ovsdb-server and ovs-vswitchd-dpdk of the chain, if running. */
pid_t ovs_db_pid(const struct chain_paths *p);
pid_t ovs_switch_pid(const struct chain_paths *p);
/* Start what is not running (database, switch), create bridge and ports,
 * install the steering flows.  Messages to `msg`.  0 or -1. */
int ovs_up(const struct chain *c, const struct chain_paths *p, FILE *msg);
/* Install (replace) the steering flows. */
int ovs_flows(const struct chain *c, const struct chain_paths *p, FILE *msg);
/* True if the switch holds the chain's steering flows (a restarted
 * ovs-vswitchd has none until ovs_flows() installs them again). */
bool ovs_flows_installed(const struct chain *c, const struct chain_paths *p);
/* Stop the switch and the database. */
void ovs_down(const struct chain_paths *p);
/* Capture ports: DPDK net_pcap ports `src` (OpenFlow port 1) and `snk` (2)
 * writing what leaves the chain to the given pcap files.  Removing them
 * closes (flushes) the files. */
int ovs_capture_add(const struct chain_paths *p, const char *src_out, const char *snk_out,
		    FILE *msg);
void ovs_capture_del(const struct chain_paths *p);
/* The bridge's management socket path. */
void ovs_mgmt(const struct chain_paths *p, char *buf, size_t len);

#endif
