/* SPDX-License-Identifier: MIT */
/* cfgblob.h - a config file as the blob an image carries (tools only). */
#ifndef NFB_TOOLS_CFGBLOB_H
#define NFB_TOOLS_CFGBLOB_H

#include <stddef.h>

/* Check `path` (NULL: an empty config) for function `nf_name` (NULL: the
 * parser only) and produce "NAME\0TEXT" in *blob (malloc'd), includes and
 * set files flattened.  Errors go to stderr as FILE:LINE:COL.  Returns 0,
 * or 1. */
int cfgblob_make(const char *path, const char *nf_name, char **blob, size_t *blob_len);

#endif
