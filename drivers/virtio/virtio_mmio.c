/* SPDX-License-Identifier: MIT */
/*
 * virtio_mmio.c - the virtio-mmio transport, version 2 (virtio 1.1 4.2).
 * Image only.
 */
#include "drivers/virtio/virtio_transport.h"
#include "drivers/virtio/virtqueue.h"
#include "kernel/kernel.h"

/* Register layout (virtio 1.1 4.2.2). */
#define MMIO_MAGIC 0x000
#define MMIO_VERSION 0x004
#define MMIO_DEVICE_ID 0x008
#define MMIO_DEVICE_FEATURES 0x010
#define MMIO_DEVICE_FEATURES_SEL 0x014
#define MMIO_DRIVER_FEATURES 0x020
#define MMIO_DRIVER_FEATURES_SEL 0x024
#define MMIO_QUEUE_SEL 0x030
#define MMIO_QUEUE_NUM_MAX 0x034
#define MMIO_QUEUE_NUM 0x038
#define MMIO_QUEUE_READY 0x044
#define MMIO_QUEUE_NOTIFY 0x050
#define MMIO_INTERRUPT_STATUS 0x060
#define MMIO_INTERRUPT_ACK 0x064
#define MMIO_STATUS 0x070
#define MMIO_QUEUE_DESC_LOW 0x080
#define MMIO_QUEUE_DESC_HIGH 0x084
#define MMIO_QUEUE_DRIVER_LOW 0x090
#define MMIO_QUEUE_DRIVER_HIGH 0x094
#define MMIO_QUEUE_DEVICE_LOW 0x0a0
#define MMIO_QUEUE_DEVICE_HIGH 0x0a4
#define MMIO_CONFIG_GENERATION 0x0fc
#define MMIO_CONFIG 0x100

#define MMIO_MAGIC_VALUE 0x74726976u /* "virt" */
#define MMIO_WINDOW 0x200u

/* QEMU microvm (hw/i386/microvm.c): transports at 0xfeb00000 + 512 * i.
 * With ACPI and the second IOAPIC (the default): 24 slots, GSI 24 + i.
 * With ACPI and one IOAPIC: 8 slots, GSI 16 + i.  Without ACPI: 8 slots,
 * GSI 5 + i, and QEMU announces them on the command line. */
#define MICROVM_MMIO_BASE 0xfeb00000u
#define MICROVM_SLOTS_MAX 24u

/* Register accesses outside the fast path, and the TSC ticks they took
 * (every one is a VM exit to QEMU): nfbox.verbose=1 prints them. */
static struct virtio_mmio_cost cost;

static inline uint64_t cost_start(void) { return sys_rdtsc(); }
static inline void cost_end(uint64_t t0)
{
	cost.accesses++;
	cost.tsc += sys_rdtsc() - t0;
}

void virtio_mmio_cost_get(struct virtio_mmio_cost *c) { *c = cost; }

static inline uint32_t timed_r32(uintptr_t a)
{
	uint64_t t0 = cost_start();
	uint32_t v = k_mmio_r32(a);
	cost_end(t0);
	return v;
}

static inline uint32_t mmio_r32(struct virtio_dev *d, uint32_t off) { return timed_r32(d->base + off); }
static inline void mmio_w32(struct virtio_dev *d, uint32_t off, uint32_t v)
{
	uint64_t t0 = cost_start();
	k_mmio_w32(d->base + off, v);
	cost_end(t0);
}

/* virtio 1.1 4.2.2.1: writing 0 to Status resets the device; the device
 * clears InterruptStatus and every QueueReady then (4.2.2.1 device
 * requirements), nothing else (selectors and ring addresses keep whatever
 * they held, so they are always written). */
static void mmio_reset_start(struct virtio_dev *d)
{
	mmio_w32(d, MMIO_STATUS, 0);
	d->queue_sel = -1;
}

