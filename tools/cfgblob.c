/* SPDX-License-Identifier: MIT */
/*
 * cfgblob.c - a config file as the blob an image carries ("NAME\0TEXT",
 * control/proto.h), checked first with the same parser and function code
 * the image runs (as `nfbox check` does).  A config that includes other
 * files or reads sets from files is flattened -- ports, sets with their
 * entries, then the statements -- since the image has no files; one that
 * does not is kept byte for byte, so the image's error positions match
 * the file.  Used by build (baked in), run (fw_cfg), reload and chain.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cfgblob.h"
#include "tools/cfgfile.h"

#define PROG "nfbox"

struct loader_ctx {
	unsigned files;
};

static int counting_loader(void *ctx, const char *path, const char *from_file, char **text,
			   size_t *len)
{
	((struct loader_ctx *)ctx)->files++;
	return cfgfile_loader(NULL, path, from_file, text, len);
}

struct sbuf {
	char *p;
	size_t len, cap;
};

/* Room for `need` bytes and a NUL after them (grows by doubling). */
static void sb_reserve(struct sbuf *b, size_t need)
{
	if (need + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap * 2 : 4096;
	while (cap < need + 1)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p) {
		fprintf(stderr, PROG ": out of memory\n");
		exit(1);
	}
	b->p = p;
	b->cap = cap;
}

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (b->p && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		sb_reserve(b, b->len + (size_t)n + 1);
	}
}

/* Render a parsed config as one self-contained text: what the parser keeps
 * (config.h) -- ports, sets with their entries, then every statement's
 * keyword and tokens in file order. */
static void flatten(const struct cfg *cfg, struct sbuf *b)
{
	sb_printf(b, "# flattened by nfbox build: includes and set files expanded\n");
	for (unsigned i = 0; i < CFG_PORT_MAX; i++)
		if (cfg_port_name(cfg, i))
			sb_printf(b, "port %u name %s\n", i, cfg_port_name(cfg, i));
	for (uint32_t i = 0; i < cfg_set_count(cfg); i++) {
		const struct cfg_set *s = cfg_set_at(cfg, i);
		char a[64];
		sb_printf(b, "set %s {", s->name);
		for (uint32_t j = 0; j < s->n4; j++) {
			struct cfg_addr ad = {.family = CFG_AF_V4, .prefix = s->v4[j].len};
			uint32_t v = s->v4[j].addr;
			ad.a[0] = (uint8_t)(v >> 24);
			ad.a[1] = (uint8_t)(v >> 16);
			ad.a[2] = (uint8_t)(v >> 8);
			ad.a[3] = (uint8_t)v;
			cfg_addr_format(&ad, a, sizeof(a));
			sb_printf(b, "%s%s", j % 8 ? " " : "\n  ", a);
		}
		for (uint32_t j = 0; j < s->n6; j++) {
			struct cfg_addr ad = {.family = CFG_AF_V6, .prefix = s->v6[j].len};
			memcpy(ad.a, s->v6[j].addr, 16);
			cfg_addr_format(&ad, a, sizeof(a));
			sb_printf(b, "%s%s", j % 4 ? " " : "\n  ", a);
		}
		sb_printf(b, "\n}\n");
	}
	for (uint32_t i = 0; i < cfg_stmt_count(cfg); i++) {
		const struct cfg_stmt *st = cfg_stmt_at(cfg, i);
		sb_printf(b, "%s", cfg_stmt_keyword(st));
		for (uint32_t t = 0; t < st->n_tok; t++) {
			const struct cfg_token *k = &st->tok[t];
			switch (k->kind) {
			case CFG_TOK_STRING:
				sb_printf(b, " \"%s\"", k->text);
				break;
			case CFG_TOK_SETREF:
				sb_printf(b, " @%s", k->text);
				break;
			case CFG_TOK_LBRACE:
				sb_printf(b, " {");
				break;
			case CFG_TOK_RBRACE:
				sb_printf(b, " }");
				break;
			case CFG_TOK_BANG:
				sb_printf(b, " !");
				break;
			default:
				sb_printf(b, " %s", k->text);
				break;
			}
		}
		sb_printf(b, "\n");
	}
}

static void sb_append(struct sbuf *b, const void *p, size_t n)
{
	sb_reserve(b, b->len + n);
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* Parse `text` as `name`; if `nf` is known here, configure a throwaway
 * instance too.  Prints errors; returns the cfg or NULL. */
static struct cfg *check_text(const char *name, const char *text, size_t len,
			      const struct nf_ops *nf, struct loader_ctx *lc)
{
	struct cfg_errors *errs = malloc(sizeof(*errs));
	if (!errs)
		return NULL;
	cfg_errors_init(errs);
	struct cfg *cfg = NULL;
	int rc = cfg_parse(name, text, len, counting_loader, lc, &cfg, errs);
	if (rc) {
		cfgfile_print_errors(errs, stderr);
		free(errs);
		return NULL;
	}
	free(errs);
	if (nf) {
		struct nf_env env = {.pool = NULL, .n_ports = PORT_MAX, .flow_capacity = 1024};
		void *st = nf->create(&env);
		if (!st) {
			fprintf(stderr, PROG ": out of memory creating %s\n", nf->name);
			cfg_free(cfg);
			return NULL;
		}
		rc = cfgfile_apply(PROG, nf, st, cfg, stderr);
		nf->destroy(st);
		if (rc) {
			cfg_free(cfg);
			return NULL;
		}
	}
	return cfg;
}

int cfgblob_make(const char *path, const char *nf_name, char **blob, size_t *blob_len)
{
	const struct nf_ops *nf = nf_name ? nf_find(nf_name) : NULL;
	char *text = NULL;
	size_t len = 0;
	const char *name = path ? path : "(no config)";
	if (path) {
		int rc = cfgfile_read(path, &text, &len);
		if (rc) {
			fprintf(stderr, "nfbox: cannot read %s: %s\n", path, strerror(-rc));
			return 1;
		}
	}
	struct loader_ctx lc = {0};
	struct cfg *cfg = check_text(name, text ? text : "", len, nf, &lc);
	if (!cfg) {
		sys_free(text);
		return 1;
	}
	struct sbuf out = {0};
	sb_append(&out, name, strlen(name) + 1); /* with its NUL */
	if (lc.files == 0) {
		/* Self-contained: bake it byte for byte. */
		sb_append(&out, text ? text : "", len);
		cfg_free(cfg);
	} else {
		struct sbuf flat = {0};
		flatten(cfg, &flat);
		cfg_free(cfg);
		/* The flattened text must mean the same thing: check it again. */
		struct loader_ctx lc2 = {0};
		struct cfg *again = check_text(name, flat.p, flat.len, nf, &lc2);
		if (!again || lc2.files) {
			fprintf(stderr, "nfbox: %s: the flattened config does not check (a bug)\n",
				name);
			free(flat.p);
			return 1;
		}
		cfg_free(again);
		sb_append(&out, flat.p, flat.len);
		free(flat.p);
	}
	sys_free(text);
	*blob = out.p;
	*blob_len = out.len;
	return 0;
}
