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
 * rte_eth_fp_ops).  Everything else sits behind `ops`: the per-packet
 * reclaim, and cold ops for bring-up (ring sizes, the RX buffer pool) and
 * for halting an idle image (arm/disarm RX interrupts).
 *
 * Drivers that find their own devices (the image's NICs) register a
 * `struct port_driver` with PORT_DRIVER_REGISTER, the way functions register
 * with NF_REGISTER: the application probes whatever drivers were linked in,
 * so a new driver touches its own folder only (drivers/NAME/, with a
 * driver.mk naming the build flavours it belongs to).  Hosted ports (pcap,
 * in-memory) are opened by name instead and register nothing.
 */
#ifndef NFB_PORT_H
#define NFB_PORT_H

#include "nfb/pkt.h"

#define PORT_MAX 8          /* ports one main loop can drive */
#define PORT_BURST_MAX 32   /* largest burst the main loop asks for */
#define PORT_NAME_MAX 32

struct port;
struct stats_writer;

/* What arming a port's RX interrupt found (port_ops.arm_rx). */
enum port_rx_arm {
	PORT_RX_ARMED,  /* the next frame interrupts */
	PORT_RX_READY,  /* frames are waiting already: do not halt */
	PORT_RX_NO_IRQ, /* nothing now, and this port cannot interrupt */
};

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

	/* ---- cold ops; NULL where the port has no such thing ---- */
	/* Ring entries of RX and TX (the caller sizes its pool from them). */
	void (*ring_size)(const struct port *port, uint32_t *rx, uint32_t *tx);
	/* Take RX buffers from `pool` from now on and fill the RX ring. */
	void (*use_pool)(struct port *port, struct pkt_pool *pool);
	/* Whether the port can interrupt on RX at all. */
	bool (*can_interrupt)(const struct port *port);
	/* Before a halt: ask for an interrupt once `batch` frames (>= 1)
	 * wait (a driver may lower it, e.g. to what its ring can hold),
	 * re-checking the ring after (frames may have come meanwhile; READY
	 * if `batch` did); after it, disarm: under load notifications stay
	 * suppressed. */
	enum port_rx_arm (*arm_rx)(struct port *port, uint16_t batch);
	void (*disarm_rx)(struct port *port);
	/* The driver's own state into the port's stats section (ring
	 * positions, notifications: what tells a stuck ring from an idle one). */
	void (*stats)(const struct port *port, struct stats_writer *w);
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

/* ---- drivers that find their own ports ---------------------------------------- */
struct port_probe_opts {
	/* Ring entries per queue: a power of two up to 4096, at most what the
	 * device offers (0: the driver's default). */
	uint16_t queue_size;
};

struct port_driver {
	const char *name;
	/* Find the devices and bring up ports[0..ret) with ids first_id...,
	 * printing one line per port; RX rings stay empty until use_pool.
	 * Returns the count (0: none), or a negative SYS_E* for bad options. */
	int (*probe)(const struct port_probe_opts *opt, struct port *ports, uint16_t first_id,
		     int max);
	/* Optional: print what bring-up cost (register accesses, time). */
	void (*report)(void);
};

/* Registration: a pointer in section "nfb_port_drv" (cf. NF_REGISTER). */
#define PORT_DRIVER_REGISTER(drv)                                                 \
	static const struct port_driver *const port_drv_reg_##drv                 \
		__attribute__((used, section("nfb_port_drv"), aligned(sizeof(void *)))) = &drv

/* The i-th registered driver in link order, NULL past the end. */
const struct port_driver *port_driver_at(unsigned i);

/* Probe every registered driver in link order into ports[0..max): the
 * port count, or the first driver's negative error. */
int port_probe_all(const struct port_probe_opts *opt, struct port *ports, int max);
/* RX and TX ring entries summed over ports[0..n) (ports without rings: 0). */
void port_ring_entries(const struct port *ports, int n, uint32_t *rx, uint32_t *tx);
/* use_pool on every port that has it. */
void port_use_pool(struct port *ports, int n, struct pkt_pool *pool);
/* True if every port that has RX interrupts can take one, so a halt needs
 * no timer to see its frames (ports without arm_rx are not waited on). */
bool port_all_interrupt(const struct port *ports, int n);
/* Arm every port for a halt, to interrupt once `batch` frames wait on it
 * (1: the first): true if one has that many waiting already. */
bool port_arm_rx_all(struct port *ports, int n, uint16_t batch);
void port_disarm_rx_all(struct port *ports, int n);

#endif
