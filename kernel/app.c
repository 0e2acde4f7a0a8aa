/* SPDX-License-Identifier: MIT */
/* app.c - the image's application (placeholder until the full app lands). */
#include "kernel/kernel_priv.h"

int k_app_main(void);
int k_app_main(void)
{
	uint64_t t = sys_rdtsc();
	k_printf("nfbox: ram %lu KiB, tsc %lu Hz (%s)\n", (unsigned long)(k_ram_bytes() >> 10),
		 (unsigned long)k_tsc_hz(), k_tsc_source());
	k_printf("nfbox: ready in %lu us\n", (unsigned long)(k_tsc_to_ns(t - k_boot_tsc()) / 1000));
	return 0;
}
