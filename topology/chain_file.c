/* SPDX-License-Identifier: MIT */
/*
 * chain_file.c - the chain file parser (chain_parse): one statement per
 * line, words separated by blanks, "quoted words" for paths with blanks,
 * # comments.
 *
 *   chain NAME
 *   ovs [cpu N] [socket-mem MB] [max-sleep US]
 *   source pcap [FILE]
 *   nf NAME image FUNCTION|PATH [config FILE] [mem MB] [machine microvm|q35]
 *                              [cpu N] [idle-us N] [coalesce-us N] [reverse]
 *   nf NAME testpmd [cpu N]
 *   sink pcap [FILE]
 *
 * Functions are chained in the order written.  Relative paths are looked up
 * in the current directory first, then next to the chain file and in the
 * directories above it.  Every
 * mistake is reported, each as FILE:LINE:COL: message, and a file with any
 * mistake is rejected whole.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dataplane/nf.h"
#include "tools/cfgfile.h"
#include "topology/chain.h"

#define MAX_WORDS 32

struct word {
	char *s;
	unsigned col;
};

struct pstate {
	const char *file;
	char *dir;   /* the chain file's directory */
	FILE *err;
	unsigned line;
	unsigned errors;
};

static void perr(struct pstate *ps, unsigned col, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void perr(struct pstate *ps, unsigned col, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(ps->err, "%s:%u:%u: ", ps->file, ps->line, col);
	vfprintf(ps->err, fmt, ap);
	fputc('\n', ps->err);
	va_end(ap);
	ps->errors++;
}

/* Split a line into words; returns the count or -1 (error printed). */
static int split(struct pstate *ps, const char *line, struct word *w)
{
	int n = 0;
	const char *p = line;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (!*p || *p == '#' || *p == '\n')
			return n;
		if (n == MAX_WORDS) {
			perr(ps, (unsigned)(p - line) + 1, "too many words on one line (at most %d)", MAX_WORDS);
			goto fail;
		}
		unsigned col = (unsigned)(p - line) + 1;
		char *buf = malloc(strlen(p) + 1), *o = buf;
		if (*p == '"') {
			p++;
			while (*p && *p != '"' && *p != '\n') {
				if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
					p++;
				*o++ = *p++;
			}
			if (*p != '"') {
				perr(ps, col, "unterminated quoted word");
				free(buf);
				goto fail;
			}
			p++;
		} else {
			while (*p && !strchr(" \t\r\n#", *p))
				*o++ = *p++;
		}
		*o = '\0';
		w[n].s = buf;
		w[n].col = col;
		n++;
	}
fail:
	while (n > 0)
		free(w[--n].s);
	return -1;
}

/* A path as written, resolved: as given when it exists (relative to the
 * current directory), else next to the chain file or in a directory above
 * it (so "config/x.conf" names the tree's file from anywhere).  NULL if
 * none has it. */
static char *resolve(struct pstate *ps, const char *path)
{
	if (access(path, F_OK) == 0)
		return realpath(path, NULL);
	if (path[0] == '/')
		return NULL;
	char *dir = strdup(ps->dir);
	for (;;) {
		char *alt;
		if (asprintf(&alt, "%s/%s", dir, path) < 0)
			break;
		if (access(alt, F_OK) == 0) {
			char *r = realpath(alt, NULL);
			free(alt);
			free(dir);
			return r;
		}
		free(alt);
		char *slash = strrchr(dir, '/');
		if (!slash || slash == dir)
			break;
		*slash = '\0';
	}
	free(dir);
	return NULL;
}

static char *need_file(struct pstate *ps, const struct word *w, const char *what)
{
	char *r = resolve(ps, w->s);
	if (!r)
		perr(ps, w->col, "%s '%s' not found (looked in the current directory, in %s and above)", what,
		     w->s, ps->dir);
	return r;
}

static bool parse_uint(struct pstate *ps, const struct word *w, const char *what, unsigned long lo,
		       unsigned long hi, unsigned long *v)
{
	char *end;
	errno = 0;
	unsigned long x = strtoul(w->s, &end, 10);
	if (!isdigit((unsigned char)w->s[0]) || *end || errno || x < lo || x > hi) {
		perr(ps, w->col, "%s must be a number from %lu to %lu, not '%s'", what, lo, hi, w->s);
		return false;
	}
	*v = x;
	return true;
}

