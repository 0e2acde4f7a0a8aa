/* SPDX-License-Identifier: MIT */
/*
 * pkt.h - packet buffers and the pool they come from.
 *
 * Every buffer is PKT_BUF_SIZE bytes, aligned to that size, laid out as
 *
 *   | struct pkt (64 B) | headroom (PKT_HEADROOM) | frame data ... |
 *
 * The metadata a function reads for every packet lives in the first cache
 * line (struct pkt).  The headroom holds the virtio-net header the device
 * writes in front of the frame, and room for encapsulation.  A driver hands
 * the device `pkt_headroom_start(p)`-relative addresses, so the buffer the
 * device filled is the buffer that is transmitted: nothing is copied.
 *
 * Ownership: a buffer belongs to exactly one of: the pool, a device ring, or
 * the code holding the pointer.  Whoever holds it must free it or hand it on.
 *
 * Pools are single-threaded (one per core); no call here takes a lock.
 */
#ifndef NFB_PKT_H
#define NFB_PKT_H

#include "nfb/sys.h"

#define PKT_BUF_SIZE 2048u
#define PKT_META_SIZE 64u
#define PKT_HEADROOM 128u
/* Largest frame a buffer holds: 1856 bytes, enough for 1500 MTU + 2 tags. */
#define PKT_DATA_ROOM (PKT_BUF_SIZE - PKT_META_SIZE - PKT_HEADROOM)

/* pkt.out_port value meaning "drop this packet". */
#define PKT_DROP 0xffffu

/* l3 classes set by parsing (pkt.l3). */
enum pkt_l3 {
	PKT_L3_NONE = 0, /* not parsed yet, or an ethertype we do not interpret */
	PKT_L3_IPV4,
	PKT_L3_IPV6,
	PKT_L3_ARP,
};

/* pkt.flags */
#define PKT_F_VLAN 0x0001u      /* at least one 802.1Q/802.1ad tag */
#define PKT_F_QINQ 0x0002u      /* two tags */
#define PKT_F_FRAG 0x0004u      /* IPv4 or IPv6 fragment (any) */
#define PKT_F_FRAG_LATER 0x0008u /* a non-first fragment: no L4 header */
#define PKT_F_IPV4_OPTS 0x0010u /* IPv4 header has options */
#define PKT_F_IPV6_EXT 0x0020u  /* IPv6 extension headers present */
#define PKT_F_L4 0x0040u        /* l4_off points at a complete L4 header */
#define PKT_F_GENERATED 0x0080u /* made by a function (e.g. a TCP RST) */

struct pkt_pool;

struct pkt {
	/* --- first cache line: everything the fast path touches --- */
	uint8_t *data;          /* first byte of the frame */
	uint16_t len;           /* frame length in bytes */
	uint16_t port;          /* ingress port */
	uint16_t out_port;      /* verdict set by the function: port or PKT_DROP */
	uint16_t flags;         /* PKT_F_* */
	uint8_t l3;             /* enum pkt_l3 */
	uint8_t l4_proto;       /* IP protocol of the L4 header (after IPv6 ext) */
	uint16_t l3_off;        /* offset of the IP/ARP header from data */
	uint16_t l4_off;        /* offset of the L4 header (valid if PKT_F_L4) */
	uint16_t l3_len;        /* IP total length incl. header, as validated */
	uint32_t hash;          /* flow hash, 0 until somebody computes it */
	uint16_t vlan_tci;      /* outer tag's TCI if PKT_F_VLAN */
	uint16_t nf_mark;       /* free for the function (e.g. a rule index) */
	struct pkt_pool *pool;  /* where to return it */
	uint64_t nf_data;       /* free for the function (e.g. a flow index) */
	uint64_t rx_ts;         /* receive time (ns) if the port knows it (pcap), else 0 */
	uint8_t nf_why;         /* why the function dropped it, +1 (dataplane/capture.h) */
	uint8_t reserved[7];
} sys_cache_aligned;

_Static_assert(sizeof(struct pkt) == PKT_META_SIZE, "metadata must be one cache line");

