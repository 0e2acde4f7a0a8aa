/* SPDX-License-Identifier: MIT */
/*
 * fwd - the baseline function: a bump in the wire.
 *
 * Ports are paired 0<->1 (and 2<->3, ...): whatever arrives on one leaves on
 * the other, untouched.  Its cost is the floor every other function is
 * measured against, so process() does nothing but the verdict and a count.
 *
 * Config: only `port N name NAME` statements; anything else is rejected.
 */
#include "config/config.h"
#include "dataplane/nf.h"
#include "dataplane/stats.h"

struct fwd {
	uint16_t n_ports;
	uint64_t forwarded[PORT_MAX]; /* by ingress port */
	uint64_t unpaired;            /* arrived on a port without a partner */
	char names[PORT_MAX][24];
};

static void *fwd_create(const struct nf_env *env)
{
	struct fwd *f = sys_alloc(sizeof(*f), SYS_CACHE_LINE);
	if (!f)
		return NULL;
	f->n_ports = env->n_ports > PORT_MAX ? PORT_MAX : env->n_ports;
	for (unsigned i = 0; i < PORT_MAX; i++)
		snprintf(f->names[i], sizeof(f->names[i]), "port%u", i);
	return f;
}

static int fwd_configure(void *st, const struct cfg *cfg, struct cfg_errors *errs)
{
	struct fwd *f = st;
	int rc = 0;
	for (uint32_t i = 0; i < cfg_stmt_count(cfg); i++) {
		struct cfg_cursor c;
		cfg_cursor_init(&c, cfg, cfg_stmt_at(cfg, i), errs);
		rc = cfg_unknown_statement(&c);
	}
	if (rc)
		return rc;
	/* Only names change; applied after the whole config was accepted. */
	for (unsigned i = 0; i < PORT_MAX; i++) {
		const char *n = cfg_port_name(cfg, i);
		if (n)
			snprintf(f->names[i], sizeof(f->names[i]), "%s", n);
	}
	return 0;
}

static void fwd_process(void *st, struct nf_batch *b, uint64_t now)
{
	struct fwd *f = st;
	(void)now;
	/* A batch comes from one port, so it has one destination. */
	uint16_t out = b->port ^ 1u;
	if (unlikely(out >= f->n_ports)) {
		f->unpaired += b->n;
		return; /* out_port stays PKT_DROP */
	}
	b->out_all = out;
	f->forwarded[b->port & (PORT_MAX - 1)] += b->n;
}

static void fwd_stats(void *st, struct stats_writer *w)
{
	struct fwd *f = st;
	stats_section(w, "fwd");
	for (unsigned i = 0; i < f->n_ports; i++) {
		char name[48];
		snprintf(name, sizeof(name), "from_%s", f->names[i]);
		stats_u64(w, name, f->forwarded[i]);
	}
	stats_u64(w, "unpaired", f->unpaired);
}

static void fwd_destroy(void *st) { sys_free(st); }

static const struct nf_ops fwd_ops = {
	.name = "fwd",
	.summary = "bump in the wire: port 0 <-> port 1, untouched",
	.create = fwd_create,
	.configure = fwd_configure,
	.process = fwd_process,
	.expire = NULL,
	.stats = fwd_stats,
	.destroy = fwd_destroy,
};
NF_REGISTER(fwd_ops);
