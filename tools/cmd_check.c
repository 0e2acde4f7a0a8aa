/* SPDX-License-Identifier: MIT */
/* nfbox check NF FILE - validate a config exactly as the image would. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "tools/cfgfile.h"
#include "tools/cmd.h"
#include "tools/opts.h"

#define PROG "nfbox check"

/* No options: the table still gives "--", "-h" and one message for a
 * mistyped option. */
static const struct opt check_opt[] = {
	OPT_END,
};

static const struct opts check_opts = {
	.prog = PROG,
	.usage = "usage: nfbox check NF FILE\n\n"
		 "Parse FILE as a config for function NF (fwd, firewall, ...) with the same\n"
		 "code the image runs.  Prints 'FILE: ok' and exits 0, or prints every error\n"
		 "as FILE:LINE:COL: message and exits 1.  Nothing is applied anywhere.\n",
	.opt = check_opt,
};

static int check_run(int argc, char **argv)
{
	int npos;
	enum opts_result r = opts_parse(&check_opts, NULL, argc, argv, &npos);
	if (r != OPTS_OK)
		return opts_status(r);
	if (npos != 2) {
		fprintf(stderr, PROG ": expected NF and FILE (try 'nfbox check --help')\n");
		return 2;
	}
	const struct nf_ops *nf = nf_find(argv[1]);
	if (!nf) {
		fprintf(stderr, PROG ": unknown function '%s' (known: ", argv[1]);
		cfgfile_list_functions(stderr);
		fprintf(stderr, ")\n");
		return 2;
	}
	/* The same create+configure the image runs, with a small table: a
	 * config's validity does not depend on the table size. */
	struct nf_env env = { .pool = NULL, .n_ports = PORT_MAX, .flow_capacity = 1024 };
	void *st = nf->create(&env);
	if (!st) {
		fprintf(stderr, PROG ": out of memory creating %s\n", nf->name);
		return 1;
	}
	struct cfg *cfg;
	int rc = cfgfile_parse(PROG, argv[2], &cfg, stderr);
	if (rc == 0)
		rc = cfgfile_apply(PROG, nf, st, cfg, stderr);
	cfg_free(cfg);
	nf->destroy(st);
	if (rc == 0)
		printf("%s: ok (%s)\n", argv[2], nf->name);
	return rc;
}

static const struct nfbox_cmd check_cmd = {
	.name = "check",
	.summary = "validate a function's config (errors as FILE:LINE:COL)",
	.opts = &check_opts,
	.run = check_run,
};
CMD_REGISTER(check_cmd);
