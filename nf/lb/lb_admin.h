/* SPDX-License-Identifier: MIT */
/*
 * lb_admin.h - a backend's admin state: set down or up at run time, with
 * no config change (`nfbox lb TARGET backend ADDR[:PORT] down|up`, on the
 * console "nf lb backend ADDR[:PORT] down|up"), and kept across reloads.
 *
 * Down: the backend leaves its vip's Maglev table - rebuilt over the
 * other backends with their weights, as if its weight were 0 - so no new
 * connection picks it, while its established connections keep going to
 * it (a connection's backend is in its flow entry, not looked up again).
 * Up: back in the table, which is then the very table it would be had the
 * backend never been down (a fill depends only on the backends in it,
 * their weights and their config order).  A vip whose backends are all
 * down drops new connections, counted as lb.drop_no_backend.
 *
 * A reload keeps a backend down if it is still configured (a vip with the
 * same address, protocol and port; the same backend address and port):
 * a config push must not silently bring back a backend an operator took
 * out.  A backend the reload removes forgets its state (it drains).
 *
 * Cold path, between bursts; the tables are rebuilt whole before they are
 * swapped in, so a failure (out of memory) changes nothing.
 */
#ifndef NFB_LB_ADMIN_H
#define NFB_LB_ADMIN_H

#include "nf/lb/lb.h"

/* Set every configured backend at addr:port (network order, IPv4 or IPv6
 * as `family` says; port 0: any port, of any vip) down or up.  A one-line answer in ans[n] says what
 * changed; 0, -SYS_ENOENT (no such backend), -SYS_ENOMEM. */
int lb_admin_set(struct lb *l, uint8_t family, const union flow_addr *addr, uint16_t port,
		 bool down, char *ans, size_t n);

/* A reload from `old` to `nc` (compiled, not yet in force): the backends
 * of nc that were down in old are down, their vips' tables rebuilt.  0 or
 * -SYS_ENOMEM (nc is then only fit to be freed). */
int lb_admin_carry(const struct lb_conf *old, struct lb_conf *nc);

/* nf_ops.control: "backend ADDR[:PORT] down|up", an IPv6 ADDR with a
 * port in brackets ([2001:db8::1]:8080). */
int lb_control(void *st, const char *args, char *ans, size_t n);

#endif
