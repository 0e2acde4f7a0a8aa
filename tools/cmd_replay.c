/* SPDX-License-Identifier: MIT */
/*
 * nfbox replay - run a function hosted over pcap files.
 *
 * Inputs of several ports are merged in timestamp order and the function's
 * clock is the timestamp of the packet being processed, so a stateful
 * function sees a request before its reply and timeouts are reproducible.
 * Packets with the same timestamp on several ports go lowest port first.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/stats.h"
#include "drivers/pcap/pcap_port.h"
#include "nf/flows.h"
#include "tools/cfgfile.h"
#include "tools/cmd.h"
#include "tools/flows_view.h"
#include "tools/opts.h"

#define REPLAY_POOL 8192
#define REPLAY_FLOWS_DEFAULT (1u << 20)

struct port_arg {
	const char *spec; /* as written: PORT=FILE */
	const char *port; /* name or number */
	const char *file;
};

struct replay_opts {
	const char *nf, *config, *stats_file, *flows_file;
	struct port_arg in[PORT_MAX], out[PORT_MAX];
	unsigned n_in, n_out;
	bool json;
	uint32_t flows;
};

static int parse_port_arg(const char *opt, const char *val, struct port_arg *pa)
{
	const char *eq = val ? strchr(val, '=') : NULL;
	if (!eq || eq == val || !eq[1]) {
		fprintf(stderr, "nfbox replay: %s needs PORT=FILE (e.g. %s 0=in.pcap), got '%s'\n",
			opt, opt, val ? val : "");
		return -1;
	}
	pa->spec = val;
	pa->port = strndup(val, (size_t)(eq - val));
	pa->file = eq + 1;
	return 0;
}

/* What the command line says, before the PORT=FILE arguments are split. */
struct replay_args {
	const char *config, *stats_file, *flows_file;
	const char *in[PORT_MAX], *out[PORT_MAX];
	int n_in, n_out;
	bool json;
	unsigned flows;
};

static const struct opt replay_opt[] = {
	OPT_STRING("--config", struct replay_args, config, "FILE",
		   "the function's config (default: empty)"),
	OPT_STRING("-c", struct replay_args, config, "FILE", NULL),
	OPT_LIST("--in", struct replay_args, in, n_in, PORT_MAX, "PORT=FILE",
		 "a pcap (Ethernet) received on PORT; repeatable"),
	OPT_LIST("--out", struct replay_args, out, n_out, PORT_MAX, "PORT=FILE",
		 "write what the function sends out of PORT; repeatable"),
	OPT_FLAG("--json", struct replay_args, json, "print counters as JSON instead of text"),
	OPT_STRING("--stats", struct replay_args, stats_file, "FILE", "also write the counters to FILE"),
	OPT_UINT("--flows", struct replay_args, flows, 1, 1l << 26, "N",
		 "flow-table capacity for stateful functions (default 1048576)"),
	OPT_OPTIONAL("--dump-flows", struct replay_args, flows_file, "FILE",
		     "after the replay, print the flow table as 'nfbox flows'\n"
		     "does (to stdout after the counters, or into FILE)"),
	OPT_END,
};

static const struct opts replay_opts_table = {
	.prog = "nfbox replay",
	.usage = "usage: nfbox replay NF [--config FILE] --in PORT=IN.pcap ... [--out PORT=OUT.pcap ...]\n"
		 "                       [--json] [--stats FILE] [--flows N] [--dump-flows[=FILE]]\n\n"
		 "Runs function NF (fwd, firewall, ...) on this machine with pcap files as its\n"
		 "ports.  PORT is a port number or a name from the config's `port N name NAME`.\n"
		 "Inputs of several ports are merged in timestamp order and the function's clock\n"
		 "is the packet timestamps, so state and timeouts behave as on the wire and the\n"
		 "output is reproducible.  Output packets keep their input timestamps.\n\n",
	.opt = replay_opt,
	.help_col = 18,
	.epilog = "\nCounters: per port, malformed packets by reason (dropped before the function\n"
		  "sees them), and the function's own.\n",
};