static int mmio_reset(struct virtio_dev *d)
{
	/* Before memory the device may use is freed: wait for the status to
	 * read back 0 (virtio 1.2 2.4.2: the reset is complete then). */
	mmio_reset_start(d);
	for (int i = 0; i < 1000000; i++) {
		if (mmio_r32(d, MMIO_STATUS) == 0)
			return 0;
		sys_pause();
	}
	return -SYS_EIO;
}

static uint8_t mmio_get_status(struct virtio_dev *d) { return (uint8_t)mmio_r32(d, MMIO_STATUS); }
static void mmio_set_status(struct virtio_dev *d, uint8_t s) { mmio_w32(d, MMIO_STATUS, s); }

static uint64_t mmio_get_features(struct virtio_dev *d)
{
	mmio_w32(d, MMIO_DEVICE_FEATURES_SEL, 0);
	uint64_t lo = mmio_r32(d, MMIO_DEVICE_FEATURES);
	mmio_w32(d, MMIO_DEVICE_FEATURES_SEL, 1);
	uint64_t hi = mmio_r32(d, MMIO_DEVICE_FEATURES);
	return lo | (hi << 32);
}

static void mmio_set_features(struct virtio_dev *d, uint64_t f)
{
	mmio_w32(d, MMIO_DRIVER_FEATURES_SEL, 0);
	mmio_w32(d, MMIO_DRIVER_FEATURES, (uint32_t)f);
	mmio_w32(d, MMIO_DRIVER_FEATURES_SEL, 1);
	mmio_w32(d, MMIO_DRIVER_FEATURES, (uint32_t)(f >> 32));
}

static uint32_t mmio_config_generation(struct virtio_dev *d) { return mmio_r32(d, MMIO_CONFIG_GENERATION); }

/* 4.2.2.2: 8-bit fields with 8-bit accesses, 16-bit with aligned 16-bit. */
static uint8_t mmio_config_r8(struct virtio_dev *d, uint32_t off)
{
	uint64_t t0 = cost_start();
	uint8_t v = k_mmio_r8(d->base + MMIO_CONFIG + off);
	cost_end(t0);
	return v;
}
static uint16_t mmio_config_r16(struct virtio_dev *d, uint32_t off) { return k_mmio_r16(d->base + MMIO_CONFIG + off); }

/* QueueSel is written only when it changes (4.2.2.2: it must have been
 * written before QueueNum etc. are; it is not reset with the device). */
static void mmio_select(struct virtio_dev *d, uint16_t index)
{
	if (d->queue_sel != (int32_t)index) {
		mmio_w32(d, MMIO_QUEUE_SEL, index);
		d->queue_sel = index;
	}
}

static uint16_t mmio_queue_max(struct virtio_dev *d, uint16_t index)
{
	/* 4.2.3.2 steps 1-3: select, check the queue is not in use, read the
	 * maximum.  Only called after negotiation, i.e. right after a reset,
	 * which cleared QueueReady (4.2.2.1): step 2 is known to pass. */
	mmio_select(d, index);
	uint32_t max = mmio_r32(d, MMIO_QUEUE_NUM_MAX);
	return max > 0xffffu ? 0xffffu : (uint16_t)max;
}

static void mmio_notify(struct vq *vq)
{
	/* 4.2.3.3: the queue index written to QueueNotify. */
	k_mmio_w32(vq->notify_addr, vq->index);
}

