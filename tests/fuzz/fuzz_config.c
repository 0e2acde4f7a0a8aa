/* SPDX-License-Identifier: MIT */
/* libFuzzer: any bytes as a config file, parsed by config/ and applied to
 * every registered function (each must reject or accept, never crash). */
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "dataplane/nf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Includes resolve to a tiny fixed file so the include path is exercised
 * without touching the disk. */
static int fake_loader(void *ctx, const char *path, const char *from, char **text, size_t *len)
{
	(void)ctx;
	(void)from;
	if (strstr(path, "missing"))
		return -SYS_ENOENT;
	static const char inc[] = "set fuzzset { 10.0.0.0/8 2001:db8::/32 }\n";
	*text = sys_alloc(sizeof(inc), 8);
	if (!*text)
		return -SYS_ENOMEM;
	memcpy(*text, inc, sizeof(inc) - 1);
	*len = sizeof(inc) - 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cfg_errors errs;
	cfg_errors_init(&errs);
	struct cfg *cfg = NULL;
	if (cfg_parse("fuzz.conf", (const char *)data, size, fake_loader, NULL, &cfg, &errs) != 0)
		return 0;
	for (unsigned i = 0; nf_at(i); i++) {
		const struct nf_ops *nf = nf_at(i);
		struct nf_env env = { .pool = NULL, .n_ports = 2, .flow_capacity = 64 };
		void *st = nf->create(&env);
		if (!st)
			continue;
		cfg_errors_init(&errs);
		(void)nf->configure(st, cfg, &errs);
		nf->destroy(st);
	}
	cfg_free(cfg);
	return 0;
}
