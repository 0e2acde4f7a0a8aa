/* SPDX-License-Identifier: MIT */
/*
 * stmt.h - config statements that several functions share, read with the
 * framework's cursor (config/config.h), errors at their token:
 *
 *   timeout NAME SECONDS [NAME SECONDS]...   names from the function's list,
 *                                            each at most once per config
 *   KEYWORD pass|drop                        once per config (`non-ip`, ...)
 *   KEYWORD WORD                             once per config, WORD from a list
 */
#ifndef NFB_NF_STMT_H
#define NFB_NF_STMT_H

#include "config/config.h"

/* `timeout`: `names` is NULL-terminated with `n` entries; secs[i] is set
 * for each name given (1..max), seen[i] remembers where (n entries, NULL
 * before the first statement). */
int nf_timeout_stmt(struct cfg_cursor *c, const char *const *names, unsigned n,
		    const struct cfg_token **seen, uint32_t max, uint32_t *secs);

/* `KEYWORD WORD` once per config, WORD one of `words` (NULL-terminated);
 * *out is its index.  `what` names the setting in the message. */
int nf_choice_stmt(struct cfg_cursor *c, const struct cfg_token **seen, const char *what,
		   const char *const *words, unsigned *out);

/* `KEYWORD pass|drop`; *out = true for pass.  `what` names the policy in
 * the message ("IPv6 policy"). */
int nf_pass_drop_stmt(struct cfg_cursor *c, const struct cfg_token **seen, const char *what,
		      bool *out);

#endif
