/* SPDX-License-Identifier: MIT */
/* lb_admin.c - backends set down or up at run time (see lb_admin.h). */
#include "nf/lb/lb_admin.h"

/* A word of a command: the console's lines are at most 63 characters. */
#define LB_WORD_MAX 64

/* Rebuild the tables of the vips marked in touched[], all or none: each
 * new table is filled before any old one is let go. */
static int rebuild(struct lb_conf *lc, const bool *touched)
{
	struct lb_maglev_in *in = sys_alloc(sizeof(*in) * LB_BACKENDS_MAX, 8);
	uint16_t **nt = sys_alloc(sizeof(*nt) * LB_VIPS_MAX, 8);
	int rc = in && nt ? 0 : -SYS_ENOMEM;
	if (nt)
		memset(nt, 0, sizeof(*nt) * LB_VIPS_MAX);
	for (uint32_t v = 0; v < lc->n_vips && !rc; v++) {
		if (!touched[v])
			continue;
		nt[v] = sys_alloc((size_t)lc->vips[v].m * sizeof(uint16_t), 64);
		rc = nt[v] ? lb_conf_fill_table(lc, v, nt[v], in) : -SYS_ENOMEM;
	}
	for (uint32_t v = 0; nt && v < lc->n_vips; v++) {
		if (!nt[v])
			continue;
		if (rc) {
			sys_free(nt[v]);
			continue;
		}
		sys_free(lc->vips[v].table);
		lc->vips[v].table = nt[v];
	}
	sys_free(nt);
	sys_free(in);
	return rc;
}

/* An answer built in pieces; what does not fit is cut. */
struct answer {
	char *p;
	size_t n, len;
};

static void put(struct answer *a, const char *fmt, ...) SYS_PRINTF(2, 3);
static void put(struct answer *a, const char *fmt, ...)
{
	if (a->len + 1 >= a->n)
		return;
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(a->p + a->len, a->n - a->len, fmt, ap);
	va_end(ap);
	if (w > 0)
		a->len = SYS_MIN(a->len + (size_t)w, a->n - 1);
}

/* "10.0.1.2", "10.0.1.2:8080", "2001:db8::1", "[2001:db8::1]:8080". */
static void fmt_backend(char *buf, size_t n, uint8_t family, const union flow_addr *addr,
			uint16_t port)
{
	char a[48];
	lb_addr_format(family, addr, a, sizeof(a));
	bool br = port && family == FLOW_FAMILY_V6;
	if (port)
		snprintf(buf, n, "%s%s%s:%u", br ? "[" : "", a, br ? "]" : "", sys_be16(port));
	else
		snprintf(buf, n, "%s", a);
}

static bool is_match(const struct lb_backend *be, uint8_t family, const union flow_addr *addr,
		     uint16_t port)
{
	return lb_addr_eq(be->family, &be->addr, family, addr) && (!port || be->port == port);
}