/* Returns 0, or the exit status after the message. */
static int parse_args(int argc, char **argv, struct replay_opts *o)
{
	struct replay_args a = {.flows = REPLAY_FLOWS_DEFAULT};
	int npos;
	enum opts_result res = opts_parse(&replay_opts_table, &a, argc, argv, &npos);
	memset(o, 0, sizeof(*o));
	if (res != OPTS_OK)
		return opts_status(res);
	if (npos == 0) {
		fprintf(stderr, "nfbox replay: which function? (try 'nfbox replay --help')\n");
		return 2;
	}
	if (npos > 1) {
		fprintf(stderr, "nfbox replay: unexpected argument '%s'\n", argv[2]);
		return 2;
	}
	o->nf = argv[1];
	o->config = a.config;
	o->stats_file = a.stats_file;
	o->flows_file = a.flows_file;
	o->json = a.json;
	o->flows = a.flows;
	for (int k = 0; k < a.n_in; k++, o->n_in++)
		if (parse_port_arg("--in", a.in[k], &o->in[k]))
			return 2;
	for (int k = 0; k < a.n_out; k++, o->n_out++)
		if (parse_port_arg("--out", a.out[k], &o->out[k]))
			return 2;
	if (!o->n_in) {
		fprintf(stderr, "nfbox replay: nothing to replay: give at least one --in PORT=FILE\n");
		return 2;
	}
	return 0;
}

/* A port is named by number or by the config's `port N name NAME`. */
static int resolve_port(const struct cfg *cfg, const struct port_arg *pa)
{
	char *end;
	long n = strtol(pa->port, &end, 10);
	if (*end == '\0' && end != pa->port) {
		if (n < 0 || n >= PORT_MAX) {
			fprintf(stderr, "nfbox replay: port %ld out of range 0-%d in '%s'\n", n,
				PORT_MAX - 1, pa->spec);
			return -1;
		}
		return (int)n;
	}
	int idx = cfg_port_by_name(cfg, pa->port);
	if (idx < 0) {
		fprintf(stderr, "nfbox replay: no port named '%s' in '%s'", pa->port, pa->spec);
		if (cfg_port_count(cfg)) {
			fprintf(stderr, " (the config names:");
			for (unsigned i = 0; i < CFG_PORT_MAX; i++)
				if (cfg_port_name(cfg, i))
					fprintf(stderr, " %s", cfg_port_name(cfg, i));
			fprintf(stderr, ")");
		}
		fprintf(stderr, "\n");
		return -1;
	}
	return idx;
}

struct replay {
	struct pkt_pool *pool;
	struct port ports[PORT_MAX];
	struct port *port_ptrs[PORT_MAX];
	struct pcapport *pp[PORT_MAX];
	uint16_t n_ports;
	struct app app;
};

/* Feed every input in global timestamp order (see the file comment). */
static uint64_t run_merged(struct replay *r)
{
	uint64_t last = 0;
	for (;;) {
		int best = -1;
		uint64_t best_ts = 0;
		for (int i = 0; i < r->n_ports; i++) {
			uint64_t ts;
			if (pcapport_next_ts(r->pp[i], &ts) && (best < 0 || ts < best_ts)) {
				best = i;
				best_ts = ts;
			}
		}
		if (best < 0)
			break;
		/* The others' earliest frame bounds this burst; on a tie the lower
		 * port number goes first. */
		uint64_t limit = UINT64_MAX;
		bool inclusive = true;
		for (int i = 0; i < r->n_ports; i++) {
			uint64_t ts;
			if (i == best || !pcapport_next_ts(r->pp[i], &ts))
				continue;
			if (ts < limit) {
				limit = ts;
				inclusive = i > best;
			}
		}
		/* Span 0: a burst holds frames of one timestamp only, so `now`
		 * is exactly each packet's capture time. */
		pcapport_set_rx_limit(r->pp[best], limit, inclusive, 0);
		for (int i = 0; i < r->n_ports; i++)
			pcapport_set_clock(r->pp[i], best_ts);
		loop_rx_port(&r->app.loop, &r->ports[best], best_ts);
		loop_flush(&r->app.loop);
		loop_timers(&r->app.loop, best_ts);
		last = best_ts;
	}
	loop_flush(&r->app.loop);
	return last;
}

