/* SPDX-License-Identifier: MIT */
/* image_info.h - what an image file from `nfbox build` says about itself
 * (tools only: `nfbox run` and `nfbox export` check a config with the
 * code of the function the image runs). */
#ifndef NFB_TOOLS_IMAGE_INFO_H
#define NFB_TOOLS_IMAGE_INFO_H

#include <stdbool.h>

/* The function an image runs, from the .nfbox_info section `nfbox build`
 * adds ("nf=NAME\n"), or from the label of a disk from `nfbox build
 * --format raw`: malloc'd, or NULL if the image has none (or is neither a
 * 64-bit ELF file nor such a disk). */
char *image_nf(const char *path);

/* A disk from `nfbox build --format raw` (booted by the BIOS, not by
 * QEMU's -kernel). */
bool image_is_raw_disk(const char *path);

#endif
