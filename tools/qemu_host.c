/* SPDX-License-Identifier: MIT */
/* qemu_host.c - see qemu_host.h. */
#include "tools/qemu_host.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool qemu_kvm_usable(void)
{
	const char *nokvm = getenv("NFBOX_NO_KVM");
	if (nokvm && *nokvm && strcmp(nokvm, "0") != 0)
		return false;
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

const char *qemu_qboot_rom(void)
{
	static const char *const qboot[] = {"/usr/share/qemu/qboot.rom",
					    "/usr/local/share/qemu/qboot.rom"};
	for (size_t i = 0; i < sizeof(qboot) / sizeof(qboot[0]); i++)
		if (access(qboot[i], R_OK) == 0)
			return qboot[i];
	return NULL;
}