/* Counters go to stdout and --stats FILE as they are written: a firewall's
 * 10,000 rules are more than any fixed buffer should hold. */
struct stats_sink {
	FILE *file;
	bool failed;
};

static void stats_out(void *ctx, const char *s, size_t n)
{
	struct stats_sink *k = ctx;
	fwrite(s, 1, n, stdout);
	if (k->file && fwrite(s, 1, n, k->file) != n)
		k->failed = true;
}

static int print_stats(struct replay *r, const struct replay_opts *o)
{
	static char buf[1 << 16];
	struct stats_sink k = {0};
	if (o->stats_file && !(k.file = fopen(o->stats_file, "w"))) {
		fprintf(stderr, "nfbox replay: cannot write %s: %s\n", o->stats_file, strerror(errno));
		return -1;
	}
	struct stats_writer w;
	stats_init_stream(&w, buf, sizeof(buf), o->json ? STATS_JSON : STATS_TEXT, stats_out, &k);
	loop_stats(&r->app.loop, &w);
	for (int i = 0; i < r->n_ports; i++)
		if (pcapport_rx_skipped(r->pp[i]))
			fprintf(stderr, "nfbox replay: port %d: %llu frames longer than %u bytes skipped\n",
				i, (unsigned long long)pcapport_rx_skipped(r->pp[i]), PKT_DATA_ROOM);
	stats_finish(&w);
	int rc = 0;
	if (k.file && (fclose(k.file) != 0 || k.failed)) {
		fprintf(stderr, "nfbox replay: cannot write %s: %s\n", o->stats_file, strerror(errno));
		rc = -1;
	}
	if (w.overflow)
		fprintf(stderr, "nfbox replay: a counter line longer than %zu bytes was cut\n", sizeof(buf));
	return rc;
}

/* The rounds of an image's flow dump, run here on the function itself,
 * through the same lines and the same table as `nfbox flows` (so a test
 * can compare the two), at the clock of the last packet. */
struct flows_sink {
	struct flows_view v;
	char *buf;
	size_t len, cap;
};

static void flows_out(void *ctx, const char *s, size_t n)
{
	struct flows_sink *k = ctx;
	if (k->len + n + 1 > k->cap) {
		size_t cap = (k->len + n + 1) * 2;
		char *nb = realloc(k->buf, cap);
		if (!nb)
			return; /* the round's lines are short: dropped, counted as bad below */
		k->buf = nb;
		k->cap = cap;
	}
	memcpy(k->buf + k->len, s, n);
	k->len += n;
	k->buf[k->len] = '\0';
}

static int dump_flows(struct replay *r, const char *file, bool json, uint64_t now)
{
	FILE *to = strcmp(file, "-") == 0 ? stdout : fopen(file, "w");
	if (!to) {
		fprintf(stderr, "nfbox replay: cannot write %s: %s\n", file, strerror(errno));
		return -1;
	}
	struct flows_sink k = {.buf = NULL};
	flows_view_init(&k.v, to, json, NULL, 0);
	const struct app *a = &r->app;
	uint64_t pos = 0;
	for (bool more = true; more;) {
		k.len = 0;
		nf_flows_round(a->nf, a->st, pos, NF_FLOWS_CHUNK, now, flows_out, &k);
		more = false;
		for (char *l = k.buf; l && *l;) {
			size_t n = strcspn(l, "\n");
			unsigned long long next;
			flows_view_line(&k.v, l, n);
			if (sscanf(l, "flows next %llu", &next) == 1) {
				pos = next;
				more = true;
			}
			l += n + (l[n] == '\n');
		}
	}
	free(k.buf);
	int rc = 0;
	if (k.v.none[0])
		fprintf(to, "%s\n", k.v.none);
	else
		flows_view_finish(&k.v);
	if (to != stdout && fclose(to) != 0) {
		fprintf(stderr, "nfbox replay: cannot write %s: %s\n", file, strerror(errno));
		rc = -1;
	}
	return rc;
}

