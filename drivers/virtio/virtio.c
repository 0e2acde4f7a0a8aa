/* SPDX-License-Identifier: MIT */
/* virtio.c - device-independent initialisation steps (portable). */
#include "drivers/virtio/virtio.h"

int virtio_negotiate(struct virtio_dev *d, uint64_t accept, uint64_t require)
{
	const struct virtio_transport *tr = d->tr;

	/* virtio 1.1 3.1.1 step 1: reset (without waiting where the transport
	 * does not require it: a fresh device, the status read for
	 * FEATURES_OK below shows it took our writes). */
	if (tr->reset_start)
		tr->reset_start(d);
	else if (tr->reset(d) < 0)
		return -SYS_EIO;
	/* Steps 2-3: we noticed the device, and we know how to drive it. */
	tr->set_status(d, VIRTIO_S_ACKNOWLEDGE);
	tr->set_status(d, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER);

	/* Step 4: read the offered features, write the subset we understand. */
	d->offered = tr->get_features(d);
	if ((d->offered & require) != require) {
		virtio_fail(d);
		return -SYS_ENOTSUP;
	}
	d->features = d->offered & accept;
	tr->set_features(d, d->features);

	/* Steps 5-6: FEATURES_OK, then re-read: a device that cannot live with
	 * our subset clears it (1.1 2.2.2). */
	tr->set_status(d, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER | VIRTIO_S_FEATURES_OK);
	if (!(tr->get_status(d) & VIRTIO_S_FEATURES_OK)) {
		virtio_fail(d);
		return -SYS_EPERM;
	}
	return 0;
}

void virtio_driver_ok(struct virtio_dev *d)
{
	d->tr->set_status(d, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER | VIRTIO_S_FEATURES_OK |
				     VIRTIO_S_DRIVER_OK);
}

void virtio_fail(struct virtio_dev *d)
{
	d->tr->set_status(d, (uint8_t)(d->tr->get_status(d) | VIRTIO_S_FAILED));
}

void virtio_config_read(struct virtio_dev *d, uint32_t off, void *buf, uint32_t len)
{
	uint8_t *b = buf;
	uint32_t gen;

	/* virtio 1.1 2.4.1: a field wider than 32 bits (or several fields) is
	 * consistent only if the generation did not change while we read. */
	do {
		gen = d->tr->config_generation(d);
		for (uint32_t i = 0; i < len; i++)
			b[i] = d->tr->config_r8(d, off + i);
	} while (gen != d->tr->config_generation(d));
}
