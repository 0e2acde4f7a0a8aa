/* SPDX-License-Identifier: MIT */
/* port.c - port set-up and the registry of drivers that probe (nfb/port.h). */
#include "nfb/port.h"

void port_init(struct port *port, const struct port_ops *ops, void *priv, uint16_t id,
	       const char *name)
{
	memset(port, 0, sizeof(*port));
	port->ops = ops;
	port->rx_burst = ops->rx_burst;
	port->tx_burst = ops->tx_burst;
	port->priv = priv;
	port->id = id;
	snprintf(port->name, sizeof(port->name), "%s", name ? name : ops->kind);
}

/* The linker defines __start_/__stop_ around the section; weak, so a
 * binary without such drivers (hosted tools) links and finds none. */
extern const struct port_driver *const __start_nfb_port_drv[] __attribute__((weak));
extern const struct port_driver *const __stop_nfb_port_drv[] __attribute__((weak));

const struct port_driver *port_driver_at(unsigned i)
{
	if (!__start_nfb_port_drv || __start_nfb_port_drv + i >= __stop_nfb_port_drv)
		return NULL;
	return __start_nfb_port_drv[i];
}

int port_probe_all(const struct port_probe_opts *opt, struct port *ports, int max)
{
	int n = 0;
	for (unsigned i = 0; port_driver_at(i) && n < max; i++) {
		int got = port_driver_at(i)->probe(opt, ports + n, (uint16_t)n, max - n);
		if (got < 0)
			return n ? n : got;
		n += got;
	}
	return n;
}

void port_ring_entries(const struct port *ports, int n, uint32_t *rx, uint32_t *tx)
{
	*rx = *tx = 0;
	for (int i = 0; i < n; i++) {
		uint32_t r = 0, t = 0;
		if (ports[i].ops->ring_size)
			ports[i].ops->ring_size(&ports[i], &r, &t);
		*rx += r;
		*tx += t;
	}
}

void port_use_pool(struct port *ports, int n, struct pkt_pool *pool)
{
	for (int i = 0; i < n; i++)
		if (ports[i].ops->use_pool)
			ports[i].ops->use_pool(&ports[i], pool);
}

bool port_all_interrupt(const struct port *ports, int n)
{
	for (int i = 0; i < n; i++)
		if (ports[i].ops->arm_rx &&
		    !(ports[i].ops->can_interrupt && ports[i].ops->can_interrupt(&ports[i])))
			return false;
	return true;
}

bool port_arm_rx_all(struct port *ports, int n, uint16_t batch)
{
	bool ready = false;
	for (int i = 0; i < n; i++)
		if (ports[i].ops->arm_rx)
			ready |= ports[i].ops->arm_rx(&ports[i], batch) == PORT_RX_READY;
	return ready;
}

void port_disarm_rx_all(struct port *ports, int n)
{
	for (int i = 0; i < n; i++)
		if (ports[i].ops->disarm_rx)
			ports[i].ops->disarm_rx(&ports[i]);
}
