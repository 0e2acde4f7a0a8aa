/* SPDX-License-Identifier: MIT */
/*
 * nfbox bench TARGET [--pcap FILE] ... - the zero-loss (NDR), partial-drop
 * (PDR) and maximum receive (MRR) rates of a function's image, searched
 * as RFC 2544 / FD.io CSIT do (tools/rfc2544.h), in the set-up of
 * bench/image_tput.sh:
 *
 *   nfbox-gen (DPDK, one lcore on --gen-cpu)        the image (nfbox run --pin --cpu)
 *     net_vhost0 (server) ==frames of the pcap==> NIC 0 [function] NIC 1
 *     net_vhost1 (server) <===== counted ======== NIC 1
 *
 * A chain file (TARGET ending in .chain) is brought up with `nfbox chain
 * up` and fed by a generator inside its own OVS (tools/bench_chain.h).
 *
 * Two spinning threads (the generator, the image's vCPU) on two cores.
 * The generator replays the pcap's frames round and round at the rate a
 * trial asks for (tools/gen/nfbox_gen.c); a trial's loss is what it
 * offered minus what came back.  --trial-cmd CMD runs the same search with
 * CMD doing each trial instead (bench/chain.bench.sh: chains through OVS,
 * their generator inside the switch).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tools/bench_chain.h"
#include "tools/bench_report.h"
#include "tools/bench_trace.h"
#include "tools/cmd.h"
#include "tools/opts.h"
#include "tools/rfc2544.h"
#include "topology/hostsys.h"
#include "topology/image_find.h"

#define PROG "nfbox bench"

struct bench_args {
	const char *pcap, *config, *json_out, *plot, *csv, *trial_cmd, *machine, *loss;
	bool json, mrr_only, no_latency;
	unsigned frame_size, retries, mem, flows;
	int cpu, gen_cpu;
	unsigned duration_ms, warmup_ms, ready_ms;
};

static const char *const machines[] = {"microvm", "microvm-pcie", "q35", NULL};

static const struct opt bench_opt[] = {
	OPT_STRING("--pcap", struct bench_args, pcap, "FILE",
		   "the frames to offer, replayed round and round into port 0\n"
		   "(default: generated 64-byte UDP frames, see --frame-size, --flows)"),
	OPT_UINT("--frame-size", struct bench_args, frame_size, 64, 1518, "N",
		 "frame size with FCS: generated frames of N bytes; a pcap's\n"
		 "shorter frames padded to N (Ethernet padding)"),
	OPT_UINT("--flows", struct bench_args, flows, 1, 4096, "N", "generated frames: N UDP flows (default 1)"),
	OPT_STRING("--config", struct bench_args, config, "FILE", "the function's config (as nfbox run)"),
	OPT_CUSTOM("--duration", struct bench_args, duration_ms, opts_seconds_ms, OPTS_SECONDS_WANT, "S",
		   "seconds per trial (default 1; the NDR is confirmed over 3 S)"),
	OPT_CUSTOM("--warmup", struct bench_args, warmup_ms, opts_seconds_ms, OPTS_SECONDS_WANT, "S",
		   "seconds of full-speed traffic first, not counted (default 1)"),
	OPT_STRING("--loss", struct bench_args, loss, "PCT", "the PDR's loss in percent (default 0.5)"),
	OPT_UINT("--retries", struct bench_args, retries, 0, 10, "N",
		 "a rate fails only after 1 + N failed trials (default 2)"),
	OPT_FLAG("--mrr-only", struct bench_args, mrr_only, "warm-up and the full-speed trial only (quick)"),
	OPT_FLAG("--no-latency", struct bench_args, no_latency,
		 "skip the latency trials (an image: at 10, 50 and 90 % of\n"
		 "the NDR, one probe frame per ms timed through the target)"),
	OPT_FLAG("--json", struct bench_args, json, "the results as JSON on stdout (progress stays on stderr)"),
	OPT_STRING("--plot", struct bench_args, plot, "FILE.png", "loss vs offered load, NDR and PDR marked (gnuplot)"),
	OPT_STRING("--csv", struct bench_args, csv, "FILE", "append one row of results"),
	OPT_INT("--cpu", struct bench_args, cpu, 0, 4095, "N", "the image's core (default 1; a chain file says its own)"),
	OPT_INT("--gen-cpu", struct bench_args, gen_cpu, 0, 4095, "N",
		"the generator's core (default the other of 0 and 1)"),
	OPT_CHOICE("--machine", struct bench_args, machine, machines, "M", "QEMU machine (default microvm)"),
	OPT_UINT("--mem", struct bench_args, mem, 16, 65536, "MB", "guest memory (default 256)"),
	OPT_CUSTOM("--ready-timeout", struct bench_args, ready_ms, opts_seconds_ms, OPTS_SECONDS_WANT, "S",
		   "give up if the image forwards nothing within S (default 120)"),
	OPT_STRING("--trial-cmd", struct bench_args, trial_cmd, "CMD",
		   "no TARGET: each trial runs 'CMD RATE SECS' (RATE frames/s,\n"
		   "0: unpaced), which prints 'OFFERED RECEIVED BYTES SECS'"),
	OPT_END,
};

static const struct opts bench_opts = {
	.prog = PROG,
	.usage = "usage: nfbox bench TARGET [--pcap FILE] [--duration S] [--frame-size N] [--loss PCT]\n"
		 "                   [--json] [--plot FILE.png] [--cpu N] [--config FILE]\n"
		 "       nfbox bench --trial-cmd CMD [--duration S] [--loss PCT] [--json] ...\n\n"
		 "Boot TARGET behind a DPDK generator over vhost-user and search, as RFC 2544\n"
		 "and FD.io CSIT do, the highest rate it carries without loss (NDR), with at\n"
		 "most --loss (PDR) and what it receives at full speed (MRR).  Frames go\n"
		 "into the function's port 0 and are counted leaving port 1.  Progress\n"
		 "(each trial: offered rate and loss) on stderr; a table, or --json, on\n"
		 "stdout.  Rates are offered frames/s; Gb/s at layer 1 (frame, FCS and the\n"
		 "20 bytes of preamble and gap).  Needs root, QEMU and Debian's dpdk-dev.\n\n"
		 "TARGET: a function name (its image from $NFBOX_IMAGES, images/ next to\n"
		 "nfbox, else built now) or an image file.  The image's vCPU runs on --cpu,\n"
		 "the generator on --gen-cpu: two pollers, one per core.  Or a chain file\n"
		 "(FILE.chain, topology/README.md): brought up with 'nfbox chain up' and\n"
		 "taken down after; its generator is a DPDK pcap port of the chain's own OVS\n"
		 "feeding the first function, policed to each trial's rate, and frames are\n"
		 "counted leaving the last (the OVS PMD is generator, counter and every hop).\n\n",
	.opt = bench_opt,
	.help_col = 22,
	.epilog = "\nJSON keys: ndr, pdr, mrr ({mpps, gbps, loss_pct, secs}), ports (the image's\n"
		  "port counters at the end), points (every trial), generator_bound, trials.\n",
};

/* ---- the processes: generator and image ------------------------------------------ */

