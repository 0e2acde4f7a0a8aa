/* SPDX-License-Identifier: MIT */
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