static bool valid_name(const char *s)
{
	if (!isalpha((unsigned char)s[0]) || strlen(s) > CHAIN_NAME_MAX)
		return false;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
			return false;
	return true;
}

static void stmt_ovs(struct pstate *ps, struct chain *c, struct word *w, int n)
{
	for (int i = 1; i < n; i++) {
		unsigned long v;
		if (i + 1 >= n) {
			perr(ps, w[i].col, "'%s' needs a value", w[i].s);
			return;
		}
		if (strcmp(w[i].s, "cpu") == 0) {
			if (parse_uint(ps, &w[i + 1], "cpu", 0, CPU_SETSIZE - 1, &v))
				c->ovs_cpu = (int)v;
		} else if (strcmp(w[i].s, "socket-mem") == 0) {
			if (parse_uint(ps, &w[i + 1], "socket-mem (MiB)", 64, 65536, &v))
				c->socket_mem = (unsigned)v;
		} else if (strcmp(w[i].s, "max-sleep") == 0) {
			if (parse_uint(ps, &w[i + 1], "max-sleep (us)", 0, 10000, &v))
				c->max_sleep_us = (unsigned)v;
		} else {
			perr(ps, w[i].col, "unknown ovs option '%s' (cpu, socket-mem, max-sleep)", w[i].s);
			return;
		}
		i++;
	}
}

static void stmt_end(struct pstate *ps, struct chain *c, struct word *w, int n, bool source,
		     bool *seen)
{
	const char *kw = source ? "source" : "sink";
	if (*seen) {
		perr(ps, w[0].col, "a second '%s' (a chain has one)", kw);
		return;
	}
	*seen = true;
	if (source && c->n_nf > 0) {
		perr(ps, w[0].col, "'source' comes before the first 'nf'");
		return;
	}
	if (n < 2) {
		perr(ps, w[0].col, "'%s' needs a kind: pcap", kw);
		return;
	}
	if (strcmp(w[1].s, "pcap") != 0) {
		perr(ps, w[1].col, "unknown %s kind '%s' (pcap)", kw, w[1].s);
		return;
	}
	if (n > 3) {
		perr(ps, w[3].col, "'%s pcap' takes one file, '%s' is extra", kw, w[3].s);
		return;
	}
	if (n == 3) {
		if (source)
			c->source_pcap = need_file(ps, &w[2], "pcap");
		else
			c->sink_pcap = strdup(w[2].s);
	}
}

