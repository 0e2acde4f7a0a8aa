/* SPDX-License-Identifier: MIT */
/*
 * pci.c - PCI configuration space, enumeration and BAR assignment.
 *
 * Access: ECAM (PCI Express Base spec 7.2.2, "Enhanced Configuration Access
 * Mechanism") when the ACPI MCFG table describes one; else QEMU microvm's
 * fixed ECAM (pcie=on: 0xe0000000, 256 buses, hw/i386/microvm.c), which
 * QEMU 7.2 describes only in the DSDT, when its host bridge (GPEX, 1b36:0008)
 * answers there; else configuration mechanism #1 through ports 0xCF8/0xCFC
 * (PCI Local Bus spec 3.0, 3.2.2.3.2), as on q35.
 *
 * Enumeration walks bus 0 and the secondary buses of configured bridges.
 * Memory BARs the firmware left at 0 (microvm has no BIOS to assign them)
 * are sized (write all ones, read back; PCI spec 6.2.5.1) and placed in the
 * 32-bit window below the ECAM area, above every BAR already assigned
 * (microvm: its PCIe MMIO window 0xc0000000-0xe0000000).
 *
 * INTx: only where the routing is known without AML: QEMU microvm's GPEX
 * swizzles INTA-D of bus-0 slot s to GSI base + (s + pin) % 4, base 16 with
 * the second I/O APIC, else 12 (microvm.c pcie_irq_base).
 */
#include "kernel/kernel_priv.h"

#define CFG_ADDR 0xcf8
#define CFG_DATA 0xcfc

/* QEMU microvm with pcie=on (include/hw/i386/microvm.h). */
#define MICROVM_ECAM_BASE 0xe0000000ull
#define MICROVM_ECAM_BUS_END 255u
#define GPEX_VENDOR 0x1b36u
#define GPEX_DEVICE 0x0008u

static int mode; /* 0 unknown, 1 ECAM, 2 CF8, -1 none */
static bool microvm_gpex; /* QEMU microvm's PCIe host: INTx routing known */
static uint64_t ecam_base;
static uint8_t ecam_bus_end;
static uint64_t win_next, win_end; /* BAR assignment window */

static bool in_ram(uint64_t a)
{
	for (uint32_t i = 0; i < k_boot.n_ram; i++)
		if (a >= k_boot.ram[i].start && a < k_boot.ram[i].end)
			return true;
	return false;
}

/* QEMU microvm pcie=on: its GPEX host bridge at 00:00.0 of the fixed ECAM.
 * Elsewhere that address is unassigned (reads as 0 or all ones) or RAM. */
static bool microvm_ecam_probe(void)
{
	if (in_ram(MICROVM_ECAM_BASE) || k_map_mmio((uintptr_t)MICROVM_ECAM_BASE, 1u << 20) < 0)
		return false;
	uint32_t id = k_mmio_r32((uintptr_t)MICROVM_ECAM_BASE);
	if (id != (GPEX_VENDOR | (GPEX_DEVICE << 16)))
		return false;
	return k_map_mmio((uintptr_t)MICROVM_ECAM_BASE, ((size_t)MICROVM_ECAM_BUS_END + 1) << 20) == 0;
}

static void pci_init(void)
{
	if (mode)
		return;
	uint8_t bus_end = 0;
	uint64_t base = k_acpi_mcfg(&bus_end);
	if (base) {
		size_t size = ((size_t)bus_end + 1) << 20;
		if (k_map_mmio((uintptr_t)base, size) == 0) {
			ecam_base = base;
			ecam_bus_end = bus_end;
			mode = 1;
		}
	}
	/* QEMU microvm has a PCIe host bridge only with ACPI (7.2). */
	if (!mode && !k_acpi_absent() && microvm_ecam_probe()) {
		ecam_base = MICROVM_ECAM_BASE;
		ecam_bus_end = MICROVM_ECAM_BUS_END;
		mode = 1;
		microvm_gpex = true;
	}
	if (!mode) {
		/* Mechanism #1 exists if the address register reads back. */
		k_outl(CFG_ADDR, 0x80000000u);
		mode = k_inl(CFG_ADDR) == 0x80000000u ? 2 : -1;
	}
	/* The 32-bit MMIO window: above RAM below 4 GiB and 3 GiB, below the
	 * ECAM area (microvm: 0xc0000000-0xe0000000) or the IOAPIC. */
	uint64_t low_top = 0;
	for (uint32_t i = 0; i < k_boot.n_ram; i++)
		if (k_boot.ram[i].end <= 0x100000000ull && k_boot.ram[i].end > low_top)
			low_top = k_boot.ram[i].end;
	win_next = SYS_MAX(0xc0000000ull, (low_top + 0xfffffffull) & ~0xfffffffull);
	win_end = (mode == 1 && ecam_base > win_next) ? ecam_base : 0xfec00000ull;
}

