/* SPDX-License-Identifier: MIT */
/*
 * virtqueue.h - split virtqueues (virtio 1.1 2.6), driver side.  Portable.
 *
 * Ownership of ring memory (cf. netmap's ring comments):
 *   desc[], avail->ring[], avail->idx, used_event  written by the driver only
 *   used->ring[], used->idx, avail_event           written by the device only
 * A descriptor id belongs to the driver while it is on the free stack
 * (free_ids[0..n_free)) and to the device from the moment avail->idx covers
 * the avail slot that names it until the used entry that returns it is
 * consumed (last_used moves past it).
 *
 * Indices are free running 16-bit counters (1.1 2.6.6, 2.6.8): slot =
 * idx & mask; the queue size is a power of two, so wrap-around at 65536 is
 * harmless.  Every descriptor chain here is a single descriptor (no NEXT, no
 * INDIRECT): one buffer per packet.
 *
 * Notifications, both ways, use VIRTIO_F_EVENT_IDX when negotiated:
 *   - driver -> device ("kick"): after publishing, kick only if the device's
 *     avail_event lies in the range just published (1.1 2.6.10);
 *   - device -> driver (interrupt): while polling, used_event is kept far
 *     ahead of the device so it never interrupts (vq_suppress); adaptive
 *     polling arms it before halting (vq_arm, 1.1 2.6.7): at last_used for
 *     the next entry, or `batch - 1` further on to be woken once per
 *     batch (interrupt moderation: the device notifies when used->idx
 *     passes used_event, so no notification is lost, only deferred).
 *
 * x86-64 only (sys.h): stores are not reordered with older stores, loads not
 * with older loads, so the release/acquire halves of each barrier pair need
 * only a compiler barrier; store->load needs sys_mb().
 */
#ifndef NFB_VIRTQUEUE_H
#define NFB_VIRTQUEUE_H

#include "nfb/sys.h"

/* virtio 1.1 2.6.5 */
struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};
#define VRING_DESC_F_NEXT 1u
#define VRING_DESC_F_WRITE 2u
#define VRING_DESC_F_INDIRECT 4u

/* virtio 1.1 2.6.6; used_event follows ring[size] */
struct vring_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];
};
#define VRING_AVAIL_F_NO_INTERRUPT 1u

/* virtio 1.1 2.6.8; avail_event follows ring[size] */
struct vring_used_elem {
	uint32_t id;
	uint32_t len;
};
struct vring_used {
	uint16_t flags;
	uint16_t idx;
	struct vring_used_elem ring[];
};
#define VRING_USED_F_NO_NOTIFY 1u

_Static_assert(sizeof(struct vring_desc) == 16, "virtio 1.1 2.6.5 layout");
_Static_assert(sizeof(struct vring_used_elem) == 8, "virtio 1.1 2.6.8 layout");

/* Largest queue we set up.  vq_suppress() relies on the device never being
 * more than VQ_SIZE_MAX entries ahead of the driver (see there). */
#define VQ_SIZE_MAX 4096u

struct vq;
typedef void (*vq_notify_fn)(struct vq *vq);

struct vq {
	/* --- hot: touched on every burst --- */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	void **cookie;                  /* cookie[id]: the buffer behind desc id */
	uint16_t *free_ids;             /* stack of descriptor ids we own */
	volatile uint16_t *used_event;  /* &avail->ring[size] */
	volatile uint16_t *avail_event; /* &used->ring[size] */
	uint16_t size, mask;
	uint16_t avail_idx;             /* next avail slot (shadow of avail->idx) */
	uint16_t last_used;             /* next used entry to consume */
	uint16_t kicked_idx;            /* avail_idx when we last decided on a kick */
	uint16_t fenced_idx;            /* ... when we last did after a real barrier (TCG) */
	uint16_t n_free;                /* descriptors on the free stack */
	uint16_t event_mark;            /* last_used when used_event was last moved */
	bool event_idx;                 /* VIRTIO_F_EVENT_IDX negotiated */
	bool armed;                     /* used-buffer notifications wanted */
	vq_notify_fn notify;            /* set by the transport */
	uintptr_t notify_addr;          /* where notify writes */
	uintptr_t fence_addr;           /* a register vq_arm reads as a fence, 0: none */
	/* --- cold --- */
	uint16_t index;                 /* queue number in the device */
	uint64_t kicks;                 /* notifications sent */
	uint64_t bad_used;              /* used entries naming ids we did not post */
};