static void stmt_nf(struct pstate *ps, struct chain *c, struct word *w, int n, bool sink_seen)
{
	if (sink_seen) {
		perr(ps, w[0].col, "'nf' after 'sink' (functions come between source and sink)");
		return;
	}
	if (n < 2) {
		perr(ps, w[0].col, "'nf' needs a name");
		return;
	}
	if (!valid_name(w[1].s)) {
		perr(ps, w[1].col,
		     "bad function name '%s' (a letter, then letters, digits, '_' or '-'; at most %d)",
		     w[1].s, CHAIN_NAME_MAX);
		return;
	}
	for (unsigned i = 0; i < c->n_nf; i++)
		if (strcmp(c->nf[i].name, w[1].s) == 0) {
			perr(ps, w[1].col, "a second function named '%s' (the first is on line %u)", w[1].s,
			     c->nf[i].line);
			return;
		}
	if (c->n_nf == CHAIN_MAX_NF) {
		perr(ps, w[0].col, "at most %d functions in a chain", CHAIN_MAX_NF);
		return;
	}
	struct chain_nf *f = &c->nf[c->n_nf];
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", w[1].s);
	f->cpu = -1;
	f->idle_us = -1;
	f->coalesce_us = -1;
	f->line = ps->line;
	f->col = w[0].col;
	c->n_nf++; /* counted now so chain_free() frees it, even half-parsed */
	if (n < 3) {
		perr(ps, w[1].col + (unsigned)strlen(w[1].s), "'nf %s' needs a kind: image or testpmd",
		     w[1].s);
		return;
	}
	int i = 3;
	if (strcmp(w[2].s, "image") == 0) {
		f->kind = CHAIN_NF_IMAGE;
		if (n < 4) {
			perr(ps, w[2].col, "'image' needs a function name or an image file");
			return;
		}
		f->image = strdup(w[3].s);
		bool is_path = strchr(w[3].s, '/') || strstr(w[3].s, ".img");
		if (is_path) {
			f->image_path = need_file(ps, &w[3], "image");
		} else if (!nf_find(w[3].s)) {
			char *known = NULL;
			size_t kl = 0;
			FILE *m = open_memstream(&known, &kl);
			if (m) {
				cfgfile_list_functions(m);
				fclose(m);
			}
			perr(ps, w[3].col, "unknown function '%s' (known: %s; or the path of an image)",
			     w[3].s, known ? known : "?");
			free(known);
		}
		i = 4;
	} else if (strcmp(w[2].s, "testpmd") == 0) {
		f->kind = CHAIN_NF_TESTPMD;
	} else {
		perr(ps, w[2].col, "unknown function kind '%s' (image, testpmd)", w[2].s);
		return;
	}
	for (; i < n; i++) {
		const char *o = w[i].s;
		unsigned long v;
		bool img_only = strcmp(o, "config") == 0 || strcmp(o, "mem") == 0 ||
				strcmp(o, "machine") == 0 || strcmp(o, "idle-us") == 0 ||
				strcmp(o, "coalesce-us") == 0;
		if (strcmp(o, "reverse") == 0) {
			f->reverse = true;
			continue;
		}
		if (img_only && f->kind != CHAIN_NF_IMAGE) {
			perr(ps, w[i].col, "'%s' is for images, not testpmd", o);
			i++;
			continue;
		}
		if (strcmp(o, "config") && strcmp(o, "mem") && strcmp(o, "machine") &&
		    strcmp(o, "idle-us") && strcmp(o, "coalesce-us") && strcmp(o, "cpu")) {
			perr(ps, w[i].col,
			     "unknown option '%s' (config, mem, machine, cpu, idle-us, coalesce-us, reverse)",
			     o);
			return; /* whether a value follows is anyone's guess */
		}
		if (i + 1 >= n) {
			perr(ps, w[i].col, "'%s' needs a value", o);
			return;
		}
		struct word *val = &w[++i];
		if (strcmp(o, "config") == 0) {
			free(f->config);
			f->config = need_file(ps, val, "config");
		} else if (strcmp(o, "mem") == 0) {
			if (parse_uint(ps, val, "mem (MiB)", 4, 1048576, &v))
				f->mem = (unsigned)v;
		} else if (strcmp(o, "machine") == 0) {
			if (strcmp(val->s, "microvm") && strcmp(val->s, "q35"))
				perr(ps, val->col, "machine is microvm or q35, not '%s'", val->s);
			else
				snprintf(f->machine, sizeof(f->machine), "%s", val->s);
		} else if (strcmp(o, "cpu") == 0) {
			if (parse_uint(ps, val, "cpu", 0, CPU_SETSIZE - 1, &v))
				f->cpu = (int)v;
		} else if (strcmp(o, "idle-us") == 0) {
			if (parse_uint(ps, val, "idle-us", 0, 10000000, &v))
				f->idle_us = (int)v;
		} else if (strcmp(o, "coalesce-us") == 0) {
			if (parse_uint(ps, val, "coalesce-us", 0, 1000000, &v))
				f->coalesce_us = (int)v;
		}
	}
}

