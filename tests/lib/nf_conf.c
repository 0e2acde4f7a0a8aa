/* SPDX-License-Identifier: MIT */
/* nf_conf.c - a text config into a function (see nf_conf.h). */
#include "tests/lib/nf_conf.h"

#include <string.h>

#include "config/config.h"

int nf_configure_text(const struct nf_ops *nf, void *st, const char *text)
{
	static struct cfg_errors errs;
	struct cfg *cfg = NULL;
	cfg_errors_init(&errs);
	if (cfg_parse("t.conf", text, strlen(text), NULL, NULL, &cfg, &errs))
		return -1;
	int rc = nf->configure(st, cfg, &errs);
	cfg_free(cfg);
	return rc;
}
