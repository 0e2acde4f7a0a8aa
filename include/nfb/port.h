/* SPDX-License-Identifier: MIT */
/*
 * port.h - the burst port API that virtio, pcap, in-memory and DPDK ports all
 * implement.
 *
 *   rx_burst(port, pkts, n): fills pkts[0..ret) with received buffers, which
 *       the caller now owns, each with data/len set and pkt.port = port->id.
 *       Returns 0 when nothing is waiting; never blocks.
 *   tx_burst(port, pkts, n): queues pkts[0..ret) for transmission; ownership
 *       of those passes to the port (it frees them when the device is done).
 *       pkts[ret..n) were refused (ring full) and still belong to the caller,
 *       who retries or frees them.  Never blocks.
 *
 * The two per-packet entry points are copied into struct port itself so the
 * fast path makes one indirect call per burst, never two (cf. DPDK
 * rte_eth_fp_ops).  Everything else sits behind `ops`.
 */
#ifndef NFB_PORT_H
#define NFB_PORT_H

#include "nfb/pkt.h"

#define PORT_MAX 8          /* ports one main loop can drive */
#define PORT_BURST_MAX 32   /* largest burst the main loop asks for */
#define PORT_NAME_MAX 32

struct port;

typedef uint16_t (*port_burst_fn)(struct port *port, struct pkt **pkts, uint16_t n);

struct port_ops {
	const char *kind;                       /* "virtio", "pcap", "mem", ... */
	port_burst_fn rx_burst;
	port_burst_fn tx_burst;
	/* Return completed TX buffers to their pool; called once per loop turn.
	 * May be NULL if tx_burst completes synchronously. */
	void (*reclaim)(struct port *port);
	/* Release everything; the port struct itself stays the caller's. */
	void (*close)(struct port *port);
};

struct port_stats {
	uint64_t rx_pkts, rx_bytes;
	uint64_t tx_pkts, tx_bytes;
	uint64_t tx_full;     /* packets dropped because the TX ring was full */
	uint64_t rx_nobuf;    /* RX refills that failed for lack of buffers */
	uint64_t rx_errors;   /* frames the driver rejected (bad length, ...) */
};

struct port {
	port_burst_fn rx_burst;                 /* == ops->rx_burst */
	port_burst_fn tx_burst;                 /* == ops->tx_burst */
	void *priv;                             /* the driver's state */
	uint16_t id;                            /* index in the main loop */
	uint8_t mac[6];
	const struct port_ops *ops;
	struct port_stats stats;                /* kept by the main loop/driver */
	char name[PORT_NAME_MAX];
} sys_cache_aligned;

/* Fill the fast-path pointers from ops and name the port. */
void port_init(struct port *port, const struct port_ops *ops, void *priv, uint16_t id,
	       const char *name);

#endif
