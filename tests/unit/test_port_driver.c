/* SPDX-License-Identifier: MIT */
/*
 * test_port_driver.c - the port driver registry and the cold port ops
 * (nfb/port.h, dataplane/port.c): drivers registered from their own file
 * are found in link order, their ports get consecutive ids, rings are
 * summed, pools handed out, and arming for a halt reports what it found.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "nfb/port.h"

struct fake {
	uint32_t rx, tx;
	struct pkt_pool *pool;
	bool irq, waiting, armed;
	uint16_t batch; /* what the last arm asked for */
};

static struct fake fakes[4];
static unsigned n_fakes;

static uint16_t no_burst(struct port *p, struct pkt **pkts, uint16_t n)
{
	(void)p;
	(void)pkts;
	(void)n;
	return 0;
}

static void f_ring_size(const struct port *p, uint32_t *rx, uint32_t *tx)
{
	const struct fake *f = p->priv;
	*rx = f->rx;
	*tx = f->tx;
}

static void f_use_pool(struct port *p, struct pkt_pool *pool)
{
	((struct fake *)p->priv)->pool = pool;
}

static bool f_can_interrupt(const struct port *p)
{
	return ((const struct fake *)p->priv)->irq;
}

static enum port_rx_arm f_arm(struct port *p, uint16_t batch)
{
	struct fake *f = p->priv;
	f->batch = batch;
	if (f->waiting)
		return PORT_RX_READY;
	if (!f->irq)
		return PORT_RX_NO_IRQ;
	f->armed = true;
	return PORT_RX_ARMED;
}

static void f_disarm(struct port *p)
{
	((struct fake *)p->priv)->armed = false;
}

static const struct port_ops fake_ops = {
	.kind = "fake",
	.rx_burst = no_burst,
	.tx_burst = no_burst,
	.ring_size = f_ring_size,
	.use_pool = f_use_pool,
	.can_interrupt = f_can_interrupt,
	.arm_rx = f_arm,
	.disarm_rx = f_disarm,
};

/* A driver with two devices: one with 256-entry rings and interrupts, one
 * with 1024 and no interrupt line. */
static int fake_probe(const struct port_probe_opts *opt, struct port *ports, uint16_t first_id,
		      int max)
{
	int n = 0;
	uint32_t q = opt && opt->queue_size ? opt->queue_size : 256;
	for (; n < 2 && n < max; n++) {
		struct fake *f = &fakes[n_fakes++];
		*f = (struct fake){.rx = q * (uint32_t)(n + 1), .tx = q, .irq = n == 0};
		port_init(&ports[n], &fake_ops, f, (uint16_t)(first_id + n), NULL);
	}
	return n;
}

static const struct port_driver fake_driver = {.name = "fake", .probe = fake_probe};
PORT_DRIVER_REGISTER(fake_driver);

/* A port without cold ops (like a pcap port) among them. */
static const struct port_ops plain_ops = {.kind = "plain", .rx_burst = no_burst,
					  .tx_burst = no_burst};

static void test_registered_driver_is_probed(void **state)
{
	(void)state;
	n_fakes = 0;
	assert_non_null(port_driver_at(0));
	assert_string_equal(port_driver_at(0)->name, "fake");
	assert_null(port_driver_at(1));
	struct port ports[PORT_MAX];
	struct port_probe_opts po = {.queue_size = 512};
	assert_int_equal(port_probe_all(&po, ports, PORT_MAX), 2);
	assert_int_equal(ports[0].id, 0);
	assert_int_equal(ports[1].id, 1);
	assert_int_equal(fakes[0].rx, 512);
	/* Room for one: the driver is told. */
	n_fakes = 0;
	assert_int_equal(port_probe_all(NULL, ports, 1), 1);
}

static void test_cold_ops_over_mixed_ports(void **state)
{
	(void)state;
	n_fakes = 0;
	struct port ports[3];
	assert_int_equal(port_probe_all(NULL, ports, 2), 2);
	port_init(&ports[2], &plain_ops, NULL, 2, "plain");
	uint32_t rx, tx;
	port_ring_entries(ports, 3, &rx, &tx);
	assert_int_equal(rx, 256 + 512);
	assert_int_equal(tx, 512);
	struct pkt_pool *pool = (struct pkt_pool *)&rx; /* only passed along */
	port_use_pool(ports, 3, pool);
	assert_ptr_equal(fakes[0].pool, pool);
	assert_ptr_equal(fakes[1].pool, pool);
	/* Port 1 cannot interrupt: a halt needs a timer. */
	assert_false(port_all_interrupt(ports, 3));
	assert_true(port_all_interrupt(ports, 1));
	assert_true(port_all_interrupt(&ports[2], 1)); /* nothing to wait on */
	/* Nothing waiting: armed where possible, no halt veto. */
	assert_false(port_arm_rx_all(ports, 3, 64));
	assert_true(fakes[0].armed);
	assert_int_equal(fakes[0].batch, 64); /* the batch reaches every driver */
	port_disarm_rx_all(ports, 3);
	assert_false(fakes[0].armed);
	/* A frame waiting on the no-irq port vetoes the halt. */
	fakes[1].waiting = true;
	assert_true(port_arm_rx_all(ports, 3, 1));
	port_disarm_rx_all(ports, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registered_driver_is_probed),
		cmocka_unit_test(test_cold_ops_over_mixed_ports),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
