/* SPDX-License-Identifier: MIT */
/* qemu_host.h - what this host gives a QEMU that boots an image, decided
 * in one place for `nfbox run` and `nfbox export libvirt` (tools only). */
#ifndef NFB_TOOLS_QEMU_HOST_H
#define NFB_TOOLS_QEMU_HOST_H

#include <stdbool.h>

/* KVM when /dev/kvm opens read-write and NFBOX_NO_KVM is unset (or "0"). */
bool qemu_kvm_usable(void);
/* QEMU's minimal firmware where installed (q35's SeaBIOS takes seconds
 * where firmware runs emulated; qboot boots a PVH kernel in ~0.1 s), or
 * NULL. */
const char *qemu_qboot_rom(void);
/* Ring entries per NIC queue unless asked: 1024 with a vhost-user NIC
 * (QEMU 7.2 offers TX rings above 256 on virtio-pci only with vhost-user
 * backends), else 256. */
static inline unsigned qemu_default_ring(bool vhost_user) { return vhost_user ? 1024 : 256; }

#endif