static uintptr_t ecam_addr(const struct k_pci_dev *d, uint16_t off)
{
	return (uintptr_t)(ecam_base + ((uint64_t)d->bus << 20) + ((uint64_t)d->dev << 15) +
			   ((uint64_t)d->fn << 12) + off);
}

static void cf8_select(const struct k_pci_dev *d, uint16_t off)
{
	k_outl(CFG_ADDR, 0x80000000u | ((uint32_t)d->bus << 16) | ((uint32_t)d->dev << 11) |
				 ((uint32_t)d->fn << 8) | (off & 0xfc));
}

uint32_t k_pci_read32(const struct k_pci_dev *d, uint16_t off)
{
	if (mode == 1)
		return k_mmio_r32(ecam_addr(d, off));
	if (mode != 2 || off >= 256)
		return 0xffffffffu;
	cf8_select(d, off);
	return k_inl(CFG_DATA);
}

uint16_t k_pci_read16(const struct k_pci_dev *d, uint16_t off)
{
	if (mode == 1)
		return k_mmio_r16(ecam_addr(d, off));
	return (uint16_t)(k_pci_read32(d, off & ~3) >> ((off & 2) * 8));
}

uint8_t k_pci_read8(const struct k_pci_dev *d, uint16_t off)
{
	if (mode == 1)
		return k_mmio_r8(ecam_addr(d, off));
	return (uint8_t)(k_pci_read32(d, off & ~3) >> ((off & 3) * 8));
}

void k_pci_write32(const struct k_pci_dev *d, uint16_t off, uint32_t v)
{
	if (mode == 1) {
		k_mmio_w32(ecam_addr(d, off), v);
	} else if (mode == 2 && off < 256) {
		cf8_select(d, off);
		k_outl(CFG_DATA, v);
	}
}

void k_pci_write16(const struct k_pci_dev *d, uint16_t off, uint16_t v)
{
	if (mode == 1) {
		k_mmio_w16(ecam_addr(d, off), v);
	} else if (mode == 2 && off < 256) {
		cf8_select(d, off);
		k_outw(CFG_DATA + (off & 2), v);
	}
}

void k_pci_write8(const struct k_pci_dev *d, uint16_t off, uint8_t v)
{
	if (mode == 1) {
		k_mmio_w8(ecam_addr(d, off), v);
	} else if (mode == 2 && off < 256) {
		cf8_select(d, off);
		k_outb(CFG_DATA + (off & 3), v);
	}
}

