/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include "tools/cfgfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int cfgfile_read(const char *path, char **text, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -errno;
	size_t cap = 4096, n = 0;
	char *buf = sys_alloc(cap, 8);
	int rc = 0;
	while (buf) {
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f))
				rc = -EIO;
			break;
		}
		if (n == cap) {
			char *bigger = sys_alloc(cap * 2, 8);
			if (bigger)
				memcpy(bigger, buf, n);
			sys_free(buf);
			buf = bigger;
			cap *= 2;
		}
	}
	fclose(f);
	if (!buf)
		return -ENOMEM;
	if (rc) {
		sys_free(buf);
		return rc;
	}
	*text = buf;
	*len = n;
	return 0;
}

int cfgfile_loader(void *ctx, const char *path, const char *from_file, char **text,
		   size_t *len)
{
	(void)ctx;
	(void)from_file;
	return cfgfile_read(path, text, len);
}

void cfgfile_list_functions(FILE *to)
{
	for (unsigned i = 0; nf_at(i); i++)
		fprintf(to, "%s%s", i ? ", " : "", nf_at(i)->name);
}

void cfgfile_print_errors(const struct cfg_errors *e, FILE *err)
{
	for (unsigned i = 0; cfg_errors_get(e, i); i++)
		fprintf(err, "%s\n", cfg_errors_get(e, i));
	if (e->count > CFG_ERRORS_MAX)
		fprintf(err, "... and %u more errors\n", e->count - CFG_ERRORS_MAX);
}

int cfgfile_parse(const char *prog, const char *path, struct cfg **out, FILE *err)
{
	char *text = NULL;
	size_t len = 0;
	*out = NULL;
	if (path) {
		int rc = cfgfile_read(path, &text, &len);
		if (rc) {
			fprintf(err, "%s: cannot read %s: %s\n", prog, path, strerror(-rc));
			return 1;
		}
	}
	struct cfg_errors *errs = malloc(sizeof(*errs));
	if (!errs) {
		sys_free(text);
		fprintf(err, "%s: out of memory\n", prog);
		return 1;
	}
	cfg_errors_init(errs);
	int rc = cfg_parse(path ? path : "(empty config)", text ? text : "", len, cfgfile_loader,
			   NULL, out, errs);
	sys_free(text);
	if (rc)
		cfgfile_print_errors(errs, err);
	free(errs);
	return rc ? 1 : 0;
}

/* A function refused its config: its errors, or the refusal itself. */
static void print_rejection(const char *prog, const struct nf_ops *nf,
			    const struct cfg_errors *errs, FILE *err)
{
	cfgfile_print_errors(errs, err);
	if (!errs->count)
		fprintf(err, "%s: config rejected by %s\n", prog, nf->name);
}

int cfgfile_apply(const char *prog, const struct nf_ops *nf, void *st, const struct cfg *cfg,
		  FILE *err)
{
	struct cfg_errors *errs = malloc(sizeof(*errs));
	if (!errs) {
		fprintf(err, "%s: out of memory\n", prog);
		return 1;
	}
	cfg_errors_init(errs);
	int rc = nf->configure(st, cfg, errs);
	if (rc || errs->count) {
		print_rejection(prog, nf, errs, err);
		rc = 1;
	}
	free(errs);
	return rc;
}

int cfgfile_app_init(const char *prog, struct app *a, const struct nf_ops *nf,
		     const struct nf_env *env, struct port *const *ports, uint16_t n,
		     struct cfg *cfg, FILE *err)
{
	struct cfg_errors *errs = malloc(sizeof(*errs));
	if (!errs) {
		cfg_free(cfg);
		memset(a, 0, sizeof(*a));
		fprintf(err, "%s: out of memory\n", prog);
		return 1;
	}
	cfg_errors_init(errs);
	int rc = app_init(a, nf, env, ports, n, cfg, errs);
	if (rc == -SYS_ENOMEM) {
		fprintf(err, "%s: cannot create %s (out of memory? try --flows)\n", prog, nf->name);
	} else if (rc < 0) {
		print_rejection(prog, nf, errs, err);
	}
	free(errs);
	return rc ? 1 : 0;
}