/* First byte of the headroom: drivers put device headers just before data. */
static inline uint8_t *pkt_buf_start(struct pkt *p) { return (uint8_t *)p + PKT_META_SIZE; }
static inline uint8_t *pkt_buf_end(struct pkt *p) { return (uint8_t *)p + PKT_BUF_SIZE; }
/* Bytes available after data (for appending / for the device to write). */
static inline uint32_t pkt_tailroom(struct pkt *p) { return (uint32_t)(pkt_buf_end(p) - p->data) - p->len; }
static inline uint32_t pkt_headroom(struct pkt *p) { return (uint32_t)(p->data - pkt_buf_start(p)); }

/*
 * Grow the frame by n bytes at its front, into the headroom, or shrink it
 * by n: zero copy, for a function that adds or removes an outer header
 * (the load balancer's IPIP/GUE encapsulation; NAT64 swapping an IPv4 for
 * an IPv6 header).  Only data and len change: the new bytes are not
 * written, and the caller moves the L2 header and re-parses (l3_off,
 * l4_off... still describe the old layout).  Returns the new data, or
 * NULL (nothing changed) if the headroom is short of n, the frame would
 * pass 65535 bytes, or (pull) the frame is shorter than n.
 */
static inline uint8_t *pkt_push_front(struct pkt *p, uint32_t n)
{
	if (unlikely(pkt_headroom(p) < n || (uint32_t)p->len + n > 0xffffu))
		return (uint8_t *)0;
	p->data -= n;
	p->len = (uint16_t)(p->len + n);
	return p->data;
}
static inline uint8_t *pkt_pull_front(struct pkt *p, uint32_t n)
{
	if (unlikely(p->len < n))
		return (uint8_t *)0;
	p->data += n;
	p->len = (uint16_t)(p->len - n);
	return p->data;
}

/* Reset a buffer to empty with default headroom (used after alloc). */
static inline void pkt_reset(struct pkt *p)
{
	p->data = pkt_buf_start(p) + PKT_HEADROOM;
	p->len = 0;
	p->port = 0;
	p->out_port = PKT_DROP;
	p->flags = 0;
	p->l3 = PKT_L3_NONE;
	p->l4_proto = 0;
	p->l3_off = p->l4_off = p->l3_len = 0;
	p->hash = 0;
	p->vlan_tci = 0;
	p->nf_mark = 0;
	p->nf_data = 0;
	p->rx_ts = 0;
}

/* Header accessors.  Valid only after a successful parse. */
static inline uint8_t *pkt_l3(const struct pkt *p) { return p->data + p->l3_off; }
static inline uint8_t *pkt_l4(const struct pkt *p) { return p->data + p->l4_off; }

/* ---- pool ----------------------------------------------------------------- */

struct pkt_pool {
	struct pkt **free;      /* LIFO stack of free buffers: warm ones first */
	uint32_t n_free;
	uint32_t capacity;
	uint8_t *mem;           /* base of the buffer area (for address checks) */
	uint64_t alloc_fail;    /* allocations refused because the pool was empty */
};

/*
 * Create a pool of `count` buffers.  All memory is taken here, once; nothing
 * is allocated afterwards.  The buffers are not written (nor zeroed) until
 * they are first handed out.  Returns NULL if memory is short.
 */
struct pkt_pool *pkt_pool_create(uint32_t count);
void pkt_pool_destroy(struct pkt_pool *pool);

/* True if `p` is a buffer of this pool (debug checks, driver sanity). */
static inline bool pkt_pool_owns(const struct pkt_pool *pool, const void *p)
{
	const uint8_t *b = (const uint8_t *)p;
	return b >= pool->mem && b < pool->mem + (size_t)pool->capacity * PKT_BUF_SIZE;
}

/*
 * Take exactly n buffers or none (returns n or 0), each reset to empty and
 * marked as this pool's (a buffer's first hand-out is its set-up: the pool
 * never writes buffers at creation).  All or nothing keeps refill logic
 * simple: a driver refills a ring in bulk.
 */
