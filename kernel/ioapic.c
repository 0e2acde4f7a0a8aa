/* SPDX-License-Identifier: MIT */
/*
 * ioapic.c - I/O APICs: route a GSI to a CPU vector (82093AA datasheet
 * 3.2.4: IOREGSEL/IOWIN, redirection table at register 0x10 + 2n).
 *
 * Every I/O APIC the ACPI MADT lists is used, each serving GSIs
 * [gsi_base, gsi_base + entries).  QEMU microvm with ACPI has two (the
 * default, ioapic2=auto): GSI 0-23 at 0xfec00000 and GSI 24-47 at
 * 0xfec10000, where its virtio-mmio transports interrupt.  Without ACPI
 * (microvm acpi=off) there is the one at 0xfec00000 serving GSI 0.
 */
#include "kernel/kernel_priv.h"

#define IOAPIC_MAX 4
#define IOAPIC_DEFAULT_BASE 0xfec00000u
#define IOAPIC_REGSEL 0x00
#define IOAPIC_WIN 0x10
#define IOAPIC_VER 0x01

static struct k_acpi_ioapic ioapic[IOAPIC_MAX];
static uint32_t ioapic_pins[IOAPIC_MAX];
static int n_ioapic = -1; /* not looked for yet */

static void ioapic_write(uint32_t base, uint32_t reg, uint32_t v)
{
	k_mmio_w32(base + IOAPIC_REGSEL, reg);
	k_mmio_w32(base + IOAPIC_WIN, v);
}

static uint32_t ioapic_read(uint32_t base, uint32_t reg)
{
	k_mmio_w32(base + IOAPIC_REGSEL, reg);
	return k_mmio_r32(base + IOAPIC_WIN);
}

static void ioapic_discover(void)
{
	if (n_ioapic >= 0)
		return;
	int n = k_acpi_ioapics(ioapic, IOAPIC_MAX);
	if (n == 0) {
		ioapic[0] = (struct k_acpi_ioapic){.id = 0, .addr = IOAPIC_DEFAULT_BASE, .gsi_base = 0};
		n = 1;
	}
	for (int i = 0; i < n; i++) {
		if (k_map_mmio(ioapic[i].addr, 4096) < 0) {
			ioapic_pins[i] = 0;
			continue;
		}
		/* IOAPICVER bits 23:16: the highest redirection entry. */
		ioapic_pins[i] = ((ioapic_read(ioapic[i].addr, IOAPIC_VER) >> 16) & 0xff) + 1;
	}
	n_ioapic = n;
}

int k_ioapic_route(uint32_t gsi, uint8_t vector, bool level_triggered)
{
	uint32_t dest = k_apic_id(); /* also brings the local APIC up */
	ioapic_discover();
	for (int i = 0; i < n_ioapic; i++) {
		if (gsi < ioapic[i].gsi_base || gsi - ioapic[i].gsi_base >= ioapic_pins[i])
			continue;
		uint32_t pin = gsi - ioapic[i].gsi_base;
		/* Fixed delivery, physical destination, active high; unmasked. */
		uint32_t lo = vector | (level_triggered ? (1u << 15) : 0);
		ioapic_write(ioapic[i].addr, 0x10 + 2 * pin + 1, dest << 24);
		ioapic_write(ioapic[i].addr, 0x10 + 2 * pin, lo);
		return 0;
	}
	return -SYS_EINVAL;
}