/*
 * Allocate rings and bookkeeping for `size` entries (a power of two up to
 * VQ_SIZE_MAX), every descriptor free and carrying `desc_flags` (WRITE for a
 * receive queue).  Returns 0, -SYS_EINVAL or -SYS_ENOMEM.
 */
int vq_init(struct vq *vq, uint16_t index, uint16_t size, uint16_t desc_flags, bool event_idx);
/* Free the rings (the device must be reset first).  Buffers still posted are
 * the caller's to reclaim through vq->cookie before this. */
void vq_destroy(struct vq *vq);

/* Physical addresses of the three parts for the transport (identity map). */
static inline uint64_t vq_desc_addr(const struct vq *vq) { return (uint64_t)(uintptr_t)vq->desc; }
static inline uint64_t vq_avail_addr(const struct vq *vq) { return (uint64_t)(uintptr_t)vq->avail; }
static inline uint64_t vq_used_addr(const struct vq *vq) { return (uint64_t)(uintptr_t)vq->used; }

/* The device's used->idx.  Acquire: the caller issues sys_barrier() before
 * reading the entries it covers (pairs with the device's release store of
 * used->idx after writing the entries and buffers, 1.1 2.6.8.1). */
static inline uint16_t vq_used_idx(const struct vq *vq)
{
	return *(volatile const uint16_t *)&vq->used->idx;
}

/* Entries the device has returned and we have not consumed. */
static inline uint16_t vq_used_pending(const struct vq *vq)
{
	return (uint16_t)(vq_used_idx(vq) - vq->last_used);
}

/* Place descriptor `id` (already filled) in the next avail slot (1.1
 * 2.6.13.2).  Invisible to the device until vq_publish(). */
static inline void vq_push_avail(struct vq *vq, uint16_t id)
{
	vq->avail->ring[vq->avail_idx & vq->mask] = id;
	vq->avail_idx++;
}

/* 1.1 2.6.10: with EVENT_IDX, the device wants a kick when avail->idx moves
 * from `old` to `new` past `event` (event in [old, new)). */
static inline bool vq_need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

/* Kick the device if it asked to be told when avail->idx moved from old_idx
 * to new_idx (its avail_event, or without EVENT_IDX its NO_NOTIFY flag). */
static inline void vq_kick_if_asked(struct vq *vq, uint16_t new_idx, uint16_t old_idx)
{
	bool kick = vq->event_idx
		? vq_need_event(*vq->avail_event, new_idx, old_idx)
		: !(*(volatile const uint16_t *)&vq->used->flags & VRING_USED_F_NO_NOTIFY);
	if (kick) {
		vq->kicks++;
		vq->notify(vq);
	}
}

/*
 * Expose what vq_push_avail() placed and kick the device if it asked for it:
 * at most one notification per call (per burst).
 */
static inline void vq_publish(struct vq *vq)
{
	uint16_t new_idx = vq->avail_idx, old_idx = vq->kicked_idx;

	if (new_idx == old_idx)
		return;
	/* Release (1.1 2.6.13.3.1): descriptors and avail->ring[] before
	 * avail->idx.  Pairs with the device's acquire load of avail->idx
	 * before it reads the ring.  x86 keeps stores in order: compiler
	 * barrier only. */
	sys_barrier();
	*(volatile uint16_t *)&vq->avail->idx = new_idx;
	/* Store->load (1.1 2.6.13.4.1): avail->idx must be visible before we
	 * read avail_event/flags, else we could miss a kick the device asked
	 * for.  Pairs with the device's "store avail_event; mb; load
	 * avail->idx" when it re-enables notifications. */
	sys_mb();
	vq->kicked_idx = new_idx;
	vq_kick_if_asked(vq, new_idx, old_idx);
}

