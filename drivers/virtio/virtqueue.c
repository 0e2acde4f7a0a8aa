/* SPDX-License-Identifier: MIT */
/* virtqueue.c - split virtqueue set-up and tear-down (portable). */
#include "drivers/virtio/virtqueue.h"

int vq_init(struct vq *vq, uint16_t index, uint16_t size, uint16_t desc_flags, bool event_idx)
{
	memset(vq, 0, sizeof(*vq));
	if (size == 0 || (size & (size - 1)) != 0 || size > VQ_SIZE_MAX)
		return -SYS_EINVAL;

	/* Alignment per 1.1 2.6 (16, 2, 4); we use 4 KiB for the rings so the
	 * driver-written avail ring and the device-written used ring never
	 * share a cache line. */
	size_t desc_sz = (size_t)size * sizeof(struct vring_desc);
	size_t avail_sz = sizeof(struct vring_avail) + (size_t)(size + 1) * sizeof(uint16_t);
	size_t used_sz = sizeof(struct vring_used) + (size_t)size * sizeof(struct vring_used_elem) +
			 sizeof(uint16_t);

	vq->desc = sys_alloc(desc_sz, 4096);
	vq->avail = sys_alloc(avail_sz, 4096);
	vq->used = sys_alloc(used_sz, 4096);
	vq->cookie = sys_alloc((size_t)size * sizeof(void *), SYS_CACHE_LINE);
	vq->free_ids = sys_alloc((size_t)size * sizeof(uint16_t), SYS_CACHE_LINE);
	if (!vq->desc || !vq->avail || !vq->used || !vq->cookie || !vq->free_ids) {
		vq_destroy(vq);
		return -SYS_ENOMEM;
	}

	vq->index = index;
	vq->size = size;
	vq->mask = (uint16_t)(size - 1);
	vq->event_idx = event_idx;
	vq->used_event = &vq->avail->ring[size];
	vq->avail_event = (volatile uint16_t *)&vq->used->ring[size];
	/* Single-descriptor chains: flags never change after this. */
	for (uint16_t i = 0; i < size; i++) {
		vq->desc[i].flags = desc_flags;
		/* Stack with id 0 on top: the device sees ids 0, 1, 2... first. */
		vq->free_ids[i] = (uint16_t)(size - 1 - i);
	}
	vq->n_free = size;
	/* Start with device notifications suppressed (sys_alloc zeroed the
	 * rings; 1.1 2.6.10.1: used->flags starts at 0). */
	vq->armed = true;
	vq_suppress(vq);
	return 0;
}

void vq_destroy(struct vq *vq)
{
	sys_free(vq->desc);
	sys_free(vq->avail);
	sys_free(vq->used);
	sys_free(vq->cookie);
	sys_free(vq->free_ids);
	memset(vq, 0, sizeof(*vq));
}
