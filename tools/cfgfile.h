/* SPDX-License-Identifier: MIT */
/* cfgfile.h - reading configs from files on the host (tools only). */
#ifndef NFB_TOOLS_CFGFILE_H
#define NFB_TOOLS_CFGFILE_H

#include <stdio.h>

#include "config/config.h"
#include "dataplane/nf.h"

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

/* Read a whole file into sys_alloc'd memory. 0 or -errno. */
int cfgfile_read(const char *path, char **text, size_t *len);

/* Print every kept error, one per line, and how many more there were. */
void cfgfile_print_errors(const struct cfg_errors *e, FILE *to);

/* Print the known functions, comma separated. */
void cfgfile_list_functions(FILE *to);

#endif