/* Size, and if needed assign, the BARs of a type-0 header. */
static void setup_bars(struct k_pci_dev *d)
{
	uint16_t cmd = k_pci_read16(d, 0x04);
	/* Decoding off while BARs are probed (PCI spec 6.2.5.1 note). */
	k_pci_write16(d, 0x04, cmd & ~0x3);
	bool any_io = false, any_mem = false;
	for (int i = 0; i < 6; i++) {
		uint16_t off = 0x10 + 4 * i;
		uint32_t orig = k_pci_read32(d, off);
		k_pci_write32(d, off, 0xffffffffu);
		uint32_t probe = k_pci_read32(d, off);
		k_pci_write32(d, off, orig);
		if (probe == 0 || probe == 0xffffffffu)
			continue;
		if (probe & 1) { /* I/O BAR */
			uint32_t size = ~(probe & ~3u) + 1;
			size &= 0xffff;
			d->bar_is_io[i] = true;
			d->bar[i] = orig & ~3u;
			d->bar_size[i] = size;
			any_io |= d->bar[i] != 0;
			continue;
		}
		bool is64 = ((probe >> 1) & 3) == 2;
		uint64_t mask = probe & ~0xfull, base = orig & ~0xfull;
		if (is64 && i < 5) {
			uint32_t orig_hi = k_pci_read32(d, off + 4);
			k_pci_write32(d, off + 4, 0xffffffffu);
			uint32_t probe_hi = k_pci_read32(d, off + 4);
			k_pci_write32(d, off + 4, orig_hi);
			mask |= (uint64_t)probe_hi << 32;
			base |= (uint64_t)orig_hi << 32;
		} else {
			mask |= 0xffffffff00000000ull;
		}
		uint64_t size = ~mask + 1;
		if (base == 0 && size && size <= (1ull << 30)) {
			uint64_t a = (win_next + size - 1) & ~(size - 1);
			if (a + size <= win_end) {
				base = a;
				win_next = a + size;
				k_pci_write32(d, off, (uint32_t)base | (probe & 0xf));
				if (is64)
					k_pci_write32(d, off + 4, (uint32_t)(base >> 32));
			}
		} else if (base >= win_next && base < win_end) {
			win_next = base + size; /* keep our BARs above firmware's */
		}
		d->bar[i] = base;
		d->bar_size[i] = size;
		any_mem |= base != 0;
		if (is64)
			i++; /* the upper half is not a BAR of its own */
	}
	/* Memory and I/O decoding for what is assigned, and bus mastering
	 * (DMA: virtqueues live in guest memory). */
	cmd |= 0x4 | (any_mem ? 0x2 : 0) | (any_io ? 0x1 : 0);
	k_pci_write16(d, 0x04, cmd);
}

static void scan_bus(uint8_t bus, void (*fn)(void *ctx, struct k_pci_dev *d), void *ctx, int depth)
{
	for (uint8_t dev = 0; dev < 32; dev++) {
		for (uint8_t f = 0; f < 8; f++) {
			struct k_pci_dev d = {.bus = bus, .dev = dev, .fn = f};
			uint32_t id = k_pci_read32(&d, 0x00);
			if ((id & 0xffff) == 0xffff) {
				if (f == 0)
					break;
				continue;
			}
			d.vendor = (uint16_t)id;
			d.device = (uint16_t)(id >> 16);
			uint32_t cls = k_pci_read32(&d, 0x08);
			d.class_code = (uint8_t)(cls >> 24);
			d.subclass = (uint8_t)(cls >> 16);
			uint8_t hdr = (uint8_t)(k_pci_read32(&d, 0x0c) >> 16);
			if ((hdr & 0x7f) == 0) {
				setup_bars(&d);
				fn(ctx, &d);
			} else if ((hdr & 0x7f) == 1 && depth < 8) {
				/* PCI-to-PCI bridge: follow it if the firmware
				 * numbered its secondary bus. */
				uint8_t sec = (uint8_t)(k_pci_read32(&d, 0x18) >> 8);
				if (sec > bus && (mode != 1 || sec <= ecam_bus_end))
					scan_bus(sec, fn, ctx, depth + 1);
			}
			if (f == 0 && !(hdr & 0x80))
				break; /* single-function device */
		}
	}
}

void k_pci_scan(void (*fn)(void *ctx, struct k_pci_dev *d), void *ctx)
{
	pci_init();
	if (mode < 0)
		return;
	scan_bus(0, fn, ctx, 0);
}

int k_pci_intx_gsi(const struct k_pci_dev *d)
{
	pci_init();
	uint8_t pin = k_pci_read8(d, 0x3d); /* 1..4 = INTA..INTD, 0 = none */
	if (!microvm_gpex || d->bus != 0 || pin < 1 || pin > 4)
		return -1;
	struct k_acpi_ioapic io[2];
	uint32_t base = k_acpi_ioapics(io, 2) > 1 ? 16u : 12u;
	return (int)(base + ((uint32_t)d->dev + pin - 1u) % 4u);
}
