/* SPDX-License-Identifier: MIT */
/*
 * config_source.c - the config the image starts with, and the kernel
 * command line's nfbox.* options.
 *
 * Two sources, both holding the blob "NAME\0TEXT" (control/proto.h): the
 * fw_cfg file "opt/nfbox/config" (`nfbox run --config`), else the copy
 * `nfbox build` baked into the image's .config_blob section.
 */
#include "image/image.h"

/* The baked-in config (the builder links it into .config_blob). */
extern const char __config_blob_start[] __attribute__((weak));
extern const char __config_blob_end[] __attribute__((weak));

#define FWCFG_CONFIG "opt/nfbox/config"

uint64_t image_cmdline_u64(const char *key, uint64_t dflt)
{
	size_t n;
	const char *d = k_cmdline_value(key, &n);
	if (!d || n == 0 || *d < '0' || *d > '9')
		return dflt;
	uint64_t v = 0;
	while (*d >= '0' && *d <= '9')
		v = v * 10 + (uint64_t)(*d++ - '0');
	return v;
}

void image_print_errors(const struct cfg_errors *e)
{
	for (unsigned i = 0; cfg_errors_get(e, i); i++)
		k_printf("%s\n", cfg_errors_get(e, i));
	if (e->count > CFG_ERRORS_MAX)
		k_printf("... and %u more errors\n", e->count - CFG_ERRORS_MAX);
}

struct cfg *image_load_config(void)
{
	char *fw = NULL;
	size_t fw_len = 0;
	const char *blob, *name, *text, *src;
	size_t blob_len, text_len;
	int rc = k_fwcfg_read(FWCFG_CONFIG, &fw, &fw_len);
	if (rc == 0) {
		blob = fw;
		blob_len = fw_len;
		src = "fw_cfg " FWCFG_CONFIG;
	} else {
		if (rc != -SYS_ENOENT)
			k_printf("nfbox: fw_cfg: error %d; using the built-in config\n", rc);
		blob = __config_blob_start;
		blob_len = (size_t)(__config_blob_end - __config_blob_start);
		src = "built in";
		if (!blob)
			blob_len = 0;
	}
	control_blob_split(blob ? blob : "", blob_len, "(config)", &name, &text, &text_len);
	k_printf("nfbox: config %s (%s, %lu bytes)\n", name, src, (unsigned long)text_len);
	struct cfg_errors *errs = sys_alloc(sizeof(*errs), 16);
	if (!errs) {
		k_printf("nfbox: out of memory for the config\n");
		k_exit(K_EXIT_CONFIG);
	}
	cfg_errors_init(errs);
	struct cfg *cfg = NULL;
	rc = cfg_parse(name, text, text_len, NULL, NULL, &cfg, errs);
	if (rc < 0 || !cfg) {
		image_print_errors(errs);
		k_printf("nfbox: config rejected\n");
		k_exit(K_EXIT_CONFIG);
	}
	sys_free(errs);
	sys_free(fw); /* cfg keeps no pointer into the text */
	return cfg;
}
