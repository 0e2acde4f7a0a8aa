/* SPDX-License-Identifier: MIT */
/* image_find.h - where the image of a function comes from, for the host
 * tools that boot one by name (`nfbox chain up`, `nfbox bench`). */
#ifndef NFB_TOPOLOGY_IMAGE_FIND_H
#define NFB_TOPOLOGY_IMAGE_FIND_H

#include <stdio.h>

/* The image of function `nf`, the first that is readable of:
 * $NFBOX_IMAGES/NF.img, images/NF.img next to the running nfbox or one
 * directory up (build/nfbox and build/images in a build tree), DIR/NF.img
 * (linked before); else linked now with `nfbox build NF -o DIR/NF.img`
 * (no config baked in), its output in `log`.  A malloc'd path, or NULL
 * after "PROG: ..." and the build's last lines on `msg`. */
char *image_find(const char *nf, const char *dir, const char *log, const char *prog, FILE *msg);

#endif
