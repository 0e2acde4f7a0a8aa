/* SPDX-License-Identifier: MIT */
/*
 * ksyms.h - the symbol table baked into an image for backtraces.
 *
 * Written by `nfbox build` (tools/cmd_build.c) from `nm` output of the first
 * link pass, read by kernel/trap.c.  Layout, all little endian:
 *
 *   struct ksyms_hdr | struct ksym[count] sorted by addr | NUL-terminated names
 *
 * Only the fixed-width types of <stdint.h>: the host tool includes this too.
 */
#ifndef NFB_KSYMS_H
#define NFB_KSYMS_H

#include <stdint.h>

#define KSYMS_MAGIC 0x4d59534bu /* "KSYM" */

struct ksyms_hdr {
	uint32_t magic;
	uint32_t count;
	uint32_t names_off;     /* from the start of the header */
	uint32_t total_size;    /* header + entries + names */
};

struct ksym {
	uint64_t addr;
	uint32_t size;          /* 0 if nm did not know */
	uint32_t name;          /* offset into the names */
};

_Static_assert(sizeof(struct ksyms_hdr) == 16, "ksyms header layout");
_Static_assert(sizeof(struct ksym) == 16, "ksym layout");

#endif
