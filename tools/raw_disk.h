/* SPDX-License-Identifier: MIT */
/* raw_disk.h - `nfbox build --format raw`: an image on a disk a BIOS boots
 * (GRUB from Debian's grub-pc-bin, the image loaded by its `multiboot2`
 * command), for hypervisors and clouds that boot disks, not kernels. */
#ifndef NFB_TOOLS_RAW_DISK_H
#define NFB_TOOLS_RAW_DISK_H

/* The volume label of such a disk is RAW_DISK_LABEL followed by the
 * function's name in capitals: `nfbox run` reads it (image_nf) to check a
 * config with the right function's code. */
#define RAW_DISK_LABEL "NFBOX_"

/* Whether a disk can be made for function `nf` with kernel command line
 * `append` here (the tools installed, the names fit): 0, or 1 after a
 * message on stderr naming what is missing (and its Debian packages). */
int raw_disk_check(const char *nf, const char *append);

/* Write `out`, a disk holding the ELF image `elf` of function `nf`, GRUB
 * booting it with kernel command line `append` (may be ""), working in
 * `tmpdir` (left as it was), after raw_disk_check said yes.  Returns 0,
 * or 1 after a message on stderr. */
int raw_disk_make(const char *elf, const char *nf, const char *append, const char *out,
		  const char *tmpdir);

#endif