static int mmio_queue_enable(struct virtio_dev *d, struct vq *vq, bool irq)
{
	(void)irq; /* one interrupt line per device; TX stays quiet via used_event */
	/* 4.2.3.2 steps 4-7: size, the three areas, QueueReady (not read
	 * back: nothing in 4.2 lets a device refuse it). */
	mmio_select(d, vq->index);
	mmio_w32(d, MMIO_QUEUE_NUM, vq->size);
	uint64_t a = vq_desc_addr(vq);
	mmio_w32(d, MMIO_QUEUE_DESC_LOW, (uint32_t)a);
	mmio_w32(d, MMIO_QUEUE_DESC_HIGH, (uint32_t)(a >> 32));
	a = vq_avail_addr(vq);
	mmio_w32(d, MMIO_QUEUE_DRIVER_LOW, (uint32_t)a);
	mmio_w32(d, MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(a >> 32));
	a = vq_used_addr(vq);
	mmio_w32(d, MMIO_QUEUE_DEVICE_LOW, (uint32_t)a);
	mmio_w32(d, MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(a >> 32));
	mmio_w32(d, MMIO_QUEUE_READY, 1);
	vq->notify = mmio_notify;
	vq->notify_addr = d->base + MMIO_QUEUE_NOTIFY;
	/* InterruptStatus: reading it changes nothing (4.2.2). */
	vq->fence_addr = d->fence_by_exit ? d->base + MMIO_INTERRUPT_STATUS : 0;
	return 0;
}

static int mmio_irq_setup(struct virtio_dev *d)
{
	/* virtio-mmio raises a level-triggered, active-high line while
	 * InterruptStatus is non-zero (4.2.3.4). */
	return k_ioapic_route(d->gsi, d->irq_vector, true);
}

static void mmio_irq_ack(struct virtio_dev *d)
{
	/* 4.2.3.4: acknowledge what InterruptStatus shows (used buffer and/or
	 * configuration change), which drops the line. */
	uint32_t st = mmio_r32(d, MMIO_INTERRUPT_STATUS);
	if (st)
		mmio_w32(d, MMIO_INTERRUPT_ACK, st);
}

static const struct virtio_transport mmio_transport = {
	.kind = "mmio",
	.reset = mmio_reset,
	.reset_start = mmio_reset_start,
	.get_status = mmio_get_status,
	.set_status = mmio_set_status,
	.get_features = mmio_get_features,
	.set_features = mmio_set_features,
	.config_generation = mmio_config_generation,
	.config_r8 = mmio_config_r8,
	.config_r16 = mmio_config_r16,
	.queue_max = mmio_queue_max,
	.queue_enable = mmio_queue_enable,
	.irq_setup = mmio_irq_setup,
	.irq_ack = mmio_irq_ack,
};

/* ---- discovery ------------------------------------------------------------------ */

/* Check one window; returns a handle if it holds a modern device of type
 * `device_id`. */
static struct virtio_dev *mmio_try(uintptr_t base, uint32_t gsi, uint32_t device_id)
{
	if (timed_r32(base + MMIO_MAGIC) != MMIO_MAGIC_VALUE)
		return NULL;
	uint32_t id = timed_r32(base + MMIO_DEVICE_ID);
	if (id == 0 || id != device_id) /* 0: an empty slot (4.2.2) */
		return NULL;
	uint32_t version = timed_r32(base + MMIO_VERSION);
	if (version != 2) {
		sys_log("virtio-mmio@0x%lx: version %u (legacy) transport not supported; "
			"QEMU needs -global virtio-mmio.force-legacy=false\n",
			(unsigned long)base, version);
		return NULL;
	}
	struct virtio_dev *d = sys_alloc(sizeof(*d), SYS_CACHE_LINE);
	if (!d)
		return NULL;
	d->tr = &mmio_transport;
	d->device_id = id;
	d->base = base;
	d->gsi = gsi;
	d->queue_sel = -1;
	snprintf(d->name, sizeof(d->name), "mmio@%lx", (unsigned long)base);
	return d;
}

/* Parse an unsigned number: 0x-prefixed hex or decimal, with an optional
 * K/M/G suffix when `suffix`.  Returns the position after it, NULL if none. */
