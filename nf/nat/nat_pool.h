/* SPDX-License-Identifier: MIT */
/*
 * nat_pool.h - external addresses and the ports handed out on each.
 *
 * Every external address has its own port range and, per protocol class
 * (TCP, UDP, ICMP identifiers), a bitmap of the ports in use.  A new
 * session asks for the port its inside host used (port preservation,
 * RFC 4787 REQ-3 spirit); if that one is taken or out of range, the next
 * free port after a rotating cursor is given, so a port just released (a
 * connection in TIME_WAIT on the far side) is not reused at once.  That
 * port keeps the inside port's class (RFC 4787 REQ-3a, RFC 5382 the
 * same): a well-known port (1-1023) gets a well-known one, any other a
 * port >= 1024, and once a class is used up its sessions are refused
 * rather than given the other class's ports.  Only a range that holds no
 * port of the class at all (`ports 1024-65535` and an inside port 123)
 * hands out the range's ports: the config said well-known ports are not to
 * be used, as Linux's `--to-ports` does.  Within the class, a port of the
 * inside port's parity comes first (REQ-4, for RTP/RTCP pairs), any port
 * after.  ICMP identifiers have neither class nor parity.
 *
 * All memory is taken at creation (3 bitmaps of range/8 bytes per
 * address); alloc and release are O(range/64) at worst, O(1) usually.
 * Exhaustion is an answer (-SYS_ENOSPC), never a failure.
 */
#ifndef NFB_NAT_POOL_H
#define NFB_NAT_POOL_H

#include "nfb/sys.h"

enum nat_class { NAT_CLS_TCP, NAT_CLS_UDP, NAT_CLS_ICMP, NAT_CLS_COUNT };

/* Ports below this are the well-known class (RFC 4787 REQ-3a). */
#define NAT_PORT_WELL_KNOWN_END 1024u

struct nat_pool_addr {
	uint32_t addr;                  /* network order */
	uint16_t lo, hi;                /* port range, inclusive */
	uint32_t words;                 /* 64-bit words per bitmap */
	uint32_t used[NAT_CLS_COUNT];
	uint32_t used_wk[NAT_CLS_COUNT]; /* of those, well-known ports (< 1024) */
	uint32_t cursor[NAT_CLS_COUNT]; /* where the next search starts (offset) */
	uint64_t *bits;                 /* NAT_CLS_COUNT bitmaps of `words` */
};

struct nat_pool {
	uint32_t n;
	struct nat_pool_addr *a;
	uint32_t *by_addr;              /* indices of `a`, ascending by address */
};

/* A pool of `n` addresses (network order), address i with ports lo[i]..hi[i]
 * (1 <= lo <= hi).  NULL if memory is short. */
struct nat_pool *nat_pool_create(const uint32_t *addrs, const uint16_t *lo, const uint16_t *hi,
				 uint32_t n);
void nat_pool_free(struct nat_pool *p);

/* A port on address `ai` for class `cls`: `want` if free and in range,
 * else the next free one of want's class and, if possible, parity (see
 * above).  Returns the port (host order) or -SYS_ENOSPC. */
int32_t nat_pool_alloc(struct nat_pool *p, uint32_t ai, unsigned cls, uint16_t want);
/* Give a port back.  Releasing a free or out-of-range port is a no-op
 * (returns false) so a double release cannot corrupt the counts. */
bool nat_pool_release(struct nat_pool *p, uint32_t ai, unsigned cls, uint16_t port);
/* Mark a given port in use (re-registering sessions after a reload); false
 * if it is out of range or already taken. */
bool nat_pool_take(struct nat_pool *p, uint32_t ai, unsigned cls, uint16_t port);
/* Take `port` for a session of inside port `want` if it is free and of
 * the ports nat_pool_alloc would give it (want's class window). */
bool nat_pool_take_for(struct nat_pool *p, uint32_t ai, unsigned cls, uint16_t want, uint16_t port);
/* Index of external address `addr` (network order), or -1; O(log n). */
int32_t nat_pool_find(const struct nat_pool *p, uint32_t addr);

static inline uint32_t nat_pool_used(const struct nat_pool *p, uint32_t ai, unsigned cls)
{
	return p->a[ai].used[cls];
}
static inline uint32_t nat_pool_size(const struct nat_pool *p, uint32_t ai)
{
	return (uint32_t)p->a[ai].hi - p->a[ai].lo + 1;
}

#endif
