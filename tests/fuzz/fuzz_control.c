/* SPDX-License-Identifier: MIT */
/* libFuzzer: any bytes typed on an image's console, fed to the control
 * server (control/server.c): lines, nonces, reload transfers.  A complete
 * transfer's config is parsed as the image would (config/), so a fuzzed
 * reload reaches the parser too.  Every answer must be whole lines. */
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "control/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void f_out(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	if (n == 0 || s[n - 1] != '\n' || memchr(s, '\0', n))
		abort(); /* an answer is one or more whole lines of text */
}

static void f_stats(void *ctx)
{
	(void)ctx;
}

static int f_reload(void *ctx, const char *name, const char *text, size_t len, unsigned *n_errors)
{
	(void)ctx;
	static struct cfg_errors errs;
	cfg_errors_init(&errs);
	struct cfg *cfg = NULL;
	if (len > CONTROL_RELOAD_MAX || !name[0])
		abort();
	int rc = cfg_parse(name, text, len, NULL, NULL, &cfg, &errs);
	cfg_free(cfg);
	*n_errors = errs.count;
	return rc < 0 ? rc : 0;
}

static const struct control_ops ops = {
	.out = f_out, .stats = f_stats, .reload = f_reload,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct control_server s;
	control_server_init(&s, &ops, NULL);
	for (size_t i = 0; i < size; i++)
		control_server_putc(&s, data[i]);
	control_server_fini(&s);
	return 0;
}