/*
 * vq_publish's store->load under TCG has the hole vq_arm's has (below):
 * MFENCE is no host barrier there, so a device that re-enabled kicks and
 * went to sleep may have read our old avail->idx while we read its old
 * avail_event and decided not to kick -- and every later publish starts
 * past its event, so it would never be kicked again.  A device register
 * read per publish would cost an exit per burst on the fast path; instead,
 * before we wait (a halt, a full TX ring), the kick decision for
 * everything published since the last such check is made once more after a
 * real barrier.  At worst one spurious kick; nothing under KVM.
 */
static inline void vq_kick_recheck(struct vq *vq)
{
	uint16_t new_idx = vq->avail_idx, old_idx = vq->fenced_idx;
	if (!vq->fence_addr || new_idx == old_idx)
		return;
	(void)*(volatile const uint32_t *)vq->fence_addr;
	vq->fenced_idx = new_idx;
	vq_kick_if_asked(vq, new_idx, old_idx);
}

/*
 * Keep used-buffer notifications off while polling (1.1 2.6.7.1).  With
 * EVENT_IDX the device interrupts only when its used->idx passes used_event,
 * so we park used_event half the index space ahead of last_used and move it
 * again every 0x4000 consumed entries.  The device is at most VQ_SIZE_MAX
 * entries ahead of last_used, so it never reaches the mark: under load no
 * interrupt is ever raised.  Cost: one store per 16 Ki packets.
 * Without EVENT_IDX, the NO_INTERRUPT flag (a hint the device may ignore).
 */
static inline void vq_suppress(struct vq *vq)
{
	/* No barrier: used_event is a hint.  A device that still sees the armed
	 * value sends one spurious notification, which the driver tolerates
	 * (1.1 2.6.7.1); it never loses one, since we are polling. */
	if (likely((uint16_t)(vq->last_used - vq->event_mark) < 0x4000u) && !vq->armed)
		return;
	vq->armed = false;
	vq->event_mark = vq->last_used;
	if (vq->event_idx)
		*vq->used_event = (uint16_t)(vq->last_used + 0x8000u);
	else
		*(volatile uint16_t *)&vq->avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
}

/*
 * Ask for a notification when `batch` (>= 1) more used entries than we have
 * consumed are there (1.1 2.6.7.1; without EVENT_IDX only "every entry" can
 * be asked for, so batch is 1), then re-check, closing the race with a
 * device that added them meanwhile (1.1 2.6.14 note).  Returns true if that
 * many are pending already: the caller must not wait for an interrupt that
 * may never come.  The caller keeps batch within what the device can fill
 * (posted buffers) or bounds its wait with a timer.
 */
static inline bool vq_arm(struct vq *vq, uint16_t batch)
{
	vq->armed = true;
	if (vq->event_idx) {
		*vq->used_event = (uint16_t)(vq->last_used + batch - 1);
	} else {
		*(volatile uint16_t *)&vq->avail->flags = 0;
		batch = 1;
	}
	/* Store->load: used_event before used->idx.  Pairs with the device's
	 * "store used->idx; mb; load used_event" (1.1 2.6.7.2). */
	sys_mb();
	/* QEMU's TCG with one vCPU turns MFENCE into nothing (it assumes no
	 * one else watches guest memory), but a vhost-user device does: our
	 * used_event store can still sit in the host's store buffer when we
	 * read used->idx, the device's check misses it too, and neither side
	 * notifies -- a halt with a full ring that never ends (measured: a
	 * paced stream stalled after ~3000 frames, every time).  A device
	 * register read is an exit into QEMU, which takes its big lock: a
	 * real barrier.  Only under TCG (the transport sets fence_addr),
	 * only before a halt. */
	if (vq->fence_addr)
		(void)*(volatile const uint32_t *)vq->fence_addr;
	return vq_used_pending(vq) >= batch;
}

#endif