int lb_admin_set(struct lb *l, uint8_t family, const union flow_addr *addr, uint16_t port,
		 bool down, char *ans, size_t n)
{
	struct lb_conf *lc = l->lc;
	const char *state = down ? "down" : "up";
	bool touched[LB_VIPS_MAX] = {false};
	uint32_t match = 0, changed = 0, draining = 0;
	char what[64];
	fmt_backend(what, sizeof(what), family, addr, port);
	/* Which ones change: remembered, to undo if the tables cannot be
	 * rebuilt. */
	uint16_t *chg = sys_alloc(sizeof(*chg) * LB_BE_SLOTS, 8);
	if (!chg) {
		snprintf(ans, n, "out of memory; backend %s unchanged", what);
		return -SYS_ENOMEM;
	}
	for (uint32_t i = 0; i < lc->n_be; i++) {
		struct lb_backend *be = &lc->be[i];
		if (!is_match(be, family, addr, port))
			continue;
		if (be->draining) {
			draining++;
			continue;
		}
		match++;
		if (be->down != down) {
			be->down = down;
			touched[be->vip] = true;
			chg[changed++] = (uint16_t)i;
		}
	}
	if (!match) {
		sys_free(chg);
		snprintf(ans, n, "no backend %s in the running config%s", what,
			 draining ? " (a reload removed it: it is draining)" : "");
		return -SYS_ENOENT;
	}
	if (changed && rebuild(lc, touched)) {
		for (uint32_t k = 0; k < changed; k++)
			lc->be[chg[k]].down = !down;
		sys_free(chg);
		snprintf(ans, n, "out of memory rebuilding the Maglev tables; backend %s unchanged",
			 what);
		return -SYS_ENOMEM;
	}
	l->c.backend_state_changes += changed;

	/* "backend 10.0.1.2:8080 down (vip web: was up)"; without a port, the
	 * port of each. */
	struct answer a = {.p = ans, .n = n};
	put(&a, "backend %s %s (", what, state);
	const char *sep = "";
	for (uint32_t i = 0; i < lc->n_be; i++) {
		const struct lb_backend *be = &lc->be[i];
		if (!is_match(be, family, addr, port) || be->draining)
			continue;
		bool was = false;
		for (uint32_t k = 0; k < changed && !was; k++)
			was = i == chg[k];
		put(&a, "%svip %s", sep, lc->vips[be->vip].name);
		if (!port)
			put(&a, " port %u", sys_be16(be->port));
		put(&a, ": %s", was ? (down ? "was up" : "was down") : (down ? "already down" : "already up"));
		sep = "; ";
	}
	put(&a, ")");
	/* A table is full or, with nobody to fill it, empty. */
	for (uint32_t v = 0; v < lc->n_vips; v++)
		if (touched[v] && lc->vips[v].table[0] == LB_MAGLEV_EMPTY)
			put(&a, "; vip %s has no backend up: its new connections are dropped "
				"(drop_no_backend)", lc->vips[v].name);
	sys_free(chg);
	return 0;
}

int lb_admin_carry(const struct lb_conf *old, struct lb_conf *nc)
{
	bool touched[LB_VIPS_MAX] = {false}, any = false;
	for (uint32_t i = 0; i < nc->n_be; i++) {
		struct lb_backend *nb = &nc->be[i];
		int32_t ob = lb_conf_backend_in(old, nc, i);
		if (ob >= 0 && old->be[ob].down && !old->be[ob].draining) {
			nb->down = true;
			touched[nb->vip] = any = true;
		}
	}
	return any ? rebuild(nc, touched) : 0;
}

int lb_control(void *st, const char *args, char *ans, size_t n)
{
	/* Three words; a console line is short, so are they. */
	char w[3][LB_WORD_MAX];
	unsigned nw = 0;
	for (const char *c = args; *c;) {
		const char *sp = strchr(c, ' ');
		size_t len = sp ? (size_t)(sp - c) : strlen(c);
		if (len && (nw == 3 || len >= sizeof(w[0]))) {
			nw = 4;
			break;
		}
		if (len)
			snprintf(w[nw++], sizeof(w[0]), "%.*s", (int)len, c);
		c += len + (c[len] == ' ');
	}
	if (nw != 3 || strcmp(w[0], "backend") != 0 ||
	    (strcmp(w[2], "down") != 0 && strcmp(w[2], "up") != 0)) {
		snprintf(ans, n, "want 'backend ADDR[:PORT] down|up', not '%.64s'", args);
		return -SYS_EINVAL;
	}
	struct cfg_addr ca;
	uint16_t port;
	if (!cfg_parse_addr_port(w[1], &ca, &port)) {
		snprintf(ans, n, "'%s' is no backend address: want ADDR, ADDR:PORT or [IPV6]:PORT",
			 w[1]);
		return -SYS_EINVAL;
	}
	union flow_addr addr;
	memcpy(addr.v6, ca.a, 16);
	return lb_admin_set(st, ca.family, &addr, port, w[2][0] == 'd', ans, n);
}