static inline uint32_t pkt_alloc_bulk(struct pkt_pool *pool, struct pkt **out, uint32_t n)
{
	if (unlikely(pool->n_free < n)) {
		pool->alloc_fail++;
		return 0;
	}
	struct pkt **top = pool->free + pool->n_free - n;
	for (uint32_t i = 0; i < n; i++) {
		out[i] = top[i];
		pkt_reset(out[i]);
		out[i]->pool = pool;
	}
	pool->n_free -= n;
	return n;
}

/*
 * Take exactly n buffers or none without writing them: a receive ring takes
 * buffers whose memory only the device writes until a frame arrives, and
 * sets each up (pkt_rx_init) when it hands it on.  Not writing them at
 * refill spares a page's first touch at boot (a shadow page fault in the
 * image) and the metadata line's cache miss at refill.  A buffer taken so
 * and never set up goes back with pkt_put_bulk.
 */
static inline uint32_t pkt_take_bulk(struct pkt_pool *pool, struct pkt **out, uint32_t n)
{
	if (unlikely(pool->n_free < n)) {
		pool->alloc_fail++;
		return 0;
	}
	struct pkt **top = pool->free + pool->n_free - n;
	for (uint32_t i = 0; i < n; i++)
		out[i] = top[i];
	pool->n_free -= n;
	return n;
}

/* Set up a buffer from pkt_take_bulk as pkt_alloc_bulk would have. */
static inline void pkt_rx_init(struct pkt *p, struct pkt_pool *pool)
{
	pkt_reset(p);
	p->pool = pool;
}

/* Give buffers back to `pool` without reading them (pkt_take_bulk's). */
static inline void pkt_put_bulk(struct pkt_pool *pool, struct pkt **pkts, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		pool->free[pool->n_free++] = pkts[i];
}

static inline struct pkt *pkt_alloc(struct pkt_pool *pool)
{
	struct pkt *p;
	return pkt_alloc_bulk(pool, &p, 1) ? p : (struct pkt *)0;
}

/* Return buffers to the pool they came from (they may come from several). */
static inline void pkt_free_bulk(struct pkt **pkts, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		struct pkt_pool *pool = pkts[i]->pool;
		pool->free[pool->n_free++] = pkts[i];
	}
}

static inline void pkt_free(struct pkt *p) { pkt_free_bulk(&p, 1); }

/*
 * Replace the header of `old_len` bytes at offset `at` (an IP header: at is
 * l3_off) by room for one of `new_len` bytes, in place: the `at` bytes in
 * front of it (Ethernet and VLAN tags) move by the difference, into the
 * headroom when the header grows, and data/len follow.  The bytes after
 * the header (the payload) stay where they are: nothing else is copied.
 * A translator between IPv4 and IPv6 (nf/xlate64.h, headers 20 vs 40
 * bytes) needs this: pkt_push_front / pkt_pull_front, then the L2 header
 * moved.  The new header's bytes are left as they were (the caller saved the old
 * header and writes the new one); parsed offsets (l3_off, l4_off) are the
 * caller's to fix.  0, or -SYS_ENOSPC if the headroom is short (or
 * at + old_len is past the frame).
 */
static inline int pkt_resize_hdr(struct pkt *p, uint32_t at, uint32_t old_len, uint32_t new_len)
{
	if (at + old_len > p->len)
		return -SYS_ENOSPC;
	const uint8_t *front = p->data;
	if (new_len >= old_len ? !pkt_push_front(p, new_len - old_len)
			       : !pkt_pull_front(p, old_len - new_len))
		return -SYS_ENOSPC;
	/* Inline for NAT64's every packet: an untagged Ethernet header is a
	 * move of constant size, a few loads and stores, not a call. */
	if (at == 14)
		__builtin_memmove(p->data, front, 14);
	else
		memmove(p->data, front, at);
	return 0;
}

/* Copy `len` bytes into an empty buffer (hosted pcap input, tests, RST
 * generation).  Returns -SYS_E2BIG if it does not fit. */
int pkt_set_data(struct pkt *p, const void *bytes, uint32_t len);

#endif