static const char *parse_num(const char *s, uint64_t *out, bool suffix)
{
	uint64_t v = 0;
	const char *p = s;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		p += 2;
		const char *start = p;
		for (;; p++) {
			char c = *p;
			unsigned dgt;
			if (c >= '0' && c <= '9')
				dgt = (unsigned)(c - '0');
			else if (c >= 'a' && c <= 'f')
				dgt = (unsigned)(c - 'a' + 10);
			else if (c >= 'A' && c <= 'F')
				dgt = (unsigned)(c - 'A' + 10);
			else
				break;
			v = v * 16 + dgt;
		}
		if (p == start)
			return NULL;
	} else {
		const char *start = p;
		while (*p >= '0' && *p <= '9')
			v = v * 10 + (uint64_t)(*p++ - '0');
		if (p == start)
			return NULL;
	}
	if (suffix) {
		if (*p == 'K' || *p == 'k')
			v <<= 10, p++;
		else if (*p == 'M' || *p == 'm')
			v <<= 20, p++;
		else if (*p == 'G' || *p == 'g')
			v <<= 30, p++;
	}
	*out = v;
	return p;
}

/* strstr (the image's libc has no such thing; cold path). */
static const char *find_str(const char *s, const char *key)
{
	size_t n = strlen(key);
	for (; *s; s++)
		if (strncmp(s, key, n) == 0)
			return s;
	return NULL;
}

/* `virtio_mmio.device=<size>@<base>:<irq>[:<id>]` (Linux's syntax, which
 * QEMU microvm emits).  Returns how many handles it added. */
static int mmio_from_cmdline(struct virtio_dev **out, int max, uint32_t device_id, bool *seen)
{
	static const char key[] = "virtio_mmio.device=";
	const char *s = k_cmdline();
	int n = 0;

	*seen = false;
	while (s && (s = find_str(s, key)) != NULL) {
		uint64_t size, base, irq;
		const char *p = s + sizeof(key) - 1;
		s = p;
		if (!(p = parse_num(p, &size, true)) || *p++ != '@' || !(p = parse_num(p, &base, false)) ||
		    *p++ != ':' || !(p = parse_num(p, &irq, false))) {
			sys_log("virtio-mmio: cannot parse %.40s\n", s);
			continue;
		}
		*seen = true;
		if (size < MMIO_WINDOW || k_map_mmio((uintptr_t)base, (size_t)size) < 0)
			continue;
		if (n < max) {
			struct virtio_dev *d = mmio_try((uintptr_t)base, (uint32_t)irq, device_id);
			if (d)
				out[n++] = d;
		}
	}
	return n;
}

int virtio_mmio_find(struct virtio_dev **out, int max, uint32_t device_id)
{
	bool seen;
	int n = mmio_from_cmdline(out, max, device_id, &seen);
	if (seen)
		return n;
	/* Without ACPI, QEMU microvm names every used slot on the command
	 * line: none named, none used (and no exit per slot to find out). */
	if (k_acpi_absent())
		return 0;

	/* No announcement: QEMU microvm's fixed slots.  Probe the top slot to
	 * tell 24 slots (second IOAPIC, GSI 24+) from 8 (GSI 16+). */
	if (k_map_mmio(MICROVM_MMIO_BASE, (size_t)MICROVM_SLOTS_MAX * MMIO_WINDOW) < 0)
		return 0;
	uintptr_t top = MICROVM_MMIO_BASE + (MICROVM_SLOTS_MAX - 1) * MMIO_WINDOW;
	bool wide = k_mmio_r32(top + MMIO_MAGIC) == MMIO_MAGIC_VALUE;
	uint32_t slots = wide ? MICROVM_SLOTS_MAX : 8u;
	uint32_t gsi_base = wide ? 24u : 16u;
	if (!wide && k_mmio_r32(MICROVM_MMIO_BASE + MMIO_MAGIC) != MMIO_MAGIC_VALUE)
		return 0; /* not a microvm */
	/* QEMU attaches the first -device to the highest free slot. */
	for (uint32_t i = slots; i-- > 0 && n < max;) {
		struct virtio_dev *d = mmio_try(MICROVM_MMIO_BASE + i * MMIO_WINDOW, gsi_base + i, device_id);
		if (d)
			out[n++] = d;
	}
	return n;
}