struct bench {
	const struct bench_args *a;
	char dir[64];
	pid_t gen, vm;
	FILE *gen_in, *gen_out;
	char *image;
	struct bench_chain chain;
};

static volatile sig_atomic_t interrupted;
static void on_signal(int sig) { (void)sig; interrupted = 1; }

/* Start argv with stdin/stdout as pipes to us (gen_in: its stdin). */
static pid_t spawn_piped(char *const argv[], FILE **to, FILE **from, const char *errlog)
{
	int in[2], out[2];
	if (pipe2(in, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		int e = open(errlog, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (e >= 0)
			dup2(e, 2);
		setpgid(0, 0); /* Ctrl-C reaches us; we stop it */
		execvp(argv[0], argv);
		fprintf(stderr, PROG ": cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	if (pid < 0) {
		close(in[1]);
		close(out[0]);
		return -1;
	}
	*to = fdopen(in[1], "w");
	*from = fdopen(out[0], "r");
	return pid;
}

static void stop(pid_t *pid, int sig, double grace)
{
	if (*pid <= 0)
		return;
	kill(*pid, sig);
	for (double t = 0; t < grace; t += 0.05) {
		if (waitpid(*pid, NULL, WNOHANG) == *pid) {
			*pid = 0;
			return;
		}
		hostsys_sleep_ms(50);
	}
	kill(*pid, SIGKILL);
	waitpid(*pid, NULL, 0);
	*pid = 0;
}

static void teardown(struct bench *b)
{
	if (b->gen_in) {
		fputs("quit\n", b->gen_in);
		fclose(b->gen_in);
		b->gen_in = NULL;
	}
	stop(&b->gen, SIGTERM, 3);
	if (b->gen_out) {
		fclose(b->gen_out);
		b->gen_out = NULL;
	}
	/* nfbox run types "quit": the image prints its counters, then ends. */
	stop(&b->vm, SIGTERM, 5);
}

/* nfbox-gen next to us (build/nfbox-gen), else in PATH. */
static const char *gen_exe(void)
{
	static char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s", hostsys_self_exe());
	char *slash = strrchr(path, '/');
	if (slash) {
		strcpy(slash + 1, "nfbox-gen");
		if (access(path, X_OK) == 0)
			return path;
	}
	return "nfbox-gen";
}

/* TARGET as an image file: itself, or the function's image (found or
 * built into our directory). */
static char *find_image(struct bench *b, const char *target)
{
	struct stat st;
	if (strchr(target, '/') || (stat(target, &st) == 0 && S_ISREG(st.st_mode))) {
		if (access(target, R_OK) != 0) {
			fprintf(stderr, PROG ": %s: %s\n", target, strerror(errno));
			return NULL;
		}
		return strdup(target);
	}
	char log[128];
	snprintf(log, sizeof(log), "%s/build.log", b->dir);
	return image_find(target, b->dir, log, PROG, stderr);
}

static bool exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

/* The generator first (it owns the sockets), then the image. */
static int start(struct bench *b)
{
	const struct bench_args *a = b->a;
	char cpu[16], s0[96], s1[96], fsize[16], flows[16], ready[32], errlog[96];
	snprintf(cpu, sizeof(cpu), "%d", a->gen_cpu);
	snprintf(s0, sizeof(s0), "%s/s0", b->dir);
	snprintf(s1, sizeof(s1), "%s/s1", b->dir);
	snprintf(fsize, sizeof(fsize), "%u", a->frame_size);
	snprintf(flows, sizeof(flows), "%u", a->flows);
	snprintf(ready, sizeof(ready), "%.1f", a->ready_ms / 1000.0);
	snprintf(errlog, sizeof(errlog), "%s/gen.log", b->dir);
	char *gargv[20];
	int n = 0;
	gargv[n++] = (char *)gen_exe();
	gargv[n++] = "--cpu";
	gargv[n++] = cpu;
	gargv[n++] = "--sock0";
	gargv[n++] = s0;
	gargv[n++] = "--sock1";
	gargv[n++] = s1;
	gargv[n++] = "--link-timeout";
	gargv[n++] = ready;
	if (a->frame_size) {
		gargv[n++] = "--frame-size";
		gargv[n++] = fsize;
	}
	if (a->pcap) {
		gargv[n++] = "--pcap";
		gargv[n++] = (char *)a->pcap;
	} else {
		gargv[n++] = "--udp";
		gargv[n++] = "--flows";
		gargv[n++] = flows;
	}
	gargv[n] = NULL;
	b->gen = spawn_piped(gargv, &b->gen_in, &b->gen_out, errlog);
	if (b->gen < 0 || !b->gen_in || !b->gen_out) {
		fprintf(stderr, PROG ": cannot start %s: %s\n", gargv[0], strerror(errno));
		return -1;
	}
	for (int i = 0; i < 200 && !(exists(s0) && exists(s1)); i++) {
		if (waitpid(b->gen, NULL, WNOHANG) == b->gen) {
			b->gen = 0;
			char line[512] = "";
			if (!fgets(line, sizeof(line), b->gen_out))
				snprintf(line, sizeof(line), "error it exited (log: %s)\n", errlog);
			fprintf(stderr, PROG ": the generator: %s", strncmp(line, "error ", 6) ? line : line + 6);
			hostsys_tail_file(errlog, 3, stderr);
			return -1;
		}
		hostsys_sleep_ms(50);
	}
	char vcpu[16], mem[16], n0[128], n1[128], console[96], runlog[96];
	snprintf(vcpu, sizeof(vcpu), "%d", a->cpu);
	snprintf(mem, sizeof(mem), "%u", a->mem);
	snprintf(n0, sizeof(n0), "vhost-user:%s", s0);
	snprintf(n1, sizeof(n1), "vhost-user:%s", s1);
	snprintf(console, sizeof(console), "%s/console.log", b->dir);
	snprintf(runlog, sizeof(runlog), "%s/run.log", b->dir);
	char *vargv[24];
	n = 0;
	vargv[n++] = (char *)hostsys_self_exe();
	vargv[n++] = "run";
	vargv[n++] = b->image;
	vargv[n++] = "--pin";
	vargv[n++] = vcpu;
	vargv[n++] = "--mem";
	vargv[n++] = mem;
	vargv[n++] = "--machine";
	vargv[n++] = (char *)(a->machine ? a->machine : "microvm");
	vargv[n++] = "--log";
	vargv[n++] = console;
	vargv[n++] = "--net";
	vargv[n++] = n0;
	vargv[n++] = "--net";
	vargv[n++] = n1;
	if (a->config) {
		vargv[n++] = "--config";
		vargv[n++] = (char *)a->config;
	}
	vargv[n] = NULL;
	b->vm = hostsys_spawn(vargv, "/dev/null", runlog, -1);
	if (b->vm < 0) {
		fprintf(stderr, PROG ": cannot start nfbox run\n");
		return -1;
	}
	fprintf(stderr, PROG ": waiting for %s to forward (the generator offers 10 kpps)\n", b->image);
	char line[512];
	if (!fgets(line, sizeof(line), b->gen_out) || strncmp(line, "ready ", 6) != 0) {
		if (waitpid(b->vm, NULL, WNOHANG) == b->vm) {
			b->vm = 0;
			fprintf(stderr, PROG ": the image stopped:\n");
			hostsys_tail_file(runlog, 5, stderr);
			hostsys_tail_file(console, 5, stderr);
		} else {
			fprintf(stderr, PROG ": %s", strncmp(line, "error ", 6) ? "the generator ended\n" : line + 6);
			hostsys_tail_file(console, 3, stderr);
		}
		return -1;
	}
	fprintf(stderr, PROG ": forwarding; %u frame(s) to replay\n", (unsigned)strtoul(line + 6, NULL, 10));
	return 0;
}

/* One exchange with the generator: "KIND RATE SECS" -> its trial line into
 * `line`, the trial in `t`; -1 if it stopped answering. */
static int gen_ask(struct bench *b, const char *kind, double rate, double secs, char line[512],
		   struct rfc_trial *t)
{
	if (interrupted)
		return -1;
	fprintf(b->gen_in, "%s %.3f %.3f\n", kind, rate, secs);
	fflush(b->gen_in);
	unsigned long long off, rcv, refused, bytes;
	double s;
	if (!fgets(line, 512, b->gen_out) ||
	    sscanf(line, "trial %llu %llu %llu %llu %lf", &off, &rcv, &refused, &bytes, &s) != 5) {
		fprintf(stderr, PROG ": the generator stopped answering%s\n", interrupted ? " (interrupted)" : "");
		return -1;
	}
	*t = (struct rfc_trial){.rate = rate, .secs = s, .offered = off, .received = rcv, .bytes = bytes};
	return 0;
}

static int gen_trial_fn(void *ctx, double rate, double secs, struct rfc_trial *t)
{
	char line[512];
	return gen_ask(ctx, "trial", rate, secs, line, t);
}

/* One latency trial at `rate`: the trial line, then " latency PROBES BACK
 * P50 P90 P99 MAX". */
static int gen_latency_fn(struct bench *b, double rate, double secs, struct bench_latency *l)
{
	char line[512];
	struct rfc_trial t;
	if (gen_ask(b, "latency", rate, secs, line, &t) < 0)
		return -1;
	const char *lp = strstr(line, " latency ");
	if (!lp || sscanf(lp, " latency %llu %llu %lf %lf %lf %lf", &l->probes, &l->back, &l->p50_us, &l->p90_us,
			  &l->p99_us, &l->max_us) != 6) {
		fprintf(stderr, PROG ": the generator gave no latency: %s", line);
		return -1;
	}
	l->pps = rfc_offered_pps(&t) > 0 ? rfc_offered_pps(&t) : rate;
	return 0;
}

/* Latency at 10, 50 and 90 % of the NDR (of the PDR if there is none, of
 * the MRR after --mrr-only), as CSIT reports it; how many loads measured. */
static int measure_latency(struct bench *b, const struct rfc_result *r, double secs,
			   struct bench_latency lat[BENCH_LAT_LOADS])
{
	static const double pct[BENCH_LAT_LOADS] = {10, 50, 90};
	const char *of = "NDR";
	double base = rfc_offered_pps(&r->ndr);
	if (!r->ndr.offered) {
		of = r->pdr.offered ? "PDR" : "MRR";
		base = r->pdr.offered ? rfc_offered_pps(&r->pdr) : rfc_received_pps(&r->mrr);
	}
	for (int i = 0; i < BENCH_LAT_LOADS; i++) {
		lat[i] = (struct bench_latency){.of = of, .load_pct = pct[i]};
		if (gen_latency_fn(b, base * pct[i] / 100, secs, &lat[i]) < 0)
			return i;
		fprintf(stderr, PROG ": latency at %.0f %% of %s (%.3f Mpps): %llu of %llu probes back, p50 %.1f us, "
				"p99 %.1f us\n",
			pct[i], of, lat[i].pps / 1e6, lat[i].back, lat[i].probes, lat[i].p50_us, lat[i].p99_us);
	}
	return BENCH_LAT_LOADS;
}

/* --trial-cmd: CMD RATE SECS prints "OFFERED RECEIVED BYTES SECS". */
static int cmd_trial_fn(void *ctx, double rate, double secs, struct rfc_trial *t)
{
	const char *cmd = ctx;
	if (interrupted)
		return -1;
	char *line = NULL, *out = NULL;
	if (asprintf(&line, "%s %.0f %.3f", cmd, rate, secs) < 0)
		return -1;
	char *argv[] = {"sh", "-c", line, NULL};
	int rc = hostsys_run(argv, &out, NULL);
	unsigned long long off, rcv, bytes;
	double s;
	int ok = rc == 0 && out && sscanf(out, "%llu %llu %llu %lf", &off, &rcv, &bytes, &s) == 4;
	if (!ok)
		fprintf(stderr, PROG ": trial command '%s' failed (status %d): %s", line, rc,
			out && *out ? out : "no output\n");
	else
		*t = (struct rfc_trial){.rate = rate, .secs = s, .offered = off, .received = rcv, .bytes = bytes};
	free(line);
	free(out);
	return ok ? 0 : -1;
}

static void progress(void *ctx, int k, enum rfc_phase phase, const struct rfc_trial *t)
{
	(void)ctx;
	char asked[32] = "full speed";
	if (t->rate > 0)
		snprintf(asked, sizeof(asked), "%.3f Mpps", t->rate / 1e6);
	fprintf(stderr, PROG ": trial %2d %-7s asked %-11s offered %8.3f Mpps  received %8.3f Mpps  loss %.4f %%\n",
		k, rfc_phase_name(phase), asked, rfc_offered_pps(t) / 1e6, rfc_received_pps(t) / 1e6,
		100 * rfc_loss(t));
}

/* The image's port counter lines (portN.*, its ring counters left out)
 * from the counters it printed at exit. */
static char *port_counters(const struct bench *b)
{
	char path[96];
	snprintf(path, sizeof(path), "%s/console.log", b->dir);
	size_t len;
	char *text = hostsys_read_file(path, &len);
	if (!text)
		return NULL;
	char *out = calloc(1, len + 1), *o = out;
	for (char *l = text; out && l && *l;) {
		char *e = strchr(l, '\n');
		if (e)
			*e = '\0';
		size_t n = strlen(l);
		if (n && l[n - 1] == '\r')
			l[--n] = '\0';
		if (strncmp(l, "port", 4) == 0 && strchr(l, '.') && !strstr(l, ".virtio_") && !strstr(l, ".name "))
			o += sprintf(o, "%s\n", l);
		l = e ? e + 1 : NULL;
	}
	free(text);
	return out;
}

static bool is_chain_file(const char *target)
{
	size_t n = strlen(target);
	return n > 6 && strcmp(target + n - 6, ".chain") == 0;
}

static int parse_loss(const char *s, double *ratio)
{
	char *end;
	double v = s ? strtod(s, &end) : 0.5;
	if (s && (end == s || *end || v < 0 || v >= 100)) {
		fprintf(stderr, PROG ": --loss is a percentage from 0 to below 100, not '%s'\n", s);
		return -1;
	}
	*ratio = v / 100;
	return 0;
}

static int report(const struct bench_args *a, struct bench_report *rep, const char *workdir)
{
	int rc = 0;
	if (a->json)
		bench_report_json(rep, stdout);
	else
		bench_report_table(rep, stdout);
	if (a->csv && bench_report_csv(rep, a->csv) < 0) {
		fprintf(stderr, PROG ": %s: %s\n", a->csv, strerror(errno));
		rc = 1;
	}
	if (a->plot) {
		if (bench_report_plot(rep, a->plot, workdir) < 0)
			rc = 1;
		else
			fprintf(stderr, PROG ": plot: %s\n", a->plot);
	}
	return rc;
}

static int run_bench(int argc, char **argv)
{
	struct bench_args a = {.cpu = 1, .gen_cpu = -1, .mem = 256, .flows = 1, .retries = 2,
			       .duration_ms = 1000, .warmup_ms = 1000, .ready_ms = 120000};
	int npos;
	enum opts_result r = opts_parse(&bench_opts, &a, argc, argv, &npos);
	if (r != OPTS_OK)
		return opts_status(r);
	if (a.trial_cmd ? npos != 0 : opts_one_target(PROG, npos, argv))
		return a.trial_cmd ? (fprintf(stderr, PROG ": --trial-cmd takes no TARGET\n"), 2) : 2;
	struct rfc_opts ro;
	rfc_opts_init(&ro);
	ro.duration = a.duration_ms / 1000.0;
	ro.warmup = a.warmup_ms / 1000.0;
	ro.retries = (int)a.retries;
	ro.progress = progress;
	ro.mrr_only = a.mrr_only;
	if (ro.duration <= 0) {
		fprintf(stderr, PROG ": --duration must be above 0\n");
		return 2;
	}
	if (parse_loss(a.loss, &ro.pdr_loss) < 0)
		return 2;
	if (a.gen_cpu < 0)
		a.gen_cpu = a.cpu == 0 ? 1 : 0;
	if (a.gen_cpu == a.cpu) {
		fprintf(stderr, PROG ": --gen-cpu and --cpu are both %d: two pollers on one core measure "
				"the scheduler, not the target\n", a.cpu);
		return 2;
	}
	if (a.pcap && access(a.pcap, R_OK) != 0) {
		fprintf(stderr, PROG ": %s: %s\n", a.pcap, strerror(errno));
		return 1;
	}

	struct bench b = {.a = &a};
	snprintf(b.dir, sizeof(b.dir), "/tmp/nfbox-bench.XXXXXX");
	if (!mkdtemp(b.dir)) {
		fprintf(stderr, PROG ": mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct rfc_result res = {0};
	struct bench_latency lat[BENCH_LAT_LOADS];
	int n_lat = 0;
	const char *lat_none = a.no_latency ? "not measured (--no-latency)" : NULL;
	char *chain_ports = NULL;
	char traffic[PATH_MAX + 64];
	int rc = 1, found = -1;
	if (a.trial_cmd)
		snprintf(traffic, sizeof(traffic), "trials by '%s'", a.trial_cmd);
	else if (a.pcap)
		snprintf(traffic, sizeof(traffic), "%s%s", a.pcap, a.frame_size ? " (padded)" : "");
	else
		snprintf(traffic, sizeof(traffic), "%u-byte UDP frames, %u flow(s)", a.frame_size ? a.frame_size : 64,
			 a.flows);
	if (a.trial_cmd) {
		found = rfc2544_search(&ro, cmd_trial_fn, (void *)a.trial_cmd, &res);
		lat_none = lat_none ? lat_none : "not measured: --trial-cmd trials count frames, they time none";
	} else if (is_chain_file(argv[1])) {
		char trace[96];
		double mean;
		snprintf(trace, sizeof(trace), "%s/trace.pcap", b.dir);
		if (bench_trace_write(trace, a.pcap, a.frame_size, a.flows, &mean) < 0)
			goto out;
		if (bench_chain_start(&b.chain, argv[1], trace, mean) == 0) {
			found = rfc2544_search(&ro, bench_chain_trial, &b.chain, &res);
			chain_ports = bench_chain_ports(&b.chain);
			lat_none = lat_none ? lat_none
					    : "not measured: a chain is fed by OVS's pcap port, which times no frames";
		}
		bench_chain_stop(&b.chain);
		if (!res.trials)
			goto out;
	} else {
		b.image = find_image(&b, argv[1]);
		if (!b.image || start(&b) < 0) {
			teardown(&b);
			goto out;
		}
		ro.progress_ctx = &b;
		found = rfc2544_search(&ro, gen_trial_fn, &b, &res);
		if (found >= 0 && !a.no_latency && !interrupted)
			n_lat = measure_latency(&b, &res, ro.duration, lat);
		teardown(&b);
	}
	if (found < 0 || interrupted) {
		fprintf(stderr, PROG ": the search stopped after %d trial(s)%s\n", res.trials,
			interrupted ? ": interrupted" : "");
		rc = interrupted ? 130 : 1;
		goto out;
	}
	char *ports = a.trial_cmd ? NULL : chain_ports ? chain_ports : port_counters(&b);
	struct bench_report rep = {.target = a.trial_cmd ? "trial-cmd" : argv[1], .traffic = traffic,
				   .pdr_loss = ro.pdr_loss, .mrr_only = a.mrr_only, .r = &res, .ports = ports,
				   .lat = lat, .n_lat = n_lat, .lat_none = lat_none};
	rc = report(&a, &rep, b.dir);
	free(ports);
	chain_ports = NULL;
out:
	free(chain_ports);
	free(res.points);
	free(b.image);
	hostsys_rmtree(b.dir);
	return rc;
}

static const struct nfbox_cmd bench_cmd = {
	.name = "bench",
	.summary = "NDR/PDR/MRR and latency of an image behind a DPDK generator",
	.opts = &bench_opts,
	.run = run_bench,
};
CMD_REGISTER(bench_cmd);
