/* SPDX-License-Identifier: MIT */
/*
 * acpi.c - just enough ACPI to find the PCI Express ECAM window and the
 * I/O APICs: RSDP -> XSDT/RSDT -> MCFG (ACPI spec 6.5, 5.2.5-5.2.8; PCI
 * Firmware spec 3.2, 4.1.2 "MCFG Table Description") and MADT (ACPI 6.5
 * 5.2.12).  Checksums are verified; a table that fails is ignored.  No AML:
 * what only the DSDT says (QEMU microvm's PCIe window and INTx lines) is
 * taken from QEMU's fixed layout in kernel/pci.c.
 */
#include "kernel/kernel_priv.h"

struct acpi_hdr {
	char sig[4];
	uint32_t length;
	uint8_t revision, checksum;
	char oem[6], oem_table[8];
	uint32_t oem_rev, creator, creator_rev;
} __attribute__((packed));

static bool sum_ok(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t s = 0;
	for (size_t i = 0; i < n; i++)
		s = (uint8_t)(s + b[i]);
	return s == 0;
}

/* Make a table readable (it may sit in a reserved region the RAM map did
 * not cover) and check it. */
static const struct acpi_hdr *table(uint64_t pa)
{
	if (!pa || k_map_mmio((uintptr_t)pa, sizeof(struct acpi_hdr)) < 0)
		return NULL;
	const struct acpi_hdr *h = (const void *)(uintptr_t)pa;
	uint32_t len = h->length;
	if (len < sizeof(*h) || len > (1u << 20) || k_map_mmio((uintptr_t)pa, len) < 0)
		return NULL;
	return sum_ok(h, len) ? h : NULL;
}

bool k_acpi_absent(void)
{
	/* QEMU gives its guests ACPI tables through fw_cfg (the firmware, or
	 * for PVH qboot/SeaBIOS, installs them from etc/acpi/tables). */
	static int absent = -1;
	if (absent < 0)
		absent = !k_boot.rsdp && k_fwcfg_has("etc/acpi/tables") == 0;
	return absent;
}

static uint64_t find_rsdp(void)
{
	if (k_boot.rsdp)
		return k_boot.rsdp;
	if (k_acpi_absent())
		return 0; /* nothing to search for */
	/* Legacy search: the BIOS area 0xE0000-0xFFFFF, 16-byte aligned
	 * (ACPI spec 5.2.5.1). */
	if (k_map_mmio(0xe0000, 0x20000) < 0)
		return 0;
	for (uint64_t a = 0xe0000; a < 0x100000; a += 16)
		if (memcmp((const void *)(uintptr_t)a, "RSD PTR ", 8) == 0 &&
		    sum_ok((const void *)(uintptr_t)a, 20))
			return a;
	return 0;
}

/* The first table with signature `sig` listed in the XSDT (else RSDT), NULL
 * if none or no ACPI. */
static const struct acpi_hdr *find_table(const char sig[4])
{
	uint64_t rp = find_rsdp();
	if (!rp || k_map_mmio((uintptr_t)rp, 36) < 0)
		return NULL;
	const uint8_t *rsdp = (const void *)(uintptr_t)rp;
	if (memcmp(rsdp, "RSD PTR ", 8) != 0)
		return NULL;
	uint64_t xsdt = 0;
	uint32_t rsdt;
	memcpy(&rsdt, rsdp + 16, 4);
	if (rsdp[15] >= 2)
		memcpy(&xsdt, rsdp + 24, 8);
	const struct acpi_hdr *root = table(xsdt ? xsdt : rsdt);
	if (!root)
		return NULL;
	size_t esz = xsdt ? 8 : 4, n = (root->length - sizeof(*root)) / esz;
	for (size_t i = 0; i < n; i++) {
		uint64_t pa = 0;
		memcpy(&pa, (const uint8_t *)(root + 1) + i * esz, esz);
		const struct acpi_hdr *t = table(pa);
		if (t && memcmp(t->sig, sig, 4) == 0)
			return t;
	}
	return NULL;
}

uint64_t k_acpi_mcfg(uint8_t *bus_end)
{
	const struct acpi_hdr *t = find_table("MCFG");
	/* 8 reserved bytes, then 16-byte allocations: base, segment, start
	 * bus, end bus. */
	if (!t || t->length < sizeof(*t) + 8 + 16)
		return 0;
	const uint8_t *e = (const uint8_t *)(t + 1) + 8;
	uint64_t base;
	uint16_t seg;
	memcpy(&base, e, 8);
	memcpy(&seg, e + 8, 2);
	if (seg != 0 || e[10] != 0)
		return 0;
	*bus_end = e[11];
	return base;
}

int k_acpi_ioapics(struct k_acpi_ioapic *out, int max)
{
	const struct acpi_hdr *t = find_table("APIC");
	/* MADT (ACPI 6.5 5.2.12): local APIC address and flags (8 bytes), then
	 * entries of {type, length}; type 1 is an I/O APIC: id, reserved,
	 * address (4), GSI base (4). */
	if (!t || t->length < sizeof(*t) + 8)
		return 0;
	const uint8_t *p = (const uint8_t *)(t + 1) + 8, *end = (const uint8_t *)t + t->length;
	int n = 0;
	while (p + 2 <= end && p[1] >= 2 && p + p[1] <= end) {
		if (p[0] == 1 && p[1] >= 12 && n < max) {
			uint32_t addr, gsi;
			memcpy(&addr, p + 4, 4);
			memcpy(&gsi, p + 8, 4);
			out[n].id = p[2];
			out[n].addr = addr;
			out[n].gsi_base = gsi;
			n++;
		}
		p += p[1];
	}
	return n;
}
