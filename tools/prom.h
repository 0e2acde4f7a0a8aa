/* SPDX-License-Identifier: MIT */
/*
 * prom.h - the counters of `nfbox stats` in Prometheus' text exposition
 * format (version 0.0.4), for `nfbox metrics`.  Prefix prom_.
 *
 * A stats key "section.name value" becomes one sample; every sample has the
 * labels target (as the user named it) and function (image.function, or
 * the function's own section).  The rules, by key:
 *
 *   portN.KEY                    nfbox_port_KEY_total{port="NAME",index="N"}
 *                                (NAME from portN.name)
 *   S.drop_REASON, S.X_drop_R    nfbox_S_drops_total{reason="REASON"},
 *                                nfbox_S_X_drops_total{reason="R"}
 *   S_rules.ruleN_KEY            nfbox_S_rule_KEY_total{rule="N",at="FILE:LINE"}
 *   S_rules.default_KEY          ... {rule="default"}
 *   S_PORTNAME.KEY               nfbox_S_port_KEY_total{port="PORTNAME"}
 *                                (firewall_inside.accepted)
 *   lb_vip.VIP_KEY               nfbox_lb_vip_KEY_total{vip="VIP"}
 *   S.[NAME_]ADDR[_PORT]_KEY     nfbox_S_KEY{vip|name="NAME",address="ADDR",
 *                                port="PORT"}  (lb_backend.web_10.0.1.1_8080_
 *                                connections, nat_pool.198.51.100.1_tcp_ports_used)
 *   ..._admin up|down            nfbox_S_admin_up 1|0 (a gauge)
 *   idle.halted_ms               nfbox_idle_halted_seconds_total (base unit)
 *   anything else numeric        nfbox_S_KEY_total
 *   anything else a word         nfbox_info{key="S.KEY",value="WORD"} 1
 *
 * A key whose last word says it is a level, not a count (active, flows,
 * entries, used, now, capacity, max, rules, ...: prom.c's gauge_words) is a
 * gauge and gets no _total.  Samples of one family are written together
 * with one HELP and one TYPE line, in the order families first appeared.
 */
#ifndef NFB_TOOLS_PROM_H
#define NFB_TOOLS_PROM_H

#include <stdio.h>

struct prom_set;

struct prom_set *prom_new(void);
void prom_free(struct prom_set *s);
/* A target's counters, as ctl_stats gives them. */
void prom_add_stats(struct prom_set *s, const char *target, const char *text);
/* nfbox_up{target} (1: it answered) and how long asking it took. */
void prom_add_up(struct prom_set *s, const char *target, int up, double seconds);
/* The exposition text. */
void prom_write(const struct prom_set *s, FILE *to);

#endif
