/* SPDX-License-Identifier: MIT */
/*
 * nat_map.h - endpoint-independent mappings (RFC 4787 REQ-1): an inside
 * endpoint (address, port or ICMP identifier, protocol class) and the
 * external address and port every session of it uses, whatever the
 * destination.
 *
 * Each mapping counts the sessions using it; the NAT takes the external
 * port from the pool when the first session opens and gives it back when
 * the last one ends (nat.c).  Open addressing with linear probing, at
 * most half full: the table has room for as many mappings as there can be
 * sessions, so adding fails only if that promise is broken.  All memory is
 * taken at creation.
 *
 * A second index finds a mapping by its external side (address index,
 * port, class): hairpinning (nat.c) needs the inside endpoint behind an
 * external port.  It holds slot numbers of the first table and follows
 * its entries when deletion shifts them.
 */
#ifndef NFB_NAT_MAP_H
#define NFB_NAT_MAP_H

#include "dataplane/flow.h"

/* The class a NAT64 mapping (IPv6 inside endpoint) is filed under: apart
 * from an IPv4 one whose address bytes happen to be the same. */
#define NAT_MAP_V6 4u

struct nat_map_ent {
	union flow_addr int_addr; /* as in a flow key: IPv4 in the first 4 bytes, the rest 0 */
	uint16_t int_port;   /* host order */
	uint8_t cls;         /* enum nat_class, | NAT_MAP_V6 for an IPv6 endpoint */
	uint8_t used;
	uint16_t ext_port;   /* host order */
	uint16_t ai;         /* the external address's index in the pool */
	uint32_t refs;       /* sessions using it (>= 1 while used) */
};

struct nat_map {
	uint32_t mask;       /* slots - 1 (both tables) */
	uint32_t n;          /* mappings */
	struct nat_map_ent *e;
	uint32_t *by_ext;    /* slot of e + 1, by external side; 0: free */
};

/* Room for `max` mappings.  0, or -SYS_ENOMEM. */
int nat_map_init(struct nat_map *m, uint32_t max);
void nat_map_fini(struct nat_map *m);
/* Forget every mapping (a reload rebuilds them from the sessions). */
void nat_map_clear(struct nat_map *m);

/* The mapping of inside endpoint addr:port (class cls), or NULL. */
struct nat_map_ent *nat_map_find(struct nat_map *m, const union flow_addr *int_addr,
				 uint16_t int_port, unsigned cls);
/* A new mapping with one reference; NULL if it exists or the table is
 * full. */
struct nat_map_ent *nat_map_add(struct nat_map *m, const union flow_addr *int_addr,
				uint16_t int_port, unsigned cls, uint32_t ai, uint16_t ext_port);
/* The mapping that owns external port ext_port (class cls) of pool
 * address `ai`, or NULL. */
struct nat_map_ent *nat_map_find_ext(struct nat_map *m, uint32_t ai, uint16_t ext_port,
				     unsigned cls);
/* Remove `e` (from nat_map_find or nat_map_add). */
void nat_map_del(struct nat_map *m, struct nat_map_ent *e);

#endif