static int replay_run(int argc, char **argv)
{
	struct replay_opts o;
	int bad = parse_args(argc, argv, &o);
	if (bad || !o.nf) {
		for (unsigned k = 0; k < o.n_in; k++)
			free((void *)o.in[k].port);
		for (unsigned k = 0; k < o.n_out; k++)
			free((void *)o.out[k].port);
		return bad;
	}
	const struct nf_ops *nf = nf_find(o.nf);
	if (!nf) {
		fprintf(stderr, "nfbox replay: unknown function '%s' (known: ", o.nf);
		cfgfile_list_functions(stderr);
		fprintf(stderr, ")\n");
		return 2;
	}
	int rc = 1;
	struct replay *r = calloc(1, sizeof(*r));
	struct cfg *cfg = NULL;
	const char *in_file[PORT_MAX] = { 0 }, *out_file[PORT_MAX] = { 0 };
	if (!r)
		goto out;

	/* The config first: port names in --in/--out come from it.  It is
	 * parsed once to learn the ports, then applied to the function. */
	if (cfgfile_parse("nfbox replay", o.config, &cfg, stderr))
		goto out;
	int max_port = 1; /* a function has at least two ports */
	for (unsigned i = 0; i < CFG_PORT_MAX; i++)
		if (cfg_port_name(cfg, i) && (int)i > max_port)
			max_port = (int)i;
	for (unsigned k = 0; k < o.n_in + o.n_out; k++) {
		bool in = k < o.n_in;
		const struct port_arg *pa = in ? &o.in[k] : &o.out[k - o.n_in];
		int idx = resolve_port(cfg, pa);
		if (idx < 0) {
			rc = 2;
			goto out;
		}
		const char **slot = in ? &in_file[idx] : &out_file[idx];
		if (*slot) {
			fprintf(stderr, "nfbox replay: port %d has two %s files ('%s' and '%s')\n", idx,
				in ? "--in" : "--out", *slot, pa->file);
			rc = 2;
			goto out;
		}
		*slot = pa->file;
		if (idx > max_port)
			max_port = idx;
	}
	r->n_ports = (uint16_t)(max_port + 1);

	r->pool = pkt_pool_create(REPLAY_POOL);
	if (!r->pool) {
		fprintf(stderr, "nfbox replay: out of memory\n");
		goto out;
	}
	for (uint16_t i = 0; i < r->n_ports; i++) {
		char err[512], name[PORT_NAME_MAX];
		const char *cname = cfg_port_name(cfg, i);
		snprintf(name, sizeof(name), "%s", cname ? cname : "");
		if (!cname)
			snprintf(name, sizeof(name), "port%u", i);
		r->pp[i] = pcapport_open(&r->ports[i], i, name, in_file[i], out_file[i], r->pool,
					 err, sizeof(err));
		if (!r->pp[i]) {
			fprintf(stderr, "nfbox replay: %s\n", err);
			goto out;
		}
		r->port_ptrs[i] = &r->ports[i];
	}

	struct nf_env env = { .pool = r->pool, .n_ports = r->n_ports, .flow_capacity = o.flows };
	int failed = cfgfile_app_init("nfbox replay", &r->app, nf, &env, r->port_ptrs, r->n_ports,
				      cfg, stderr);
	cfg = NULL; /* the app's now */
	if (failed)
		goto out;
	uint64_t last_ts = run_merged(r);
	rc = print_stats(r, &o) ? 1 : 0;
	if (o.flows_file && dump_flows(r, o.flows_file, o.json, last_ts))
		rc = 1;
out:
	if (r) {
		app_fini(&r->app);
		for (int i = 0; i < PORT_MAX; i++)
			pcapport_close(r->pp[i]);
		pkt_pool_destroy(r->pool);
		free(r);
	}
	cfg_free(cfg);
	for (unsigned k = 0; k < o.n_in; k++)
		free((void *)o.in[k].port);
	for (unsigned k = 0; k < o.n_out; k++)
		free((void *)o.out[k].port);
	return rc;
}

static const struct nfbox_cmd replay_cmd = {
	.name = "replay",
	.summary = "run a function hosted over pcap files and print its counters",
	.opts = &replay_opts_table,
	.run = replay_run,
};
CMD_REGISTER(replay_cmd);