int chain_parse(const char *path, struct chain *c, FILE *err)
{
	memset(c, 0, sizeof(*c));
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	c->ovs_cpu = 0;
	c->nf_cpu = ncpu > 1 ? 1 : 0;
	c->socket_mem = 256;
	c->path = strdup(path);
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(err, "nfbox chain: cannot read %s: %s\n", path, strerror(errno));
		return -1;
	}
	c->abspath = realpath(path, NULL);
	struct pstate ps = {.file = path, .err = err};
	char *slash = strrchr(c->abspath, '/');
	ps.dir = strndup(c->abspath, (size_t)(slash - c->abspath));
	/* Default name: the file name without .chain */
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	snprintf(c->name, sizeof(c->name), "%.*s", (int)strcspn(base, "."), base);

	char *line = NULL;
	size_t cap = 0;
	bool src_seen = false, sink_seen = false, chain_seen = false, ovs_seen = false, share_seen = false;
	while (getline(&line, &cap, f) >= 0) {
		ps.line++;
		struct word w[MAX_WORDS];
		int n = split(&ps, line, w);
		if (n <= 0)
			continue;
		const char *kw = w[0].s;
		if (strcmp(kw, "chain") == 0) {
			if (chain_seen)
				perr(&ps, w[0].col, "a second 'chain' name");
			else if (n != 2 || !valid_name(w[1].s) || strlen(w[1].s) > 32)
				perr(&ps, n > 1 ? w[1].col : w[0].col,
				     "'chain' takes one name (a letter, then letters, digits, '_' or '-')");
			else
				snprintf(c->name, sizeof(c->name), "%s", w[1].s);
			chain_seen = true;
		} else if (strcmp(kw, "ovs") == 0) {
			if (ovs_seen)
				perr(&ps, w[0].col, "a second 'ovs' line (put all options on one)");
			ovs_seen = true;
			stmt_ovs(&ps, c, w, n);
		} else if (strcmp(kw, "source") == 0) {
			stmt_end(&ps, c, w, n, true, &src_seen);
		} else if (strcmp(kw, "sink") == 0) {
			stmt_end(&ps, c, w, n, false, &sink_seen);
		} else if (strcmp(kw, "nf") == 0) {
			stmt_nf(&ps, c, w, n, sink_seen);
		} else if (strcmp(kw, "share") == 0) {
			if (share_seen)
				perr(&ps, w[0].col, "a second 'share' line");
			else if (n != 2 || (strcmp(w[1].s, "downstream") && strcmp(w[1].s, "fair")))
				perr(&ps, n > 1 ? w[1].col : w[0].col + 5,
				     "'share' is 'downstream' (default) or 'fair'");
			else
				c->share_fair = strcmp(w[1].s, "fair") == 0;
			share_seen = true;
		} else {
			perr(&ps, w[0].col, "unknown statement '%s' (chain, ovs, share, source, nf, sink)",
			     kw);
		}
		for (int i = 0; i < n; i++)
			free(w[i].s);
	}
	free(line);
	fclose(f);
	if (!ps.errors && c->n_nf == 0) {
		ps.line++;
		perr(&ps, 1, "no function: a chain needs at least one 'nf' line");
	}
	for (unsigned i = 0; i < c->n_nf && !ps.errors; i++)
		if (c->nf[i].cpu < 0)
			c->nf[i].cpu = c->nf_cpu;
	free(ps.dir);
	return ps.errors ? -1 : 0;
}

void chain_free(struct chain *c)
{
	for (unsigned i = 0; i < c->n_nf; i++) {
		free(c->nf[i].image);
		free(c->nf[i].image_path);
		free(c->nf[i].config);
	}
	free(c->path);
	free(c->abspath);
	free(c->source_pcap);
	free(c->sink_pcap);
	memset(c, 0, sizeof(*c));
}

int chain_nf_rt(const struct chain *c, unsigned i)
{
	const struct chain_nf *f = &c->nf[i];
	if (c->share_fair || f->kind != CHAIN_NF_IMAGE)
		return 0;
	int before = 0, sharing = 0;
	for (unsigned j = 0; j < c->n_nf; j++)
		if (c->nf[j].kind == CHAIN_NF_IMAGE && c->nf[j].cpu == f->cpu) {
			sharing++;
			before += j < i;
		}
	/* The first stays an ordinary thread: it never runs out of input, and
	 * at real-time priority it would spend the core's whole real-time
	 * budget (kernel.sched_rt_runtime_us), throttling the others too. */
	return sharing > 1 ? before : 0;
}

unsigned chain_port_in(const struct chain *c, unsigned i)
{
	return 10 * (i + 1) + chain_nf_in(&c->nf[i]);
}

unsigned chain_port_out(const struct chain *c, unsigned i)
{
	return 10 * (i + 1) + 1 - chain_nf_in(&c->nf[i]);
}
