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
 * Every configuration access is an exit to QEMU (~28 us under kvm_pvm, two
 * exits with CF8), so only what exists is read, once: enumeration walks
 * bus 0 and the secondary buses of configured bridges, reads a function's
 * vendor/device and header type and nothing more (functions 1-7 only when
 * function 0 says multifunction), and hands it to the driver, which
 * decides whether it wants it before anything else is read.  BARs are read
 * one at a time when the driver asks for them (k_pci_bar).  Memory BARs the
 * firmware left at 0 (microvm has no BIOS to assign them) are sized (write
 * all ones, read back; PCI spec 6.2.5.1) and placed in the 32-bit window
 * below the ECAM area (microvm: its PCIe MMIO window 0xc0000000-0xe0000000).
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
/* Configuration accesses and the TSC ticks they took (each one is an exit
 * to QEMU, two with CF8): nfbox.verbose=1 prints them. */
static struct k_pci_cost cost;
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
	uint64_t t0 = sys_rdtsc();
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
	cost.ecam = mode == 1;
	cost.init_tsc = sys_rdtsc() - t0;
}

void k_pci_cost_get(struct k_pci_cost *c) { *c = cost; }

static inline uint64_t cost_start(void) { return sys_rdtsc(); }
static inline void cost_end(uint64_t t0)
{
	cost.accesses++;
	cost.tsc += sys_rdtsc() - t0;
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

static uint32_t raw_read32(const struct k_pci_dev *d, uint16_t off)
{
	if (mode == 1)
		return k_mmio_r32(ecam_addr(d, off));
	if (mode != 2 || off >= 256)
		return 0xffffffffu;
	cf8_select(d, off);
	return k_inl(CFG_DATA);
}

static uint16_t raw_read16(const struct k_pci_dev *d, uint16_t off)
{
	if (mode == 1)
		return k_mmio_r16(ecam_addr(d, off));
	return (uint16_t)(raw_read32(d, off & ~3) >> ((off & 2) * 8));
}

static uint8_t raw_read8(const struct k_pci_dev *d, uint16_t off)
{
	if (mode == 1)
		return k_mmio_r8(ecam_addr(d, off));
	return (uint8_t)(raw_read32(d, off & ~3) >> ((off & 3) * 8));
}

static void raw_write32(const struct k_pci_dev *d, uint16_t off, uint32_t v)
{
	if (mode == 1) {
		k_mmio_w32(ecam_addr(d, off), v);
	} else if (mode == 2 && off < 256) {
		cf8_select(d, off);
		k_outl(CFG_DATA, v);
	}
}

static void raw_write16(const struct k_pci_dev *d, uint16_t off, uint16_t v)
{
	if (mode == 1) {
		k_mmio_w16(ecam_addr(d, off), v);
	} else if (mode == 2 && off < 256) {
		cf8_select(d, off);
		k_outw(CFG_DATA + (off & 2), v);
	}
}

static void raw_write8(const struct k_pci_dev *d, uint16_t off, uint8_t v)
{
	if (mode == 1) {
		k_mmio_w8(ecam_addr(d, off), v);
	} else if (mode == 2 && off < 256) {
		cf8_select(d, off);
		k_outb(CFG_DATA + (off & 3), v);
	}
}


#define TIMED_READ(T, name, raw)                                     \
	T name(const struct k_pci_dev *d, uint16_t off)              \
	{                                                            \
		uint64_t t0 = cost_start();                          \
		T v = raw(d, off);                                   \
		cost_end(t0);                                        \
		return v;                                            \
	}
#define TIMED_WRITE(T, name, raw)                                    \
	void name(const struct k_pci_dev *d, uint16_t off, T v)      \
	{                                                            \
		uint64_t t0 = cost_start();                          \
		raw(d, off, v);                                      \
		cost_end(t0);                                        \
	}
TIMED_READ(uint32_t, k_pci_read32, raw_read32)
TIMED_READ(uint16_t, k_pci_read16, raw_read16)
TIMED_READ(uint8_t, k_pci_read8, raw_read8)
TIMED_WRITE(uint32_t, k_pci_write32, raw_write32)
TIMED_WRITE(uint16_t, k_pci_write16, raw_write16)
TIMED_WRITE(uint8_t, k_pci_write8, raw_write8)

/* The command register, read once per function (the driver's first look
 * at a device may read it with the status, k_pci_read32 at 0x04). */
static uint16_t command(struct k_pci_dev *d)
{
	if (!d->cmd_known) {
		d->cmd = k_pci_read16(d, 0x04);
		d->cmd_known = true;
	}
	return d->cmd;
}

static void set_command(struct k_pci_dev *d, uint16_t cmd)
{
	if (command(d) != cmd) {
		k_pci_write16(d, 0x04, cmd);
		d->cmd = cmd;
	}
}

/* Size an unassigned memory BAR (write all ones, read back; PCI spec
 * 6.2.5.1, with decoding off: the note there) and place it in the window.
 * QEMU microvm has no firmware that assigns BARs and q35's qboot leaves
 * them too.  Firmware that assigns BARs (SeaBIOS) assigns them all, so no
 * other function's BARs are sized to keep clear of them: a firmware that
 * left some at 0 and placed others at the bottom of this window would
 * collide (as it could before, with a function scanned later). */
static uint64_t assign_bar(struct k_pci_dev *d, unsigned i, uint32_t lo, bool is64, uint64_t *size_out)
{
	uint16_t off = (uint16_t)(0x10 + 4 * i);
	set_command(d, command(d) & ~0x2); /* memory decoding off */
	k_pci_write32(d, off, 0xffffffffu);
	uint64_t mask = k_pci_read32(d, off) & ~0xfull;
	/* A 64-bit BAR's upper half is probed only if the lower half says
	 * the BAR is 4 GiB or more; it reads 0 (we just read it) and is
	 * written only for a base above 4 GiB, which is never given here. */
	if (is64 && !mask) {
		k_pci_write32(d, (uint16_t)(off + 4), 0xffffffffu);
		mask |= (uint64_t)k_pci_read32(d, (uint16_t)(off + 4)) << 32;
		k_pci_write32(d, (uint16_t)(off + 4), 0);
	} else {
		mask |= 0xffffffff00000000ull;
	}
	uint64_t size = ~mask + 1, base = 0;
	if (mask & 0xfffffff0ull && size <= (1ull << 30)) {
		uint64_t a = (win_next + size - 1) & ~(size - 1);
		if (a + size <= win_end) {
			base = a;
			win_next = a + size;
		}
	}
	/* Writing the base also undoes the all-ones probe. */
	k_pci_write32(d, off, (uint32_t)base | (lo & 0xf));
	*size_out = base ? size : 0;
	return base;
}

int k_pci_bar(struct k_pci_dev *d, unsigned i, uint64_t *base, uint64_t *size)
{
	if (i > 5)
		return -SYS_EINVAL;
	if (!(d->bar_known & (1u << i))) {
		uint16_t off = (uint16_t)(0x10 + 4 * i);
		uint32_t lo = k_pci_read32(d, off);
		d->bar_known |= (uint8_t)(1u << i);
		if (lo & 1) {
			d->bar_is_io[i] = true;
			d->bar[i] = lo & ~3u;
		} else {
			bool is64 = ((lo >> 1) & 3) == 2 && i < 5;
			uint64_t b = lo & ~0xfull;
			if (is64)
				b |= (uint64_t)k_pci_read32(d, (uint16_t)(off + 4)) << 32;
			if (b == 0)
				b = assign_bar(d, i, lo, is64, &d->bar_size[i]);
			d->bar[i] = b;
		}
	}
	*base = d->bar[i];
	*size = d->bar_size[i];
	return d->bar[i] && !d->bar_is_io[i] ? 0 : -SYS_ENOENT;
}

void k_pci_enable(struct k_pci_dev *d)
{
	/* Memory decoding (the BARs we use are memory BARs), bus mastering
	 * (DMA: virtqueues live in guest memory); I/O decoding as found (a
	 * memory BAR's sizing turns only memory decoding off). */
	set_command(d, command(d) | 0x6);
}

/* True when fn asked to stop. */
static bool scan_bus(uint8_t bus, bool (*fn)(void *ctx, struct k_pci_dev *d), void *ctx, int depth)
{
	for (uint8_t dev = 0; dev < 32; dev++) {
		for (uint8_t f = 0; f < 8; f++) {
			struct k_pci_dev d = {.bus = bus, .dev = dev, .fn = f};
			uint32_t id = k_pci_read32(&d, 0x00);
			if ((id & 0xffff) == 0xffff) {
				if (f == 0)
					break; /* no device: its other functions do not exist */
				continue;
			}
			d.vendor = (uint16_t)id;
			d.device = (uint16_t)(id >> 16);
			/* Header type (PCI 3.0 6.2.1): layout in bits 0-6,
			 * multifunction in bit 7 (meaningful in function 0). */
			uint8_t hdr = k_pci_read8(&d, 0x0e);
			if ((hdr & 0x7f) == 0) {
				if (fn(ctx, &d))
					return true;
			} else if ((hdr & 0x7f) == 1 && depth < 8) {
				/* PCI-to-PCI bridge: follow it if the firmware
				 * numbered its secondary bus. */
				uint8_t sec = k_pci_read8(&d, 0x19);
				if (sec > bus && (mode != 1 || sec <= ecam_bus_end) &&
				    scan_bus(sec, fn, ctx, depth + 1))
					return true;
			}
			if (f == 0 && !(hdr & 0x80))
				break; /* single-function device */
		}
	}
	return false;
}

void k_pci_scan(bool (*fn)(void *ctx, struct k_pci_dev *d), void *ctx)
{
	pci_init();
	if (mode < 0)
		return;
	(void)scan_bus(0, fn, ctx, 0);
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
