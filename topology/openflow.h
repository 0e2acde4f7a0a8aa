/* SPDX-License-Identifier: MIT */
/*
 * openflow.h - a small OpenFlow 1.0 client over a bridge's management
 * socket: inject frames through the flow table, wait for the switch to
 * catch up, read port descriptions and counters.  Prefix of_ (OpenFlow).
 */
#ifndef NFB_TOPOLOGY_OPENFLOW_H
#define NFB_TOPOLOGY_OPENFLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct of_conn;
struct of_port_stats {
	uint16_t port;
	uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes, rx_dropped, tx_dropped;
};
struct of_conn *of_open(const char *mgmt_sock, char *err, size_t errlen);
void of_close(struct of_conn *c);
/* Inject one frame as if it came in on `in_port`, through the flow table. */
int of_packet_out(struct of_conn *c, uint16_t in_port, const void *frame, size_t len);
/* Wait until the switch has handled everything sent so far. */
int of_barrier(struct of_conn *c);
/* Counters of every port; returns the count (<= max) or -1. */
int of_port_stats(struct of_conn *c, struct of_port_stats *ps, int max);
const struct of_port_stats *of_find_port(const struct of_port_stats *ps, int n, uint16_t port);
struct of_port_desc {
	uint16_t port;
	char name[17];
	bool link_up; /* link up and not administratively down */
};
/* Every port of the bridge (FEATURES_REPLY); the count (<= max) or -1. */
int of_ports(struct of_conn *c, struct of_port_desc *pd, int max);

#endif
