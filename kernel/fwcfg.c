/* SPDX-License-Identifier: MIT */
/*
 * fwcfg.c - QEMU's firmware configuration device (QEMU docs/specs/fw_cfg.rst).
 *
 * x86 I/O ports: selector 0x510 (16-bit), data 0x511 (8-bit), DMA address
 * 0x514 (64-bit big endian, high half first; writing the low half at 0x518
 * starts the transfer).  Every port access is a VM exit, so the DMA
 * interface is used whenever QEMU offers it: a whole file in two exits.
 * Without DMA, `rep insb` reads a whole buffer with one instruction.
 */
#include "kernel/kernel_priv.h"

#define FW_CFG_PORT_SEL 0x510
#define FW_CFG_PORT_DATA 0x511
#define FW_CFG_PORT_DMA 0x514
#define FW_CFG_SIGNATURE 0x0000
#define FW_CFG_FILE_DIR 0x0019
#define FW_CFG_DMA_SIGNATURE 0x51454d5520434647ull /* "QEMU CFG" */

#define DMA_CTL_ERROR 0x01
#define DMA_CTL_READ 0x02
#define DMA_CTL_SELECT 0x08

struct fw_cfg_dma {
	uint32_t control; /* big endian, like every field here */
	uint32_t length;
	uint64_t address;
};

struct fw_cfg_file {
	uint32_t size;
	uint16_t select;
	uint16_t reserved;
	char name[56];
};
_Static_assert(sizeof(struct fw_cfg_file) == 64, "fw_cfg directory entry");

static int state; /* 0 unknown, 1 DMA, 2 I/O only, -1 absent */
static struct fw_cfg_dma dma __attribute__((aligned(16)));

static void probe(void)
{
	if (state)
		return;
	/* Reading the DMA address register returns "QEMU CFG" when the DMA
	 * interface exists (fw_cfg.rst, "DMA interface"). */
	uint64_t sig = ((uint64_t)sys_be32(k_inl(FW_CFG_PORT_DMA)) << 32) |
		       sys_be32(k_inl(FW_CFG_PORT_DMA + 4));
	if (sig == FW_CFG_DMA_SIGNATURE) {
		state = 1;
		return;
	}
	k_outw(FW_CFG_PORT_SEL, FW_CFG_SIGNATURE);
	char s[4];
	for (int i = 0; i < 4; i++)
		s[i] = (char)k_inb(FW_CFG_PORT_DATA);
	state = memcmp(s, "QEMU", 4) == 0 ? 2 : -1;
}

/* Read `len` bytes of item `select` from offset 0 into buf. */
static int read_item(uint16_t select, void *buf, uint32_t len)
{
	if (state == 1) {
		dma.control = sys_be32(((uint32_t)select << 16) | DMA_CTL_SELECT | DMA_CTL_READ);
		dma.length = sys_be32(len);
		dma.address = sys_be64((uint64_t)(uintptr_t)buf);
		uint64_t a = (uint64_t)(uintptr_t)&dma;
		sys_mb();
		k_outl(FW_CFG_PORT_DMA, sys_be32((uint32_t)(a >> 32)));
		k_outl(FW_CFG_PORT_DMA + 4, sys_be32((uint32_t)a));
		/* QEMU completes the transfer before the OUT returns; poll in
		 * case another implementation does not. */
		for (uint32_t spin = 0; spin < 10000000u; spin++) {
			uint32_t c = sys_be32(*(volatile uint32_t *)&dma.control);
			if (c & DMA_CTL_ERROR)
				return -SYS_EIO;
			if (c == 0)
				return 0;
			sys_pause();
		}
		return -SYS_EIO;
	}
	k_outw(FW_CFG_PORT_SEL, select);
	void *p = buf;
	size_t n = len;
	__asm__ volatile("rep insb" : "+D"(p), "+c"(n) : "d"((uint16_t)FW_CFG_PORT_DATA) : "memory");
	return 0;
}

/* The file directory: a big-endian count, then the entries.  Read once
 * (it does not change while the guest runs): the count and the first 64
 * entries in one transfer, all of them again if there are more. */
static const struct fw_cfg_file *dir_files;
static uint32_t dir_count;

static int read_dir(void)
{
	static uint8_t dirbuf[4 + 64 * sizeof(struct fw_cfg_file)] __attribute__((aligned(16)));
	if (dir_files)
		return 0;
	probe();
	if (state < 0)
		return -SYS_ENOENT;
	if (read_item(FW_CFG_FILE_DIR, dirbuf, sizeof(dirbuf)) < 0)
		return -SYS_EIO;
	uint32_t count;
	memcpy(&count, dirbuf, 4);
	count = sys_be32(count);
	const struct fw_cfg_file *files = (const struct fw_cfg_file *)(dirbuf + 4);
	if (count > 64) {
		size_t sz = 4 + (size_t)count * sizeof(struct fw_cfg_file);
		uint8_t *big = sys_alloc(sz, 16);
		if (!big)
			return -SYS_ENOMEM;
		if (read_item(FW_CFG_FILE_DIR, big, (uint32_t)sz) < 0) {
			sys_free(big);
			return -SYS_EIO;
		}
		files = (const struct fw_cfg_file *)(big + 4);
	}
	dir_count = count;
	dir_files = files;
	return 0;
}

static const struct fw_cfg_file *find_file(const char *name)
{
	for (uint32_t i = 0; i < dir_count; i++)
		if (strncmp(dir_files[i].name, name, sizeof(dir_files[i].name)) == 0)
			return &dir_files[i];
	return NULL;
}

int k_fwcfg_has(const char *name)
{
	int rc = read_dir();
	if (rc < 0)
		return rc;
	return find_file(name) != NULL;
}

int k_fwcfg_read(const char *name, char **data, size_t *len)
{
	int rc = read_dir();
	if (rc < 0)
		return rc;
	const struct fw_cfg_file *f = find_file(name);
	if (!f)
		return -SYS_ENOENT;
	uint32_t size = sys_be32(f->size);
	char *buf = sys_alloc((size_t)size + 1, 16);
	if (!buf)
		return -SYS_ENOMEM;
	rc = size ? read_item(sys_be16(f->select), buf, size) : 0;
	if (rc < 0) {
		sys_free(buf);
		return rc;
	}
	buf[size] = '\0';
	*data = buf;
	*len = size;
	return 0;
}
