/* SPDX-License-Identifier: MIT */
/*
 * nf_registry.c - the linker-section registry of functions (see nf.h).
 *
 * The linker defines __start_/__stop_ symbols around any section whose name
 * is a C identifier.  Weak, so a binary that links no function at all (a
 * unit test) still links and simply finds none.
 */
#include "dataplane/nf.h"

extern const struct nf_ops *const __start_nfb_nf[] __attribute__((weak));
extern const struct nf_ops *const __stop_nfb_nf[] __attribute__((weak));

const struct nf_ops *nf_at(unsigned i)
{
	if (!__start_nfb_nf || __start_nfb_nf + i >= __stop_nfb_nf)
		return NULL;
	return __start_nfb_nf[i];
}

const struct nf_ops *nf_find(const char *name)
{
	for (unsigned i = 0; nf_at(i); i++)
		if (strcmp(nf_at(i)->name, name) == 0)
			return nf_at(i);
	return NULL;
}
