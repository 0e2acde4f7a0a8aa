/* SPDX-License-Identifier: MIT */
/* cfgfile.h - reading configs from files on the host (tools only). */
#ifndef NFB_TOOLS_CFGFILE_H
#define NFB_TOOLS_CFGFILE_H

#include <stdio.h>

#include "config/config.h"
#include "dataplane/nf.h"
#include "nf/app.h"

/* The loader config/ calls for includes and set files: reads from disk. */
int cfgfile_loader(void *ctx, const char *path, const char *from_file, char **text,
		   size_t *len);

/*
 * Parse `path` (NULL: an empty config).  Every error is printed to `err` as
 * FILE:LINE:COL: message (read errors as "PROG: cannot read ...").  Returns
 * 0 with *out set (the caller cfg_free()s it), or 1.
 */
int cfgfile_parse(const char *prog, const char *path, struct cfg **out, FILE *err);

/* Configure function `st` of type `nf` with a parsed config, printing its
 * errors.  Returns 0, or 1 if the function rejected the config. */
int cfgfile_apply(const char *prog, const struct nf_ops *nf, void *st, const struct cfg *cfg,
		  FILE *err);

/* app_init() (nf/app.h) with its errors printed to `err` as
 * cfgfile_apply() does; `what` names the function's state in the
 * out-of-memory message.  The app owns cfg after the call; app_fini() in
 * every case.  Returns 0 or 1. */
int cfgfile_app_init(const char *prog, struct app *a, const struct nf_ops *nf,
		     const struct nf_env *env, struct port *const *ports, uint16_t n,
		     struct cfg *cfg, FILE *err);

/* Read a whole file into sys_alloc'd memory. 0 or -errno. */
int cfgfile_read(const char *path, char **text, size_t *len);

/* Print every kept error, one per line, and how many more there were. */
void cfgfile_print_errors(const struct cfg_errors *e, FILE *to);

/* Print the known functions, comma separated. */
void cfgfile_list_functions(FILE *to);

#endif
