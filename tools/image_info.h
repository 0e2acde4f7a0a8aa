/* SPDX-License-Identifier: MIT */
/* image_info.h - what an image file from `nfbox build` says about itself
 * (tools only: `nfbox run` and `nfbox export` check a config with the
 * code of the function the image runs). */
#ifndef NFB_TOOLS_IMAGE_INFO_H
#define NFB_TOOLS_IMAGE_INFO_H

/* The function an image runs, from the .nfbox_info section `nfbox build`
 * adds ("nf=NAME\n"): malloc'd, or NULL if the image has none (or is not
 * a 64-bit ELF file). */
char *image_nf(const char *path);

#endif
